"""Where the workshop commands write their figures: ``--out`` names a file or a directory."""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

from ..base.errors import MathdlError

FIGURE_SUFFIXES = (".png", ".svg", ".gif")


def figure_base(out: str | None, name: str) -> Path:
    """The path of a figure without its suffix: ``out`` itself when it ends in .png, .svg or .gif,
    else ``out`` (default: the current directory) / ``name``."""
    if out is not None and Path(out).suffix.lower() in FIGURE_SUFFIXES:
        return Path(out).with_suffix("")
    return Path(out or ".") / name


@contextmanager
def writing(path: Path):
    """Create the folder of ``path``; a file-system fault inside the block becomes one line, then print
    where the file went."""
    from ..base.console import out
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        yield path
    except OSError as e:
        raise MathdlError(f"cannot write {path}: {e.strerror or e}") from None
    out.print(f"wrote {path}", soft_wrap=True)


def save_figure(fig, base: Path, *, svg: bool = False) -> None:
    """Save ``fig`` as base.png (and base.svg beside it)."""
    from ..plots import save
    with writing(base.with_suffix(".png")) as path:
        save(fig, path, svg=svg)
