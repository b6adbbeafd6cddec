"""Files: every write atomic (a temporary name beside the target, flushed, renamed into place), and the
formats mathdl reads and writes everywhere — JSON, CSV, uncompressed .npz without pickle.

A file that exists is complete: killing the process at any moment leaves the old file or the new one,
never half of one (at most a hidden ``.NAME.*.tmp`` stays behind).
"""
from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import tempfile
import zipfile
import zlib
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from .errors import MathdlError

def _file_mode() -> int:
    """The permissions a new file gets under the current umask (mkstemp's own are 0600)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


FILE_MODE = _file_mode()


CHECK_PREFIX = ".mathdl-check."  # the probe check_directory makes and removes at once


def check_directory(path) -> Path:
    """``path`` as a directory mathdl can write into, checked before anything is written: refused (a
    one-line ``MathdlError``) when it is a file, or when nothing can be created where it is or would be
    (a read-only or special file system such as /proc, no permission). The check creates and at once
    removes an empty hidden directory there; it leaves nothing behind."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise MathdlError(f"{path} is a file, not a directory")
    existing = path
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise MathdlError(f"cannot create {path}: {existing} is a file, not a directory")
    try:
        os.rmdir(tempfile.mkdtemp(prefix=CHECK_PREFIX, dir=existing))
    except OSError as e:
        raise MathdlError(f"cannot create {path}: nothing can be written in {existing} "
                          f"({e.strerror or e})") from None
    return path


def make_directory(path, what: str = "directory") -> Path:
    """The directory ``path``, created with its parents if need be; a one-line ``MathdlError`` if it cannot be
    (``what`` names it: "run directory")."""
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise MathdlError(f"cannot create {what} {path}: {e.strerror or e}") from None
    return path


# atomic_path's temporary names: ".NAME." + mkstemp's 8 random characters + ".tmp"
TEMPORARY_NAME = re.compile(r"\.(?P<name>.+)\.[a-z0-9_]{8}\.tmp")


@contextmanager
def atomic_path(path, *, suffix: str = ".tmp"):
    """A temporary path beside ``path`` to write to; renamed onto ``path`` only if the block succeeds.

    ``suffix`` ends the temporary name (e.g. ".gif" for writers that pick the format by extension); with
    the default, the name matches ``TEMPORARY_NAME``.
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


def remove_temporaries(folder) -> list[Path]:
    """Delete the temporary files ``atomic_path`` left in ``folder`` (only regular files whose names match
    ``TEMPORARY_NAME``), as a process killed while writing leaves them; returns those removed. Only for a
    folder no other process is writing into."""
    removed = []
    for entry in Path(folder).iterdir():
        if TEMPORARY_NAME.fullmatch(entry.name) and entry.is_file() and not entry.is_symlink():
            entry.unlink(missing_ok=True)
            removed.append(entry)
    return removed


@contextmanager
def open_npz(path):
    """An .npz archive loaded with allow_pickle=False, every member's declared size checked before any
    array is allocated (``check_npz_sizes``); the file is closed even when it is not valid."""
    with open(path, "rb") as fh:
        npz = np.load(fh, allow_pickle=False)
        if not isinstance(npz, np.lib.npyio.NpzFile):
            raise ValueError("not an .npz archive")
        with npz:
            try:
                check_npz_sizes(npz, os.fstat(fh.fileno()).st_size)
                yield npz
            except zlib.error as e:  # a member's deflate stream is corrupt
                raise ValueError(f"corrupt compressed member ({e})") from None


def npz_header(npz, entry: str, kind: str, version: int, path, what: str) -> dict:
    """The JSON entry ``entry`` of an open .npz, the header of mathdl's own files: a dict whose "format" is
    ``kind`` (else a ValueError: not such a file) and whose "version" is ``version`` (else a one-line
    ``MathdlError`` naming both versions; ``what`` names the file's kind in it: "model format")."""
    header = json.loads(str(npz[entry]))
    if not isinstance(header, dict) or header.get("format") != kind:
        raise ValueError(f"not a {kind.replace('-', ' ')} file")  # "not a mathdl model file"
    if header.get("version") != version:
        raise MathdlError(f"{path}: {what} version {header.get('version')} is not supported (this mathdl reads "
                          f"version {version})")
    return header


DEFLATE_RATIO = 1032  # the most deflate expands: 258 bytes (the longest match) from 2 bits


def memory_bytes() -> int | None:
    """This machine's physical memory in bytes (None where the OS does not say)."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, OSError, ValueError):
        return None


def check_npz_sizes(npz, archive_bytes: int) -> None:
    """Refuse (ValueError) an .npz whose members promise more than it can hold, before NumPy allocates
    them: a forged .npy header declaring 10¹² values in a 1 kB file would otherwise be a 931 GiB
    allocation. Each member's size must fit the archive (stored: its bytes in it; deflated: at most
    ``DEFLATE_RATIO`` times them), each array its member, and all of them this machine's memory."""
    total, memory = 0, memory_bytes()
    for info in npz.zip.infolist():
        limit = info.compress_size * (1 if info.compress_type == zipfile.ZIP_STORED else DEFLATE_RATIO)
        if info.compress_size > archive_bytes or info.file_size > limit:
            raise ValueError(f"member {info.filename} claims {info.file_size:,} bytes, more than the "
                             f"{archive_bytes:,}-byte file can hold")
        if not info.filename.endswith(".npy"):
            continue
        with npz.zip.open(info) as member:
            version = np.lib.format.read_magic(member)
            read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else \
                np.lib.format.read_array_header_2_0  # 3.0 differs from 2.0 only in the header's encoding
            shape, _, dtype = read_header(member)
            declared = math.prod(shape) * dtype.itemsize  # exact: a forged shape may exceed int64
            if not dtype.hasobject and declared > info.file_size - member.tell():
                raise ValueError(f"{info.filename[:-4]} declares shape {shape} of {dtype} ({declared:,} bytes) "
                                 f"but holds {info.file_size - member.tell():,} bytes")
        total += info.file_size
    if memory is not None and total > memory:
        raise ValueError(f"its arrays take {total / 2**30:.1f} GiB, more than this machine's "
                         f"{memory / 2**30:.1f} GiB of memory")


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
