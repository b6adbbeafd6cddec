"""Training updates by the equations, the readable route: for each batch B of the epoch's order (one
sample for the online method),

    C, ∇C = gradients(net, X_B, Y_B, cost, method)      (``backprop`` / ``backprop_online``)
    θ ← optimizer.step(θ, ∇C)                            (``optimizers``)

and nothing else, so that a debugger stepping through training meets the equations a reader finds.
``mathdl.nn.fast.updates`` chooses between this and the fast paths (``engine="reference"`` or ``"fast"``).
"""
from __future__ import annotations

import numpy as np

from .backprop import gradients
from .costs import Cost
from .network import Network

GATHER = 512  # training columns gathered at a time into a reused buffer, rounded to whole batches


def chunk_for(batch: int) -> int:
    """Columns the training loop gathers at a time for updates in batches of ``batch``: whole batches."""
    return max(1, GATHER // batch) * batch


class OptimizerUpdates:
    """A route whose learning rate and memory are its optimiser's (``self.optimizer``)."""

    optimizer = None

    @property
    def eta(self) -> float:
        return self.optimizer.eta

    @eta.setter
    def eta(self, value: float) -> None:
        self.optimizer.eta = value

    def state(self) -> dict:
        return self.optimizer.state()

    def restore(self, state: dict) -> None:
        self.optimizer.restore(state)


class ReferenceUpdates(OptimizerUpdates):
    """Updates of ``net`` (in place) by ``method`` and ``optimizer``, ``batch`` samples at a time.

    ``pieces(X, Y, w)`` runs them over the columns of X (n_0, N), Y (n_L, N) in order (w: sample weights
    or None), yielding (samples, Σ_x w_x C_x) after every update: each update is a safe point.
    """

    def __init__(self, net: Network, cost: Cost, method: str, optimizer, batch: int):
        self.net, self.cost, self.method, self.optimizer = net, cost, method, optimizer
        self.batch = 1 if method == "online" else batch
        self.chunk = chunk_for(self.batch)  # columns the training loop gathers at a time

    def pieces(self, X: np.ndarray, Y: np.ndarray, weights: np.ndarray | None):
        params = self.net.params()
        for first in range(0, X.shape[1], self.batch):
            part = slice(first, first + self.batch)
            n = X[:, part].shape[1]
            C, grads = gradients(self.net, X[:, part], Y[:, part], self.cost, self.method,
                                 None if weights is None else weights[part])
            self.optimizer.step(params, grads.arrays())
            yield n, n * C
