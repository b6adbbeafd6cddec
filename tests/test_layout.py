"""The layering is a checked contract: import-linter's contracts in pyproject.toml (layers from base at the
bottom to the applications on top; the readable network — every module of mathdl.nn and its __init__ —
never imports its fast paths, nn.fast). Each contract is broken on purpose once below."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"

pytest.importorskip("importlinter", reason="import-linter is in the [dev] extras")


def lint_imports(src: Path, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(src)}
    return subprocess.run([sys.executable, "-c", "from importlinter.cli import lint_imports_command; "
                           "lint_imports_command()", "--no-cache"],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_every_import_points_down():
    result = lint_imports(SRC, ROOT)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout


@pytest.mark.parametrize("file,upward", [
    ("data/dots.py", "from ..training.loop import Settings"),   # data would depend on training
    ("nn/backprop.py", "from .fast import matrix"),                # the readable network on its fast path
    ("nn/updates.py", "from .fast import matrix"),                 # the readable training step on it
    ("nn/updates.py", "from .fast.steps import fused_step"),       # … on a module of it
    ("nn/__init__.py", "from .fast import matrix"),                # the network's package on it
    ("nn/__init__.py", "from .fast.sgd import FastSGD"),
    ("reverse/chain.py", "from ..plots import save"),              # a computation on its pictures
])
def test_an_upward_import_breaks_the_contract(tmp_path, file, upward):
    shutil.copytree(SRC / "mathdl", tmp_path / "src" / "mathdl", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / "src" / "mathdl" / file
    target.write_text(target.read_text() + f"\n{upward}  # noqa\n")
    result = lint_imports(tmp_path / "src", tmp_path)
    assert result.returncode != 0
    assert "BROKEN" in result.stdout
