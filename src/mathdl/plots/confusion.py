"""Confusion-matrix figures, in either of MATLAB's two layouts.

``layout="confusionchart"`` (the default): rows are the true class and columns the predicted class, as
MATLAB's ``confusionmat`` and ``confusionchart`` (and mathdl's matrices everywhere); ``"plotconfusion"``:
rows are the predicted ("output") class and columns the true ("target") class, as MATLAB's
``plotconfusion``. The axes say which is which. Each cell shows its count and its share of all samples;
the last column gives each row's rate and the last row each column's rate (for a binary task in the
default layout: sensitivity and specificity per row, precision and NPV per column), in green, with its
complement (1 − rate, the share of that row or column that is wrong) in red below it, as
``plotconfusion`` does; the corner holds the accuracy and the error rate. A binary matrix lists the
positive class first and marks its cells TP, FN, FP, TN. Rates have two decimals; a rate whose
denominator is 0 is written "undefined".
"""
from __future__ import annotations

import textwrap

import numpy as np
from matplotlib.patches import Rectangle

from . import figure, styled

GOOD, BAD, RATE, TOTAL = "#bfe3c0", "#f5c0bb", "#eeeeee", "#cfd8e6"
GREEN_TEXT, RED_TEXT = "#1a7f37", "#b42318"


LAYOUTS = ("confusionchart", "plotconfusion")


def _rate(k: int, n: int) -> tuple[str, str]:
    """'97.35%' of k/n and the complement, or 'undefined' for 0/0."""
    if n == 0:
        return "undefined", ""
    return f"{100 * k / n:.2f}%", f"{100 * (n - k) / n:.2f}%"


def draw_confusion(ax, cm: np.ndarray, classes: list[str], *, positive: int | None = None, title: str = "",
                   fontsize: float = 12, layout: str = "confusionchart") -> None:
    """Draw the matrix ``cm`` (rows true, columns predicted) on ``ax`` in ``layout`` (see the module);
    ``positive`` (binary only) is the positive class index, shown first."""
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {', '.join(LAYOUTS)}, got {layout!r}")
    cm = np.asarray(cm)
    k = len(classes)
    order = [positive, 1 - positive] if positive is not None and k == 2 else list(range(k))
    m = cm[np.ix_(order, order)]
    names = [classes[i] for i in order]
    total = int(m.sum())
    marks = [["TP", "FN"], ["FP", "TN"]] if positive is not None and k == 2 else None
    transposed = layout == "plotconfusion"
    if transposed:  # rows: the predicted (output) class, columns: the true (target) class
        m = m.T
        marks = [list(row) for row in zip(*marks)] if marks else None
    small = fontsize * (0.8 if k > 2 else 0.85)

    def cell(row, col, colour, lines):
        ax.add_patch(Rectangle((col, row), 1, 1, facecolor=colour, edgecolor="white", linewidth=2))
        spacing = 0.22 if len(lines) > 2 else 0.16
        for i, (text, style) in enumerate(lines):
            y = row + 0.5 + (i - (len(lines) - 1) / 2) * spacing
            ax.text(col + 0.5, y, text, ha="center", va="center", **style)

    for i in range(k):
        for j in range(k):
            lines = []
            if marks:
                lines.append((marks[i][j], {"fontsize": small, "color": "#444444"}))
            lines.append((f"{m[i, j]}", {"fontsize": fontsize, "fontweight": "bold"}))
            lines.append((f"{100 * m[i, j] / total:.2f}%" if total else "-", {"fontsize": small}))
            cell(i, j, GOOD if i == j else BAD, lines)
    def rate_cell(row, col, colour, name, k_right, n):
        good, bad = _rate(k_right, n)
        lines = [(name, {"fontsize": small * 0.9, "color": "#444444"})] if name else []
        lines += [(good, {"fontsize": small, "color": GREEN_TEXT if bad else "#666666", "fontweight": "bold"}),
                  (bad, {"fontsize": small, "color": RED_TEXT})]
        cell(row, col, colour, [line for line in lines if line[0]])

    by_true, by_predicted = ["sensitivity", "specificity"], ["precision", "NPV"]
    row_rate_names = (by_predicted if transposed else by_true) if marks else [""] * k
    column_rate_names = (by_true if transposed else by_predicted) if marks else [""] * k
    for i in range(k):  # row rates: the share of each row's samples on the diagonal
        rate_cell(i, k, RATE, row_rate_names[i], int(m[i, i]), int(m[i].sum()))
    for j in range(k):  # column rates: the share of each column's samples on the diagonal
        rate_cell(k, j, RATE, column_rate_names[j], int(m[j, j]), int(m[:, j].sum()))
    rate_cell(k, k, TOTAL, "accuracy", int(np.trace(m)), total)

    ax.set_xlim(0, k + 1)
    ax.set_ylim(k + 1, 0)
    ax.set_aspect("equal")
    if marks:
        labels = [f"{n}\n({kind})" for n, kind in zip(_wrap(names, 14), ("positive", "negative"))]
        row_rate = column_rate = ""
    else:
        labels = names
        row_rate, column_rate = ("precision", "sensi-\ntivity") if transposed else ("sensi-\ntivity", "precision")
    ax.set_xticks(np.arange(k + 1) + 0.5, labels + [row_rate])
    ax.set_yticks(np.arange(k + 1) + 0.5, labels + [column_rate])
    ax.tick_params(length=0, labelsize=small)
    rows, columns = "true class (MATLAB: target)", "predicted class (MATLAB: output)"
    if transposed:
        rows, columns = "output class (predicted)", "target class (true)"
    else:  # confusionchart puts the predicted class on top
        ax.xaxis.set_label_position("top")
        ax.xaxis.tick_top()
    ax.set_xlabel(columns, fontsize=fontsize)
    ax.set_ylabel(rows, fontsize=fontsize)
    for side in ("top", "right", "bottom", "left"):
        ax.spines[side].set_visible(False)
    if title:  # under the matrix, where confusionchart's axis labels leave room; above it for plotconfusion
        where = {"pad": 8} if transposed else {"pad": 8, "y": -0.02, "va": "top"}
        ax.set_title("\n".join(textwrap.wrap(title, 48)), fontsize=fontsize, loc="center", **where)


def _wrap(names: list[str], width: int) -> list[str]:
    return ["\n".join(textwrap.wrap(n, width)) or n for n in names]


@styled
def confusion_figure(cm: np.ndarray, classes: list[str], *, positive: int | None = None, title: str = "",
                     layout: str = "confusionchart"):
    """One confusion matrix as a figure (see the module docstring)."""
    k = len(classes)
    size = 6.5 if k <= 2 else 10
    fig = figure(figsize=(size, size + 0.6))
    draw_confusion(fig.add_subplot(), cm, classes, positive=positive, title=title,
                   fontsize=14 if k <= 2 else 10, layout=layout)
    return fig


@styled
def confusion_grid(matrices: list[tuple[np.ndarray, list[str], str]], *, positive: int | None = None,
                   columns: int = 4, suptitle: str = "", layout: str = "confusionchart"):
    """Several confusion matrices side by side: (matrix, classes, title) each."""
    rows = -(-len(matrices) // columns)
    fig = figure(figsize=(4.6 * columns, 5.2 * rows))
    for i, (cm, classes, title) in enumerate(matrices):
        draw_confusion(fig.add_subplot(rows, columns, i + 1), cm, classes, positive=positive, title=title,
                       fontsize=10, layout=layout)
    if suptitle:
        fig.suptitle(suptitle)
    return fig
