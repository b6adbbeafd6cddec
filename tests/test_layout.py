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


def test_what_the_commands_write_by_default_is_ignored_by_git():
    """The default output folders (mathdl study's study-ID/ and study-ID-quick/, train's and reverse's runs/) are
    not offered for a commit."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    written = ["study-100384/report.pdf", "study-100384-quick/summary.json", "runs/reverse-100384/reverse.json"]
    found = subprocess.run(["git", "check-ignore", "--no-index", *written], cwd=ROOT, capture_output=True, text=True)
    assert found.stdout.split() == written, found.stdout + found.stderr
    kept = subprocess.run(["git", "check-ignore", "--no-index", "src/mathdl/study/runner.py"], cwd=ROOT)
    assert kept.returncode == 1  # the sources are not ignored


def where_things_are() -> dict[str, str]:
    """The README's table "Where things are": folder (as written, e.g. '`nn/fast/`') → what is there."""
    text = (ROOT / "README.md").read_text()
    table = text[text.index("## Where things are"):].split("\n## ")[0]
    rows = [line.split(" | ") for line in table.splitlines() if line.startswith("| ") and " | `" in line]
    return {row[1]: row[2] for row in rows}


def test_the_readme_names_every_package_where_it_is():
    """Every package of mathdl has its row in the README's "Where things are", and what a row says a module
    holds is there (Holm's correction was said to be in ``factorial`` while ``metrics`` has it)."""
    import importlib

    table = where_things_are()
    folders = " ".join(table)
    packages = sorted(p.parent.relative_to(SRC / "mathdl").as_posix() for p in (SRC / "mathdl").glob("**/__init__.py")
                      if p.parent != SRC / "mathdl")
    assert [p for p in packages if f"`{p}/`" not in folders] == []
    evaluation = dict(part.split("`: ", 1) for part in table["`evaluation/`"].strip(" |").lstrip("`").split("; `"))
    for module, holds in evaluation.items():
        if "Holm" in holds:
            assert hasattr(importlib.import_module(f"mathdl.evaluation.{module}"), "holm"), module
