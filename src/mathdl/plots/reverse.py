"""Figures of the reverse part: the images the methods find, one row per method, one column per digit; and
the mean training image of each digit, which those images are compared with."""
from __future__ import annotations

import textwrap

import numpy as np
from matplotlib.figure import Figure

from ..base.errors import MathdlError
from ..reverse import METHODS
from ..reverse.judge import K
from . import RED, figure, styled

INK = "Greys"  # ink dark on white, as on paper


def _scale_bar(fig, image, axes, low: float, high: float, label: str = "pixel value") -> None:
    """The intensity scale of the images: pixel values from ``low`` (white) to ``high`` (black)."""
    bar = fig.colorbar(image, ax=axes, shrink=0.85, pad=0.02, aspect=12 if np.ndim(axes) == 1 else 30,
                       ticks=[low, (low + high) / 2, high], format="%.2f")
    bar.set_label(label, fontsize=10)
    bar.ax.tick_params(labelsize=9)


@styled
def reverse_images(records, digits, *, input_range: tuple[float, float] | None = None, title: str = "",
                   subtitle: str = "") -> Figure:
    """A grid of square images (28×28 for MNIST) from reverse ``records``: rows the methods, columns
    ``digits`` in the given order (a digit may repeat, as in an ID: it is the same query, so the same
    image). Each column is titled with its digit, each row with its method; under each image, the class
    the network assigns to it and its output a_d for the digit (red when the class is not d), and, when
    measured, the class the independent judge reads and its share p̂ of votes for d (red when not d). Ink is dark,
    on a scale drawn beside the images: the fixed ``input_range`` for all when given, else one scale per
    row, from the row's lowest to its highest pixel (the methods' images differ in contrast)."""
    by_key = {(r.method, r.digit): r for r in records}
    methods = [m for m in METHODS if any(r.method == m for r in records)]
    digits = [int(d) for d in digits]
    missing = [f"{m} {d}" for m in methods for d in digits if (m, d) not in by_key]
    if missing:
        raise MathdlError(f"no image for {', '.join(missing)}")
    width = 1.5 * len(digits) + 2.6
    lines = textwrap.wrap(subtitle, max(30, int(width * 9))) if subtitle else []
    judged = all("judge_class" in r.measures for r in records)
    fig = figure(figsize=(width, (2.25 if judged else 1.95) * len(methods) + 0.8 + 0.3 * len(lines)))
    axes = fig.subplots(len(methods), len(digits), squeeze=False)
    for i, method in enumerate(methods):
        row = [by_key[(method, d)] for d in digits]
        low, high = input_range if input_range is not None else (min(float(r.x.min()) for r in row),
                                                                 max(float(r.x.max()) for r in row))
        for j, (d, record) in enumerate(zip(digits, row)):
            ax = axes[i, j]
            n = int(round(record.x.size ** 0.5))
            image = ax.imshow(record.x.reshape(n, n), cmap=INK, vmin=low, vmax=high, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(str(d), fontsize=16, fontweight="bold", pad=3)
            m = record.measures
            ax.set_xlabel(f"net: {m['predicted']}, a={m['output']:.2f}", fontsize=10, labelpad=2,
                          color="black" if m["correct"] else RED)
            if "judge_class" in m:  # the independent judge's reading, on a line of its own below
                ax.annotate(f"judge: {m['judge_class']}, p={m['judge_probability']:.1f}", xy=(0.5, 0),
                            xycoords="axes fraction", xytext=(0, -16), textcoords="offset points", ha="center",
                            va="top", fontsize=10, color="black" if m["judge_correct"] else RED)
        axes[i, 0].set_ylabel(METHODS[method], fontsize=11)
        if input_range is None:
            _scale_bar(fig, image, axes[i, :], low, high)
    if input_range is not None:
        _scale_bar(fig, image, axes, *input_range)
    if title:
        fig.suptitle("\n".join([title, *lines]), fontsize=13)
    repeated = len(set(digits)) < len(digits)
    scale = "every image on the scale at the right" if input_range is not None \
        else "each row on its own scale at the right"
    fig.supxlabel("under each image: the class the network assigns and its output for the digit"
                  + (f"; the class the judge ({K} nearest training images) reads and its share of votes for the digit"
                     if judged else "") + "; " + scale
                  + ("; a repeated digit is the same query, so the same image" if repeated else ""),
                  fontsize=10, wrap=True)
    return fig


@styled
def mean_images_figure(means: np.ndarray, *, input_range: tuple[float, float] | None = None,
                       title: str = "") -> Figure:
    """The mean training image x̄_d of each digit d (columns of ``means``, (n_0, k)), in a row, on the
    fixed scale ``input_range`` (with a scale bar) or on their common range."""
    k = means.shape[1]
    side = int(round(means.shape[0] ** 0.5))
    low, high = input_range if input_range is not None else (float(means.min()), float(means.max()))
    fig = figure(figsize=(1.5 * k + 1.6, 2.6))
    axes = fig.subplots(1, k, squeeze=False)[0]
    image = None
    for d, ax in enumerate(axes):
        image = ax.imshow(means[:, d].reshape(side, side), cmap=INK, vmin=low, vmax=high, interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(str(d), fontsize=16, fontweight="bold", pad=3)
    _scale_bar(fig, image, axes, low, high)
    if title:
        fig.suptitle(title, fontsize=13)
    return fig
