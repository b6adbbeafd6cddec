"""docs/tutorial.md runs: its Python blocks are executed in order, in one namespace, on real MNIST when it
is on this machine and otherwise on small random MNIST-shaped files."""
import re
from pathlib import Path

import matplotlib
import pytest

from conftest import REPO, mnist_dir
from test_mnist import small, write_idx

TUTORIAL = REPO / "docs" / "tutorial.md"


def blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", TUTORIAL.read_text(encoding="utf-8"), re.S)


def test_the_tutorial_has_code():
    assert len(blocks()) >= 8


def test_the_tutorial_runs(tmp_path, monkeypatch):
    pytest.importorskip("sklearn")
    data = mnist_dir() or write_idx(tmp_path / "mnist", small(2500, 600))
    monkeypatch.setenv("MATHDL_DATA", str(data))
    monkeypatch.chdir(tmp_path)
    matplotlib.use("Agg")
    namespace = {"__name__": "tutorial"}
    for number, code in enumerate(blocks(), start=1):
        exec(compile(code, f"{TUTORIAL.name} block {number}", "exec"), namespace)  # noqa: S102
    assert (Path("runs") / "digits" / "learning-curve.png").stat().st_size > 1000
    assert namespace["p"].image.shape == (28, 28)
