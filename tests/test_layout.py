"""The layering is a checked contract: import-linter's contracts in pyproject.toml (layers from base at the
bottom to the applications on top; the readable network never imports its fast paths)."""
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
