"""Data augmentation: every epoch sees each training image moved by a random whole-pixel shift.

A shift by (dx, dy) with |dx|, |dy| ≤ s moves the 28×28 picture right by dx and down by dy and fills the
uncovered border with the background (the scaled value of a 0 pixel). The labels do not change: a
digit moved by a pixel is the same digit, and the network learns that it is.
"""
from __future__ import annotations

import numpy as np

from .mnist import IMAGE_SIDE


def shift_images(X: np.ndarray, max_shift: int, rng: np.random.Generator, background: float) -> np.ndarray:
    """X (784, N) with each column shifted by its own random (dx, dy) ∈ [−s, s]²; a new (784, N) array."""
    N, side, s = X.shape[1], IMAGE_SIDE, max_shift
    images = X.T.reshape(N, side, side)
    padded = np.full((N, side + 2 * s, side + 2 * s), background, dtype=X.dtype)
    padded[:, s:s + side, s:s + side] = images
    out = np.empty((N, side, side), dtype=X.dtype)
    dx, dy = rng.integers(-s, s + 1, N), rng.integers(-s, s + 1, N)
    for sx in range(-s, s + 1):
        for sy in range(-s, s + 1):
            idx = np.flatnonzero((dx == sx) & (dy == sy))
            out[idx] = padded[idx, s - sy:s - sy + side, s - sx:s - sx + side]
    return out.reshape(N, side * side).T
