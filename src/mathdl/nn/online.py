"""The fast path of online SGD: the same equations as ``backprop`` on one sample, with in-place updates.

For a sample x (a 1-D vector) and learning rate η:

    δ⁽ᴸ⁾ = cost delta,  δ⁽ˡ⁾ = (W⁽ˡ⁺¹⁾)ᵀ δ⁽ˡ⁺¹⁾ ⊙ f_l'(z⁽ˡ⁾),
    W⁽ˡ⁾ ← W⁽ˡ⁾ − η δ⁽ˡ⁾ (a⁽ˡ⁻¹⁾)ᵀ   (a BLAS rank-1 update, ``ger``, in place),   b⁽ˡ⁾ ← b⁽ˡ⁾ − η δ⁽ˡ⁾.

All deltas are computed before any weight changes, exactly as in the reference path. Working on
1-D vectors and updating W in place instead of forming the outer product removes most of the cost
of a per-sample step; the test suite proves the result equals ``backprop`` followed by θ ← θ − η g.
"""
from __future__ import annotations

import numpy as np
from scipy.linalg.blas import get_blas_funcs

from .costs import Cost
from .network import Network


class OnlineSGD:
    """Per-sample SGD steps on ``net`` (updated in place); W⁽ˡ⁾ must be Fortran-ordered for ``ger``."""

    def __init__(self, net: Network, cost: Cost, eta: float):
        self.net, self.cost, self.eta = net, cost, eta
        for l in range(1, net.L + 1):
            if not net.W[l].flags.f_contiguous:
                net.W[l] = np.asfortranarray(net.W[l])
        self.ger = get_blas_funcs("ger", (net.W[1],))
        self.b = [None] + [None if b is None else b[:, 0] for b in net.b[1:]]  # 1-D views

    def step(self, x: np.ndarray, y: np.ndarray, weight: float | None = None) -> float:
        """One update from sample x (n_0,) with target y (n_L,); returns the sample's cost C_x (before)."""
        net, L = self.net, self.net.L
        W, b, f = net.W, self.b, net.f
        z, a = [None] * (L + 1), [x] + [None] * L
        for l in range(1, L + 1):
            z[l] = W[l] @ a[l - 1]
            if b[l] is not None:
                z[l] += b[l]
            a[l] = f[l](z[l])
        C = float(self.cost.value(z[L], a[L], y, f[L]))
        delta = self.cost.delta(z[L], a[L], y, f[L])
        eta = self.eta if weight is None else self.eta * weight
        deltas = [None] * (L + 1)
        deltas[L] = delta
        for l in range(L, 1, -1):
            deltas[l - 1] = f[l - 1].backward(z[l - 1], a[l - 1], W[l].T @ deltas[l])
        for l in range(1, L + 1):
            self.ger(-eta, deltas[l], a[l - 1], a=W[l], overwrite_a=True)
            if b[l] is not None:
                b[l] -= eta * deltas[l]
        return C if weight is None else C * weight
