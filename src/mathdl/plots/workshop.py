"""Workshop pictures: decision boundaries on red and blue dots (and their animation), activation
functions beside their derivatives, and gradient descent on a parabola and on a loss surface.

Every function returns a Figure (``boundary_animation`` writes a GIF) drawn from the library's own
numbers: the trained networks of ``mathdl.workshop.boundary``, the ``ACTIVATIONS`` table the networks use,
and the descent paths of ``mathdl.workshop.descent``.
"""
from __future__ import annotations

import numpy as np
from matplotlib.animation import FuncAnimation, PillowWriter
from matplotlib.colors import to_rgba_array
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from ..base.files import atomic_path
from ..nn.activations import LEAKY_SLOPE, hidden_activation
from ..workshop.boundary import DotsFit, plane
from ..workshop.descent import Descent, Parabola, Surface
from . import BLUE, GREY, RED, figure, style

CLASS_COLOURS = [RED, BLUE, "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#bcbd22", "#17becf", GREY]
LINE_COLOURS = ["#2ca02c", "#ff7f0e", "#9467bd", RED, BLUE, "#8c564b"]
# The derivatives together: none in BLUE, the colour of f in the other panels
DERIVATIVE_COLOURS = ["#2ca02c", "#9467bd", "#8c564b", "#17becf", "#e377c2", "#bcbd22"]
DERIVATIVE_STYLES = {"sigmoid": ("#2ca02c", "-"), "tanh": ("#9467bd", "-"), "relu": ("#8c564b", "-"),
                     "leaky_relu": ("#e377c2", (0, (3, 2))), "swish": ("#17becf", "-"), "linear": ("#bcbd22", "-")}
WORKSHOP_ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "swish")
FORMULAS = {  # (f, f') in mathtext, for titles; the curves come from ACTIVATIONS
    "sigmoid": (r"$\sigma(z) = 1/(1+e^{-z})$", r"$\sigma(1-\sigma)$"),
    "tanh": (r"$\tanh z$", r"$1-\tanh^2 z$"),
    "relu": (r"$\max(0, z)$", r"$1$ if $z>0$ else $0$"),
    "leaky_relu": (rf"$\max({LEAKY_SLOPE:g}z, z)$", rf"$1$ if $z>0$ else ${LEAKY_SLOPE:g}$"),
    "swish": (r"$z\,\sigma(z)$", r"$\sigma + z\,\sigma(1-\sigma)$"),
}
# Larger type than the project's default: these figures have several panels and go on a projector.
LECTURE = {"font.size": 15, "axes.titlesize": 16, "axes.labelsize": 16, "xtick.labelsize": 14,
           "ytick.labelsize": 14, "legend.fontsize": 14, "figure.titlesize": 18}


lecture = style(LECTURE)  # the project style with LECTURE's type sizes


# ---------------------------------------------------------------------------------------------------
# Decision boundaries


@lecture
def decision_boundary(*fits: DotsFit, resolution: int = 300):
    """One panel per trained network: the plane shaded by predicted class (stronger where the network
    is surer), the boundary in black, training dots (circles) and test dots (triangles)."""
    panels = _boundary_panels(fits, resolution, smooth=True)
    for panel in panels:
        panel.draw()
    return panels[0].ax.figure


PROJECTOR = {"dpi": 160, "resolution": 260}  # a GIF for a lecture-hall projector: twice the pixels


@lecture
def boundary_animation(*fits: DotsFit, path, fps: int = 8, resolution: int = 150, hold: float = 2.0,
                       dpi: int = 80, frames: int = 30):
    """Write a GIF of the boundary forming over training (one panel per network, from its snapshots),
    ``frames`` frames chosen where the boundary moves (``moving_frames``); the last frame is held
    ``hold`` seconds. Returns the path. ``PROJECTOR`` holds the ``dpi`` and ``resolution`` for a projector."""
    if any(not fit.snapshots for fit in fits):
        raise ValueError("the networks were trained without snapshots (fit with frames > 0)")
    panels = _boundary_panels(fits, resolution, smooth=False)
    chosen = moving_frames(fits, frames)
    frames = chosen + [chosen[-1]] * int(hold * fps)

    def draw(i):
        for panel in panels:
            panel.draw(min(i, len(panel.fit.snapshots) - 1))
        return []

    animation = FuncAnimation(panels[0].ax.figure, draw, frames=frames, blit=False, cache_frame_data=False)
    with atomic_path(path, suffix=".gif") as tmp:
        animation.save(tmp, writer=PillowWriter(fps=fps), dpi=dpi)
    return path


def moving_frames(fits, frames: int, resolution: int = 60) -> list[int]:
    """Snapshot indices for an animation of ``frames`` frames, spent where the boundary moves: with
    m_i the share of a coarse grid whose shaded class (class and one of four certainty bands, as the
    GIF draws it) changed from snapshot i − 1 to i, summed over the networks, and M_i = Σ_{j≤i} m_j,
    frame k shows the first snapshot with M_i ≥ k M_n/(frames − 1). The first and last are always
    shown; snapshots where nothing changes are skipped."""
    n = max(len(fit.snapshots) for fit in fits)
    points = np.hstack([fit.points(s) for fit in fits for s in (fit.task.train, fit.task.test)])
    _, _, G = plane(points, resolution)

    def shading(fit, i):
        _, net = fit.snapshots[min(i, len(fit.snapshots) - 1)]
        P = fit.probabilities(G, net)
        k = P.shape[0]
        band = np.minimum(np.floor((P.max(axis=0) - 1 / k) / (1 - 1 / k) * 4), 3)
        return fit.predict(G, net) * 4 + band

    maps = [[shading(fit, i) for fit in fits] for i in range(n)]
    moved = [0.0] + [sum(float((a != b).mean()) for a, b in zip(maps[i], maps[i - 1])) for i in range(1, n)]
    total = np.cumsum(moved)
    if frames >= n:
        return list(range(n))
    if total[-1] == 0:
        return [0, n - 1]
    targets = total[-1] * np.arange(frames) / (frames - 1)
    chosen = sorted({int(np.searchsorted(total, t - 1e-12)) for t in targets} | {0, n - 1})
    return chosen


class _BoundaryPanel:
    """One axes showing one network's decision over the plane; ``draw(i)`` shows snapshot i."""

    def __init__(self, ax, fit: DotsFit, grid, smooth: bool, equal: bool):
        self.ax, self.fit, self.grid, self.smooth = ax, fit, grid, smooth
        self.image, self.contours = None, []
        xs, ys, _ = grid
        k = len(fit.classes)
        for split, marker, edge in ((fit.task.train, "o", "white"), (fit.task.test, "^", "black")):
            X = fit.points(split)
            for c in range(k):
                mine = split.labels == c
                ax.scatter(X[0, mine], X[1, mine], s=42, marker=marker, color=CLASS_COLOURS[c], edgecolors=edge,
                           linewidths=0.8, zorder=3)
        ax.set_xlim(xs[0], xs[-1])
        ax.set_ylim(ys[0], ys[-1])
        if equal:
            ax.set_aspect("equal")
        ax.set_xlabel("x₁")
        ax.set_ylabel("x₂")

    def draw(self, snapshot: int | None = None) -> None:
        """Shade the plane by the final network (None) or by ``fit.snapshots[snapshot]``."""
        fit, (xs, ys, G) = self.fit, self.grid
        epoch, net = (None, fit.net) if snapshot is None else fit.snapshots[snapshot]
        P = fit.probabilities(G, net)
        k, R = P.shape[0], len(xs)
        predicted, sure = fit.predict(G, net).reshape(R, R), P.max(axis=0).reshape(R, R)
        rgba = to_rgba_array(CLASS_COLOURS[:k])[predicted]
        certainty = (sure - 1 / k) / (1 - 1 / k)  # 0 where all classes are equally likely, 1 where sure
        if not self.smooth:  # four bands: flat colours keep a GIF small
            certainty = np.minimum(np.floor(certainty * 4), 3) / 3
        rgba[..., 3] = 0.12 + 0.33 * certainty  # paler where the network is unsure
        if self.image is None:
            self.image = self.ax.imshow(rgba, origin="lower", extent=(xs[0], xs[-1], ys[0], ys[-1]),
                                        interpolation="bilinear" if self.smooth else "nearest", zorder=1,
                                        aspect=self.ax.get_aspect())
        else:
            self.image.set_data(rgba)
        for contour in self.contours:
            contour.remove()
        self.contours = []
        # The edge of class c's region is where P_c − max_{j≠c} P_j changes sign (for two classes: P_1 = ½).
        for c in range(1, k) if k == 2 else range(k):
            margin = (P[c] - np.delete(P, c, axis=0).max(axis=0)).reshape(R, R)
            if margin.min() < 0 < margin.max():
                self.contours.append(self.ax.contour(xs, ys, margin, levels=[0], colors="black", linewidths=2.2,
                                                     zorder=2))
        train, test = fit.accuracy(fit.task.train, net), fit.accuracy(fit.task.test, net)
        when = "" if epoch is None else f", epoch {epoch}/{fit.settings.epochs}"
        self.ax.set_title(f"{fit.label}{when}\ntrain {100 * train:.1f}%   test {100 * test:.1f}%")


def _boundary_panels(fits, resolution: int, smooth: bool) -> list[_BoundaryPanel]:
    """The figure with one panel per fit over a common plane, a shared legend and the data as suptitle."""
    if not fits:
        raise ValueError("give at least one trained network")
    first = fits[0]
    points = np.hstack([fit.points(s) for fit in fits for s in (fit.task.train, fit.task.test)])
    grid = plane(points, resolution)
    xs, ys, _ = grid
    aspect = (ys[-1] - ys[0]) / (xs[-1] - xs[0])
    equal = 0.5 <= aspect <= 2  # same units on both axes, unless that makes the panel a sliver
    fig = figure(figsize=(6.4 * len(fits), 5.0 * (aspect if equal else 0.9) + 2.8))
    axes = fig.subplots(1, len(fits), squeeze=False)[0]
    panels = [_BoundaryPanel(ax, fit, grid, smooth, equal) for ax, fit in zip(axes, fits)]
    handles = [Line2D([], [], ls="", marker="o", ms=10, color=CLASS_COLOURS[c], label=f"class {name}")
               for c, name in enumerate(first.classes)]
    handles += [Line2D([], [], ls="", marker="o", ms=9, color=GREY, mec="white", label="train"),
                Line2D([], [], ls="", marker="^", ms=9, color=GREY, mec="black", label="test"),
                Line2D([], [], color="black", lw=2.2, label="decision boundary")]
    fig.legend(handles=handles, loc="outside lower center", ncol=min(len(handles), 3 + 2 * (len(fits) > 1)))
    fig.suptitle(f"{first.name}: {first.task.train.N} training and {first.task.test.N} test points",
                 fontweight="bold")
    return panels


# ---------------------------------------------------------------------------------------------------
# Activation functions


@lecture
def activation_functions(names=WORKSHOP_ACTIVATIONS, z_max: float = 5.0, points: int = 1001):
    """Each activation f (solid) and its derivative f' (dashed), computed by the network's own functions
    (the ``ACTIVATIONS`` table), one panel each, and a last panel with all derivatives together."""
    names = list(names)
    z = np.linspace(-z_max, z_max, points)
    columns = 3
    rows = -(-(len(names) + 1) // columns)
    fig = figure(figsize=(15, 4.6 * rows))
    axes = fig.subplots(rows, columns, squeeze=False).ravel()
    for ax, name in zip(axes, names):
        activation = hidden_activation(name)
        a = activation.f(z)
        ax.plot(z, a, color=BLUE, lw=3, label="f(z)")
        ax.plot(z, _broken(activation.df(z, a)), color="#ff7f0e", lw=3, ls="--", label="f′(z)")
        f_text, df_text = FORMULAS.get(name, (name, ""))
        ax.set_title(f"{name}\nf = {f_text}\nf′ = {df_text}" if df_text else name)
        _axes_through_origin(ax)
        ax.set_xlabel("z")
    together = axes[len(names)]
    for i, name in enumerate(names):
        activation = hidden_activation(name)
        # relu's and leaky_relu's derivatives differ only by the leak below 0: leaky_relu's is drawn dashed
        # on top of relu's, so both show
        colour, dashes = DERIVATIVE_STYLES.get(name, (DERIVATIVE_COLOURS[i % len(DERIVATIVE_COLOURS)], "-"))
        together.plot(z, _broken(activation.df(z, activation.f(z))), lw=4 if dashes == "-" else 2.6, color=colour,
                      linestyle=dashes, label=name)
    together.set_title("all derivatives f′(z)\n(sigmoid's is at most ¼)")
    together.set_xlabel("z")
    together.legend(loc="upper left", fontsize=12)
    _axes_through_origin(together)
    for ax in axes[len(names) + 1:]:
        ax.set_visible(False)
    axes[0].legend(loc="upper left")
    fig.suptitle("Activation functions f (solid) and their derivatives f′ (dashed)", fontweight="bold")
    return fig


def _broken(y: np.ndarray, jump: float = 0.25) -> np.ndarray:
    """y with NaN where it jumps (ReLU's f′ at 0), so a step is not drawn as a vertical line."""
    y = np.array(y, dtype=float)
    y[1:][np.abs(np.diff(y)) > jump] = np.nan
    return y


def _axes_through_origin(ax) -> None:
    ax.axhline(0, color=GREY, lw=0.8, zorder=0)
    ax.axvline(0, color=GREY, lw=0.8, zorder=0)
    ax.grid(alpha=0.3)


# ---------------------------------------------------------------------------------------------------
# Gradient descent


DRAWABLE = 1e300  # the largest |f| drawn: matplotlib's margins overflow on values near the largest float


@lecture
def descent_on_parabola(runs: list[Descent], function: Parabola):
    """Top: one panel per step size η, the parabola with the steps x_k → x_{k+1}; bottom: x_k against k."""
    fig = figure(figsize=(4.4 * max(len(runs), 3), 9.5))
    grid = fig.add_gridspec(2, len(runs), height_ratios=[1.15, 1])
    for i, run in enumerate(runs):
        ax = fig.add_subplot(grid[0, i])
        x = run.path[:, 0]
        low, high = min(x.min(), function.minimum - 1), max(x.max(), function.minimum + 1)
        pad = 0.08 * (high - low)
        xs = np.linspace(low - pad, high + pad, 400)
        colour = LINE_COLOURS[i % len(LINE_COLOURS)]
        curve = function.f(xs)
        curve[~(np.abs(curve) <= DRAWABLE)] = np.nan  # a diverging walk's far end: beyond what an axis can hold
        ax.plot(xs, curve, color=GREY, lw=2.5)
        ax.set_xlim(xs[0], xs[-1])  # the whole walk, even where f is not drawn
        ax.plot(x, function.f(x), "o", color=colour, ms=7, zorder=3)
        for k in range(len(x) - 1):
            ax.annotate("", xy=(x[k + 1], function.f(x[k + 1])), xytext=(x[k], function.f(x[k])),
                        arrowprops={"arrowstyle": "->", "color": colour, "lw": 1.8})
        ax.annotate("x₀", (x[0], function.f(x[0])), textcoords="offset points", xytext=(8, -4), fontsize=13)
        ax.set_title(f"η = {run.eta:g}\n{function.behaviour(run.eta)}", color=colour)
        ax.set_xlabel("x")
        if i == 0:
            ax.set_ylabel(f"f(x) = {function.formula}")
    ax = fig.add_subplot(grid[1, :])
    for i, run in enumerate(runs):
        ax.plot(np.arange(len(run.path)), run.path[:, 0], "o-", lw=2.2, ms=6, color=LINE_COLOURS[i % 6],
                label=f"η = {run.eta:g}")
    ax.axhline(function.minimum, color="black", lw=1, ls=":", label=f"minimum x = {function.minimum:g}")
    ax.set_xlabel("step k")
    ax.set_ylabel("$x_k$")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1))
    fig.suptitle(rf"Gradient descent $x_{{k+1}} = x_k - \eta\, f'(x_k)$ on f(x) = {function.formula}, from "
                 f"x₀ = {runs[0].path[0, 0]:g}", fontweight="bold")
    return fig


@lecture
def descent_on_surface(surface: Surface, run: Descent, resolution: int = 160):
    """Walking down a mountain: the loss surface C(θ₁, θ₂) in 3-D and as contours, with the descent path."""
    (x0, x1), (y0, y1) = surface.extent
    xs, ys = np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution)
    gx, gy = np.meshgrid(xs, ys)
    C = surface.cost(np.vstack([gx.ravel(), gy.ravel()])).reshape(gx.shape)
    path = run.path
    C_path = surface.cost(path.T)
    levels = C.min() + (C.max() - C.min()) * np.linspace(0, 1, 30) ** 2  # denser near the bottom
    fig = figure(figsize=(15, 7))
    mountain = fig.add_subplot(1, 2, 1, projection="3d")
    mountain.plot_surface(gx, gy, C, cmap="terrain", alpha=0.75, linewidth=0, antialiased=True, rstride=4,
                          cstride=4)
    lift = 0.02 * (C.max() - C.min())  # draw the path just above the surface so it is not hidden in it
    mountain.plot(path[:, 0], path[:, 1], C_path + lift, "o-", color=RED, ms=4, lw=2.5, zorder=10)
    mountain.plot(*path[0], C_path[0] + lift, "o", color="white", mec="black", ms=12, zorder=11)
    mountain.plot(*path[-1], C_path[-1] + lift, "*", color="yellow", mec="black", ms=18, zorder=11)
    mountain.set_xlabel(surface.names[0], labelpad=8)
    mountain.set_ylabel(surface.names[1], labelpad=8)
    mountain.set_zlabel("cost C", labelpad=8)
    mountain.view_init(elev=38, azim=-125)
    mountain.set_title("the loss surface: a mountain")
    ax = fig.add_subplot(1, 2, 2)
    filled = ax.contourf(gx, gy, C, levels=levels, cmap="terrain", alpha=0.85)
    ax.contour(gx, gy, C, levels=levels, colors="black", linewidths=0.5, alpha=0.6)
    ax.plot(path[:, 0], path[:, 1], "-", color=RED, lw=2.5, zorder=3)
    ax.plot(path[:, 0], path[:, 1], "o", color=RED, ms=4, zorder=3)
    ax.plot(*path[0], "o", color="white", mec="black", ms=13, zorder=4, label=f"start, C {_cost(C_path[0])}")
    ax.plot(*path[-1], "*", color="yellow", mec="black", ms=20, zorder=4,
            label=f"after {len(path) - 1} steps, C {_cost(C_path[-1])}")
    ax.set_xlabel(surface.names[0])
    ax.set_ylabel(surface.names[1])
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_title(f"contours and the path, η = {run.eta:g}")
    ax.legend(loc="upper left", fontsize=13, framealpha=0.9)
    fig.colorbar(filled, ax=ax, label="cost C", spacing="proportional", ticks=MaxNLocator(6))
    fig.suptitle(f"Gradient descent walking down {surface.title}", fontweight="bold")
    return fig


def _cost(C: float) -> str:
    """'= 0.192', or '< 0.001' for a cost that is all but zero."""
    return f"= {C:.3g}" if abs(C) >= 1e-3 else "< 0.001"
