"""Gradient descent, θ_{k+1} = θ_k − η ∇C(θ_k), on a parabola and on two-parameter loss surfaces.

On the parabola f(x) = a x² + b x + c (a > 0, minimum m = −b / 2a) a step is
x_{k+1} − m = (1 − 2aη)(x_k − m), so x_k = m + (x₀ − m)(1 − 2aη)^k: with r = 1 − 2aη the iterates
converge to m when |r| < 1 (monotonically when r ≥ 0, oscillating when r < 0), bounce between two
points for ever when r = −1, and diverge when |r| > 1. For f(x) = x² − 2x + 1: m = 1, r = 1 − 2η.

The surfaces are the cost of one sigmoid neuron on dots (a valley: cross-entropy is convex in the
weights) and Himmelblau's function (four valleys: where you end depends on where you start).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..base.errors import MathdlError, choice
from ..data.dots import make_dots
from ..nn.activations import get_activation
from ..nn.backprop import gradients
from ..nn.costs import get_cost
from ..nn.network import Network

Array = np.ndarray


@dataclass(frozen=True)
class Descent:
    """A run of gradient descent: the step size η and the path θ₀, θ₁, … as rows (K + 1, d).

    The path stops early at the first step that is not a finite float64 (beyond ±1.8·10³⁰⁸): the run
    diverged to infinity, and ``overflowed`` says so."""

    eta: float
    path: Array
    overflowed: bool = False

    @property
    def steps(self) -> int:
        return len(self.path) - 1


def descend(grad: Callable[[Array], Array], theta0, eta: float, steps: int) -> Descent:
    """θ_{k+1} = θ_k − η ∇C(θ_k) for k = 0 … steps − 1, from θ₀ (a number or a vector)."""
    if not (math.isfinite(eta) and eta > 0):
        raise MathdlError(f"the step size η must be a positive number, got {eta}")
    if steps < 1:
        raise MathdlError(f"the number of steps must be a positive integer, got {steps}")
    theta = np.atleast_1d(np.asarray(theta0, dtype=np.float64))
    path, overflowed = [theta], False
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(steps):
            theta = theta - eta * grad(theta)
            if not np.isfinite(theta).all():
                overflowed = True
                break
            path.append(theta)
    return Descent(eta, np.array(path), overflowed)


@dataclass(frozen=True)
class Parabola:
    """f(x) = a x² + b x + c with a > 0; f'(x) = 2a x + b."""

    a: float
    b: float
    c: float

    @property
    def formula(self) -> str:
        terms = [(self.a, "x²"), (self.b, "x"), (self.c, "")]
        text = ""
        for value, power in terms:
            if value == 0:
                continue
            size = "" if abs(value) == 1 and power else f"{abs(value):g}"
            sign = ("−" if value < 0 else "") if not text else (" − " if value < 0 else " + ")
            text += f"{sign}{size}{power}"
        return text or "0"

    @property
    def minimum(self) -> float:
        """m = −b / 2a."""
        return -self.b / (2 * self.a)

    def f(self, x):
        with np.errstate(over="ignore"):  # far out on a diverging walk f is beyond float64: inf
            return (self.a * x + self.b) * x + self.c

    def df(self, x):
        return 2 * self.a * x + self.b

    @property
    def rate_formula(self) -> str:
        """'1 − 2η' for a = 1: r = 1 − 2aη."""
        return f"1 − {'2' if self.a == 1 else f'{2 * self.a:g}'}η"

    @property
    def closed_form_formula(self) -> str:
        """'x_k = 1 + (x0 − 1)(1 − 2η)^k' for x² − 2x + 1."""
        return f"x_k = {self.minimum:g} + (x0 − {self.minimum:g})({self.rate_formula})^k"

    def rate(self, eta: float) -> float:
        """r = 1 − 2aη: each step multiplies the distance to the minimum by r."""
        return 1 - 2 * self.a * eta

    def closed_form(self, x0: float, eta: float, k) -> Array:
        """x_k = m + (x₀ − m) r^k. Where r^k alone is beyond float64 but (x₀ − m) r^k is not (x₀ very near m,
        |r| huge), the product is taken in logarithms: |x₀ − m| |r|^k = exp(ln|x₀ − m| + k ln|r|)."""
        k = np.asarray(k, dtype=np.float64)
        d, r = x0 - self.minimum, self.rate(eta)
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            direct = self.minimum + d * r ** k
            logs = self.minimum + np.sign(d) * np.sign(r) ** k * np.exp(np.log(abs(d)) + k * np.log(abs(r)))
        return np.where(np.isfinite(direct), direct, logs)

    def behaviour(self, eta: float) -> str:
        """What the iterates do for step size η, from r = 1 − 2aη."""
        r = self.rate(eta)
        if math.isclose(r, 0, abs_tol=1e-12):
            return f"reaches {self.minimum:g} in one step"
        if math.isclose(r, -1, abs_tol=1e-12):
            return "oscillates for ever"
        if abs(r) > 1:
            return "diverges"
        return f"converges to {self.minimum:g}" + (", oscillating" if r < 0 else "")


    def behaviours(self, runs: list[Descent]) -> list[str]:
        """One line per run: its step size, the rate r, what the iterates do, and where they overflowed."""
        lines = []
        for run in runs:
            r = self.rate(run.eta)
            rate = f"{r:g}" if math.isfinite(r) else f"{self.rate_formula} beyond float64 (±1.8e308)"
            what = self.behaviour(run.eta)
            if run.overflowed:
                what = f"diverges to infinity: x_{run.steps + 1} is beyond float64, the path stops at k = {run.steps}"
            lines.append(f"η = {run.eta:g}: r = {rate}, {what}")
        return lines

    def closed_form_error(self, runs: list[Descent]) -> float:
        """max over the runs and k of |x_k − (m + (x₀ − m) r^k)| / max(1, |m + (x₀ − m) r^k|): how far the
        iterates are from the closed form."""
        errors = []
        for run in runs:
            closed = self.closed_form(run.path[0, 0], run.eta, np.arange(len(run.path)))
            errors.append(float(np.max(np.abs(run.path[:, 0] - closed) / np.maximum(1, np.abs(closed)))))
        return max(errors)


QUADRATIC = Parabola(1.0, -2.0, 1.0)  # x² − 2x + 1 = (x − 1)², the workshop's example


@dataclass(frozen=True)
class Surface:
    """A cost C(θ₁, θ₂) to walk down: ``cost`` takes parameters as columns (2, G) and returns (G,);
    ``grad`` takes one θ (2,) and returns ∇C (2,). Defaults for the picture: extent, start, η, steps."""

    name: str
    title: str
    names: tuple[str, str]
    cost: Callable[[Array], Array]
    grad: Callable[[Array], Array]
    extent: tuple[tuple[float, float], tuple[float, float]]
    start: tuple[float, float]
    eta: float
    steps: int


def neuron_surface(seed: int = 0, points: int = 100) -> Surface:
    """The cross-entropy of one sigmoid neuron a = σ(w₁x₁ + w₂x₂) (no bias) on noisy, overlapping
    'linear' dots, as a function of its two weights; the gradient is mathdl's backprop."""
    X, labels = make_dots("linear", points, noise=0.6, seed=seed)
    Y = labels[None, :].astype(np.float64)
    xe, sigmoid = get_cost("xe"), get_activation("sigmoid")
    net = Network([None, np.zeros((1, 2))], [None, None], [None, sigmoid])

    def cost(theta: Array) -> Array:
        z = (theta.T @ X).reshape(1, -1)  # one row per θ, flattened: the cost sees G·N samples
        per_sample = xe.value(z, sigmoid(z), np.tile(Y, theta.shape[1]), sigmoid)
        return per_sample.reshape(theta.shape[1], -1).mean(axis=1)

    def grad(theta: Array) -> Array:
        net.W[1] = theta.reshape(1, 2)
        return gradients(net, X, Y, xe)[1].dW[1].ravel()

    return Surface("neuron", f"the cost of one neuron σ(w₁x₁ + w₂x₂) on {points} dots",
                   ("weight w₁", "weight w₂"), cost, grad, ((-6.0, 6.0), (-6.0, 6.0)), (4.5, -5.0), 2.0, 50)


def himmelblau_surface(seed: int = 0) -> Surface:
    """Himmelblau's function C = (θ₁² + θ₂ − 11)² + (θ₁ + θ₂² − 7)², four minima with C = 0."""

    def cost(theta: Array) -> Array:
        x, y = theta
        with np.errstate(over="ignore"):  # far out on a diverging walk C is beyond float64: inf
            return (x * x + y - 11) ** 2 + (x + y * y - 7) ** 2

    def grad(theta: Array) -> Array:
        x, y = theta
        u, v = x * x + y - 11, x + y * y - 7
        return np.array([4 * x * u + 2 * v, 2 * u + 4 * y * v])

    return Surface("himmelblau", "Himmelblau's function", ("θ₁", "θ₂"), cost, grad,
                   ((-5.0, 5.0), (-5.0, 5.0)), (-0.5, -4.5), 0.01, 40)


SURFACES = {"neuron": neuron_surface, "himmelblau": himmelblau_surface}


def make_surface(name: str, seed: int = 0) -> Surface:
    """The surface called ``name`` (neuron, himmelblau)."""
    return choice("surface", name, SURFACES)(seed)
