"""Gradient checking by central differences: ∂C/∂θ ≈ (C(θ + ε) − C(θ − ε)) / 2ε."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .backprop import gradients
from .costs import Cost, get_cost
from .network import Network

Array = np.ndarray


@dataclass(frozen=True)
class LayerCheck:
    """Relative error ‖g − ĝ‖ / (‖g‖ + ‖ĝ‖) of backprop's g against central differences ĝ, per array."""

    l: int
    W_error: float
    b_error: float | None
    checked: int


def batch_cost(net: Network, X: Array, Y: Array, cost: Cost, weights: Array | None = None) -> float:
    """C = (1/N) Σ_x w_x C_x."""
    L = net.L
    z, a = net.forward(X)
    C_x = cost.value(z[L], a[L], Y, net.f[L])
    return float(C_x.mean() if weights is None else (weights * C_x).mean())


def numerical_gradient(net: Network, X, Y, cost, param: Array, index, eps: float, weights=None) -> float:
    """Central difference of C with respect to one entry of ``param`` (restored afterwards)."""
    saved = param[index]
    param[index] = saved + eps
    c_plus = batch_cost(net, X, Y, cost, weights)
    param[index] = saved - eps
    c_minus = batch_cost(net, X, Y, cost, weights)
    param[index] = saved
    return (c_plus - c_minus) / (2 * eps)


def relative_error(g: Array, g_num: Array) -> float:
    """‖g − ĝ‖₂ / (‖g‖₂ + ‖ĝ‖₂), 0 when both vanish; below ~1e-7 means the gradients agree."""
    denominator = np.linalg.norm(g) + np.linalg.norm(g_num)
    return float(np.linalg.norm(g - g_num) / denominator) if denominator > 0 else 0.0


def gradcheck(net: Network, X: Array, Y: Array, cost: Cost | str, *, method: str = "matrix",
              eps: float = 1e-6, max_entries: int | None = None, rng: np.random.Generator | None = None,
              weights: Array | None = None) -> list[LayerCheck]:
    """Compare backprop's gradients with central differences, layer by layer (float64 network).

    ``max_entries`` limits the entries checked per parameter array (chosen with ``rng``).
    """
    cost = get_cost(cost)
    _, grads = gradients(net, X, Y, cost, method, weights)
    rng = rng or np.random.default_rng(0)
    checks = []
    for l in range(1, net.L + 1):
        errors = []
        for param, g in ((net.W[l], grads.dW[l]), (net.b[l], grads.db[l])):
            if param is None:
                errors.append(None)
                continue
            flat = np.arange(param.size)
            if max_entries is not None and param.size > max_entries:
                flat = rng.choice(param.size, max_entries, replace=False)
            idx = [np.unravel_index(i, param.shape) for i in flat]
            g_num = np.array([numerical_gradient(net, X, Y, cost, param, i, eps, weights) for i in idx])
            errors.append(relative_error(np.array([g[i] for i in idx]), g_num))
        checks.append(LayerCheck(l, errors[0], errors[1], net.W[l].size if max_entries is None
                                 else min(net.W[l].size, max_entries)))
    return checks
