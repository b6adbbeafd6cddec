"""Costs ("performance indices") C_x of one sample, and the output delta δ⁽ᴸ⁾ = ∂C_x/∂z⁽ᴸ⁾ each one owns.

Shapes: z, a, y are (m, N) with samples as columns; ``value`` returns the N per-sample costs.
The cost of a batch is their mean, C = (1/N) Σ_x C_x, so a batch of one is the per-sample cost.

Cross-entropy is computed from z, never from log(a), so outputs of exactly 0 or 1 cost nothing
infinite: with σ(z), −ln σ(z) = softplus(−z) and −ln(1 − σ(z)) = softplus(z), softplus(z) = ln(1 + eᶻ).
With its matching output (sigmoid or softmax) the f' of the output layer cancels and δ⁽ᴸ⁾ = a − y.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..base.errors import MathdlError, choice
from .activations import Activation

Array = np.ndarray


@dataclass(frozen=True)
class Cost:
    """A cost with its per-sample value, ∂C_x/∂a, and the output delta δ⁽ᴸ⁾ = ∂C_x/∂z."""

    name: str
    title: str
    value: Callable[[Array, Array, Array, Activation], Array]
    grad_a: Callable[[Array, Array, Activation], Array]
    delta: Callable[[Array, Array, Array, Activation], Array]
    outputs: tuple[str, ...] | None = None  # output activations it is defined for (None: any)

    def __reduce__(self):
        """Pickled by name, like activations."""
        return get_cost, (self.name,)

    def check_output(self, output: Activation) -> None:
        """Raise if this cost is undefined for the output activation."""
        if self.outputs is not None and output.name not in self.outputs:
            raise MathdlError(f"cost {self.name} needs a {' or '.join(self.outputs)} output layer, "
                              f"not {output.name}")


def _tse_value(z, a, y, f):
    """C_x = ½ Σ_j (y_j − a_j)²."""
    return 0.5 * ((y - a) ** 2).sum(axis=0)


def _tse_grad_a(a, y, f):
    """∂C_x/∂a = a − y."""
    return a - y


def _tse_delta(z, a, y, f):
    """δ⁽ᴸ⁾ = (a − y) ⊙ f'(z⁽ᴸ⁾)."""
    return f.backward(z, a, a - y)


def _mse_value(z, a, y, f):
    """C_x = (1/m) Σ_j (y_j − a_j)²."""
    return ((y - a) ** 2).mean(axis=0)


def _mse_grad_a(a, y, f):
    """∂C_x/∂a = (2/m)(a − y)."""
    return 2 * (a - y) / a.shape[0]


def _mse_delta(z, a, y, f):
    """δ⁽ᴸ⁾ = (2/m)(a − y) ⊙ f'(z⁽ᴸ⁾)."""
    return f.backward(z, a, _mse_grad_a(a, y, f))


def _softplus(z):
    """ln(1 + eᶻ) without overflow."""
    return np.logaddexp(0, z)


def _xe_value(z, a, y, f):
    """Binary (sigmoid output): C_x = −Σ_j [y_j ln a_j + (1 − y_j) ln(1 − a_j)];
    categorical (softmax output): C_x = −Σ_j y_j ln a_j. Both computed from z."""
    if f.name == "softmax":
        shifted = z - z.max(axis=0, keepdims=True)
        log_a = shifted - np.log(np.exp(shifted).sum(axis=0, keepdims=True))  # log-sum-exp
        return -(y * log_a).sum(axis=0)
    return (y * _softplus(-z) + (1 - y) * _softplus(z)).sum(axis=0)


def _xe_grad_a(a, y, f):
    """∂C_x/∂a = −y/a + (1 − y)/(1 − a) (binary), −y/a (categorical); only used to verify the delta."""
    if f.name == "softmax":
        return -y / a
    return -y / a + (1 - y) / (1 - a)


def _xe_delta(z, a, y, f):
    """δ⁽ᴸ⁾ = a − y for sigmoid; a Σ_k y_k − y for softmax (= a − y when the targets sum to 1)."""
    if f.name == "softmax":
        return a * y.sum(axis=0, keepdims=True) - y
    return a - y


COSTS: dict[str, Cost] = {  # the one registry of costs: the compiled kernels take their codes from it
    "tse": Cost("tse", "total squared error ½Σ(y−a)²", _tse_value, _tse_grad_a, _tse_delta),
    "mse": Cost("mse", "mean squared error (1/m)Σ(y−a)²", _mse_value, _mse_grad_a, _mse_delta),
    "xe": Cost("xe", "cross-entropy", _xe_value, _xe_grad_a, _xe_delta, ("sigmoid", "softmax")),
}

COST_NUMBERS = {"1": "tse", "2": "xe"}  # the assignment's numbering: 1 = TSE, 2 = XE


def get_cost(name: str | Cost) -> Cost:
    """The cost called ``name`` (tse, mse, xe, or the assignment's 1/2)."""
    if isinstance(name, Cost):
        return name
    name = COST_NUMBERS.get(str(name), str(name).lower())
    return choice("cost", name, COSTS)
