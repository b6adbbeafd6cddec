"""The elementwise work of a mini-batch's layers in the matrix method's fast path (``matrix.MatrixStep``),
compiled: one pass over the batch per layer and step, where NumPy takes three to eight calls and as many
passes (the output layer's ten rows cost more in calls than in arithmetic). For the columns x of a batch:

    forward    z⁽ˡ⁾ ← z⁽ˡ⁾ + b⁽ˡ⁾,  a⁽ˡ⁾ = f_l(z⁽ˡ⁾)                         (z⁽ˡ⁾ = W⁽ˡ⁾a⁽ˡ⁻¹⁾ from BLAS)
    output     the same, then C = Σ_x s_x C_x,  s ⊙ δ⁽ᴸ⁾,  ∂C/∂b⁽ᴸ⁾ = Σ_x s_x δ⁽ᴸ⁾_x
    backward   s ⊙ δ⁽ˡ⁾ = g ⊙ f_l'(z⁽ˡ⁾) from g = (W⁽ˡ⁺¹⁾)ᵀ(s ⊙ δ⁽ˡ⁺¹⁾),  ∂C/∂b⁽ˡ⁾ = Σ_x s_x δ⁽ˡ⁾_x

with s_x = w_x/N (1/N without sample weights). f, f', C_x and δ⁽ᴸ⁾ are those of ``kernels`` (one registry of
codes, tested against ``Activation`` and ``Cost``). Matrices come transposed, a row per sample (C-contiguous
views of the column-major buffers); a layer without biases passes empty b and ∂C/∂b.
"""
from __future__ import annotations

from numba import njit

from .kernels import _backward, _costs, _forward, _output_delta


@njit(cache=True)
def _add_rows(M, b):
    """Each row of M ← itself + b (nothing for an empty b)."""
    for j in range(M.shape[0]):
        for r in range(b.shape[0]):
            M[j, r] += b[r]


@njit(cache=True)
def _column_sums(M, out):
    """out = Σ_rows M (nothing for an empty out)."""
    out[:] = 0
    for j in range(M.shape[0]):
        for r in range(out.shape[0]):
            out[r] += M[j, r]


@njit(cache=True)
def forward(code, zT, b, aT, scratch):
    """z ← z + b, a = f(z) (``scratch``: 3 n_l float64, for the sigmoids)."""
    _add_rows(zT, b)
    _forward(code, zT, aT, scratch)


@njit(cache=True)
def output(cost, code, zT, b, aT, YT, s, deltaT, db, scratch):
    """The output layer's ``forward``, then s ⊙ δ⁽ᴸ⁾ into deltaT and its column sum into db; returns
    C = Σ_x s_x C_x."""
    forward(code, zT, b, aT, scratch)
    C = _costs(cost, code, zT, aT, YT, s)
    _output_delta(cost, code, zT, aT, YT, deltaT)
    for j in range(deltaT.shape[0]):
        for r in range(deltaT.shape[1]):
            deltaT[j, r] *= s[j]
    _column_sums(deltaT, db)
    return C


@njit(cache=True)
def backward(code, zT, aT, gT, db):
    """g ← g ⊙ f'(z) (δ of the layer below, from g = Wᵀδ), and its column sum into db."""
    _backward(code, zT, aT, gT)
    _column_sums(gT, db)
