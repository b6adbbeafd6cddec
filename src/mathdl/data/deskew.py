"""Deskewing: shear each digit so that its slant is gone (the classic MNIST preprocessing).

With I(r, c) the ink at row r and column c, total mass M = Σ I, centroid r̄ = Σ r I / M,
c̄ = Σ c I / M, and central moments μ₁₁ = Σ (r − r̄)(c − c̄) I / M, μ₀₂ = Σ (r − r̄)² I / M, the slant is
α = μ₁₁ / μ₀₂ (columns drift by α per row). The deskewed image is the shear

    I'(r, c) = I(r, c + α (r − r̄)),

sampled with linear interpolation along the row. It keeps the centroid where it was and makes the
covariance of row and column zero: upright strokes for every writer's slant, so the network need not
learn each slant separately. Train and test images (and a user's own, in ``mathdl predict``) go through
the same function; the label never changes.
"""
from __future__ import annotations

import numpy as np

from .mnist import MNIST, PARTS, cache_dir, load_cache, save_cache

CHUNK = 4096  # images per step: bounds the temporary arrays to a few tens of MB


def deskew(images: np.ndarray) -> np.ndarray:
    """Images (N, H, W) with values 0-255 → deskewed float64 images of the same shape."""
    images = np.asarray(images, dtype=np.float64)
    if images.ndim == 2:
        return deskew(images[None])[0]
    out = np.empty_like(images)
    for start in range(0, len(images), CHUNK):
        out[start:start + CHUNK] = _deskew(images[start:start + CHUNK])
    return out


def _deskew(I: np.ndarray) -> np.ndarray:
    N, H, W = I.shape
    r = np.arange(H, dtype=np.float64)[None, :, None]
    c = np.arange(W, dtype=np.float64)[None, None, :]
    M = I.sum(axis=(1, 2))
    blank = M == 0
    M[blank] = 1.0
    r_bar = (I * r).sum(axis=(1, 2)) / M
    c_bar = (I * c).sum(axis=(1, 2)) / M
    dr = r - r_bar[:, None, None]
    mu11 = (I * dr * (c - c_bar[:, None, None])).sum(axis=(1, 2)) / M
    mu02 = (I * dr * dr).sum(axis=(1, 2)) / M
    alpha = np.divide(mu11, mu02, out=np.zeros(N), where=mu02 > 0)
    source = np.broadcast_to(c + alpha[:, None, None] * dr, I.shape)  # column each output pixel reads
    left = np.floor(source).astype(np.int64)
    t = source - left
    padded = np.pad(I, ((0, 0), (0, 0), (1, 1)))  # zero ink beyond the edges

    def column(k):
        return np.take_along_axis(padded, np.clip(k + 1, 0, W + 1), axis=2)
    return (1 - t) * column(left) + t * column(left + 1)


def deskewed(mnist: MNIST) -> MNIST:
    """MNIST with every image deskewed and rounded back to 0-255, computed once and cached beside the
    data cache (keyed by the data's fingerprint)."""
    key = mnist.fingerprint[:16]
    path = cache_dir() / "deskewed" / f"{key}.npz"
    cached = load_cache(path)
    if cached is not None:
        return MNIST(cached.train_images, mnist.train_labels, cached.test_images, mnist.test_labels,
                     mnist.source, mnist.checksum)
    parts = {p: getattr(mnist, p) for p in PARTS}
    for p in ("train_images", "test_images"):
        parts[p] = np.clip(np.rint(deskew(parts[p])), 0, 255).astype(np.uint8)
    result = MNIST(**parts, source=mnist.source, checksum=mnist.checksum)
    save_cache(path, result)
    return result
