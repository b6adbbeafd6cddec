"""Optimisers: update the parameters θ in place from their gradients g (mean over the batch).

    SGD:       θ ← θ − η g
    momentum:  v ← μ v − η g,  θ ← θ + v
    Adam:      t ← t + 1,  m ← β₁m + (1−β₁)g,  v ← β₂v + (1−β₂)g²,
               m̂ = m / (1 − β₁ᵗ),  v̂ = v / (1 − β₂ᵗ),  θ ← θ − η m̂ / (√v̂ + ε)       (Kingma & Ba 2015)

Each ``step`` is its formula as written, one NumPy expression per line (new arrays for v, m and the
corrections). The fast path of the matrix method computes the same steps in one compiled pass over each
parameter (``mathdl.nn.fast.steps``), on this optimiser's own memory; tests/test_optimizers.py checks both
against these formulas written out and against ``torch.optim``.

``state()`` is what an optimiser remembers between steps (momentum's v; Adam's m, v and step count t),
as {name: list of arrays, or a number}; ``restore(state)`` continues from it, so training resumed from
a checkpoint takes exactly the steps it would have taken without the interruption.
"""
from __future__ import annotations

import numpy as np

from ..base.errors import choice


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
        self.eta, self.mu, self.v = eta, mu, None

    def start(self, params: list) -> None:
        """v = 0 before the first step."""
        if self.v is None:
            self.v = [np.zeros_like(p) for p in params]

    def step(self, params: list, grads: list) -> None:
        """v ← μ v − η g,  θ ← θ + v."""
        self.start(params)
        for i, (theta, g) in enumerate(zip(params, grads)):
            self.v[i] = self.mu * self.v[i] - self.eta * g
            theta += self.v[i]

    def state(self) -> dict:
        return {} if self.v is None else {"v": self.v}

    def restore(self, state: dict) -> None:
        self.v = _copies(state.get("v"))


class Adam:
    def __init__(self, eta: float, beta1: float = 0.9, beta2: float = 0.999, epsilon: float = 1e-8):
        self.eta, self.beta1, self.beta2, self.epsilon = eta, beta1, beta2, epsilon
        self.m = self.v = None
        self.t = 0

    def start(self, params: list) -> None:
        """m = v = 0 before the first step."""
        if self.m is None:
            self.m = [np.zeros_like(p) for p in params]
            self.v = [np.zeros_like(p) for p in params]

    def step(self, params: list, grads: list) -> None:
        """t ← t + 1, m ← β₁m + (1 − β₁)g,  v ← β₂v + (1 − β₂)g²,  θ ← θ − η m̂ / (√v̂ + ε) with the bias
        corrections m̂ = m / (1 − β₁ᵗ), v̂ = v / (1 − β₂ᵗ)."""
        self.start(params)
        self.t += 1
        for i, (theta, g) in enumerate(zip(params, grads)):
            self.m[i] = self.beta1 * self.m[i] + (1 - self.beta1) * g
            self.v[i] = self.beta2 * self.v[i] + (1 - self.beta2) * g**2
            m_hat = self.m[i] / (1 - self.beta1**self.t)
            v_hat = self.v[i] / (1 - self.beta2**self.t)
            theta -= self.eta * m_hat / (np.sqrt(v_hat) + self.epsilon)

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
