"""The first-use compilation of the compiled loops is measured apart from the training it happens in."""
import time

from numba import njit

from mathdl.nn.fast.compiling import compile_time


def test_compile_time_measures_a_first_use_and_nothing_else():
    @njit
    def fresh(x):  # defined here, so it is compiled here
        return 2 * x + 1

    start = time.perf_counter()
    with compile_time() as compiling:
        assert fresh(1.5) == 4.0
    elapsed = time.perf_counter() - start
    assert 0 < compiling.seconds <= elapsed
    with compile_time() as again:
        fresh(2.5)  # already compiled for floats
        time.sleep(0.05)
    assert again.seconds == 0.0
