"""Columns of ``Pixels`` gathered and scaled in one compiled pass: the fast twin of ``pixels.scale`` applied to
``images[idx]``, which reads the chosen images' bytes, converts them and scales them in three passes.

Each value goes through the same operations in the same order and dtype as in ``scale`` (x = p, x ← x · (1/255),
then x ← x · 0.99 + 0.01 for ``book`` or x ← (x − μ) / σ for ``standard``; no fused multiply-add), so a column is
bit for bit the column of the scaled matrix (tests/test_pixels.py).
"""
from __future__ import annotations

import numpy as np
from numba import njit

CODES = {"unit": 0, "book": 1, "standard": 2}


@njit(cache=True, error_model="numpy")
def _take(images, idx, code, unit, first, second, outT):
    """outT[j] = the scaled bytes of images[idx[j]] (outT: (k, n), a row per column of X)."""
    for j in range(idx.shape[0]):
        row, o = images[idx[j]], outT[j]
        for p in range(row.shape[0]):
            o[p] = row[p]
            o[p] = o[p] * unit
            if code == 1:
                o[p] = o[p] * first
                o[p] = o[p] + second
            elif code == 2:
                o[p] = o[p] - first
                o[p] = o[p] / second


def take_scaled(images: np.ndarray, idx, how: str, stats: tuple[float, float], out: np.ndarray) -> np.ndarray:
    """Columns ``idx`` of the inputs of ``images`` (N, n) 0-255 bytes, scaled by ``how``, into ``out`` (n, len(idx))
    column-major; returns ``out``."""
    d = out.dtype.type
    first, second = (d(0.99), d(0.01)) if how == "book" else (d(stats[0]), d(stats[1])) if how == "standard" \
        else (d(0), d(1))
    _take(images, np.asarray(idx, dtype=np.intp), CODES[how], d(1 / 255), first, second, out.T)
    return out
