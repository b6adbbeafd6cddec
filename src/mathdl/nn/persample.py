"""The per-sample loop of online SGD inside a block (``mathdl.nn.sgd``), compiled by Numba.

For the samples j = 1 … k of a block, one after another:

    z⁽¹⁾_j = P_j − Σ_{i<j} d_i G_ij                           (the block's deferred first-layer updates)
    z⁽ˡ⁾ = W⁽ˡ⁾ a⁽ˡ⁻¹⁾ + b⁽ˡ⁾,  a⁽ˡ⁾ = f_l(z⁽ˡ⁾)               l = 2 … L
    δ⁽ᴸ⁾ = cost delta,  δ⁽ˡ⁾ = (W⁽ˡ⁺¹⁾)ᵀ δ⁽ˡ⁺¹⁾ ⊙ f_l'(z⁽ˡ⁾)     (with W⁽ˡ⁺¹⁾ before its update)
    W⁽ˡ⁾ ← W⁽ˡ⁾ − η_j δ⁽ˡ⁾ (a⁽ˡ⁻¹⁾)ᵀ,  b⁽ˡ⁾ ← b⁽ˡ⁾ − η_j δ⁽ˡ⁾      l = L … 2
    d_j = η_j δ⁽¹⁾

with η_j = η w_j under sample weights: ``FastSGD._batch``'s equations for a batch of one. Written with
NumPy they are about 25 calls a sample, and for 784-300-1 the calls' own overhead was two thirds of the
62 µs a sample took; compiled, the loop takes 6-9 µs and the sample 33-38 µs, nearly all of it the
block's matrix products, which stay with BLAS. (Mini-batches keep NumPy: there BLAS multiplies a
batch's columns at once, and a compiled loop was no faster for the study's networks and 2.5 times
slower for 1000-unit layers.) Every activation and cost of ``activations`` and ``costs`` has its code
here; the test suite proves the results equal the reference path's (``backprop`` and an SGD step).
"""
from __future__ import annotations

import numpy as np
from numba import from_dtype, njit, types
from numba.typed import List

from .activations import LEAKY_SLOPE

SIGMOID, TANH, RELU, LEAKY, SWISH, LINEAR, SOFTMAX = range(7)
TSE, MSE, XE = range(3)
ACTIVATION_CODES = {"sigmoid": SIGMOID, "tanh": TANH, "relu": RELU, "leaky_relu": LEAKY, "swish": SWISH,
                    "linear": LINEAR, "softmax": SOFTMAX}
COST_CODES = {"tse": TSE, "mse": MSE, "xe": XE}


@njit(cache=True, inline="always")
def _sigmoid(z):
    """σ(z) = 1/(1 + e⁻ᶻ), with e^z/(1 + e^z) for z < 0 so that nothing overflows."""
    if z >= 0:
        return 1 / (1 + np.exp(-z))
    e = np.exp(z)
    return e / (1 + e)


@njit(cache=True)
def _forward(code, z, a):
    """a = f(z) for a layer's vector z."""
    if code == SOFTMAX:
        top = z.max()
        for r in range(z.shape[0]):
            a[r] = np.exp(z[r] - top)
        a /= a.sum()
        return
    for r in range(z.shape[0]):
        v = z[r]
        if code == SIGMOID:
            a[r] = _sigmoid(v)
        elif code == TANH:
            a[r] = np.tanh(v)
        elif code == RELU:
            a[r] = v if v > 0 else 0
        elif code == LEAKY:
            a[r] = v if v > 0 else LEAKY_SLOPE * v
        elif code == SWISH:
            a[r] = v * _sigmoid(v)
        else:
            a[r] = v


@njit(cache=True)
def _backward(code, z, a, g):
    """g ← ∂C/∂z from g = ∂C/∂a: g ⊙ f'(z) (softmax: a ⊙ (g − Σ_k a_k g_k)), in place."""
    if code == SOFTMAX:
        g -= (a * g).sum()
        g *= a
        return
    for r in range(z.shape[0]):
        v = z[r]
        if code == SIGMOID:
            g[r] *= a[r] * (1 - a[r])
        elif code == TANH:
            g[r] *= 1 - a[r] * a[r]
        elif code == RELU:
            g[r] *= 1 if v > 0 else 0
        elif code == LEAKY:
            g[r] *= 1 if v > 0 else LEAKY_SLOPE
        elif code == SWISH:
            s = _sigmoid(v)
            g[r] *= s + a[r] * (1 - s)


@njit(cache=True)
def _output_delta(cost, code, z, a, y, delta):
    """δ⁽ᴸ⁾: a − y for cross-entropy (a Σy − y with softmax), else ∂C/∂a through f_L'."""
    m = a.shape[0]
    if cost == XE:
        total = y.sum() if code == SOFTMAX else 1
        for r in range(m):
            delta[r] = a[r] * total - y[r]
        return
    for r in range(m):
        delta[r] = a[r] - y[r] if cost == TSE else 2 * (a[r] - y[r]) / m
    _backward(code, z, a, delta)


@njit(cache=True, fastmath={"reassoc"})
def _transpose_times(WT, d, out):
    """out = (W⁽ˡ⁾)ᵀ δ from WT = (W⁽ˡ⁾)ᵀ: each entry a sum the compiler may reorder, as BLAS does, to run
    several terms at once."""
    for c in range(WT.shape[0]):
        s = 0.0
        for r in range(WT.shape[1]):
            s += WT[c, r] * d[r]
        out[c] = s


@njit(cache=True)
def online_block(P, G, D, WT, b, Y, eta, Z, A, codes, cost, z, a, delta):
    """The block's k samples: P (n_1, k) = W⁽¹⁾X + b⁽¹⁾ and G (k, k) = XᵀX (+ 1) under the block's
    starting parameters; WT[l − 2] = (W⁽ˡ⁾)ᵀ and b[l − 2] for l ≥ 2 (b empty without biases), updated
    in place; Y (n_L, k) targets; eta (k,) each sample's η. Writes d_j into D (n_1, k) and z⁽ᴸ⁾, a⁽ᴸ⁾
    before each sample's update into Z and A. codes[l − 1] is f_l; z, a, delta are per-layer buffers."""
    L = len(z)
    n1, k = P.shape
    for j in range(k):
        z1 = z[0]
        z1[:] = P[:, j]
        for i in range(j):
            g = G[i, j]
            for r in range(n1):
                z1[r] -= D[r, i] * g
        _forward(codes[0], z1, a[0])
        for l in range(1, L):  # z⁽ˡ⁺¹⁾ = W⁽ˡ⁺¹⁾ a⁽ˡ⁾ + b⁽ˡ⁺¹⁾, W⁽ˡ⁺¹⁾ held transposed
            W, zl, below = WT[l - 1], z[l], a[l - 1]
            if b[l - 1].shape[0]:
                zl[:] = b[l - 1]
            else:
                zl[:] = 0
            for c in range(W.shape[0]):
                x = below[c]
                for r in range(W.shape[1]):
                    zl[r] += W[c, r] * x
            _forward(codes[l], zl, a[l])
        Z[:, j], A[:, j] = z[L - 1], a[L - 1]
        d = delta[L - 1]
        _output_delta(cost, codes[L - 1], z[L - 1], a[L - 1], Y[:, j], d)
        step = eta[j]
        for l in range(L - 1, 0, -1):  # δ⁽ˡ⁾ from δ⁽ˡ⁺¹⁾ with W⁽ˡ⁺¹⁾ as it was, then W⁽ˡ⁺¹⁾'s update
            W, below, d_below = WT[l - 1], a[l - 1], delta[l - 1]
            _transpose_times(W, d, d_below)
            _backward(codes[l - 1], z[l - 1], below, d_below)
            for c in range(W.shape[0]):
                x = step * below[c]
                for r in range(W.shape[1]):
                    W[c, r] -= d[r] * x
            bl = b[l - 1]
            for r in range(bl.shape[0]):
                bl[r] -= step * d[r]
            d = d_below
        for r in range(n1):
            D[r, j] = step * d[r]


class OnlineKernel:
    """``online_block`` bound to a network: its layers' (W⁽ˡ⁾)ᵀ and b⁽ˡ⁾ (l ≥ 2) as views, so the kernel
    updates the network's own arrays, and the per-layer buffers."""

    def __init__(self, net, cost_name: str):
        dtype = np.dtype(net.dtype)
        matrix, vector = types.Array(from_dtype(dtype), 2, "C"), types.Array(from_dtype(dtype), 1, "C")
        self.WT, self.b = List.empty_list(matrix), List.empty_list(vector)
        for l in range(2, net.L + 1):
            self.WT.append(net.W[l].T)  # C-ordered view of the column-major W⁽ˡ⁾
            self.b.append(net.b[l][:, 0] if net.b[l] is not None else np.empty(0, dtype))
        self.buffers = []
        for _ in range(3):  # z, a, delta
            layers = List.empty_list(vector)
            for n in net.sizes[1:]:
                layers.append(np.empty(n, dtype))
            self.buffers.append(layers)
        self.codes = np.array([ACTIVATION_CODES[f.name] for f in net.f[1:]], np.int64)
        self.cost = COST_CODES[cost_name]

    def __call__(self, P, G, D, Y, eta, Z, A) -> None:
        online_block(P, G, D, self.WT, self.b, Y, eta, Z, A, self.codes, self.cost, *self.buffers)
