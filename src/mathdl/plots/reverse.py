"""Figures of the reverse part: the images the methods find, one row per method, one column per digit; and
the mean training image of each digit, which those images are compared with."""
from __future__ import annotations

import textwrap

import numpy as np
from matplotlib.figure import Figure

from ..base.errors import MathdlError
from ..reverse import METHODS
from ..reverse.judge import K
from . import RED, styled

INK = "Greys"  # ink dark on white, as on paper
COLUMNS = 10  # at most this many images side by side (the digits 0-9); more wrap into further blocks of rows
POINT = 1 / 72  # inches
FONT = 10.5  # the smallest text: 7 points at 2/3 scale, as ten images of 0.75 inches have in a report


def _wrap(text: str, width_in: float, size: float) -> list[str]:
    """``text`` in as few lines as fit ``width_in`` inches at ``size`` points (about half an em per character),
    of even length: no word is left alone on a last line."""
    if not text:
        return []
    widest = max(20, int(width_in / (0.52 * size * POINT)))
    lines = textwrap.wrap(text, widest)
    even = -(-len(text) // len(lines))
    while len(balanced := textwrap.wrap(text, even)) > len(lines):
        even += 1
    return balanced


def _blocks(n: int) -> tuple[int, int]:
    """(blocks, columns): n images in as few blocks of at most ``COLUMNS`` as can hold them, balanced (10 → 2 × 5)."""
    blocks = -(-n // COLUMNS)
    return blocks, -(-n // blocks)


def _scale_bar(fig, image, cax, low: float, high: float, label: str = "pixel value") -> None:
    """The intensity scale of the images: pixel values from ``low`` (white) to ``high`` (black)."""
    bar = fig.colorbar(image, cax=cax, ticks=[low, (low + high) / 2, high], format="%.2f")
    bar.set_label(label, fontsize=FONT, labelpad=3)
    bar.ax.tick_params(labelsize=FONT, length=3, pad=2)


@styled
def reverse_images(records, digits, *, input_range: tuple[float, float] | None = None, title: str = "",
                   subtitle: str = "") -> Figure:
    """A grid of square images (28×28 for MNIST) from reverse ``records``: rows the methods, columns
    ``digits`` in the given order (a digit may repeat, as in an ID: it is the same query, so the same
    image); more than ``COLUMNS`` digits wrap into further blocks of rows. Each column is titled with its
    digit, each row with its method; under each image, the class the network assigns to it and its output
    a_d for the digit (red when the class is not d) and, when measured, the class the independent judge reads
    and its share p̂ of votes for d (red when not d). Ink is dark, on a scale drawn beside the images: the
    fixed ``input_range`` for all when given, else one scale per method, from its lowest to its highest pixel
    (the methods' images differ in contrast).

    Laid out by hand in inches (no layout engine, which squeezed the rows of images whose aspect is fixed
    until a digit's title met the labels of the row above): every text has its own band, and ten digits make
    a figure under 10 inches wide, so that at a report's text width (6.7 inches) no text is below 7 points."""
    by_key = {(r.method, r.digit): r for r in records}
    methods = [m for m in METHODS if any(r.method == m for r in records)]
    digits = [int(d) for d in digits]
    missing = [f"{m} {d}" for m in methods for d in digits if (m, d) not in by_key]
    if missing:
        raise MathdlError(f"no image for {', '.join(missing)}")
    blocks, columns = _blocks(len(digits))
    side, gap, left, right = 0.75, 0.08, 0.55, 0.95  # inches: image, between images, method labels, scale bars
    judged = all("judge_class" in r.measures for r in records)
    above, below, between = 0.28, 0.76 if judged else 0.4, 0.08  # a digit's title, the lines under an image (two,
    # the network's; two more, the judge's), between two rows
    grid_width = left + columns * side + (columns - 1) * gap + right
    width = max(grid_width, 5.0)  # room for the title over a short ID's few images, which stand in the middle
    left += (width - grid_width) / 2
    heading = _wrap(title, width - 0.3, 11.5) + _wrap(subtitle, min(width - 0.3, 80 * 0.52 * 11.5 * POINT), 11.5)
    repeated = len(set(digits)) < len(digits)
    scale = "every image on the scale at the right" if input_range is not None \
        else "each row on its own scale at the right"
    note = _wrap("under each image: the class the network assigns and its output for the digit; "
                 + (f"below, the class the judge ({K} nearest training images) reads and its share of votes for the "
                    "digit; " if judged else "") + scale
                 + ("; a repeated digit is the same query, so the same image" if repeated else ""), width - 0.3, FONT)
    top = 0.1 + 0.24 * len(heading)
    rows = [(block, method) for block in range(blocks) for method in methods]
    pitch = above + side + below + between
    height = top + len(rows) * pitch + 0.06 + 0.2 * len(note)
    fig = Figure(figsize=(width, height))  # no layout engine: the positions below are final
    grid = {}
    lowest = {m: min(float(by_key[(m, d)].x.min()) for d in digits) for m in methods}
    highest = {m: max(float(by_key[(m, d)].x.max()) for d in digits) for m in methods}
    for i, (block, method) in enumerate(rows):
        low, high = input_range if input_range is not None else (lowest[method], highest[method])
        y = height - top - i * pitch - above - side  # bottom of this row's images, in inches
        for j, d in enumerate(digits[block * columns:(block + 1) * columns]):
            record = by_key[(method, d)]
            ax = fig.add_axes(((left + j * (side + gap)) / width, y / height, side / width, side / height))
            n = int(round(record.x.size ** 0.5))
            grid[i, j] = ax.imshow(record.x.reshape(n, n), cmap=INK, vmin=low, vmax=high, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(str(d), fontsize=14, fontweight="bold", pad=2)
            m = record.measures
            ax.set_xlabel(f"net: {m['predicted']}\na={m['output']:.2f}", fontsize=FONT, labelpad=2, linespacing=1.1,
                          color="black" if m["correct"] else RED)
            if judged:  # in a colour of its own, so as a text of its own under the network's two lines
                fig.text((left + j * (side + gap) + side / 2) / width, (y - 0.38) / height,
                         f"judge: {m['judge_class']}\np̂={m['judge_probability']:.2f}", ha="center", va="top",
                         fontsize=FONT, linespacing=1.1, color="black" if m["judge_correct"] else RED)
            if j == 0:
                ax.set_ylabel(METHODS[method].replace(" (", "\n("), fontsize=FONT, labelpad=4)
    bar_x = left + columns * side + (columns - 1) * gap + 0.12
    if input_range is not None:
        y = height - top - (len(rows) - 1) * pitch - above - side
        cax = fig.add_axes((bar_x / width, y / height, 0.12 / width, (len(rows) * pitch - above - below - between)
                            / height))
        _scale_bar(fig, grid[0, 0], cax, *input_range)
    else:
        for i, (block, method) in enumerate(rows):
            y = height - top - i * pitch - above - side
            cax = fig.add_axes((bar_x / width, (y + 0.05 * side) / height, 0.12 / width, 0.9 * side / height))
            _scale_bar(fig, grid[i, 0], cax, lowest[method], highest[method])
    if heading:
        fig.suptitle("\n".join(heading), fontsize=11.5, y=1 - 0.06 / height, va="top")
    fig.supxlabel("\n".join(note), fontsize=FONT, y=0.04 / height, va="bottom")
    return fig


@styled
def mean_images_figure(means: np.ndarray, *, input_range: tuple[float, float] | None = None,
                       title: str = "") -> Figure:
    """The mean training image x̄_d of each digit d (columns of ``means``, (n_0, k)), in a row, on the
    fixed scale ``input_range`` (with a scale bar) or on their common range; about 7 inches wide for ten
    digits, so that its text stays above 7 points at a report's text width."""
    k = means.shape[1]
    side = int(round(means.shape[0] ** 0.5))
    low, high = input_range if input_range is not None else (float(means.min()), float(means.max()))
    size, gap, right = 0.7, 0.05, 0.9  # inches: image, between images, scale bar
    width = 0.15 + k * size + (k - 1) * gap + right
    top = 0.3 if title else 0.05
    height = top + 0.28 + size + 0.1
    fig = Figure(figsize=(width, height))
    image = None
    for d in range(k):
        ax = fig.add_axes(((0.15 + d * (size + gap)) / width, 0.1 / height, size / width, size / height))
        image = ax.imshow(means[:, d].reshape(side, side), cmap=INK, vmin=low, vmax=high, interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(str(d), fontsize=12, fontweight="bold", pad=2)
    cax = fig.add_axes(((0.15 + k * size + (k - 1) * gap + 0.1) / width, 0.1 / height, 0.1 / width,
                        size / height))
    _scale_bar(fig, image, cax, low, high)
    if title:
        fig.suptitle(title, fontsize=11, y=1 - 0.04 / height, va="top")
    return fig
