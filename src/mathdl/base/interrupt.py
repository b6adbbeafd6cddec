"""Safe points: Ctrl-C (SIGINT) and SIGTERM held back until stopping loses nothing.

Python turns Ctrl-C into a ``KeyboardInterrupt`` wherever the program happens to be: in training,
possibly between the updates of W⁽¹⁾ and W⁽²⁾ of one step, which leaves a network no step ever
produced. Inside ``held_signals()`` the two signals only raise a flag; the training loop looks at it
after every update (or chunk of samples), where parameters, optimiser and generators agree, keeps a
checkpoint there and raises ``Interrupted``. A signal still held when the block ends is raised as a
``KeyboardInterrupt`` then, so none is ever lost.

Signal handlers belong to the main thread; elsewhere the block holds nothing back. A signal the
process ignores stays ignored: a program started by ``nohup`` or as ``cmd &`` from a script starts with
SIGINT ignored, its starter's way of saying that Ctrl-C is not for it, and mathdl respects that. SIGTERM
(``kill PID``) still stops it at a safe point with a checkpoint and exit code 130: the command line
handles SIGTERM always (``stop_like_ctrl_c``), whatever it inherited. Another thread can ask for the
same stop without a signal: inside ``stop_on(event)``, setting ``event`` counts as a request (a Dask
worker's training thread, stopped by the study that started it).
"""
from __future__ import annotations

import signal
import threading
from contextlib import contextmanager

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(KeyboardInterrupt):
    """Training stopped at a safe point; ``checkpoint`` (a ``mathdl.training.Checkpoint``) is where."""

    def __init__(self, checkpoint):
        super().__init__(f"interrupted: {checkpoint.describe()} done")
        self.checkpoint = checkpoint


def stop_like_ctrl_c(signum, frame):
    """A handler for SIGTERM that makes it stop the program as Ctrl-C does (KeyboardInterrupt)."""
    raise KeyboardInterrupt


class Held:
    """The signal received inside ``held_signals()`` (None if none yet), and the thread's stop event."""

    signum: int | None = None
    event: threading.Event | None = None

    @property
    def requested(self) -> bool:
        return self.signum is not None or (self.event is not None and self.event.is_set())


_thread = threading.local()


@contextmanager
def stop_on(event: threading.Event):
    """Inside the block, ``held_signals`` in this thread also stops at a safe point once ``event`` is set."""
    previous = getattr(_thread, "event", None)
    _thread.event = event
    try:
        yield
    finally:
        _thread.event = previous


@contextmanager
def held_signals():
    """Hold SIGINT and SIGTERM back for the block; yields a ``Held`` whose ``requested`` says one came."""
    held = Held()
    held.event = getattr(_thread, "event", None)
    if threading.current_thread() is not threading.main_thread():
        yield held
        return

    def hold(signum, frame):
        held.signum = signum

    previous = {s: signal.signal(s, hold) for s in SIGNALS if signal.getsignal(s) is not signal.SIG_IGN}
    try:
        yield held
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler if handler is not None else signal.SIG_DFL)
    if held.signum is not None:
        raise KeyboardInterrupt

