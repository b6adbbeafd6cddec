"""Files: every write atomic (a temporary name beside the target, flushed, renamed into place), and the
formats mathdl reads and writes everywhere — JSON, CSV, uncompressed .npz without pickle.

A file that exists is complete: killing the process at any moment leaves the old file or the new one,
never half of one (at most a hidden ``.NAME.*.tmp`` stays behind).
"""
from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    pass



def _file_mode() -> int:
    """The permissions a new file gets under the current umask (mkstemp's own are 0600)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


FILE_MODE = _file_mode()


@contextmanager
def atomic_path(path, *, suffix: str = ".tmp"):
    """A temporary path beside ``path`` to write to; renamed onto ``path`` only if the block succeeds.

    ``suffix`` ends the temporary name (e.g. ".gif" for writers that pick the format by extension).
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


@contextmanager
def open_npz(path):
    """An .npz archive loaded with allow_pickle=False; the file is closed even when it is not valid."""
    with open(path, "rb") as fh:
        npz = np.load(fh, allow_pickle=False)
        if not isinstance(npz, np.lib.npyio.NpzFile):
            raise ValueError("not an .npz archive")
        with npz:
            yield npz


def write_bytes(path, data: bytes) -> None:
    with atomic_path(path) as tmp:
        Path(tmp).write_bytes(data)


def write_text(path, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


def write_json(path, obj) -> None:
    write_text(path, json.dumps(obj, indent=2, allow_nan=False, default=json_default) + "\n")


def json_default(obj):
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def write_csv(path, rows: list[dict]) -> None:
    """Rows of a table as CSV with a header (every key of the rows, in order of appearance; a row without
    a key has an empty cell there)."""
    buffer = io.StringIO()
    if rows:
        writer = csv.DictWriter(buffer, fieldnames=list({key: None for row in rows for key in row}),
                                lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    write_text(path, buffer.getvalue())


def read_csv_rows(path) -> list[dict]:
    """The rows of a CSV written by ``write_csv``, numbers converted back to float."""
    with open(path, newline="") as fh:
        return [{k: _number(v) for k, v in row.items()} for row in csv.DictReader(fh)]


def _number(value: str):
    try:
        return float(value)
    except ValueError:
        return value


def write_npz(path, arrays: dict) -> None:
    """Arrays as an uncompressed .npz, atomically (loads with allow_pickle=False: no object arrays)."""
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            np.savez(fh, **arrays)
