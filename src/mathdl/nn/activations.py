"""Activation functions f, each beside its derivative f' and, where it exists, its inverse f⁻¹.

Every function acts on a matrix Z of shape (n_l, N) whose columns are samples. The derivative is
written in terms of both z and a = f(z), because for most activations a is the cheaper argument
(σ' = a(1 − a), tanh' = 1 − a²). No function warns or overflows for large |z|.

This table is the one registry of activations: the compiled kernels of the fast paths (``mathdl.nn.fast``)
take their codes from it, and the tests prove each kernel's branch equal to ``f`` and ``backward``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy.special import expit

from ..base.errors import MathdlError, choice

Array = np.ndarray

LEAKY_SLOPE = 0.01  # slope of leaky ReLU for z < 0


@dataclass(frozen=True)
class Activation:
    """An activation a = f(z) with f'(z) and, if f is invertible, z = f⁻¹(a).

    ``image`` is the open interval f maps onto; backquery rescales into it before inverting.
    ``jvp`` replaces the elementwise derivative for functions whose Jacobian is not diagonal
    (softmax): it returns Jᵀg for each column.
    """

    name: str
    f: Callable[[Array], Array]
    df: Callable[[Array, Array], Array] | None
    inverse: Callable[[Array], Array] | None = None
    image: tuple[float, float] = (-np.inf, np.inf)
    jvp: Callable[[Array, Array], Array] | None = None

    def __call__(self, z: Array) -> Array:
        return self.f(z)

    def __reduce__(self):
        """Pickled by name (its functions are looked up, not serialised), so networks pickle."""
        return get_activation, (self.name,)

    def backward(self, z: Array, a: Array, g: Array) -> Array:
        """∂C/∂z from g = ∂C/∂a: g ⊙ f'(z) for elementwise f, Jᵀg column by column for softmax."""
        if self.jvp is not None:
            return self.jvp(a, g)
        return g * self.df(z, a)


def sigmoid(z: Array) -> Array:
    """σ(z) = 1 / (1 + e⁻ᶻ), in one pass by SciPy's ``expit``: where e⁻ᶻ overflows to ∞ the quotient is
    exactly 0, with no warning, and the relative error stays within a few ulp everywhere."""
    return expit(z)


def logit(a: Array) -> Array:
    """σ⁻¹(a) = ln(a / (1 − a)) for a in (0, 1)."""
    return np.log(a) - np.log1p(-a)


def softmax(z: Array) -> Array:
    """softmax(z)_j = e^{z_j − max z} / Σ_k e^{z_k − max z} per column (the max-shift keeps exp ≤ 1)."""
    e = np.exp(z - z.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


def softmax_jvp(a: Array, g: Array) -> Array:
    """Jᵀg with J = diag(a) − a aᵀ per column: a ⊙ (g − Σ_k a_k g_k)."""
    return a * (g - (a * g).sum(axis=0, keepdims=True))


def softmax_inverse(a: Array) -> Array:
    """The minimum-norm pre-image of softmax: ln a − mean(ln a); softmax is invariant to adding a constant."""
    log_a = np.log(a)
    return log_a - log_a.mean(axis=0, keepdims=True)


def _swish_df(z: Array, a: Array) -> Array:
    s = sigmoid(z)
    return s + a * (1 - s)  # d/dz zσ(z) = σ + zσ(1 − σ)


ACTIVATIONS: dict[str, Activation] = {
    act.name: act
    for act in (
        Activation("sigmoid", sigmoid, lambda z, a: a * (1 - a), logit, (0.0, 1.0)),
        Activation("tanh", np.tanh, lambda z, a: 1 - a * a, np.arctanh, (-1.0, 1.0)),
        Activation("relu", lambda z: np.maximum(z, 0), lambda z, a: (z > 0).astype(z.dtype)),
        Activation(
            "leaky_relu",
            lambda z: np.where(z > 0, z, LEAKY_SLOPE * z),
            lambda z, a: np.where(z > 0, 1, LEAKY_SLOPE).astype(z.dtype),
            lambda a: np.where(a > 0, a, a / LEAKY_SLOPE),
        ),
        Activation("swish", lambda z: z * sigmoid(z), _swish_df),
        Activation("linear", lambda z: z.copy(), lambda z, a: np.ones_like(z), lambda a: a.copy()),
        Activation("softmax", softmax, None, softmax_inverse, (0.0, 1.0), jvp=softmax_jvp),
    )
}

HIDDEN_ACTIVATIONS = [name for name in ACTIVATIONS if name != "softmax"]


def get_activation(name: str | Activation) -> Activation:
    """The activation called ``name``; an unknown name is an error listing the choices."""
    if isinstance(name, Activation):
        return name
    return choice("activation", name, ACTIVATIONS)


def layer_activations(hidden: str, layers: int, output: str) -> list[str]:
    """[f_1, …, f_L] from the hidden activation(s) — one name for every hidden layer, or one per layer,
    comma-separated — and the output's; each checked."""
    names = [name.strip() for name in hidden.split(",")]
    if len(names) == 1:
        names = names * layers
    elif len(names) != layers:
        raise MathdlError(f"{len(names)} hidden activations given for {layers} hidden layers")
    return [hidden_activation(name).name for name in names] + [get_activation(output).name]


def hidden_activation(name: str) -> Activation:
    """An activation allowed on a hidden layer (softmax is for the output only)."""
    if name == "softmax":
        raise MathdlError("softmax is an output activation; choose a hidden activation from "
                          + ", ".join(HIDDEN_ACTIVATIONS))
    return get_activation(name)
