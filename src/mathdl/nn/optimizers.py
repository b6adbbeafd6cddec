"""Optimisers: update the parameters θ in place from their gradients g (mean over the batch).

    SGD:       θ ← θ − η g
    momentum:  v ← μ v − η g,  θ ← θ + v
    Adam:      m ← β₁m + (1−β₁)g,  v ← β₂v + (1−β₂)g²,  θ ← θ − η m̂ / (√v̂ + ε)   (Kingma & Ba 2015)

Momentum and Adam compute each step in place, into two scratch arrays per parameter of their own
(``work``), so that the fast path of the matrix method (``mathdl.nn.fast.matrix``) calls this very
``step`` on its preallocated gradients; the scratch arrays are not memory (not in ``state()``).

``state()`` is what an optimiser remembers between steps (momentum's v; Adam's m, v and step count t),
as {name: list of arrays, or a number}; ``restore(state)`` continues from it, so training resumed from
a checkpoint takes exactly the steps it would have taken without the interruption.
"""
from __future__ import annotations

import numpy as np

from ..base.errors import choice


def _scratch(params: list) -> list:
    """Two scratch arrays shaped like each parameter."""
    return [(np.empty_like(p), np.empty_like(p)) for p in params]


class SGD:
    def __init__(self, eta: float):
        self.eta = eta

    def step(self, params: list, grads: list) -> None:
        """θ ← θ − η g."""
        for theta, g in zip(params, grads):
            theta -= self.eta * g

    def state(self) -> dict:
        return {}

    def restore(self, state: dict) -> None:
        pass


class Momentum:
    def __init__(self, eta: float, mu: float = 0.9):
        self.eta, self.mu, self.v, self.work = eta, mu, None, None

    def start(self, params: list) -> None:
        """v = 0 before the first step."""
        if self.v is None:
            self.v = [np.zeros_like(p) for p in params]
        if self.work is None:
            self.work = _scratch(params)

    def step(self, params: list, grads: list) -> None:
        """v ← μ v − η g,  θ ← θ + v."""
        self.start(params)
        for theta, g, v, (w, _) in zip(params, grads, self.v, self.work):
            v *= self.mu
            v -= np.multiply(g, self.eta, out=w)
            theta += v

    def state(self) -> dict:
        return {} if self.v is None else {"v": self.v}

    def restore(self, state: dict) -> None:
        self.v = _copies(state.get("v"))


class Adam:
    def __init__(self, eta: float, beta1: float = 0.9, beta2: float = 0.999, epsilon: float = 1e-8):
        self.eta, self.beta1, self.beta2, self.epsilon = eta, beta1, beta2, epsilon
        self.m = self.v = self.work = None
        self.t = 0

    def start(self, params: list) -> None:
        """m = v = 0 before the first step."""
        if self.m is None:
            self.m = [np.zeros_like(p) for p in params]
            self.v = [np.zeros_like(p) for p in params]
        if self.work is None:
            self.work = _scratch(params)

    def advance(self) -> tuple[float, float]:
        """t ← t + 1; the step η √(1 − β₂ᵗ) / (1 − β₁ᵗ) that applies m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ) to
        the raw moments, and ε rescaled the same way (ε added to √v̂ is ε √(1 − β₂ᵗ) added to √v)."""
        self.t += 1
        step = float(self.eta * np.sqrt(1 - self.beta2 ** self.t) / (1 - self.beta1 ** self.t))
        return step, float(self.epsilon * np.sqrt(1 - self.beta2 ** self.t))

    def step(self, params: list, grads: list) -> None:
        """m ← β₁m + (1 − β₁)g,  v ← β₂v + (1 − β₂)g²,  θ ← θ − η m̂ / (√v̂ + ε)."""
        self.start(params)
        step, eps_hat = self.advance()
        for theta, g, m, v, (w, u) in zip(params, grads, self.m, self.v, self.work):
            m *= self.beta1
            m += np.multiply(g, 1 - self.beta1, out=w)
            v *= self.beta2
            np.multiply(g, 1 - self.beta2, out=w)
            w *= g
            v += w
            np.multiply(m, step, out=w)                   # η m̂ = step · m
            np.sqrt(v, out=u)
            u += eps_hat                                  # √v̂ + ε, scaled as m̂ is
            w /= u
            theta -= w

    def state(self) -> dict:
        return {"t": self.t} if self.m is None else {"t": self.t, "m": self.m, "v": self.v}

    def restore(self, state: dict) -> None:
        self.t, self.m, self.v = int(state.get("t", 0)), _copies(state.get("m")), _copies(state.get("v"))


def _copies(arrays: list | None) -> list | None:
    """Own copies of restored buffers (the caller's arrays are never updated in place)."""
    return None if arrays is None else [np.array(a) for a in arrays]


OPTIMIZERS = {"sgd": SGD, "momentum": Momentum, "adam": Adam}


def make_optimizer(name: str, eta: float):
    """A fresh optimiser ``name`` with learning rate η."""
    return choice("optimizer", name, OPTIMIZERS)(eta)
