"""Learning curves: cost and accuracy per epoch, and accuracy against the number of training images."""
from __future__ import annotations

import textwrap

import matplotlib.ticker
import numpy as np
from matplotlib.lines import Line2D

from . import BLUE, GREY, RED, figure, styled

SPLITS = (("train", BLUE, "-"), ("val", GREY, "--"), ("test", RED, "-"))


@styled
def learning_curves(rows: list[dict], *, title: str = ""):
    """Left: the cost per epoch (running mean during the epoch, and after it on each split); right: the
    accuracy per epoch on train, validation and test (on the epochs that scored them)."""
    fig = figure(figsize=(11, 4.6))
    cost_ax, acc_ax = fig.subplots(1, 2, sharex=True)
    cost_ax.plot([r["epoch"] for r in rows], [r["cost"] for r in rows], color=GREY, marker=".",
                 label="during the epoch")
    for split, colour, style in SPLITS:
        scored = [r for r in rows if r.get(f"{split}_cost", "") != ""]
        if scored:
            epochs = [r["epoch"] for r in scored]
            cost_ax.plot(epochs, [r[f"{split}_cost"] for r in scored], color=colour, linestyle=style, marker="o",
                         markersize=4, label=split)
            acc_ax.plot(epochs, [100 * r[f"{split}_accuracy"] for r in scored], color=colour, linestyle=style,
                        marker="o", markersize=4, label=split)
    cost_ax.set(xlabel="epoch", ylabel="cost C (mean per sample)", title="cost", yscale="log")
    acc_ax.set(xlabel="epoch", ylabel="accuracy (%)", title="accuracy")
    if acc_ax.get_ylim()[1] > 100:  # one scored epoch: autoscale would reach past 100%
        acc_ax.set_ylim(top=100.5)
    for ax in (cost_ax, acc_ax):
        ax.legend()
        ax.grid(alpha=0.3)
        ax.xaxis.get_major_locator().set_params(integer=True)
    if title:
        fig.suptitle("\n".join(textwrap.wrap(title, 100)))
    return fig


ARCHITECTURE_COLOURS = (BLUE, RED, "#2ca02c", "#9467bd")  # one colour per architecture, in order of appearance
METHOD_STYLES = {"online": ("-", "o"), "matrix": ("--", "s")}


@styled
def study_curves(runs: list[dict], *, title: str = ""):
    """Small multiples of several runs, each a dict with ``number``, ``architecture`` (e.g. "1 hidden layer
    of 300"), ``cost``, ``method`` and the history ``rows``: one column per cost, test accuracy per epoch
    (top) and the training cost relative to its first epoch (bottom, log scale; TSE and XE have different
    units, their ratios compare). Colour by architecture, line style by method; each line ends in its
    configuration's number."""
    costs = list(dict.fromkeys(r["cost"] for r in runs))
    architectures = list(dict.fromkeys(r["architecture"] for r in runs))
    fig = figure(figsize=(6.2 * len(costs) + 0.6, 8.4))
    axes = fig.subplots(2, len(costs), squeeze=False, sharex="col")
    for run in runs:
        column = costs.index(run["cost"])
        colour = ARCHITECTURE_COLOURS[architectures.index(run["architecture"]) % len(ARCHITECTURE_COLOURS)]
        style, marker = METHOD_STYLES.get(run["method"], (":", "^"))
        epochs = [r["epoch"] for r in run["rows"]]
        first = run["rows"][0]["train_cost"]
        for row, values in ((0, [100 * r["test_accuracy"] for r in run["rows"]]),
                            (1, [r["train_cost"] / first for r in run["rows"]])):
            ax = axes[row, column]
            ax.plot(epochs, values, color=colour, linestyle=style, marker=marker, markersize=3.5, lw=1.8)
            ax.annotate(str(run["number"]), (epochs[-1], values[-1]), textcoords="offset points", xytext=(5, 0),
                        va="center", fontsize=10, color=colour, fontweight="bold", zorder=5,
                        bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.6, "alpha": 0.85})
    for column, cost in enumerate(costs):
        axes[0, column].set(title=f"{cost.upper()}: test accuracy", ylabel="test accuracy (%)")
        axes[1, column].set(title=f"{cost.upper()}: training cost (relative)", xlabel="epoch",
                            ylabel="train cost / cost after epoch 1", yscale="log")
        for ax in axes[:, column]:
            ax.grid(alpha=0.3)
            ax.xaxis.get_major_locator().set_params(integer=True)
            ax.margins(x=0.08)
    handles = [Line2D([], [], color=ARCHITECTURE_COLOURS[i % len(ARCHITECTURE_COLOURS)], lw=2.5, label=name)
               for i, name in enumerate(architectures)]
    handles += [Line2D([], [], color=GREY, linestyle=style, marker=marker, label=f"{method} backpropagation")
                for method, (style, marker) in METHOD_STYLES.items() if any(r["method"] == method for r in runs)]
    fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), fontsize=11)
    if title:
        fig.suptitle(title)
    return fig


@styled
def accuracy_vs_size(sizes, accuracies, *, low=None, high=None, title: str = ""):
    """Test accuracy against the number of training images (log axis), with 95% intervals if given."""
    fig = figure(figsize=(7.5, 5))
    ax = fig.add_subplot()
    sizes, acc = np.asarray(sizes), 100 * np.asarray(accuracies)
    if low is not None and high is not None:
        ax.fill_between(sizes, 100 * np.asarray(low), 100 * np.asarray(high), color=BLUE, alpha=0.2,
                        label="95% interval (Wilson)")
    ax.plot(sizes, acc, color=BLUE, marker="o", label="test accuracy")
    for x, y in zip(sizes, acc):
        ax.annotate(f"{y:.1f}", (x, y), textcoords="offset points", xytext=(0, 8), ha="center", fontsize=11)
    ax.set(xscale="log", xlabel="training images", ylabel="test accuracy (%)")
    ax.set_xticks(sizes, [f"{n:,}" for n in sizes], minor=False)
    ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
    ax.tick_params(axis="x", labelrotation=30)
    ax.grid(alpha=0.3, which="both")
    ax.legend(loc="lower right")
    if title:
        ax.set_title("\n".join(textwrap.wrap(title, 60)))
    return fig
