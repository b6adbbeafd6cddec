"""Repeated timings: one untimed warm-up, then the seconds of each repetition; and FLOP counts."""
from __future__ import annotations

import time


def timed(work, repeats: int) -> list[float]:
    """Call ``work()`` once untimed (allocations, thread pools), then ``repeats`` times; their seconds."""
    work()
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        seconds.append(time.perf_counter() - start)
    return seconds


def train_flops(sizes: list[int]) -> int:
    """Floating-point operations of one training step on one sample of a network with layer sizes
    [n_0, …, n_L], counting the matrix products (2 per multiply-add): z⁽ˡ⁾ = W⁽ˡ⁾a⁽ˡ⁻¹⁾, ∂C/∂W⁽ˡ⁾ =
    δ⁽ˡ⁾(a⁽ˡ⁻¹⁾)ᵀ and, for l ≥ 2, (W⁽ˡ⁾)ᵀδ⁽ˡ⁾: 2 Σ_l n_l n_{l−1} (2 + [l ≥ 2])."""
    return sum(2 * n_out * n_in * (3 if l > 0 else 2) for l, (n_in, n_out) in enumerate(zip(sizes, sizes[1:])))
