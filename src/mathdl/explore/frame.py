"""What the playground draws of a network on dots, computed in Python from the network itself: the class and
confidence over a grid of the plane, every hidden neuron's activation over a coarser grid, and a
perceptron's line.

Grids are sent as bytes (base64, one byte a cell, rows from the bottom y up to the top, columns by x):

    class       argmax_j P_j(x)                     P = (1 − a, a) for one sigmoid output, softmax's a else
    confidence  255 (max_j P_j − 1/k) / (1 − 1/k)   0 on the boundary, 255 where the network is certain
    neuron      255 (a⁽ˡ⁾_j − lo) / (hi − lo)        [lo, hi] the activation's range ([−1, 1] tanh, [0, 1] σ),
                                                    or ±max |a⁽ˡ⁾_j| over the grid for unbounded ones
"""
from __future__ import annotations

import base64
from dataclasses import dataclass

import numpy as np

from ..workshop.boundary import DotsFit, line_equation, linear_boundary, plane

RESOLUTION = 100  # the boundary's grid: RESOLUTION × RESOLUTION cells
NEURON_RESOLUTION = 25  # each hidden neuron's map


@dataclass(frozen=True)
class Grid:
    """A grid over the plane: its extent [x0, x1, y0, y1] and points G (2, R·R), and the same for the
    neurons' coarser grid, both in the original coordinates."""

    extent: list[float]
    G: np.ndarray
    coarse: np.ndarray

    @classmethod
    def over(cls, X: np.ndarray) -> "Grid":
        """The grids over the points X (2, N) with ``plane``'s margin."""
        xs, ys, G = plane(X, RESOLUTION)
        _, _, coarse = plane(X, NEURON_RESOLUTION)
        return cls([float(xs[0]), float(xs[-1]), float(ys[0]), float(ys[-1])], G, coarse)


def encoded(values: np.ndarray) -> str:
    """Values in [0, 1] as base64 bytes 0-255."""
    return as_bytes(np.rint(np.clip(values, 0, 1) * 255))


def as_bytes(values: np.ndarray) -> str:
    """Integers 0-255 as base64 bytes."""
    return base64.b64encode(values.astype(np.uint8).tobytes()).decode("ascii")


def boundary(fit: DotsFit, grid: Grid) -> dict:
    """The predicted class and the confidence of every cell of the grid."""
    P = fit.probabilities(grid.G)
    k = P.shape[0]
    return {"class": as_bytes(P.argmax(axis=0)), "confidence": encoded((P.max(axis=0) - 1 / k) / (1 - 1 / k))}


def neurons(fit: DotsFit, grid: Grid) -> list[list[str]]:
    """Per hidden layer l, per neuron j: a⁽ˡ⁾_j over the coarse grid, scaled into [0, 1] by its range."""
    _, a = fit.net.forward((grid.coarse - fit.mean) / fit.std)
    layers = []
    for l in range(1, fit.net.L):
        lo, hi = fit.net.f[l].image
        maps = []
        for j in range(a[l].shape[0]):
            values = a[l][j]
            if not (np.isfinite(lo) and np.isfinite(hi)):
                reach = float(np.abs(values).max()) or 1.0
                lo_j, hi_j = -reach, reach
            else:
                lo_j, hi_j = lo, hi
            maps.append(encoded((values - lo_j) / (hi_j - lo_j)))
        layers.append(maps)
    return layers


def line(fit: DotsFit) -> dict | None:
    """A two-class perceptron's boundary w·x + c = 0 in the original coordinates, with its equation."""
    if not fit.perceptron or fit.net.sizes[-1] != 1:
        return None
    w, c = linear_boundary(fit)
    return {"w": [float(w[0]), float(w[1])], "c": float(c), "equation": line_equation(w, c),
            "positive": fit.classes[1]}


def frame(fit: DotsFit, grid: Grid) -> dict:
    """Everything drawn of the network now: the boundary, the hidden neurons' maps, the perceptron's line."""
    return {"boundary": boundary(fit, grid), "neurons": neurons(fit, grid), "line": line(fit)}


def points(fit: DotsFit) -> dict:
    """The training and test points in the original coordinates: {"train": [[x, y, class], …], "test": …}."""
    def rows(split):
        X = fit.points(split)
        return [[round(float(x), 5), round(float(y), 5), int(c)] for x, y, c in zip(X[0], X[1], split.labels)]
    return {"train": rows(fit.task.train), "test": rows(fit.task.test)}
