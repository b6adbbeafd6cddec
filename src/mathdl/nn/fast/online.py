"""Online SGD: per-sample updates by the fast path of SGD (``sgd.FastSGD``) with batches of one sample.

    δ⁽ᴸ⁾ = cost delta,  δ⁽ˡ⁾ = (W⁽ˡ⁺¹⁾)ᵀ δ⁽ˡ⁺¹⁾ ⊙ f_l'(z⁽ˡ⁾),
    W⁽ˡ⁾ ← W⁽ˡ⁾ − η δ⁽ˡ⁾ (a⁽ˡ⁻¹⁾)ᵀ,   b⁽ˡ⁾ ← b⁽ˡ⁾ − η δ⁽ˡ⁾   after every sample x (η w_x with a sample weight).
"""
from __future__ import annotations

import numpy as np

from ..costs import Cost
from ..network import Network
from .sgd import BLOCK, FastSGD

CHUNK = 256  # samples between two safe points of the online method


class OnlineSGD(FastSGD):
    """Per-sample SGD steps on ``net`` (updated in place). The readable twin: ``ReferenceUpdates`` with the
    online method and plain SGD — ``backprop_online`` on each sample, then ``SGD.step``."""

    chunk = CHUNK

    def __init__(self, net: Network, cost: Cost, eta: float, block: int = BLOCK):
        super().__init__(net, cost, eta, batch=1, block=block)

    def pieces(self, X: np.ndarray, Y: np.ndarray, weights: np.ndarray | None):
        """``run`` over the columns, yielding (samples, Σ_x w_x C_x) once: a chunk ends at a safe point."""
        yield X.shape[1], self.run(X, Y, weights)

    def step(self, x: np.ndarray, y: np.ndarray, weight: float | None = None) -> float:
        """One update from sample x (n_0,) with target y (n_L,); returns the sample's cost C_x (before)."""
        return self.run(x[:, None], y[:, None], None if weight is None else np.array([weight]))
