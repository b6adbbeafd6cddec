"""The architecture of a network as a picture: its layers as columns of neurons, the weight matrices
between them with their shapes."""
from __future__ import annotations

import numpy as np

from . import BLUE, GREY, figure, styled

GAP = 4.6  # horizontal distance between layers, in neuron spacings
SHOWN = 7  # neurons drawn per layer at most; a larger layer shows its first and last ones around a gap
LAYER_COLOURS = {"input": "#dddddd", "hidden": "#9ecae1", "output": "#fdae6b"}


def _ys(n: int) -> list[float | None]:
    """Vertical positions of the neurons drawn for a layer of n (None: the gap of a layer too large)."""
    if n <= SHOWN:
        return list(np.linspace(-(n - 1) / 2, (n - 1) / 2, n))
    half = SHOWN // 2
    top = [3 - i for i in range(half)]
    return top + [None] + [-3 + (half - 1 - i) for i in range(half)]


def _draw(ax, name: str, sizes: list[int], activations: list[str], widest: int) -> None:
    """One network on ``ax``, centred in the width of a network of ``widest`` layer steps."""
    L = len(sizes) - 1
    positions = []
    for l, n in enumerate(sizes):
        ys = _ys(n)
        positions.append([y for y in ys if y is not None])
        kind = "input" if l == 0 else "output" if l == L else "hidden"
        for y in ys:
            if y is None:
                ax.text(GAP * l, 0, "⋮", ha="center", va="center", fontsize=18, color=GREY)
            else:
                ax.add_patch(_circle(GAP * l, y, LAYER_COLOURS[kind]))
        label = {"input": f"input\n$n_0$ = {n}", "output": f"output\n$n_{L}$ = {n}\n{activations[-1]}",
                 "hidden": f"hidden {l}\n$n_{l}$ = {n}\n{activations[l - 1]}"}[kind]
        ax.text(GAP * l, -4.2, label, ha="center", va="top", fontsize=11)
    for l in range(1, L + 1):
        for y0 in positions[l - 1]:
            for y1 in positions[l]:
                ax.plot([GAP * (l - 1) + 0.3, GAP * l - 0.3], [y0, y1], color=BLUE, lw=0.5, alpha=0.25, zorder=1)
        ax.text(GAP * (l - 0.5), 4.0, f"$W^{{({l})}}$: {sizes[l]}×{sizes[l - 1]}\n$b^{{({l})}}$: {sizes[l]}×1",
                ha="center", va="bottom", fontsize=9.5)
    spare = GAP * (widest - L) / 2
    ax.set_xlim(-2.0 - spare, GAP * L + 2.0 + spare)
    ax.set_ylim(-7.0, 6.0)
    ax.set_aspect("equal")
    ax.set_axis_off()
    ax.set_title(name, fontsize=13)


def _circle(x: float, y: float, colour: str):
    from matplotlib.patches import Circle
    return Circle((x, y), 0.3, facecolor=colour, edgecolor="#555555", lw=0.8, zorder=2)


@styled
def architecture(networks: list[tuple[str, list[int], list[str]]], *, title: str = ""):
    """Each network (name, layer sizes [n_0, …, n_L], activations [f_1, …, f_L]) in its row: a column
    of neurons per layer (at most ``SHOWN`` drawn, with ⋮ for the rest), every neuron of one layer
    connected to every neuron of the next, and above each connection the shapes of W⁽ˡ⁾ and b⁽ˡ⁾."""
    fig = figure(figsize=(8.5, 3.4 * len(networks)))
    axes = fig.subplots(len(networks), 1, squeeze=False)[:, 0]
    widest = max(len(sizes) - 1 for _, sizes, _ in networks)
    for ax, (name, sizes, activations) in zip(axes, networks):
        _draw(ax, name, list(sizes), list(activations), widest)
    if title:
        fig.suptitle(title)
    return fig
