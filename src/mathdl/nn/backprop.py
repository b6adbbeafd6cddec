"""Backpropagation: the cost C and all gradients ∂C/∂W⁽ˡ⁾, ∂C/∂b⁽ˡ⁾, by either method.

The batch cost is the (optionally weighted) mean of the per-sample costs, C = (1/N) Σ_x w_x C_x. Each
column of δ⁽ˡ⁾ belongs to one sample, δ⁽ˡ⁾_x = ∂(w_x C_x)/∂z⁽ˡ⁾_x, and the batch's gradient is the mean
of the samples':

    δ⁽ᴸ⁾ = ∂C_x/∂a⁽ᴸ⁾ ⊙ f_L'(z⁽ᴸ⁾)  (× w_x)        (the cost owns this delta; a − y for cross-entropy)
    δ⁽ˡ⁾ = (W⁽ˡ⁺¹⁾)ᵀ δ⁽ˡ⁺¹⁾ ⊙ f_l'(z⁽ˡ⁾)            l = L−1, …, 1
    ∂C/∂W⁽ˡ⁾ = (1/N) δ⁽ˡ⁾ (a⁽ˡ⁻¹⁾)ᵀ,   ∂C/∂b⁽ˡ⁾ = (1/N) Σ_columns δ⁽ˡ⁾

For one sample (N = 1, the online method) these are ∂C_x/∂W⁽ˡ⁾ = δ⁽ˡ⁾ (a⁽ˡ⁻¹⁾)ᵀ and ∂C_x/∂b⁽ˡ⁾ = δ⁽ˡ⁾.

* ``matrix``: the whole batch at once; δ⁽ˡ⁾ is an (n_l, N) matrix, no loop over samples.
* ``online``: one sample at a time with vector deltas (N = 1), as the per-sample textbook loop
  computes them; summed here so the two methods can be compared on the same batch.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..base.errors import choice
from .costs import Cost, get_cost
from .network import Network

Array = np.ndarray


@dataclass
class Gradients:
    """∂C/∂W⁽ˡ⁾ and ∂C/∂b⁽ˡ⁾ in lists indexed like the network's (index 0 is None)."""

    dW: list
    db: list

    def arrays(self) -> list[Array]:
        """In the order of ``Network.params()``."""
        return [g for l in range(1, len(self.dW)) for g in (self.dW[l], self.db[l]) if g is not None]


def backprop(net: Network, X: Array, Y: Array, cost: Cost | str, weights: Array | None = None
             ) -> tuple[float, Gradients]:
    """Matrix method: C = (1/N) Σ_x w_x C_x over the N columns of X (n_0, N), Y (n_L, N), and its gradients."""
    cost = get_cost(cost)
    N = X.shape[1]
    z, a = net.forward(X)
    L = net.L
    C_x = cost.value(z[L], a[L], Y, net.f[L])
    delta = cost.delta(z[L], a[L], Y, net.f[L])                     # δ⁽ᴸ⁾ = ∂C/∂a ⊙ f'(z⁽ᴸ⁾)  (a − y for XE)
    if weights is not None:
        C_x, delta = C_x * weights, delta * weights                 # of the weighted costs w_x C_x
    C = float(C_x.sum() / N)
    dW, db = [None] * (L + 1), [None] * (L + 1)
    for l in range(L, 0, -1):
        dW[l] = delta @ a[l - 1].T / N                              # ∂C/∂W⁽ˡ⁾ = (1/N) δ⁽ˡ⁾ (a⁽ˡ⁻¹⁾)ᵀ
        if net.b[l] is not None:
            db[l] = delta.sum(axis=1, keepdims=True) / N            # ∂C/∂b⁽ˡ⁾ = (1/N) Σ δ⁽ˡ⁾
        if l > 1:
            delta = net.f[l - 1].backward(z[l - 1], a[l - 1], net.W[l].T @ delta)  # δ⁽ˡ⁻¹⁾
    return C, Gradients(dW, db)


def backprop_online(net: Network, X: Array, Y: Array, cost: Cost | str, weights: Array | None = None
                    ) -> tuple[float, Gradients]:
    """Online method on a batch: per-sample backprop with vector deltas, averaged over the N samples.

    Returns the same C and gradients as ``backprop``; training with ``online`` calls it on one sample at a
    time and applies each per-sample gradient at once (``mathdl.nn.updates``).
    """
    N = X.shape[1]
    total_C, total = 0.0, None
    for i in range(N):
        w = None if weights is None else weights[i:i + 1]
        C, g = backprop(net, X[:, i:i + 1], Y[:, i:i + 1], cost, w)
        total_C += C
        if total is None:
            total = g
        else:
            for acc, add in zip(total.arrays(), g.arrays()):
                acc += add
    for acc in total.arrays():
        acc /= N
    return total_C / N, total


def input_gradient(net: Network, X: Array, Y: Array, cost: Cost | str) -> tuple[Array, Array]:
    """Each sample's cost C_x and its gradient with respect to its own input, ∂C_x/∂x, for X (n_0, N).

    The backward pass one layer further than ``backprop``: with δ⁽¹⁾ from the same recursion,
    ∂C_x/∂a⁽⁰⁾ = (W⁽¹⁾)ᵀ δ⁽¹⁾ (the input layer has no activation). Returns C_x (N,) and
    ∂C_x/∂x (n_0, N); the gradient of the batch mean C is this divided by N.
    """
    cost = get_cost(cost)
    z, a = net.forward(X)
    L = net.L
    delta = cost.delta(z[L], a[L], Y, net.f[L])
    for l in range(L, 1, -1):
        delta = net.f[l - 1].backward(z[l - 1], a[l - 1], net.W[l].T @ delta)
    return cost.value(z[L], a[L], Y, net.f[L]), net.W[1].T @ delta


METHODS = {"online": backprop_online, "matrix": backprop}
METHOD_NUMBERS = {"1": "online", "2": "matrix"}  # the assignment's numbering: bp 1 = online, 2 = matrix


def method_name(name: str) -> str:
    """``online``/``matrix`` from a name or the assignment's 1/2."""
    name = METHOD_NUMBERS.get(str(name), str(name).lower())
    choice("bp method", name, METHODS)
    return name


def gradients(net: Network, X: Array, Y: Array, cost: Cost | str, method: str = "matrix",
              weights: Array | None = None) -> tuple[float, Gradients]:
    """Cost and all gradients of the batch (X, Y) by the ``online`` or ``matrix`` method."""
    return METHODS[method_name(method)](net, X, Y, cost, weights)
