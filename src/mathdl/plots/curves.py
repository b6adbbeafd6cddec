"""Learning curves: cost and accuracy per epoch, and accuracy against the number of training images."""
from __future__ import annotations

import textwrap

import matplotlib.ticker
import numpy as np

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


@styled
def compare_curves(runs: list[tuple[str, list[dict]]], *, title: str = ""):
    """Several runs (label, history rows): test accuracy per epoch (left) and the training cost relative
    to its first epoch (right, log scale; TSE and XE have different units, their ratios compare)."""
    fig = figure(figsize=(13, 5.2))
    acc_ax, cost_ax = fig.subplots(1, 2)
    colours = [BLUE, RED, "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"]
    for i, (label, rows) in enumerate(runs):
        epochs = [r["epoch"] for r in rows]
        style = "-" if "TSE" in label.upper() else "--"
        acc_ax.plot(epochs, [100 * r["test_accuracy"] for r in rows], color=colours[i % 8], linestyle=style,
                    marker="o", markersize=3, label=label)
        first = rows[0]["train_cost"]
        cost_ax.plot(epochs, [r["train_cost"] / first for r in rows], color=colours[i % 8], linestyle=style,
                     marker="o", markersize=3, label=label)
    acc_ax.set(xlabel="epoch", ylabel="test accuracy (%)", title="test accuracy")
    cost_ax.set(xlabel="epoch", ylabel="train cost / cost after epoch 1", title="training cost (relative)",
                yscale="log")
    for ax in (acc_ax, cost_ax):
        ax.grid(alpha=0.3)
        ax.xaxis.get_major_locator().set_params(integer=True)
    handles, labels = acc_ax.get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=min(4, len(labels)), fontsize=11)
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
