"""The study's progress display. In a terminal: one bar over all its runs (in samples × epochs), a bar for
each run while it trains, a line as each finishes, and lines about the cluster (a worker lost or joining).
Elsewhere (a log file, CI, nohup): no bars, which a file can only hold as truncated text, but the lines
and a plain status line at a steady pace — runs done, the share of the work, each training run's epoch,
elapsed time and ETA. The executor calls it from two threads (its own and the Dask client's event loop),
so each call holds a lock."""
from __future__ import annotations

import json
import threading
import time
from pathlib import Path

PLAIN_EVERY = 30.0  # seconds between two status lines when the output is not a terminal


class StudyProgress:
    """``advance(key, done, fields)`` as a run's samples pass, ``finished(key)`` when it is done; ``runs`` is a
    list of (key, name, total samples × epochs, run_dir). ``plain`` (default: when the error stream is not a
    terminal) prints a status line every ``every`` seconds instead of drawing bars."""

    def __init__(self, runs: list[tuple[str, str, int, Path]], *, enabled: bool = True, plain: bool | None = None,
                 every: float = PLAIN_EVERY):
        from rich.progress import (
            BarColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        from ..base.console import err

        self.console = err
        self.enabled = enabled
        self.plain = enabled and (not err.is_terminal if plain is None else plain)
        columns = [TextColumn("{task.description}"), BarColumn(bar_width=24),
                   TextColumn("{task.percentage:>3.0f}%"), TimeElapsedColumn(), TextColumn("eta"),
                   TimeRemainingColumn(), TextColumn("{task.fields[info]}")]
        self.display = Progress(*columns, console=err, disable=not enabled or self.plain)
        self.names = {key: name for key, name, _, _ in runs}
        self.totals = {key: total for key, _, total, _ in runs}
        self.dirs = {key: run_dir for key, _, _, run_dir in runs}
        self.done = 0
        self.overall = self.display.add_task(f"study: {len(runs)} runs", total=sum(self.totals.values()), info="")
        self.bars: dict[str, int] = {}
        self.seen: dict[str, float] = {}
        self.fields: dict[str, dict] = {}  # the latest fields of each run in training (its epoch)
        self.every, self.started = every, time.monotonic()
        self.stop = threading.Event()
        self.ticker: threading.Thread | None = None
        self.lock = threading.Lock()

    def __enter__(self):
        self.started = time.monotonic()
        self.display.__enter__()
        if self.plain:
            self.ticker = threading.Thread(target=self._tick, name="mathdl-study-progress", daemon=True)
            self.ticker.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        if self.ticker is not None:
            self.ticker.join()
        return self.display.__exit__(*exc)

    def _tick(self) -> None:
        while not self.stop.wait(self.every):
            self.say(self.status())

    def advance(self, key: str, done: int, fields: dict) -> None:
        """The run ``key`` has trained ``done`` samples in all (a run retried from its checkpoint after a lost
        worker counts from there again, so the display goes back by what was lost)."""
        if key not in self.names:
            return
        with self.lock:
            if key not in self.bars:
                self.bars[key] = self.display.add_task(f"  {self.names[key]}", total=self.totals[key], info="")
            step, self.seen[key] = done - self.seen.get(key, 0), done
            self.fields[key] = dict(fields)
            info = "  ".join(f"{k} {v}" for k, v in fields.items())
            self.display.update(self.bars[key], completed=done, info=info)
            self.display.update(self.overall, advance=step)

    def finished(self, key: str, outcome: str | None = None) -> None:
        with self.lock:
            self.done += 1
            if key in self.bars:
                self.display.remove_task(self.bars.pop(key))
            self.fields.pop(key, None)
            self.display.update(self.overall, advance=self.totals[key] - self.seen.pop(key, 0),
                                description=f"study: {self.done}/{len(self.names)} runs done")
        self.say(f"{self.done}/{len(self.names)} done: {self.names[key]}: " + (outcome or _outcome(self.dirs[key])))

    def status(self) -> str:
        """'study: 3/16 runs done, 27% of the work; training: 1-1layer-tse-online epoch 4/15, …; elapsed 4:10,
        eta 11:20' (the ETA from the pace of the work so far, once there is some)."""
        with self.lock:
            task = self.display.tasks[self.overall]
            share = task.completed / task.total if task.total else 1.0
            training = [f"{self.names[key]} epoch {fields['epoch']}" if "epoch" in fields else self.names[key]
                        for key, fields in self.fields.items()]
        elapsed = time.monotonic() - self.started
        line = f"study: {self.done}/{len(self.names)} runs done, {100 * share:.0f}% of the work"
        if training:
            line += "; training: " + ", ".join(training)
        line += f"; elapsed {_clock(elapsed)}"
        if 0 < share < 1:
            line += f", eta {_clock(elapsed * (1 - share) / share)}"
        return line

    def say(self, line: str) -> None:
        """A line above the bars, unwrapped (the terminal wraps it)."""
        if self.enabled:
            with self.lock:
                self.display.console.print(line, soft_wrap=True, highlight=False)


def _clock(seconds: float) -> str:
    """125 → '2:05', 3725 → '1:02:05'."""
    minutes, s = divmod(int(round(seconds)), 60)
    hours, m = divmod(minutes, 60)
    return f"{hours}:{m:02d}:{s:02d}" if hours else f"{m}:{s:02d}"


def _outcome(run_dir: Path) -> str:
    """'test accuracy 98.42% after 224 s of training' from a finished run directory."""
    metrics = json.loads((Path(run_dir) / "metrics.json").read_text())
    return f"test accuracy {100 * metrics['test']['accuracy']:.2f}% after {metrics['train_seconds']:.0f} s of training"
