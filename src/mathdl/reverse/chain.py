"""Backquery and the pseudo-inverse: the target pushed down the network one layer at a time.

From a⁽ᴸ⁾ = y, for l = L, …, 1:

    z⁽ˡ⁾   = f_l⁻¹(a⁽ˡ⁾)                  (logit for sigmoid)
    a⁽ˡ⁻¹⁾ = M⁽ˡ⁾ (z⁽ˡ⁾ − b⁽ˡ⁾)            M = Wᵀ (backquery, Rashid) or W⁺ (pseudo-inverse)
    a⁽ˡ⁻¹⁾ ← rescale(a⁽ˡ⁻¹⁾)               a heuristic: into the open range of f_{l−1}

and x = a⁽⁰⁾ (n_0,). Wᵀ is the adjoint of W, not an inverse: W Wᵀ = I only for orthogonal W.
W⁺ gives the minimum-norm least-squares solution of W a = z − b, exact when W has full row rank.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..base.errors import MathdlError
from ..nn.activations import Activation
from ..nn.network import Network

Array = np.ndarray

MARGIN = 0.01  # rescale into the inner 98% of an open range: sigmoid's (0, 1) → [0.01, 0.99], the book's


def rescale(a: Array, interval: tuple[float, float], margin: float = MARGIN) -> tuple[Array, float]:
    """The book's rescaling heuristic: the affine map of a onto [lo + m·w, hi − m·w] inside the
    interval (lo, hi) of width w (m = ``margin``),

        a' = lo + m·w + s (a − min a),   s = (1 − 2m) w / (max a − min a),

    so min a ↦ lo + m·w and max a ↦ hi − m·w. Returns a' and the slope s. An unbounded interval
    needs no rescaling (s = 1); a constant a goes to the middle (s = 0).
    """
    lo, hi = interval
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return a.copy(), 1.0
    width = hi - lo
    spread = float(a.max() - a.min())
    if spread == 0:
        return np.full_like(a, lo + width / 2), 0.0
    s = (1 - 2 * margin) * width / spread
    return lo + margin * width + s * (a - a.min()), s


@dataclass(frozen=True)
class LayerStep:
    """One step of the chain from layer l down to l − 1, with c = z⁽ˡ⁾ − b⁽ˡ⁾ and M = Wᵀ or W⁺.

    ``low``/``high``: the range of M c before rescaling; ``scale``: the rescaling's slope s (1: none);
    ``residual``: ‖W M c − c‖ / ‖c‖, how far M c is from solving W a = c; ``residual_rescaled``: the
    same for the rescaled a⁽ˡ⁻¹⁾, how much the rescaling broke the layer's equation.
    """

    l: int
    low: float
    high: float
    scale: float
    residual: float
    residual_rescaled: float


@dataclass
class Inversion:
    """An input x (n_0,) found for a target y (n_L,), and how it was found.

    ``queried[l]`` (n_l,): the activation asked of layer l and ``layers`` the steps for l = L, …, 1
    (chains only); ``history``: per step of the ascent, the objective J, the score S_d and the
    output a_d (optimisation only).
    """

    method: str
    x: Array
    y: Array
    queried: list = field(default_factory=list)
    layers: list = field(default_factory=list)
    history: dict | None = None


def require_inverses(net: Network, method: str = "backquery") -> None:
    """Raise unless every layer's activation has an inverse (the chain inverts each f_l)."""
    for l in range(net.L, 0, -1):
        if net.f[l].inverse is None:
            raise MathdlError(f"{method} needs an invertible activation on every layer, but layer {l} uses "
                              f"{net.f[l].name}, which has no inverse (many z give the same a); use the "
                              "optimize method for this network")


def _invert(f: Activation, a: Array, l: int) -> Array:
    """z = f⁻¹(a), refusing values outside the open range of f, where f⁻¹ is undefined."""
    lo, hi = f.image
    if not np.all((a > lo) & (a < hi)):
        raise MathdlError(f"layer {l}: the activation asked for lies in [{a.min():.4g}, {a.max():.4g}], outside "
                          f"({lo:g}, {hi:g}), the open range of {f.name}, where its inverse is undefined; "
                          "rescale it into the range")
    return f.inverse(a)


def _relative(r: Array, c: Array) -> float:
    """‖r‖ / ‖c‖ (‖r‖ when c = 0)."""
    norm = float(np.linalg.norm(c))
    return float(np.linalg.norm(r)) / norm if norm > 0 else float(np.linalg.norm(r))


def query_chain(net: Network, y: Array, down: list, method: str, *, rescaling: bool = True,
                input_range: tuple[float, float] = (0.0, 1.0)) -> Inversion:
    """The chain from a⁽ᴸ⁾ = y (n_L,) down to x = a⁽⁰⁾ with the matrices ``down[l]`` (n_{l−1}, n_l).

    With ``rescaling`` every a⁽ˡ⁻¹⁾ is rescaled into the open range of f_{l−1}, and x into
    ``input_range``; without it the chain is exact or stops with an error where f⁻¹ is undefined.
    """
    require_inverses(net, method)
    y = np.asarray(y, dtype=np.float64).reshape(-1, 1)
    if y.shape[0] != net.sizes[-1]:
        raise MathdlError(f"the target has {y.shape[0]} values but the network has {net.sizes[-1]} outputs")
    a, queried, layers = y, [None] * (net.L + 1), []
    queried[net.L] = y[:, 0]
    for l in range(net.L, 0, -1):
        c = _invert(net.f[l], a, l)
        if net.b[l] is not None:
            c = c - net.b[l]
        raw = down[l] @ c
        interval = net.f[l - 1].image if l > 1 else input_range
        a, s = rescale(raw, interval) if rescaling else (raw, 1.0)
        layers.append(LayerStep(l, float(raw.min()), float(raw.max()), s, _relative(net.W[l] @ raw - c, c),
                                _relative(net.W[l] @ a - c, c)))
        queried[l - 1] = a[:, 0]
    return Inversion(method, a[:, 0], y[:, 0], queried, layers)


def backquery(net: Network, y: Array, *, rescaling: bool = True,
              input_range: tuple[float, float] = (0.0, 1.0)) -> Inversion:
    """Rashid's backquery of the target y (n_L,): down each layer with a⁽ˡ⁻¹⁾ = (W⁽ˡ⁾)ᵀ (z⁽ˡ⁾ − b⁽ˡ⁾).

    Wᵀ undoes W only when W is orthogonal; for any other W the chain does not reproduce y.
    """
    return query_chain(net, y, [None] + [net.W[l].T for l in range(1, net.L + 1)], "backquery",
                       rescaling=rescaling, input_range=input_range)


def pinv_query(net: Network, y: Array, *, rescaling: bool = True,
               input_range: tuple[float, float] = (0.0, 1.0)) -> Inversion:
    """Backquery with W⁺ (Moore–Penrose, ``np.linalg.pinv``): a⁽ˡ⁻¹⁾ = W⁺ (z⁽ˡ⁾ − b⁽ˡ⁾) is the
    minimum-norm least-squares solution of W⁽ˡ⁾ a = z⁽ˡ⁾ − b⁽ˡ⁾: the inverse for square invertible W,
    an exact solution whenever W has full row rank (n_l ≤ n_{l−1} and rank n_l)."""
    return query_chain(net, y, [None] + [np.linalg.pinv(net.W[l]) for l in range(1, net.L + 1)], "pinv",
                       rescaling=rescaling, input_range=input_range)
