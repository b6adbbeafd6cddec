"""BLAS threads: small products run on one thread.

OpenBLAS splits even a matrix-vector product with a 300 × 784 matrix over its threads; when other
processes keep the cores busy, every such call waits for a thread that is not running, and per-sample
work becomes many times slower (BENCHMARKS.md, "BLAS threads", gives the measurements). The rule:
per-sample and small-batch work (fewer than ``SMALL_BATCH`` columns) runs on one thread, and so does all
of plain SGD's fast path (``sgd``), whose block products (64 columns) gain little from a second thread.
The matrix-matrix products of large batches (momentum, Adam) and of evaluation keep BLAS's own setting
and go through NumPy: SciPy loads a second OpenBLAS with its own threads, and two pools of spinning
threads on two cores wait for each other the same way.
"""
from __future__ import annotations

from contextlib import contextmanager
from functools import cache

from threadpoolctl import ThreadpoolController

SMALL_BATCH = 64  # batches below this many samples run on one BLAS thread


@cache
def _controller() -> ThreadpoolController:
    return ThreadpoolController()


@contextmanager
def one_thread():
    """A context in which the BLAS libraries loaded in this process use one thread: a few µs to enter
    (threadpoolctl's own ``limit`` takes ~40 µs, which the per-block calls of ``FastSGD`` would feel)."""
    changed = [(lib, n) for lib in _controller().lib_controllers if (n := lib.get_num_threads()) != 1]
    for lib, _ in changed:
        lib.set_num_threads(1)
    try:
        yield
    finally:
        for lib, n in changed:
            lib.set_num_threads(n)
