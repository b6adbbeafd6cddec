"""Inversion with a Gaussian prior over images: the most probable image of digit d,

    x* = argmax_x J(x),   J(x) = S_d(x) + λ log N(x; μ, Σ_ε),

with S_d(x) = log p(d | x) the network's log-likelihood of d (as in ``ascent``), μ and Σ the mean and
covariance of *all* the training images (every class: the class's own would copy the answer) and
Σ_ε = Σ + ε I, regularised by the variance ε = Δ²/12 of rounding to 8 bits (Δ one grey level in the input
scale: the pixels are the true intensities rounded, which adds that much independent noise to each).
With the eigen-decomposition Σ_ε = U D_ε Uᵀ the ascent runs in the whitened coordinates u,

    x = μ + U D_ε^½ u,   log N(x; μ, Σ_ε) = −½ ‖u‖² − ½ log det(2π Σ_ε),

where the prior is a round bowl and every direction is as easy to move along as the training images vary
in it. By the chain rule, with ∇_x S_d = −(W⁽¹⁾)ᵀ δ⁽¹⁾ from backprop carried down to the input,

    ∇_u J = D_ε^½ Uᵀ ∇_x S_d(x) − λ u,   ∇_x log N(x; μ, Σ_ε) = −Σ_ε⁻¹ (x − μ) = −U D_ε^{−½} u.

λ = 1 is Bayes' rule: p(x | d) ∝ p(d | x) p(x), so x* is then the mode of the image density given the
digit, the Gaussian taken for p(x). The network's log-likelihood is no calibrated probability, and from λ = 1
the ascent can stop where the network does not read the image as its digit; so λ is halved while the
network itself does not assign every image its own digit (``map_images``: one λ for all the digits of a
network; nothing outside the network decides it). The ascent starts from u = 0 (x = μ, the mean of all
training images) and takes steps u ← u + η ∇_u J, η grown by ``GROWTH`` after a step that raised J (up
to 1/λ, the step that lands on the prior's own maximum) and halved when one would lower it
(``ascent.ascend``: J rises at every step), all digits at once, one column each. The pixels are clipped
to their range [lo, hi] at the end; the measurements are of the clipped image.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..base.errors import MathdlError
from ..nn.backprop import input_gradient
from ..nn.network import Network
from .ascent import ascend, score, score_cost
from .chain import Inversion
from .moments import Moments

Array = np.ndarray
GROWTH = 1.25  # η grows by this after a step that raised J, and halves after one that would not
STEPS = 200  # ascent steps: on the study's networks, 1,000 instead change no pixel by more than 0.01
ETA = 1.0  # the first step: one standard deviation of the images along the gradient's direction


@dataclass(frozen=True)
class PriorSettings:
    """At most ``steps`` ascent steps, from η = ``eta``, in the whitened coordinates; the prior's weight λ starts
    at ``weight`` (Bayes' rule: 1) and is halved at most ``halvings`` times (``map_images``)."""

    steps: int = STEPS
    eta: float = ETA
    weight: float = 1.0
    halvings: int = 6

    def __post_init__(self):
        if not (isinstance(self.steps, int) and self.steps > 0):
            raise MathdlError(f"the prior ascent needs a positive whole number of steps, got {self.steps}")
        if not (isinstance(self.halvings, int) and self.halvings >= 0):
            raise MathdlError(f"the prior's halvings must be a whole number >= 0, got {self.halvings}")
        for name in ("eta", "weight"):
            value = getattr(self, name)
            if not (np.isfinite(value) and value > 0):
                raise MathdlError(f"the prior ascent's {name} must be a positive number, got {value}")


@dataclass
class GaussianPrior:
    """N(μ, Σ_ε) over images (n_0,): mean ``mu``, Σ_ε = U diag(d) Uᵀ with eigenvalues ``d`` (ascending, ε
    included) and eigenvectors U (columns); ``epsilon`` the regulariser; ``lo``, ``hi`` the pixel range."""

    mu: Array
    U: Array
    d: Array
    epsilon: float
    lo: float
    hi: float

    @classmethod
    def fit(cls, moments: Moments, *, levels: int = 256) -> GaussianPrior:
        """N(μ, Σ + εI) of the training images from their ``moments`` (Σ = M − μμᵀ), with ε = Δ²/12 for the grey
        step Δ = (hi − lo)/(levels − 1) of the images' range [lo, hi]."""
        step = (moments.hi - moments.lo) / (levels - 1)
        return cls.of(moments.mu, moments.covariance, step * step / 12, moments.lo, moments.hi)

    @classmethod
    def of(cls, mu: Array, S: Array, epsilon: float, lo: float = -np.inf, hi: float = np.inf) -> GaussianPrior:
        """N(μ, S + ε I) from the mean ``mu`` (n_0,) and the covariance S (n_0, n_0), by S's eigen-decomposition
        (eigenvalues below 0 by round-off taken as 0)."""
        if not (np.isfinite(epsilon) and epsilon > 0):
            raise MathdlError(f"the prior's regulariser ε must be a positive number, got {epsilon}")
        d, U = np.linalg.eigh(S)
        return cls(np.asarray(mu, dtype=np.float64), U, np.maximum(d, 0.0) + epsilon, float(epsilon), lo, hi)

    @property
    def scale(self) -> Array:
        """D_ε^½ (n_0,): the standard deviation along each eigenvector."""
        return np.sqrt(self.d)

    def to_image(self, u: Array) -> Array:
        """x = μ + U D_ε^½ u for whitened coordinates u (n_0, q) → images (n_0, q)."""
        return self.mu[:, None] + self.U @ (self.scale[:, None] * u)

    def whiten(self, x: Array) -> Array:
        """u = D_ε^{−½} Uᵀ (x − μ) for images x (n_0, q)."""
        return (self.U.T @ (x - self.mu[:, None])) / self.scale[:, None]

    def log_density(self, x: Array) -> Array:
        """log N(x; μ, Σ_ε) = −½ (x − μ)ᵀ Σ_ε⁻¹ (x − μ) − ½ Σ_i log(2π d_i), per column of x (n_0, q)."""
        u = self.whiten(x)
        return -0.5 * (u * u).sum(axis=0) - 0.5 * float(np.log(2 * np.pi * self.d).sum())

    def gradient(self, x: Array) -> Array:
        """∇_x log N(x; μ, Σ_ε) = −Σ_ε⁻¹ (x − μ) = −U D_ε⁻¹ Uᵀ (x − μ), per column of x (n_0, q)."""
        return -self.U @ ((self.U.T @ (x - self.mu[:, None])) / self.d[:, None])


def objective(net: Network, prior: GaussianPrior, u: Array, E: Array, weight: float) -> tuple[Array, Array, Array]:
    """For whitened coordinates u (n_0, q) and one-hot targets E (m, q): J = S_d − (λ/2)‖u‖² (the prior's
    constant left out), S_d = −C_x and ∇_u J = D_ε^½ Uᵀ ∇_x S_d − λ u, ∇_x S_d = −∂C_x/∂x by backprop."""
    C_x, dC_dx = input_gradient(net, prior.to_image(u), E, score_cost(net))
    score = -np.asarray(C_x, dtype=np.float64).reshape(-1)
    return score - 0.5 * weight * (u * u).sum(axis=0), score, prior.scale[:, None] * (prior.U.T @ -dC_dx) - weight * u


class _Whitened:
    """The ascent in the whitened coordinates u, kept as the images x = μ + U D_ε^½ u they stand for.

    A step u ← u + η ∇_u J moves x by η U D_ε^½ ∇_u J = η (Σ_ε ∇_x S_d − λ (x − μ)), and with
    a = (x − μ)ᵀ ∇_x S_d = uᵀ D_ε^½ Uᵀ ∇_x S_d and b = ∇_x S_dᵀ Σ_ε ∇_x S_d, ‖u‖² becomes
    ‖u‖² + 2η (a − λ‖u‖²) + η² (b − 2λa + λ²‖u‖²): the same iterates as the ascent in u on ``objective`` (its
    readable twin, tested equal), with one product by Σ_ε per step taken, and a step tried costing a forward
    pass only."""

    def __init__(self, net: Network, prior: GaussianPrior, E: Array, weight: float):
        self.net, self.prior, self.E, self.weight, self.cost = net, prior, E, weight, score_cost(net)
        self.Sigma = (prior.U * prior.d) @ prior.U.T  # Σ_ε
        q = E.shape[1]
        self.X, self.u2 = np.repeat(prior.mu[:, None], q, axis=1), np.zeros(q)  # u = 0: x = μ
        self.G, self.SG, self.a, self.b = (np.zeros_like(self.X), np.zeros_like(self.X), np.zeros(q), np.zeros(q))
        self.S0 = score(net, self.X, E, self.cost)
        self.move(np.arange(q), (self.X.copy(), self.u2.copy()))

    def candidate(self, cols: Array, eta: Array) -> tuple[Array, Array, tuple[Array, Array]]:
        lam, u2, a, b = self.weight, self.u2[cols], self.a[cols], self.b[cols]
        X = self.X[:, cols] + eta * (self.SG[:, cols] - lam * (self.X[:, cols] - self.prior.mu[:, None]))
        u2 = u2 + 2 * eta * (a - lam * u2) + eta * eta * (b - 2 * lam * a + lam * lam * u2)
        S = score(self.net, X, self.E[:, cols], self.cost)
        return S - 0.5 * lam * u2, S, (X, u2)

    def move(self, cols: Array, point: tuple[Array, Array]) -> None:
        X, u2 = point
        _, dC_dx = input_gradient(self.net, X, self.E[:, cols], self.cost)
        G = -dC_dx  # ∇_x S_d
        SG = self.Sigma @ G
        self.X[:, cols], self.u2[cols], self.G[:, cols], self.SG[:, cols] = X, u2, G, SG
        self.a[cols] = ((X - self.prior.mu[:, None]) * G).sum(axis=0)
        self.b[cols] = (G * SG).sum(axis=0)


def prior_inversion(net: Network, digits, prior: GaussianPrior, *, weight: float = 1.0, steps: int = STEPS,
                    eta: float = ETA, clip: bool = True) -> list[Inversion]:
    """The MAP image of each digit for the prior weight λ = ``weight`` (see the module docstring), all digits at
    once, one ``Inversion`` each with the history of J, S_d and η per step and the output a_d at the end; the
    pixels clipped to [lo, hi] at the end when ``clip``."""
    digits = [int(d) for d in digits]
    n_0, m = net.sizes[0], net.sizes[-1]
    if prior.mu.shape[0] != n_0:
        raise MathdlError(f"the prior is over images of {prior.mu.shape[0]} pixels, the network takes {n_0}")
    for d in digits:
        if not 0 <= d < m:
            raise MathdlError(f"digit {d} is not an output of a network with {m} outputs")
    E = np.zeros((m, len(digits)))
    E[digits, np.arange(len(digits))] = 1.0
    problem = _Whitened(net, prior, E, weight)
    history = ascend(problem, problem.S0, problem.S0, eta=min(eta, 1 / weight), steps=steps, growth=GROWTH,
                     eta_max=1 / weight)  # J = S_d at u = 0; η ≤ 1/λ, the step onto the prior's own maximum
    x = np.clip(problem.X, prior.lo, prior.hi) if clip else problem.X  # ±∞ for unbounded inputs: no clipping
    outputs = net(x)
    found = []
    for j, d in enumerate(digits):
        history[j]["output"] = np.array([outputs[d, j]])
        found.append(Inversion("prior", x[:, j].copy(), E[:, j], history=history[j]))
    return found


def map_images(net: Network, prior: GaussianPrior, settings: PriorSettings = PriorSettings()
               ) -> tuple[list[Inversion], float, list[float]]:
    """The MAP images of every digit 0..m−1 with λ by the rule: λ = ``settings.weight`` (Bayes' 1), halved while
    the network itself does not assign every image its own digit, at most ``settings.halvings`` times. One λ
    for all the digits of a network; the judge plays no part. Returns the images, λ and every λ tried."""
    digits = list(range(net.sizes[-1]))
    weight, tried = settings.weight, []
    for _ in range(settings.halvings + 1):
        tried.append(weight)
        found = prior_inversion(net, digits, prior, weight=weight, steps=settings.steps, eta=settings.eta)
        if all(int(net(f.x[:, None])[:, 0].argmax()) == d for d, f in zip(digits, found)):
            break
        weight /= 2
    return found, tried[-1], tried
