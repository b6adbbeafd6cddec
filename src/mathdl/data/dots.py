"""Red and blue dots: seeded 2-D toy datasets for the workshop, in pure NumPy.

Each function returns X of shape (2, N) (points as columns, like every input in mathdl) and labels
of shape (N,); ``noise`` is the standard deviation of Gaussian jitter added to the points.
"""
from __future__ import annotations

import numpy as np

from ..base.errors import MathdlError, choice


def moons(n: int, noise: float, rng: np.random.Generator):
    """Two interleaving half circles (class 0 above, class 1 below and shifted)."""
    n0 = n // 2
    t0, t1 = rng.uniform(0, np.pi, n0), rng.uniform(0, np.pi, n - n0)
    X = np.hstack([[np.cos(t0), np.sin(t0)], [1 - np.cos(t1), 0.5 - np.sin(t1)]])
    return X, np.repeat([0, 1], [n0, n - n0])


def circles(n: int, noise: float, rng: np.random.Generator, factor: float = 0.5):
    """A small circle (class 1) inside a large one (class 0)."""
    n0 = n // 2
    t = rng.uniform(0, 2 * np.pi, n)
    radius = np.where(np.arange(n) < n0, 1.0, factor)
    return np.vstack([radius * np.cos(t), radius * np.sin(t)]), np.repeat([0, 1], [n0, n - n0])


def xor(n: int, noise: float, rng: np.random.Generator):
    """Four clusters at (±0.75, ±0.75); class 1 where the signs of x and y differ."""
    corners = rng.integers(0, 4, n)
    centres = np.array([[1, 1], [-1, -1], [1, -1], [-1, 1]], dtype=float).T
    X = centres[:, corners] * 0.75
    return X, (corners >= 2).astype(np.int64)


def spirals(n: int, noise: float, rng: np.random.Generator, turns: float = 1.75):
    """Two interleaved Archimedean spirals r = θ, one the other rotated by π."""
    n0 = n // 2
    labels = np.repeat([0, 1], [n0, n - n0])
    theta = np.sqrt(rng.uniform(0, 1, n)) * turns * 2 * np.pi + 0.5
    angle = theta + np.pi * labels
    r = theta / (turns * 2 * np.pi)
    return np.vstack([r * np.cos(angle), r * np.sin(angle)]), labels


def blobs(n: int, noise: float, rng: np.random.Generator, k: int = 3):
    """k Gaussian blobs with centres evenly spaced on a circle of radius 2 (k classes)."""
    labels = rng.integers(0, k, n)
    angle = 2 * np.pi * np.arange(k) / k + np.pi / 2
    centres = 2 * np.vstack([np.cos(angle), np.sin(angle)])
    return centres[:, labels] + rng.normal(0, 0.5, (2, n)), labels


def linear(n: int, noise: float, rng: np.random.Generator):
    """Two clouds either side of the line y = 0.5 x: linearly separable (a perceptron's case)."""
    X = rng.uniform(-2, 2, (2, n))
    labels = (X[1] > 0.5 * X[0]).astype(np.int64)
    X[1] += np.where(labels == 1, 0.25, -0.25)  # a margin between the classes
    return X, labels


DOTS = {"moons": moons, "circles": circles, "xor": xor, "spirals": spirals, "blobs": blobs, "linear": linear}
DEFAULT_NOISE = {"moons": 0.15, "circles": 0.08, "xor": 0.25, "spirals": 0.05, "blobs": 0.0, "linear": 0.1}


def make_dots(name: str, n: int = 400, noise: float | None = None, seed: int = 0):
    """(X (2, N), labels (N,)) of the dataset ``name``, with Gaussian noise of std ``noise``."""
    make = choice("dataset", name, DOTS)
    if n < 4:
        raise MathdlError(f"need at least 4 points, got {n}")
    noise = DEFAULT_NOISE[name] if noise is None else noise
    if noise < 0:
        raise MathdlError(f"noise must be >= 0, got {noise}")
    rng = np.random.default_rng(seed)
    X, labels = make(n, noise, rng)
    X = X + rng.normal(0, noise, X.shape) if noise else X
    return np.asarray(X, dtype=np.float64), np.asarray(labels, dtype=np.int64)
