"""A directory held by one process: an exclusive OS lock on a file in it, for as long as the work there lasts.

The lock is the kernel's (``flock`` on POSIX, ``msvcrt.locking`` on Windows) on an open file, so it ends with
the process however that ends: a killed process never leaves a stale lock. The lock file (``LOCK_FILE``) holds
the holder's process id and host, for the message a second process gets; the holder removes it when it is done
(and the directory too when it made it and nothing else was written there), so a directory refused or
abandoned before its first file is left as it was. A process that locked a file removed meanwhile by the
holder before it tries again (the file's identity is compared with the path's). In one process the lock is
re-entrant (the study's command holds it while the study runs and then while its report is written).
"""
from __future__ import annotations

import os
import socket
import time
from contextlib import contextmanager
from pathlib import Path

from .errors import MathdlError

LOCK_FILE = ".mathdl.lock"

_held: dict[Path, int] = {}  # directory → how many times this process holds it


@contextmanager
def holding(folder, what: str = "mathdl study"):
    """Hold ``folder`` (created if missing) for the block; a one-line ``MathdlError`` at once if another process
    holds it, naming that process. ``what`` names the work in the message ("another mathdl study is running …")."""
    folder = Path(folder).absolute()
    if folder in _held:
        _held[folder] += 1
        try:
            yield folder
        finally:
            _held[folder] -= 1
        return
    made = not folder.exists()
    fd = _acquire(folder, what)
    _held[folder] = 1
    try:
        yield folder
    finally:
        del _held[folder]
        try:  # removed while still held: a process that opened it meanwhile sees it is gone and tries again
            os.unlink(folder / LOCK_FILE)
            if made:
                folder.rmdir()  # only when nothing else was written there
        except OSError:
            pass
        _unlock(fd)
        os.close(fd)


def _acquire(folder: Path, what: str) -> int:
    """An open descriptor of folder/LOCK_FILE, locked by this process, with this process named in it."""
    path = folder / LOCK_FILE
    while True:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as e:
            raise MathdlError(f"cannot create {folder}: {e.strerror or e}") from None
        if not _lock(fd):
            holder = _holder(fd)
            os.close(fd)
            raise MathdlError(f"another {what} is running in {folder}{f' ({holder})' if holder else ''}; wait "
                              f"for it to end, or choose another --out")
        try:
            current = os.stat(path)
        except OSError:
            current = None
        if current is not None and os.path.samestat(os.fstat(fd), current):
            break
        _unlock(fd)  # the holder removed the file after we opened it: lock the one there now
        os.close(fd)
    os.ftruncate(fd, 0)
    os.lseek(fd, 0, os.SEEK_SET)
    os.write(fd, f"process {os.getpid()} on {socket.gethostname()}\n".encode())
    return fd


def _holder(fd: int, wait: float = 1.0) -> str:
    """What the holder wrote in the lock file: 'process 1234 on host'; a holder that has locked the file but not
    yet written (a moment's race, longer under load) is given up to ``wait`` seconds."""
    deadline = time.monotonic() + wait
    while True:
        try:
            os.lseek(fd, 0, os.SEEK_SET)
            text = os.read(fd, 200).decode(errors="replace").strip()
        except OSError:
            return ""
        if text or time.monotonic() >= deadline:
            return text
        time.sleep(0.01)


try:
    import fcntl

    def _lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
except ImportError:  # Windows
    import msvcrt

    def _lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
