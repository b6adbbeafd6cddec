"""Figures drawn for a 1920×1080 slide: type large enough to read on a phone, one idea each.

``rates_chart``: sensitivity beside specificity for every configuration, with their intervals.
``digit_rows``: rows of 28×28 images, each row titled and each image captioned (the task's examples, the
reverse part's pictures).
"""
from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from . import BLUE, RED, figure, style

SLIDE = style({"font.size": 22, "axes.titlesize": 24, "axes.labelsize": 22, "xtick.labelsize": 20,
               "ytick.labelsize": 20, "legend.fontsize": 20, "figure.titlesize": 24})
DPI = 120  # 16 × 7.5 inches → 1920 × 900 pixels


@SLIDE
def rates_chart(rows: list[dict], *, size=(16, 7.5)) -> Figure:
    """Sensitivity (TPR) and specificity (TNR) in % of each configuration of ``rows`` (the study summary's
    rows: number, layers, cost, bp and the rates with ``ci95``), each a dot with its 95% interval."""
    fig = figure(figsize=size, dpi=DPI)
    ax = fig.add_subplot()
    y = np.arange(len(rows))[::-1].astype(float)
    for offset, (name, colour, marker) in ((0.17, ("sensitivity", BLUE, "o")), (-0.17, ("specificity", RED, "s"))):
        values = np.array([100 * r[name]["value"] for r in rows])
        low = np.array([100 * r[name]["ci95"][0] for r in rows])
        high = np.array([100 * r[name]["ci95"][1] for r in rows])
        ax.errorbar(values, y + offset, xerr=[values - low, high - values], fmt=marker, color=colour, ms=12,
                    elinewidth=3, capsize=6, label=name)
        for v, h, yy in zip(values, high, y + offset):
            ax.annotate(f"{v:.2f}", (h, yy), xytext=(10, 0), textcoords="offset points", ha="left",
                        va="center", fontsize=17, color=colour)
    ax.set_yticks(y, [f"{r['number']}: {'-'.join(r['layers'].split('-')[1:-1])}, {r['cost'].upper()}, {r['bp']}"
                      for r in rows])
    ax.set_xlabel("% of the test images of the class (95% Wilson interval)")
    ax.grid(axis="x", alpha=0.3)
    ax.margins(x=0.12)
    ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncols=2, frameon=False)
    ax.set_ylim(-0.7, len(rows) - 0.3)
    return fig


@SLIDE
def digit_rows(rows: list[tuple[str, np.ndarray, list]], *, columns: list[str] | None = None,
               size=(16, 7.5), scale: str = "row") -> Figure:
    """Rows of square images: each row is (title, images (k, side²), captions), a caption being a text or
    lines of (text, red) under its image; ``columns`` titles the columns. Ink is dark on white, each row on
    its own range (``scale="row"``) or each image on its own (``"image"``)."""
    k = max(len(images) for _, images, _ in rows)
    fig = figure(figsize=size, dpi=DPI)
    axes = fig.subplots(len(rows), k, squeeze=False)
    for i, (title, images, captions) in enumerate(rows):
        images = np.asarray(images, dtype=float)
        side = int(round(images.shape[1] ** 0.5))
        low, high = float(images.min()), float(images.max())
        for j in range(k):
            ax = axes[i, j]
            ax.set_xticks([])
            ax.set_yticks([])
            if j >= len(images):
                ax.set_axis_off()
                continue
            image = images[j]
            lo, hi = (low, high) if scale == "row" else (float(image.min()), float(image.max()))
            ax.imshow(image.reshape(side, side), cmap="Greys", vmin=lo, vmax=hi if hi > lo else lo + 1,
                      interpolation="nearest")
            if columns and i == 0:
                ax.set_title(columns[j], fontsize=30, fontweight="bold", pad=6)
            lines = [(captions[j], False)] if isinstance(captions[j], str) else captions[j]
            ax.set_xlabel("\n".join(text for text, _ in lines), fontsize=18, labelpad=4, color="none")  # the room
            for n, (text, red) in enumerate(lines):  # each line in its own colour, over the room kept for it
                ax.annotate(text, xy=(0.5, 0), xycoords="axes fraction", xytext=(0, -4 - 18 * 1.2 * n),
                            textcoords="offset points", ha="center", va="top", fontsize=18,
                            color=RED if red else "black", annotation_clip=False)
        axes[i, 0].set_ylabel(title, fontsize=20, rotation=0, ha="right", va="center", labelpad=12)
    return fig
