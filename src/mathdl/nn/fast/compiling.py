"""How long the compiled loops (``kernels``) took to compile, or to load from Numba's cache, on first use.

Numba compiles a function the first time it is called with new argument types, and keeps the machine
code in a cache beside the package; a process pays seconds for that once, inside whatever it was
doing (the first epoch of the first training run). ``compile_time()`` measures it, so a training
time can be reported without it.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass


@dataclass
class CompileTime:
    seconds: float = 0.0


@contextmanager
def compile_time():
    """A ``CompileTime`` whose ``seconds``, after the block, is the time the block spent holding Numba's
    compiler lock (compiling functions or loading them from the cache), outermost calls only."""
    from numba.core import event

    measured = CompileTime()
    listener = event.TimingListener()
    with event.install_listener("numba:compiler_lock", listener):
        yield measured
    measured.seconds = listener.duration if listener.done else 0.0
