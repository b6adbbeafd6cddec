"""Figures of the reverse part: the images the methods find, one row per method, one column per digit."""
from __future__ import annotations

from matplotlib.figure import Figure

from ..base.errors import MathdlError
from ..reverse import METHODS
from . import RED, figure, styled


@styled
def reverse_images(records, digits, *, input_range: tuple[float, float] | None = None, title: str = "",
                   subtitle: str = "") -> Figure:
    """A grid of square images (28×28 for MNIST) from reverse ``records``: rows the methods, columns
    ``digits`` in the given order (a digit may repeat, as in an ID). Each column is titled with its
    digit, each row with its method; under each image, the class the network assigns to it and its
    output a_d for the digit (red when the class is not d). Ink is dark; each image is drawn from its
    own lowest to highest pixel, or on the fixed scale ``input_range`` when given."""
    by_key = {(r.method, r.digit): r for r in records}
    methods = [m for m in METHODS if any(r.method == m for r in records)]
    digits = [int(d) for d in digits]
    missing = [f"{m} {d}" for m in methods for d in digits if (m, d) not in by_key]
    if missing:
        raise MathdlError(f"no image for {', '.join(missing)}")
    fig = figure(figsize=(1.5 * len(digits) + 1.2, 1.95 * len(methods) + (1.1 if subtitle else 0.8)))
    axes = fig.subplots(len(methods), len(digits), squeeze=False)
    for i, method in enumerate(methods):
        for j, d in enumerate(digits):
            ax, record = axes[i, j], by_key[(method, d)]
            n = int(round(record.x.size ** 0.5))
            low, high = input_range if input_range is not None else (record.x.min(), record.x.max())
            ax.imshow(record.x.reshape(n, n), cmap="Greys", vmin=low, vmax=high, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(str(d), fontsize=16, fontweight="bold", pad=3)
            m = record.measures
            ax.set_xlabel(f"net: {m['predicted']}, a={m['output']:.2f}", fontsize=10, labelpad=2,
                          color="black" if m["correct"] else RED)
        axes[i, 0].set_ylabel(METHODS[method], fontsize=11)
    if title:
        fig.suptitle(title + (f"\n{subtitle}" if subtitle else ""), fontsize=13)
    scale = ("pixels on the fixed scale [{:g}, {:g}]".format(*input_range) if input_range is not None
             else "each image from its own lowest (white) to highest (black) pixel")
    fig.supxlabel(f"under each image: the class the network assigns and its output for the digit; {scale}",
                  fontsize=10)
    return fig
