"""The study's progress display: one bar over all its runs (in samples × epochs), a bar for each run
while it trains, a line as each finishes, and lines about the cluster (a worker lost or joining). The
executor calls it from two threads (its own and the Dask client's event loop), so each call holds a lock."""
from __future__ import annotations

import json
import threading
from functools import wraps
from pathlib import Path


def _locked(method):
    @wraps(method)
    def call(self, *args, **kwargs):
        with self.lock:
            return method(self, *args, **kwargs)
    return call


class StudyProgress:
    """``advance(key, done, fields)`` as a run's samples pass, ``finished(key)`` when it is done; ``runs`` is a
    list of (key, name, total samples × epochs, run_dir)."""

    def __init__(self, runs: list[tuple[str, str, int, Path]], *, enabled: bool = True):
        from rich.progress import (
            BarColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        from ..base.console import err

        columns = [TextColumn("{task.description}"), BarColumn(bar_width=24),
                   TextColumn("{task.percentage:>3.0f}%"), TimeElapsedColumn(), TextColumn("eta"),
                   TimeRemainingColumn(), TextColumn("{task.fields[info]}")]
        self.display = Progress(*columns, console=err, disable=not enabled)
        self.enabled = enabled
        self.names = {key: name for key, name, _, _ in runs}
        self.totals = {key: total for key, _, total, _ in runs}
        self.dirs = {key: run_dir for key, _, _, run_dir in runs}
        self.done = 0
        self.overall = self.display.add_task(f"study: {len(runs)} runs", total=sum(self.totals.values()), info="")
        self.bars: dict[str, int] = {}
        self.seen: dict[str, float] = {}
        self.lock = threading.Lock()

    def __enter__(self):
        self.display.__enter__()
        return self

    def __exit__(self, *exc):
        return self.display.__exit__(*exc)

    @_locked
    def advance(self, key: str, done: int, fields: dict) -> None:
        """The run ``key`` has trained ``done`` samples in all (a run retried from its checkpoint after a lost
        worker counts from there again, so the display goes back by what was lost)."""
        if key not in self.names:
            return
        if key not in self.bars:
            self.bars[key] = self.display.add_task(f"  {self.names[key]}", total=self.totals[key], info="")
        step, self.seen[key] = done - self.seen.get(key, 0), done
        info = "  ".join(f"{k} {v}" for k, v in fields.items())
        self.display.update(self.bars[key], completed=done, info=info)
        self.display.update(self.overall, advance=step)

    @_locked
    def finished(self, key: str, outcome: str | None = None) -> None:
        self.done += 1
        if key in self.bars:
            self.display.remove_task(self.bars.pop(key))
        self.display.update(self.overall, advance=self.totals[key] - self.seen.pop(key, 0),
                            description=f"study: {self.done}/{len(self.names)} runs done")
        if self.enabled:
            self.display.console.print(f"{self.done}/{len(self.names)} done: {self.names[key]}: "
                                       + (outcome or _outcome(self.dirs[key])))

    @_locked
    def say(self, line: str) -> None:
        """A line above the bars, unwrapped (the terminal wraps it)."""
        if self.enabled:
            self.display.console.print(line, soft_wrap=True, highlight=False)


def _outcome(run_dir: Path) -> str:
    """'test accuracy 98.42% after 224 s of training' from a finished run directory."""
    metrics = json.loads((Path(run_dir) / "metrics.json").read_text())
    return f"test accuracy {100 * metrics['test']['accuracy']:.2f}% after {metrics['train_seconds']:.0f} s of training"
