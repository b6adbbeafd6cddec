"""The optimisers' steps fused: one compiled pass over each parameter, in place, on the optimiser's own memory.

The readable twins are ``Momentum.step`` and ``Adam.step`` (``mathdl.nn.optimizers``), which compute

    momentum:  v ← μ v − η g,  θ ← θ + v
    Adam:      t ← t + 1,  m ← β₁m + (1−β₁)g,  v ← β₂v + (1−β₂)g²,  θ ← θ − η m̂ / (√v̂ + ε),
               m̂ = m / (1 − β₁ᵗ),  v̂ = v / (1 − β₂ᵗ)

one NumPy expression at a time: about ten passes over the parameters a batch, each reading and writing whole
arrays. Here every element's update is computed at once, in registers, in the parameter's dtype: one pass
reading θ, g and the optimiser's memory and writing them back. tests/test_optimizers.py checks these against
the formulas written out and against ``torch.optim``.

One difference, invisible in θ: a memory entry (v, m) whose magnitude falls below the dtype's smallest normal
number (``tiny``, 1.2·10⁻³⁸ in float32) is stored as 0. An input that is 0 in every image of a batch (MNIST's
border pixels) has ∂C/∂W = 0 there, so its memory decays geometrically (×β₁, ×μ) into the subnormal range,
where each multiplication takes the processor a hundred cycles or more; after a few epochs this made the step
2–3 times slower. The step such an entry would have given, at most η · tiny / ε (Adam) or tiny (momentum)
≈ 10⁻³³, is far below half a unit in the last place of any weight of magnitude ≥ 10⁻²⁶; NaN is kept.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

from ..optimizers import Adam, Momentum


@njit(cache=True, error_model="numpy")  # numpy's error model: no branch for a division by 0, so loops vectorise
def _momentum(theta, g, v, mu, eta, tiny):
    """v ← μ v − η g (0 below ``tiny``), θ ← θ + v, elementwise (flat arrays in one memory order)."""
    zero = tiny - tiny  # 0 in the arrays' dtype
    for i in range(theta.shape[0]):
        vi = mu * v[i] - eta * g[i]
        v[i] = zero if abs(vi) < tiny else vi
        theta[i] += v[i]


@njit(cache=True, error_model="numpy")
def _adam(theta, g, m, v, beta1, one_beta1, beta2, one_beta2, eta, epsilon, c1, c2, tiny):
    """m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², θ ← θ − η (m c₁) / (√(v c₂) + ε) with c₁ = 1/(1 − β₁ᵗ),
    c₂ = 1/(1 − β₂ᵗ) (m̂ = m c₁, v̂ = v c₂), m and v stored as 0 below ``tiny``, elementwise (flat arrays in
    one memory order; ``one_beta1`` = 1 − β₁, ``one_beta2`` = 1 − β₂)."""
    zero = tiny - tiny  # 0 in the arrays' dtype
    for i in range(theta.shape[0]):
        gi = g[i]
        mi = beta1 * m[i] + one_beta1 * gi
        vi = beta2 * v[i] + one_beta2 * gi * gi
        mi = zero if abs(mi) < tiny else mi
        vi = zero if vi < tiny else vi
        m[i], v[i] = mi, vi
        theta[i] -= eta * (mi * c1) / (math.sqrt(vi * c2) + epsilon)


def fused_step(optimizer):
    """The fused step for ``optimizer`` (momentum or Adam), a function of (params, grads) with the effect of
    ``optimizer.step``; None for any other optimiser."""
    if type(optimizer) is Momentum:
        def step(params: list, grads: list) -> None:
            optimizer.start(params)
            d = _dtype(params)
            for theta, g, v in zip(params, grads, _like(params, optimizer.v)):
                _momentum(*_flat(theta, g, v), d(optimizer.mu), d(optimizer.eta), _tiny(d))
        return step
    if type(optimizer) is Adam:
        def step(params: list, grads: list) -> None:
            o = optimizer
            o.start(params)
            o.t += 1
            d = _dtype(params)
            scalars = (d(o.beta1), d(1 - o.beta1), d(o.beta2), d(1 - o.beta2), d(o.eta), d(o.epsilon),
                       d(1 / (1 - o.beta1**o.t)), d(1 / (1 - o.beta2**o.t)), _tiny(d))
            for theta, g, m, v in zip(params, grads, _like(params, o.m), _like(params, o.v)):
                _adam(*_flat(theta, g, m, v), *scalars)
        return step
    return None


def _like(params: list, memory: list) -> list:
    """The optimiser's arrays in the memory order of their parameters (a restored state may come in another),
    replaced in ``memory`` where they were not."""
    for i, (theta, a) in enumerate(zip(params, memory)):
        if theta.flags.f_contiguous != a.flags.f_contiguous or theta.flags.c_contiguous != a.flags.c_contiguous:
            memory[i] = np.array(a, order="F" if theta.flags.f_contiguous else "C")
    return memory


def _flat(*arrays) -> list:
    """Contiguous arrays of one memory order as 1-D views, element i of each the same entry."""
    for a in arrays:
        if not (a.flags.c_contiguous or a.flags.f_contiguous):
            raise ValueError("the fused step needs contiguous arrays")
    return [a.ravel(order="K") for a in arrays]


def _tiny(d):
    """The smallest normal number of the scalar type ``d``."""
    return d(np.finfo(d).tiny)


def _dtype(params: list):
    """The scalar type the parameters are computed in (float32 or float64)."""
    return np.dtype(params[0].dtype).type
