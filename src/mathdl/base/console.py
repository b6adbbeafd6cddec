"""The terminal: one rich console on stderr for progress and messages, stdout for results, and the
progress bar every long computation shows.
"""
from __future__ import annotations

import os
import time
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

UNWRAPPED = 100_000  # the width of a console that is not a terminal: nothing wraps


def console(stderr: bool = False) -> Console:
    """A console on stdout (results) or stderr (progress, messages). In a terminal rich wraps at its width;
    elsewhere (a pipe, a log file, CI) nothing is wrapped or cut — a line is as long as its text and a table
    as wide as its columns — unless $COLUMNS sets a width."""
    shown = Console(stderr=stderr, highlight=False, markup=False)
    if shown.is_terminal or os.environ.get("COLUMNS"):
        return shown
    return Console(stderr=stderr, highlight=False, markup=False, width=UNWRAPPED, soft_wrap=True)


out = console()
err = console(stderr=True)


class Bar:
    """A progress bar over ``total`` units; ``advance`` and ``note`` are cheap to call often.

    It draws with rich, or hands (units done since last time, fields) to ``sink`` (e.g. a queue to the
    process that draws), or does nothing.
    """

    def __init__(self, progress: Progress | None, task_id, min_interval: float = 0.1, sink=None):
        self.progress, self.task_id, self.sink = progress, task_id, sink
        self.pending, self.fields = 0, {}
        self.min_interval, self.last = min_interval, 0.0

    def advance(self, n: int = 1, **fields) -> None:
        self.pending += n
        self.fields.update(fields)
        now = time.monotonic()
        if (self.progress is not None or self.sink is not None) and now - self.last >= self.min_interval:
            self.flush(now)

    def note(self, **fields) -> None:
        """Change the text shown after the bar (e.g. the current cost)."""
        self.advance(0, **fields)

    def flush(self, now: float | None = None) -> None:
        if self.sink is not None:
            self.sink(self.pending, dict(self.fields))
        if self.progress is not None:
            info = "  ".join(f"{k} {v}" for k, v in self.fields.items())
            self.progress.update(self.task_id, advance=self.pending, info=info)
        self.pending, self.last = 0, now if now is not None else time.monotonic()


@contextmanager
def progress_bar(description: str, total: float | None, *, enabled=True):
    """A bar with the description, M/N done, elapsed time, ETA and a free text field.

    ``enabled`` is True (draw), False (nothing) or a callable sink(units, fields) that receives the
    progress instead of drawing it. When stderr is not a terminal (a log file, CI, nohup) no bar is drawn,
    whose last frame a file would hold as cut text, but one plain line says what was done and in how long.
    """
    if enabled is False or enabled is None or callable(enabled):
        bar = Bar(None, None, sink=enabled if callable(enabled) else None)
        yield bar
        bar.flush()
        return
    if not err.is_terminal:
        done, fields, started = 0, {}, time.monotonic()

        def tally(units, latest):
            nonlocal done
            done += units
            fields.update(latest)
        bar = Bar(None, None, sink=tally)
        try:
            yield bar
        finally:
            bar.flush()
            info = "".join(f", {k} {v}" for k, v in fields.items())
            err.print(f"{description}: {done:,}{f' of {total:,}' if total else ''} in "
                      f"{time.monotonic() - started:.1f} s{info}")
        return
    columns = [TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn(), TextColumn("{task.fields[info]}")]
    with Progress(*columns, console=err, transient=False) as progress:
        bar = Bar(progress, progress.add_task(description, total=total, info=""))
        try:
            yield bar
        finally:
            bar.flush()
