"""Pictures of digits: first-hidden-layer weights as 28×28 images, and misclassified test digits."""
from __future__ import annotations

import textwrap

import numpy as np

from . import figure, styled

SIDE = 28


def _grid(n: int) -> tuple[int, int]:
    columns = int(np.ceil(np.sqrt(n)))
    return -(-n // columns), columns


@styled
def weight_images(W1: np.ndarray, *, count: int = 36, title: str = ""):
    """Rows of W⁽¹⁾ (n_1, 784) as 28×28 images: what each hidden neuron responds to (blue +, red −,
    each image on its own symmetric scale)."""
    count = min(count, W1.shape[0])
    rows, columns = _grid(count)
    fig = figure(figsize=(1.5 * columns, 1.5 * rows + 0.6))
    for i, ax in enumerate(fig.subplots(rows, columns, squeeze=False).ravel()):
        ax.set_axis_off()
        if i < count:
            w = W1[i].reshape(SIDE, SIDE)
            limit = np.abs(w).max() or 1
            ax.imshow(w, cmap="RdBu", vmin=-limit, vmax=limit)
            ax.set_title(f"neuron {i + 1}", fontsize=10)
    fig.suptitle(title or f"first hidden layer: rows of W⁽¹⁾ as 28×28 images ({count} of {W1.shape[0]})")
    return fig


@styled
def misclassified(images: np.ndarray, true: list[str], predicted: list[str], *, outputs=None, title: str = ""):
    """A grid of test digits (N, 28, 28) the network got wrong, each titled true → predicted."""
    count = len(images)
    if count == 0:
        fig = figure(figsize=(6, 2))
        fig.text(0.5, 0.5, "no misclassified test digits", ha="center", va="center")
        return fig
    rows, columns = _grid(count)
    fig = figure(figsize=(1.9 * columns, 2.0 * rows + 0.6))
    for i, ax in enumerate(fig.subplots(rows, columns, squeeze=False).ravel()):
        ax.set_axis_off()
        if i < count:
            ax.imshow(images[i], cmap="gray_r")
            label = f"{true[i]} → {predicted[i]}"
            if outputs is not None:
                label += f"\na = {outputs[i]:.2f}"
            ax.set_title(label, fontsize=10)
    fig.suptitle("\n".join(textwrap.wrap(title, 90)) if title else "misclassified test digits (true → predicted)")
    return fig
