"""Data augmentation: every epoch sees each training image moved by a random whole-pixel shift.

A shift by (dx, dy) with |dx|, |dy| ≤ s moves the 28×28 picture right by dx and down by dy and fills the
uncovered border with the background (the scaled value of a 0 pixel):

    shifted[r, c] = image[r − dy, c − dx]   where 0 ≤ r − dy < 28 and 0 ≤ c − dx < 28, else background.

The labels do not change: a digit moved by a pixel is the same digit, and the network learns that it is.
``Shifted`` draws an epoch's shifts at once and moves only the columns asked for, so training never holds
a second shifted copy of the whole training set.
"""
from __future__ import annotations

import numpy as np

from .mnist import IMAGE_SIDE
from .pixels import Pixels


def draw_shifts(max_shift: int, rng: np.random.Generator, N: int) -> tuple[np.ndarray, np.ndarray]:
    """(dx, dy), each (N,) uniform on [−s, s]: one shift per image."""
    return rng.integers(-max_shift, max_shift + 1, N), rng.integers(-max_shift, max_shift + 1, N)


def move(X: np.ndarray, dx: np.ndarray, dy: np.ndarray, background: float, out: np.ndarray | None = None
         ) -> np.ndarray:
    """X (784, N) with column i shifted by (dx_i, dy_i), into ``out`` (784, N, column-major) or a new array."""
    N, side = X.shape[1], IMAGE_SIDE
    if out is None:
        out = np.empty(X.shape, X.dtype, order="F")
    images, moved = X.T.reshape(N, side, side), out.T.reshape(N, side, side)  # views: one image per row
    moved[...] = background
    for sx in np.unique(dx):
        for sy in np.unique(dy):
            idx = np.flatnonzero((dx == sx) & (dy == sy))
            if len(idx):
                r0, r1, c0, c1 = max(0, sy), min(side, side + sy), max(0, sx), min(side, side + sx)
                moved[idx, r0:r1, c0:c1] = images[idx, r0 - sy:r1 - sy, c0 - sx:c1 - sx]
    return out


def shift_images(X: np.ndarray, max_shift: int, rng: np.random.Generator, background: float) -> np.ndarray:
    """X (784, N) with each column shifted by its own random (dx, dy) ∈ [−s, s]²; a new (784, N) array."""
    return move(X, *draw_shifts(max_shift, rng, X.shape[1]), background)


class Shifted:
    """The training images of one epoch, each shifted by its own random (dx, dy), moved when taken.

    ``Shifted(X, s, rng, background).take(idx)`` equals ``shift_images(X, s, rng, background)[:, idx]``
    (the same draws from ``rng``) without making the whole shifted set.
    """

    def __init__(self, X: np.ndarray, max_shift: int, rng: np.random.Generator, background: float):
        self.X, self.background = X, background
        self.dx, self.dy = draw_shifts(max_shift, rng, X.shape[1])
        self.shape, self.dtype = X.shape, X.dtype

    def take(self, idx: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Columns ``idx`` of the shifted images, (784, len(idx)) column-major, into ``out`` if given.
        ``Pixels`` are moved as bytes, the border a 0 pixel, and then scaled (a 0 pixel scales to the
        background)."""
        if isinstance(self.X, Pixels):
            return self.X.scaled(move(self.X.images[idx].T, self.dx[idx], self.dy[idx], 0).T, out)
        return move(take(self.X, idx), self.dx[idx], self.dy[idx], self.background, out)


def take(X, idx: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Columns ``idx`` of X (n, N) — an array, ``Pixels`` or ``Shifted`` — as a column-major (n, len(idx))
    array, written into ``out`` when given (a reused buffer: no allocation per batch)."""
    if not isinstance(X, np.ndarray):
        return X.take(idx, out)
    if out is None:
        out = np.empty((X.shape[0], len(idx)), X.dtype, order="F")
    if X.flags.f_contiguous:
        np.take(X.T, idx, axis=0, out=out.T, mode="clip")  # rows of Xᵀ are the columns of X, contiguous
    else:
        out[...] = X[:, idx]
    return out
