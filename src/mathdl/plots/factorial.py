"""Replicated seeds: each configuration's accuracy over the seeds (a dot per seed, the mean with its
t-interval), and the factorial effects with their 95% intervals."""
from __future__ import annotations

import textwrap

import numpy as np

from . import BLUE, GREY, RED, figure, styled

RESPONSE_COLOURS = {"accuracy": "#333333", "sensitivity": BLUE, "specificity": RED}


@styled
def seeds_figure(configurations: list[dict], labels: list[str], *, rate: str = "accuracy", title: str = ""):
    """One row per configuration (``configurations``: the summary's seed entries, with ``rate`` holding
    ``values``, ``mean`` and ``ci95``): every seed's value as a dot, the mean as a bar with its interval."""
    fig = figure(figsize=(11, 0.62 * len(configurations) + 1.6))
    ax = fig.subplots()
    rng = np.random.default_rng(0)  # a fixed vertical jitter, so that equal values stay visible
    for i, c in enumerate(configurations):
        y = len(configurations) - 1 - i
        values = [100 * v for v in c[rate]["values"] if v is not None]
        ax.scatter(values, y + rng.uniform(-0.12, 0.12, len(values)), s=28, color=GREY, alpha=0.8, zorder=2,
                   label="one seed" if i == 0 else None)
        mean = 100 * c[rate]["mean"]
        if c[rate]["ci95"] is not None:
            low, high = (100 * v for v in c[rate]["ci95"])
            ax.errorbar(mean, y, xerr=[[mean - low], [high - mean]], fmt="none", ecolor=BLUE, elinewidth=2,
                        capsize=5, zorder=3, label="95% t-interval" if i == 0 else None)
        ax.plot([mean, mean], [y - 0.28, y + 0.28], color=BLUE, linewidth=3, zorder=4,
                label="mean" if i == 0 else None)
    ax.set_yticks(range(len(configurations)))
    ax.set_yticklabels([textwrap.shorten(f"{c['number']}: {label}", 60, placeholder="…")
                        for c, label in zip(reversed(configurations), reversed(labels))], fontsize=10)
    ax.set(xlabel=f"test {rate} (%)")
    ax.grid(axis="x", alpha=0.3)
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=3, fontsize=10, frameon=False)
    if title:
        fig.suptitle(title)
    return fig


@styled
def effects_figure(analyses: dict, *, title: str = ""):
    """Each effect of the factorial analysis (main effects and interactions, in percentage points) with
    its 95% interval, one marker per response (``analyses``: response → ``factorial`` result)."""
    responses = list(analyses)
    terms = [e for e in analyses[responses[0]]["effects"]]
    fig = figure(figsize=(10, 0.55 * len(terms) * len(responses) / 2 + 2.2))
    ax = fig.subplots()
    offsets = np.linspace(0.25, -0.25, len(responses))  # the first response on top
    for offset, response in zip(offsets, responses):
        for i, e in enumerate(analyses[response]["effects"]):
            y = len(terms) - 1 - i + offset
            low, high = (100 * v for v in e["ci95"])
            ax.errorbar(100 * e["effect"], y, xerr=[[100 * e["effect"] - low], [high - 100 * e["effect"]]], fmt="o",
                        color=RESPONSE_COLOURS.get(response, GREY), capsize=3, markersize=5,
                        label=response if i == 0 else None)
    ax.axvline(0, color=GREY, linewidth=1)
    ax.set_yticks(range(len(terms)))
    ax.set_yticklabels([e["contrast"] or e["label"] for e in reversed(terms)])
    ax.set(xlabel="effect (percentage points)")
    ax.grid(axis="x", alpha=0.3)
    ax.legend(fontsize=10)
    if title:
        fig.suptitle(title)
    return fig
