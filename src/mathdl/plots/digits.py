"""Pictures of digits: first-hidden-layer weights as 28×28 images, and misclassified test digits.

Both are drawn as one mosaic image on one axes (fast even for dozens of tiles), each tile labelled.
"""
from __future__ import annotations

import textwrap

import matplotlib
import numpy as np

from . import figure, styled

SIDE = 28
GAP = 6  # pixels between tiles, room for the labels


def _grid(n: int) -> tuple[int, int]:
    columns = int(np.ceil(np.sqrt(n)))
    return -(-n // columns), columns


def mosaic(tiles: np.ndarray, columns: int, gap: int = GAP) -> np.ndarray:
    """Tiles (n, 28, 28) laid out in rows of ``columns`` with ``gap`` NaN pixels above and between them."""
    n = len(tiles)
    rows = -(-n // columns)
    out = np.full((rows * (SIDE + gap), columns * (SIDE + 2) - 2), np.nan)
    for i, tile in enumerate(tiles):
        r, c = divmod(i, columns)
        out[r * (SIDE + gap) + gap:(r + 1) * (SIDE + gap), c * (SIDE + 2):c * (SIDE + 2) + SIDE] = tile
    return out


def _draw(fig, tiles, labels, columns, cmap, vmin, vmax, fontsize):
    ax = fig.add_subplot()
    colours = matplotlib.colormaps[cmap].with_extremes(bad="white")
    ax.imshow(mosaic(tiles, columns), cmap=colours, vmin=vmin, vmax=vmax, interpolation="nearest")
    for i, label in enumerate(labels):
        r, c = divmod(i, columns)
        ax.text(c * (SIDE + 2) + SIDE / 2, r * (SIDE + GAP) + GAP - 0.8, label, ha="center", va="bottom",
                fontsize=fontsize)
    ax.set_axis_off()
    return ax


@styled
def weight_images(W1: np.ndarray, *, count: int = 36, title: str = ""):
    """Rows of W⁽¹⁾ (n_1, 784) as 28×28 images: what each hidden neuron responds to (blue +, red −;
    each image on its own symmetric scale)."""
    count = min(count, W1.shape[0])
    tiles = W1[:count].reshape(count, SIDE, SIDE)
    tiles = tiles / np.maximum(np.abs(tiles).max(axis=(1, 2), keepdims=True), np.finfo(float).tiny)
    rows, columns = _grid(count)
    fig = figure(figsize=(1.45 * columns + 0.3, 1.65 * rows + 0.7))
    _draw(fig, tiles, [f"neuron {i + 1}" for i in range(count)], columns, "RdBu", -1, 1, 10)
    fig.suptitle(title or f"first hidden layer: rows of W⁽¹⁾ as 28×28 images ({count} of {W1.shape[0]})")
    return fig


@styled
def misclassified(images: np.ndarray, true: list[str], predicted: list[str], *, title: str = ""):
    """Test digits (N, 28, 28) the network got wrong, each labelled true → predicted."""
    count = len(images)
    if count == 0:
        fig = figure(figsize=(6, 2))
        fig.text(0.5, 0.5, "no misclassified test digits", ha="center", va="center")
        return fig
    rows, columns = _grid(count)
    low, high = float(np.min(images)), float(np.max(images))
    fig = figure(figsize=(1.6 * columns + 0.3, 1.75 * rows + 0.7))
    _draw(fig, images, [f"{t} → {p}" for t, p in zip(true, predicted)], columns, "gray_r", low, high, 10)
    fig.suptitle("\n".join(textwrap.wrap(title, 80)) if title else "misclassified test digits (true → predicted)")
    return fig
