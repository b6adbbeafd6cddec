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
from typing import Protocol

import numpy as np

from ..base.errors import MathdlError
from ..nn.backprop import input_gradient
from ..nn.costs import get_cost
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


def total_variation(x: Array, shape: tuple[int, int], eps: float) -> tuple[float | Array, Array]:
    """The smoothed anisotropic total variation of x seen as an image of ``shape``, and its gradient:

        TV_ε(x) = Σ (√(Δ_h² + ε²) − ε) + Σ (√(Δ_v² + ε²) − ε),

    Δ_h, Δ_v the differences of horizontally and vertically adjacent pixels: 0 for a flat image,
    → Σ|Δ| as ε → 0, and differentiable. x (n,) gives a number; x (n, q) one TV per column, (q,). The
    gradient has the shape of x.
    """
    image = x.reshape(*shape, -1)  # (s, s, q): column j of x is image[:, :, j]
    grad = np.zeros(image.shape)
    value = np.zeros(image.shape[2])
    for axis in (1, 0):
        d = np.diff(image, axis=axis)
        root = np.sqrt(d * d + eps * eps)
        value += (root - eps).sum(axis=(0, 1))
        g = d / root  # d/dΔ √(Δ² + ε²); Δ = x[next] − x[this]
        if axis == 1:
            grad[:, 1:] += g
            grad[:, :-1] -= g
        else:
            grad[1:, :] += g
            grad[:-1, :] -= g
    return (float(value[0]) if x.ndim == 1 else value), grad.reshape(x.shape)


def score(net: Network, X: Array, E: Array, cost: str) -> Array:
    """S_d = −C_x(x; e_d) for each column of X (n_0, q) against the targets E (m, q): a forward pass only."""
    z, a = net.forward(X)
    cost = get_cost(cost)
    return -np.asarray(cost.value(z[net.L], a[net.L], E, net.f[net.L]), dtype=np.float64).reshape(-1)


def score_cost(net: Network) -> str:
    """The cost whose negative is the score: cross-entropy for sigmoid and softmax outputs (S_d is then
    the log-likelihood of digit d), total squared error for other outputs."""
    return "xe" if net.f[net.L].name in ("sigmoid", "softmax") else "tse"


class Problem(Protocol):
    """Columns of an ascent, each its own problem: the current points and the gradient there are the problem's."""

    def candidate(self, cols: Array, eta: Array) -> tuple[Array, Array, object]:
        """The step of size η (``eta``) from the current points of the columns ``cols``: its J, S and the point."""

    def move(self, cols: Array, point: object) -> None:
        """Make ``point`` the current points of ``cols`` (and find the gradient there)."""


def ascend(problem: Problem, J: Array, S: Array, *, eta: float, steps: int, growth: float = 1.0,
           eta_max: float = np.inf) -> list[dict]:
    """Gradient ascent with backtracking on every column of a ``problem`` at once, each column with its own step
    size η_j: a step (``problem.candidate``) is taken (``problem.move``) only if it does not lower J_j; otherwise
    η_j is halved and the step tried again, which costs a value of J only, not a gradient. After a step taken,
    η_j is multiplied by ``growth`` (1: η only ever shrinks), up to ``eta_max``. A column stops when η_j has been halved
    ``MAX_HALVINGS`` times within one step (no ascent direction left at that scale), or after ``steps`` steps.

    ``J``, ``S`` (q,): the objective and the score at the start. Returns, per column, the history of J, S and η
    (the start included).
    """
    J, S = np.array(J, dtype=np.float64), np.array(S, dtype=np.float64)
    q = J.size
    step = np.full(q, float(eta))
    active = np.ones(q, dtype=bool)
    history = [{"objective": [J[j]], "score": [S[j]], "eta": [step[j]]} for j in range(q)]
    for _ in range(steps):
        trying, halvings = np.flatnonzero(active), 0
        while len(trying):
            J_new, S_new, point = problem.candidate(trying, step[trying])
            up = J_new >= J[trying]
            taken = trying[up]
            if len(taken):
                problem.move(taken, _columns(point, up))
                J[taken], S[taken] = J_new[up], S_new[up]
            for j in taken:
                for key, value in (("objective", J[j]), ("score", S[j]), ("eta", step[j])):
                    history[j][key].append(float(value))
            step[taken] = np.minimum(step[taken] * growth, eta_max)
            trying = trying[~up]
            step[trying] /= 2
            halvings += 1
            if halvings > MAX_HALVINGS:
                active[trying] = False
                break
        if not active.any():
            break
    return [{key: np.array(values) for key, values in h.items()} for h in history]


def _columns(point, mask: Array):
    """The columns ``mask`` of a candidate point: an array (n, k), or a tuple of arrays (…, k)."""
    return tuple(p[..., mask] for p in point) if isinstance(point, tuple) else point[:, mask]


class _Projected:
    """The ascent's problem in x: J(x) = S_d(x) − (λ₂/2)‖x − lo‖² − λ_TV TV_ε(x), steps projected onto [lo, hi]."""

    def __init__(self, net: Network, E: Array, X: Array, settings: AscentSettings, input_range: tuple[float, float]):
        self.net, self.E, self.settings, self.cost = net, E, settings, score_cost(net)
        self.lo, self.hi = input_range
        self.shape = image_shape(net.sizes[0]) if settings.tv else None
        self.X, self.G = X, np.zeros_like(X)
        self.J0, self.S0 = self.value(X, np.arange(X.shape[1]))
        self.move(np.arange(X.shape[1]), X)

    def penalty(self, X: Array) -> Array:
        """(λ₂/2)‖x − lo‖² + λ_TV TV_ε(x) per column."""
        p = 0.5 * self.settings.l2 * ((X - self.lo) ** 2).sum(axis=0)
        if self.settings.tv:
            p = p + self.settings.tv * total_variation(X, self.shape, self.settings.tv_eps * (self.hi - self.lo))[0]
        return p

    def value(self, X: Array, cols: Array) -> tuple[Array, Array]:
        S = score(self.net, X, self.E[:, cols], self.cost)
        return S - self.penalty(X), S

    def candidate(self, cols: Array, eta: Array) -> tuple[Array, Array, Array]:
        X = np.clip(self.X[:, cols] + eta * self.G[:, cols], self.lo, self.hi)
        return (*self.value(X, cols), X)

    def move(self, cols: Array, X: Array) -> None:
        """x and ∇J = −∂C_x/∂x − λ₂ (x − lo) − λ_TV ∇TV_ε(x) there."""
        _, dC_dx = input_gradient(self.net, X, self.E[:, cols], self.cost)
        G = -dC_dx - self.settings.l2 * (X - self.lo)
        if self.settings.tv:
            G -= self.settings.tv * total_variation(X, self.shape, self.settings.tv_eps * (self.hi - self.lo))[1]
        self.X[:, cols], self.G[:, cols] = X, G


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
    E = np.zeros((m, len(digits)))
    E[digits, np.arange(len(digits))] = 1.0
    start = np.column_stack([lo + (hi - lo) * g.uniform(0, settings.start, n_0) for g in rngs])
    problem = _Projected(net, E, start.copy(), settings, input_range)
    history = ascend(problem, problem.J0, problem.S0, eta=settings.eta, steps=settings.steps)
    first, last = net(start), net(problem.X)
    found = []
    for j, d in enumerate(digits):
        history[j]["output"] = np.array([first[d, j], last[d, j]])
        found.append(Inversion("optimize", problem.X[:, j].copy(), E[:, j], history=history[j]))
    return found


def optimize_input(net: Network, digit: int, *, settings: AscentSettings = AscentSettings(),
                   input_range: tuple[float, float] = (0.0, 1.0), rng: np.random.Generator) -> Inversion:
    """``optimize_inputs`` for one digit, its start drawn from ``rng``."""
    return optimize_inputs(net, [digit], settings=settings, input_range=input_range, rngs=[rng])[0]
