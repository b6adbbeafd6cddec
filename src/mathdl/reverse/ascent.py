"""Optimisation-based inversion: projected gradient ascent on the input x for the score of digit d,

    J(x) = S_d(x) − (λ₂/2) ‖x − lo‖² − λ_TV TV_ε(x),      x ← clip(x + η ∇J(x), lo, hi),

with η halved whenever a step would lower J (backtracking), so J rises at every step. The score
S_d(x) = −C_x(x; e_d) is minus the cost of x against the one-hot target e_d (cross-entropy for sigmoid or
softmax outputs, so S_d is the log-likelihood of digit d), and ∇S_d = −∂C_x/∂x = −(W⁽¹⁾)ᵀ δ⁽¹⁾ from
backprop carried down to the input. No inverse is needed, so ReLU and swish networks work too.
x is (n_0,), pixels in the network's input scale, kept in [lo, hi] (lo is the background, no ink).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..base.errors import MathdlError
from ..nn.backprop import input_gradient
from ..nn.network import Network
from .chain import Inversion

Array = np.ndarray
MAX_HALVINGS = 30  # backtracking: the smallest step tried is η·2⁻³⁰


@dataclass(frozen=True)
class AscentSettings:
    """``steps`` steps of size η (``eta``); penalties λ₂ (``l2``) and λ_TV (``tv``), the TV smoothed
    with ε = ``tv_eps`` × the pixel range; a seeded start x₀ = lo + u·(hi − lo), u ~ U(0, ``start``)
    per pixel."""

    steps: int = 500
    eta: float = 0.5
    l2: float = 0.01
    tv: float = 0.005
    tv_eps: float = 0.05
    start: float = 0.1

    def __post_init__(self):
        if not (isinstance(self.steps, int) and self.steps > 0):
            raise MathdlError(f"the ascent needs a positive whole number of steps, got {self.steps}")
        for name in ("eta", "tv_eps"):
            value = getattr(self, name)
            if not (np.isfinite(value) and value > 0):
                raise MathdlError(f"the ascent's {name} must be a positive number, got {value}")
        for name in ("l2", "tv"):
            value = getattr(self, name)
            if not (np.isfinite(value) and value >= 0):
                raise MathdlError(f"the {name} penalty must be a number >= 0, got {value}")
        if not 0 <= self.start <= 1:
            raise MathdlError(f"the ascent's start must be in [0, 1], got {self.start}")


def image_shape(n: int) -> tuple[int, int]:
    """(s, s) for n = s² inputs (28×28 for MNIST)."""
    s = int(round(np.sqrt(n)))
    if s * s != n:
        raise MathdlError(f"{n} inputs are not a square image, which the total-variation penalty needs; "
                          "set its weight to 0")
    return s, s


def total_variation(x: Array, shape: tuple[int, int], eps: float) -> tuple[float, Array]:
    """The smoothed anisotropic total variation of x seen as an image of ``shape``, and its gradient:

        TV_ε(x) = Σ (√(Δ_h² + ε²) − ε) + Σ (√(Δ_v² + ε²) − ε),

    Δ_h, Δ_v the differences of horizontally and vertically adjacent pixels: 0 for a flat image,
    → Σ|Δ| as ε → 0, and differentiable. The gradient has the shape of x.
    """
    image = x.reshape(shape)
    grad = np.zeros(shape)
    value = 0.0
    for axis in (1, 0):
        d = np.diff(image, axis=axis)
        root = np.sqrt(d * d + eps * eps)
        value += float((root - eps).sum())
        g = d / root  # d/dΔ √(Δ² + ε²); Δ = x[next] − x[this]
        if axis == 1:
            grad[:, 1:] += g
            grad[:, :-1] -= g
        else:
            grad[1:, :] += g
            grad[:-1, :] -= g
    return value, grad.reshape(x.shape)


def score_cost(net: Network) -> str:
    """The cost whose negative is the score: cross-entropy for sigmoid and softmax outputs (S_d is then
    the log-likelihood of digit d), total squared error for other outputs."""
    return "xe" if net.f[net.L].name in ("sigmoid", "softmax") else "tse"


def optimize_input(net: Network, digit: int, *, settings: AscentSettings = AscentSettings(),
                   input_range: tuple[float, float] = (0.0, 1.0), rng: np.random.Generator) -> Inversion:
    """x maximising J(x) (see the module docstring) from a seeded start near the background lo.

    The L2 term pulls pixels towards the background, the TV term towards flat regions. A step that
    would lower J is not taken: η is halved until the step raises J (backtracking), so J rises at
    every step; the ascent stops early when η has been halved ``MAX_HALVINGS`` times (no ascent
    direction left at that scale). Returns x with the history of J, S_d, a_d and η, the start included.
    """
    lo, hi = input_range
    n_0, m = net.sizes[0], net.sizes[-1]
    if not 0 <= digit < m:
        raise MathdlError(f"digit {digit} is not an output of a network with {m} outputs")
    e_d = np.zeros((m, 1))
    e_d[digit] = 1.0
    cost = score_cost(net)
    shape = image_shape(n_0) if settings.tv else None

    def evaluate(x: Array) -> tuple[float, float, Array]:
        """J(x), S_d(x) and ∇J(x)."""
        C_x, dC_dx = input_gradient(net, x, e_d, cost)
        tv, d_tv = total_variation(x, shape, settings.tv_eps * (hi - lo)) if settings.tv else (0.0, 0.0)
        score = -float(C_x[0])
        J = score - 0.5 * settings.l2 * float(((x - lo) ** 2).sum()) - settings.tv * tv
        return J, score, -dC_dx - settings.l2 * (x - lo) - settings.tv * d_tv

    x = lo + (hi - lo) * rng.uniform(0, settings.start, (n_0, 1))
    J, score, grad = evaluate(x)
    eta = settings.eta
    history = {"objective": [J], "score": [score], "output": [float(net(x)[digit, 0])], "eta": [eta]}
    for _ in range(settings.steps):
        for _ in range(MAX_HALVINGS + 1):
            x_new = np.clip(x + eta * grad, lo, hi)
            J_new, score_new, grad_new = evaluate(x_new)
            if J_new >= J:
                break
            eta /= 2
        else:
            break  # no step of size ≥ η₀·2⁻ᴷ raises J: converged at this scale
        x, J, score, grad = x_new, J_new, score_new, grad_new
        for key, value in (("objective", J), ("score", score), ("output", float(net(x)[digit, 0])), ("eta", eta)):
            history[key].append(value)
    return Inversion("optimize", x[:, 0], e_d[:, 0], history={k: np.array(v) for k, v in history.items()})
