"""Image inputs kept as their 0-255 pixels: X (784, N) made column by column when it is used.

The scaled inputs of the 60,000 training images take 376 MB in float64; their pixels take 47 MB, one
byte each. ``Pixels`` keeps the pixels and scales only the columns that are taken, by the operations of
``scale`` (x is the 0-255 value):

    unit      x / 255                  book  0.01 + 0.99 x / 255         standard  (x / 255 − μ) / σ

each applied to a chunk exactly as to the whole set, so a taken column is bit for bit the column of the
scaled matrix (tested). Training gathers each chunk of its shuffled order anyway, into a reused buffer,
and scales it on the way in one compiled pass (``gather``).
"""
from __future__ import annotations

import numpy as np


def scale(pixels: np.ndarray, how: str, stats: tuple[float, float], dtype, out: np.ndarray | None = None
          ) -> np.ndarray:
    """Scaled inputs (784, k) column-major from ``pixels`` (k, 784) or k images (k, 28, 28) of 0-255 values,
    into ``out`` if given; ``stats`` = (μ, σ) for the ``standard`` scale."""
    dtype, pixels = np.dtype(dtype).type, pixels.reshape(len(pixels), -1)
    x = np.empty(pixels.shape, dtype) if out is None else out.T
    x[...] = pixels  # exact: every integer 0-255 is a float
    x *= dtype(1 / 255)
    if how == "book":
        x *= dtype(0.99)
        x += dtype(0.01)
    elif how == "standard":
        x -= dtype(stats[0])
        x /= dtype(stats[1])
    return x.T


class Pixels:
    """The inputs X (784, N) of images (N, 28, 28) or (N, 784) of 0-255 pixels, scaled by ``how``
    (``stats`` = (μ, σ) for ``standard``) when columns are taken.

    Indexed like an array: ``X[:, a:b]`` (a slice) is again ``Pixels``, sharing the pixels (a view);
    ``X[:, idx]`` (indices or a mask) and ``take(idx)`` are arrays; ``np.asarray(X)`` is the whole matrix,
    and so is X in arithmetic (``W @ X``) and for any other array method (``X.mean()``): made for the call.
    """

    ndim = 2

    def __init__(self, images: np.ndarray, how: str, stats: tuple[float, float], dtype):
        self.images = images.reshape(len(images), -1)  # one image per row: a column of X
        self.how, self.stats, self.dtype = how, stats, np.dtype(dtype)
        self.shape = (self.images.shape[1], len(self.images))

    def take(self, idx, out: np.ndarray | None = None) -> np.ndarray:
        """Columns ``idx`` (n, len(idx)) column-major, into ``out`` (a reused buffer) when given: then gathered
        and scaled in one compiled pass (``gather``, the training loop's every chunk), else by ``scale``."""
        if (out is not None and self.images.dtype == np.uint8 and out.flags.f_contiguous
                and isinstance(idx, np.ndarray) and idx.ndim == 1 and idx.dtype.kind in "iu"):
            from .gather import take_scaled  # imports Numba: only when training needs it
            return take_scaled(self.images, idx, self.how, self.stats, out)
        return self.scaled(self.images[idx], out)

    def scaled(self, pixels: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Inputs (n, k) column-major of ``pixels`` (k, n), by this X's scale, into ``out`` when given."""
        return scale(pixels, self.how, self.stats, self.dtype, out)

    def __getitem__(self, key):
        rows, columns = key if isinstance(key, tuple) and len(key) == 2 else (key, slice(None))
        if not (isinstance(rows, slice) and rows == slice(None)):
            return np.asarray(self)[key]
        if isinstance(columns, slice):
            return Pixels(self.images[columns], self.how, self.stats, self.dtype)
        if np.ndim(columns) == 0:
            return self.take([columns])[:, 0]
        columns = np.asarray(columns)
        if columns.dtype == bool:
            if columns.shape != self.shape[1:]:
                raise IndexError(f"a mask of {columns.size} columns for {self.shape[1]} columns")
            columns = np.flatnonzero(columns)
        return self.take(columns)

    def __array__(self, dtype=None, copy=None):
        X = self.scaled(self.images)
        return X if dtype is None else X.astype(dtype, copy=False)

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(np.asarray(self), name)

    def min(self):
        """The smallest input: every scale is increasing, so it is the smallest pixel, scaled."""
        return self._one(self.images.min())

    def max(self):
        return self._one(self.images.max())

    def affine(self) -> tuple[float, float]:
        """(α, β) with x = α p + β for the pixel value p: every scale is an increasing affine map (up to the
        rounding of its operations)."""
        low, high = self._one(0), self._one(255)
        return float((high - low) / 255), float(low)

    def _one(self, pixel):
        return self.scaled(np.full((1, 1), pixel))[0, 0]
