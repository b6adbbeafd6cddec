"""Optimisation-based inversion: projected gradient ascent on the input x for the score of digit d,

    J(x) = S_d(x) − (λ₂/2) ‖x − lo‖² − λ_TV TV_ε(x),      x ← clip(x + η ∇J(x), lo, hi),

with η halved whenever a step would lower J (backtracking), so J rises at every step; the digits are
found at once, one column each (``ascend``). The score
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


def ascend(evaluate, V: Array, *, eta: float, steps: int, project=None, growth: float = 1.0
           ) -> tuple[Array, list[dict]]:
    """Gradient ascent with backtracking on every column of V (n, q) at once, each column its own problem and
    its own step size η_j: a step v_j ← project(v_j + η_j ∇J_j) is taken only if it does not lower J_j;
    otherwise η_j is halved and the step tried again. After a step taken, η_j is multiplied by ``growth``
    (1: η only ever shrinks). A column stops when η_j has been halved ``MAX_HALVINGS`` times within one step
    (no ascent direction left at that scale), or after ``steps`` steps.

    ``evaluate(V_cols, cols)`` returns J (k,), S (k,) and ∇J (n, k) for the columns ``cols`` of the problem.
    Returns the final V and, per column, the history of J, S and η (the start included).
    """
    V = np.array(V, dtype=np.float64)
    q = V.shape[1]
    J, score, grad = evaluate(V, np.arange(q))
    step = np.full(q, float(eta))
    active = np.ones(q, dtype=bool)
    history = [{"objective": [J[j]], "score": [score[j]], "eta": [step[j]]} for j in range(q)]
    for _ in range(steps):
        trying, halvings = np.flatnonzero(active), 0
        while len(trying):
            candidate = V[:, trying] + step[trying] * grad[:, trying]
            if project is not None:
                candidate = project(candidate)
            J_new, score_new, grad_new = evaluate(candidate, trying)
            up = J_new >= J[trying]
            taken = trying[up]
            V[:, taken], J[taken], score[taken], grad[:, taken] = candidate[:, up], J_new[up], score_new[up], grad_new[:, up]
            for j in taken:
                for key, value in (("objective", J[j]), ("score", score[j]), ("eta", step[j])):
                    history[j][key].append(float(value))
            step[taken] *= growth
            trying = trying[~up]
            step[trying] /= 2
            halvings += 1
            if halvings > MAX_HALVINGS:
                active[trying] = False
                break
        if not active.any():
            break
    return V, [{key: np.array(values) for key, values in h.items()} for h in history]


def optimize_inputs(net: Network, digits, *, settings: AscentSettings = AscentSettings(),
                    input_range: tuple[float, float] = (0.0, 1.0), rngs) -> list[Inversion]:
    """x maximising J(x) (see the module docstring) for each digit, all digits at once (one column each), the
    start of digit ``digits[j]`` drawn from the generator ``rngs[j]``.

    The L2 term pulls pixels towards the background, the TV term towards flat regions; a step that would lower
    J is not taken and η is halved (``ascend``), so J rises at every step. Returns one ``Inversion`` per digit
    with the history of J, S_d and η per step (the start included) and the output a_d at the start and the end.
    """
    lo, hi = input_range
    n_0, m = net.sizes[0], net.sizes[-1]
    digits = [int(d) for d in digits]
    for digit in digits:
        if not 0 <= digit < m:
            raise MathdlError(f"digit {digit} is not an output of a network with {m} outputs")
    q = len(digits)
    E = np.zeros((m, q))
    E[digits, np.arange(q)] = 1.0
    cost = score_cost(net)
    shape = image_shape(n_0) if settings.tv else None

    def evaluate(X: Array, cols: Array) -> tuple[Array, Array, Array]:
        """J, S_d and ∇J of the columns ``cols``."""
        C_x, dC_dx = input_gradient(net, X, E[:, cols], cost)
        score = -np.asarray(C_x, dtype=np.float64).reshape(-1)
        J = score - 0.5 * settings.l2 * ((X - lo) ** 2).sum(axis=0)
        grad = -dC_dx - settings.l2 * (X - lo)
        if settings.tv:
            for k in range(X.shape[1]):
                tv, d_tv = total_variation(X[:, k], shape, settings.tv_eps * (hi - lo))
                J[k] -= settings.tv * tv
                grad[:, k] -= settings.tv * d_tv
        return J, score, grad

    start = np.column_stack([lo + (hi - lo) * g.uniform(0, settings.start, n_0) for g in rngs])
    X, history = ascend(evaluate, start, eta=settings.eta, steps=settings.steps,
                        project=lambda V: np.clip(V, lo, hi))
    first, last = net(start), net(X)
    found = []
    for j, d in enumerate(digits):
        history[j]["output"] = np.array([first[d, j], last[d, j]])
        found.append(Inversion("optimize", X[:, j], E[:, j], history=history[j]))
    return found


def optimize_input(net: Network, digit: int, *, settings: AscentSettings = AscentSettings(),
                   input_range: tuple[float, float] = (0.0, 1.0), rng: np.random.Generator) -> Inversion:
    """``optimize_inputs`` for one digit, its start drawn from ``rng``."""
    return optimize_inputs(net, [digit], settings=settings, input_range=input_range, rngs=[rng])[0]
