"""Commands timed in a fresh process, with the peak resident memory of the whole process tree.

The peak is sampled every ``INTERVAL`` seconds as Σ RSS over the command and all its descendants
(read from /proc, so Linux only; elsewhere the peak is reported as unknown). Pages shared between
the processes count once per process, so the figure is an upper bound of the memory really used.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

INTERVAL = 0.05  # seconds between memory samples


@dataclass(frozen=True)
class Finished:
    """A command's wall time, the peak Σ RSS of its process tree (bytes, None if unknown), exit code, output."""

    seconds: float
    peak_rss: int | None
    returncode: int
    stdout: str
    stderr: str


def _children() -> dict[int, list[int]]:
    """Parent pid → child pids, for every process in /proc."""
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            tree.setdefault(parent, []).append(int(entry.name))
    return tree


def _rss(pid: int) -> int:
    try:
        return int((Path("/proc") / str(pid) / "statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, IndexError, ValueError):
        return 0


def tree_rss(root: int) -> int:
    """Σ RSS (bytes) of ``root`` and its descendants."""
    tree, pending, total = _children(), [root], 0
    while pending:
        pid = pending.pop()
        total += _rss(pid)
        pending.extend(tree.get(pid, []))
    return total


def run_measured(args: list[str], *, env: dict | None = None, timeout: float | None = None) -> Finished:
    """Run ``python args…`` (this interpreter) and measure it."""
    measurable = Path("/proc/self/statm").exists()
    start = time.perf_counter()
    with subprocess.Popen([sys.executable, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          env={**os.environ, **(env or {})}) as process:
        peak = 0
        while process.poll() is None:
            if measurable:
                peak = max(peak, tree_rss(process.pid))
            time.sleep(INTERVAL)
            if timeout is not None and time.perf_counter() - start > timeout:
                process.kill()
        stdout, stderr = process.communicate()
    return Finished(time.perf_counter() - start, peak if measurable else None, process.returncode, stdout, stderr)
