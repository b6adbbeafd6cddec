"""The loops inside a block of plain SGD's fast path (``sgd.FastSGD``), compiled by Numba. Their readable
twin: ``backprop`` on each batch (one sample for the online method) followed by ``SGD.step``.

Online (``online_block``), for the samples j = 1 … k of a block, one after another:

    z⁽¹⁾_j = P_j − Σ_{i<j} d_i G_ij                           (the block's deferred first-layer updates)
    z⁽ˡ⁾ = W⁽ˡ⁾ a⁽ˡ⁻¹⁾ + b⁽ˡ⁾,  a⁽ˡ⁾ = f_l(z⁽ˡ⁾)               l = 2 … L
    δ⁽ᴸ⁾ = cost delta,  δ⁽ˡ⁾ = (W⁽ˡ⁺¹⁾)ᵀ δ⁽ˡ⁺¹⁾ ⊙ f_l'(z⁽ˡ⁾)     (with W⁽ˡ⁺¹⁾ before its update)
    W⁽ˡ⁾ ← W⁽ˡ⁾ − η_j δ⁽ˡ⁾ (a⁽ˡ⁻¹⁾)ᵀ,  b⁽ˡ⁾ ← b⁽ˡ⁾ − η_j δ⁽ˡ⁾      l = L … 2
    d_j = η_j δ⁽¹⁾

with η_j = η w_j under sample weights. In mini-batches (``batch_block``) the same equations hold for a
batch's columns at once, δ⁽ᴸ⁾ scaled by s_x = w_x/|B| (the 1/N of ∂C/∂W⁽ˡ⁾ = (1/N) δ⁽ˡ⁾ (a⁽ˡ⁻¹⁾)ᵀ taken
into the deltas) and the updates summed over the batch, and the products with a batch's columns go to
BLAS. The loops are compiled because written with NumPy they are about 25 small calls a batch or sample,
whose own overhead dominates (BENCHMARKS.md gives the measurements); the sigmoids compute their own
exponential (``_sigmoids``), without branches, so that the compiler runs four at once.

The per-sample functions (``_forward``, ``_backward``, ``_output_delta``, ``_costs``) take a row per sample
(a vector is a matrix of one row, ``_row``) and keep one loop per function, so that the compiler runs several
entries at once; the matrix method's compiled layers (``layers``) share them. The activation and cost codes
are the positions of the entries in the one registry of each (``ACTIVATIONS``, ``COSTS``); tests/test_fast.py
checks that every entry has its branch here, and that the results equal the reference path's.

Numba compiles a function anew for every new combination of argument types, and a tuple's length is part of
its type. So that every network of up to ``LAYERS`` layers calls the same compiled loop (one per method and
dtype, compiled once, then loaded from the cache), the per-layer tuples are padded with empty arrays to a
multiple of ``LAYERS`` entries, the number of layers L is an argument, and the block's matrices are passed
with a row per sample (C-ordered whatever their sizes: a Numba array type records its memory order too).
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

from ..activations import ACTIVATIONS, LEAKY_SLOPE
from ..costs import COSTS

ACTIVATION_CODES = {name: code for code, name in enumerate(ACTIVATIONS)}
COST_CODES = {name: code for code, name in enumerate(COSTS)}
SIGMOID, TANH, RELU, LEAKY, SWISH, LINEAR, SOFTMAX = (ACTIVATION_CODES[name] for name in (
    "sigmoid", "tanh", "relu", "leaky_relu", "swish", "linear", "softmax"))
TSE, MSE, XE = (COST_CODES[name] for name in ("tse", "mse", "xe"))
LAYERS = 8  # the per-layer tuples have a multiple of this many entries (see the module docstring)


@njit(cache=True, inline="always")
def _sigmoid(z):
    """σ(z) = 1/(1 + e⁻ᶻ), with e^z/(1 + e^z) for z < 0 so that nothing overflows."""
    if z >= 0:
        return 1 / (1 + np.exp(-z))
    e = np.exp(z)
    return e / (1 + e)


LOG2E = 1.4426950408889634  # log₂ e
LN2_HI, LN2_LO = 6.93147180369123816490e-01, 1.90821492927058770002e-10  # ln 2; k · LN2_HI is exact
T2, T3, T4, T5, T6, T7, T8, T9, T10, T11, T12, T13 = (1 / math.factorial(j) for j in range(2, 14))


@njit(cache=True, fastmath={"contract"})
def _sigmoids(z, a, scratch):
    """a = σ(z) for a vector, with no branch or library call, so that the compiler computes four at once:
    e = e^{−|z|} = 2^k e^t with k = round(−|z| log₂ e) and t = −|z| − k ln 2, |t| ≤ ½ ln 2 (ln 2 split in two,
    Cody and Waite's way, so that t keeps its precision); e^t by its Taylor polynomial of degree 13
    (remainder below 10⁻¹⁷); 2^k as the product of two powers of two built from their bits (so that e may
    be subnormal); then σ = 1/(1 + e) for z ≥ 0 and e/(1 + e) below. Within 3 ulp of SciPy's ``expit``,
    2–3× faster than calling ``exp``. ``scratch``: 3 · len(z) float64."""
    n = z.shape[0]
    p, bits = scratch[:n], scratch[n:3 * n].view(np.int64)
    for r in range(n):
        x = max(-abs(z[r]), -746.0)  # e^−746 rounds to 0 already
        k = np.floor(x * LOG2E + 0.5)
        t = (x - k * LN2_HI) - k * LN2_LO
        p[r] = 1 + t * (1 + t * (T2 + t * (T3 + t * (T4 + t * (T5 + t * (T6 + t * (T7 + t * (
            T8 + t * (T9 + t * (T10 + t * (T11 + t * (T12 + t * T13))))))))))))
        half = np.int64(k) >> 1
        bits[r] = (half + 1023) << 52
        bits[n + r] = (np.int64(k) - half + 1023) << 52
    powers = scratch[n:3 * n]
    for r in range(n):
        e = p[r] * powers[r] * powers[n + r]
        a[r] = (1.0 if z[r] >= 0 else e) / (1.0 + e)


@njit(cache=True)
def _row(v):
    """A vector as a matrix of one row (a view)."""
    return v.reshape((1, v.shape[0]))


@njit(cache=True)
def _row_max(M, j):
    """max_r M[j, r]."""
    top = M[j, 0]
    for r in range(1, M.shape[1]):
        top = max(top, M[j, r])
    return top


@njit(cache=True)
def _forward(code, Z, A, scratch):
    """A = f(Z) for a row per sample (``scratch``: see ``_sigmoids``); one loop per function, so that the
    compiler runs several entries at once."""
    k, n = Z.shape
    if code == SIGMOID:
        for j in range(k):
            _sigmoids(Z[j], A[j], scratch)
    elif code == SOFTMAX:
        for j in range(k):
            top = _row_max(Z, j)
            total = 0.0
            for r in range(n):
                A[j, r] = np.exp(Z[j, r] - top)
                total += A[j, r]
            for r in range(n):
                A[j, r] /= total
    elif code == TANH:
        for j in range(k):
            for r in range(n):
                A[j, r] = np.tanh(Z[j, r])
    elif code == RELU:
        for j in range(k):
            for r in range(n):
                A[j, r] = Z[j, r] if Z[j, r] > 0 else 0
    elif code == LEAKY:
        for j in range(k):
            for r in range(n):
                A[j, r] = Z[j, r] if Z[j, r] > 0 else LEAKY_SLOPE * Z[j, r]
    elif code == SWISH:
        for j in range(k):
            for r in range(n):
                A[j, r] = Z[j, r] * _sigmoid(Z[j, r])
    elif code == LINEAR:
        A[:] = Z
    else:
        A[:] = np.nan  # no branch for this code: the tests see it


@njit(cache=True)
def _backward(code, Z, A, G):
    """G ← ∂C/∂z from G = ∂C/∂a, a row per sample: g ⊙ f'(z) (softmax: a ⊙ (g − Σ_k a_k g_k)), in place;
    one loop per function, as in ``_forward``."""
    k, n = Z.shape
    if code == SOFTMAX:
        for j in range(k):
            dot = 0.0
            for r in range(n):
                dot += A[j, r] * G[j, r]
            for r in range(n):
                G[j, r] = (G[j, r] - dot) * A[j, r]
    elif code == SIGMOID:
        for j in range(k):
            for r in range(n):
                G[j, r] *= A[j, r] * (1 - A[j, r])
    elif code == TANH:
        for j in range(k):
            for r in range(n):
                G[j, r] *= 1 - A[j, r] * A[j, r]
    elif code == RELU:
        for j in range(k):
            for r in range(n):
                G[j, r] *= 1 if Z[j, r] > 0 else 0
    elif code == LEAKY:
        for j in range(k):
            for r in range(n):
                G[j, r] *= 1 if Z[j, r] > 0 else LEAKY_SLOPE
    elif code == SWISH:
        for j in range(k):
            for r in range(n):
                s = _sigmoid(Z[j, r])
                G[j, r] *= s + A[j, r] * (1 - s)
    elif code != LINEAR:
        G[:] = np.nan  # no branch for this code: the tests see it


@njit(cache=True)
def _output_delta(cost, code, Z, A, Y, D):
    """δ⁽ᴸ⁾ for a row per sample: a − y for cross-entropy (a Σy − y with softmax), else ∂C/∂a through f_L'."""
    k, m = A.shape
    if cost == XE:
        for j in range(k):
            total = 1.0
            if code == SOFTMAX:
                total = 0.0
                for r in range(m):
                    total += Y[j, r]
            for r in range(m):
                D[j, r] = A[j, r] * total - Y[j, r]
        return
    if cost == TSE:
        for j in range(k):
            for r in range(m):
                D[j, r] = A[j, r] - Y[j, r]
    elif cost == MSE:
        for j in range(k):
            for r in range(m):
                D[j, r] = 2 * (A[j, r] - Y[j, r]) / m
    else:
        D[:] = np.nan  # no branch for this code: the tests see it
    _backward(code, Z, A, D)


@njit(cache=True)
def _softplus(v):
    """ln(1 + eᵛ) without overflow: max(v, 0) + ln(1 + e^−|v|)."""
    return max(v, 0.0) + np.log1p(np.exp(-abs(v)))


@njit(cache=True)
def _costs(cost, code, Z, A, Y, s):
    """Σ_x s_x C_x over a row per sample, each C_x as ``Cost.value`` computes it: cross-entropy from z
    (log-sum-exp with softmax, softplus with a sigmoid), ½Σ(y − a)² for TSE, (1/m)Σ(y − a)² for MSE."""
    k, m = A.shape
    C = 0.0
    for j in range(k):
        total = 0.0
        if cost == XE and code == SOFTMAX:
            top = _row_max(Z, j)
            e = 0.0
            for r in range(m):
                e += np.exp(Z[j, r] - top)
            log_e = np.log(e)
            for r in range(m):
                total -= Y[j, r] * ((Z[j, r] - top) - log_e)
        elif cost == XE:
            for r in range(m):
                total += Y[j, r] * _softplus(-Z[j, r]) + (1 - Y[j, r]) * _softplus(Z[j, r])
        elif cost == TSE or cost == MSE:
            for r in range(m):
                total += (Y[j, r] - A[j, r]) ** 2
            total = 0.5 * total if cost == TSE else total / m
        else:
            total = np.nan  # no branch for this code: the tests see it
        C += s[j] * total
    return C


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
def online_block(L, PT, G, DT, WT, b, YT, eta, ZT, AT, codes, cost, scratch, z, a, delta):
    """The block's k samples, rows being samples: PT (k, n_1) = (W⁽¹⁾X + b⁽¹⁾)ᵀ and G (k, k) = XᵀX (+ 1)
    under the block's starting parameters; WT[l − 2] = (W⁽ˡ⁾)ᵀ and b[l − 2] for l = 2 … L (b empty without
    biases), updated in place; YT (k, n_L) targets; eta (k,) each sample's η. Writes d_j into DT (k, n_1)
    and z⁽ᴸ⁾, a⁽ᴸ⁾ before each sample's update into ZT, AT. codes[l − 1] is f_l; scratch as for
    ``_sigmoids`` (the widest layer); z, a, delta are per-layer buffers. The tuples may be longer than L
    (padding: see the module docstring)."""
    n1, k = PT.shape[1], PT.shape[0]
    for j in range(k):
        z1 = z[0]
        z1[:] = PT[j]
        for i in range(j):
            g = G[i, j]
            for r in range(n1):
                z1[r] -= DT[i, r] * g
        _forward(codes[0], _row(z1), _row(a[0]), scratch)
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
            _forward(codes[l], _row(zl), _row(a[l]), scratch)
        ZT[j], AT[j] = z[L - 1], a[L - 1]
        d = delta[L - 1]
        _output_delta(cost, codes[L - 1], _row(z[L - 1]), _row(a[L - 1]), YT[j:j + 1], _row(d))
        step = eta[j]
        for l in range(L - 1, 0, -1):  # δ⁽ˡ⁾ from δ⁽ˡ⁺¹⁾ with W⁽ˡ⁺¹⁾ as it was, then W⁽ˡ⁺¹⁾'s update
            W, below, d_below = WT[l - 1], a[l - 1], delta[l - 1]
            _transpose_times(W, d, d_below)
            _backward(codes[l - 1], _row(z[l - 1]), _row(below), _row(d_below))
            for c in range(W.shape[0]):
                x = step * below[c]
                for r in range(W.shape[1]):
                    W[c, r] -= d[r] * x
            bl = b[l - 1]
            for r in range(bl.shape[0]):
                bl[r] -= step * d[r]
            d = d_below
        for r in range(n1):
            DT[j, r] = step * d[r]


@njit(cache=True)
def batch_block(L, PT, G, DT, WT, b, YT, w, eta, ZT, AT, codes, cost, B, scratch, z, a, g):
    """The block's k samples in batches of B: PT (k, n_1) and G (k, k) as for ``online_block`` (PT is
    overwritten by z⁽¹⁾); L, WT, b, codes, cost, YT as there; w (k,) sample weights; writes d_j = η δ⁽¹⁾_j
    into DT (k, n_1) and z⁽ᴸ⁾, a⁽ᴸ⁾ before each batch's update into ZT, AT; scratch as there; z, a, g are
    per-layer (B, n_l) buffers (g: δ; z⁽¹⁾ is PT's rows)."""
    k = PT.shape[0]
    for first in range(0, k, B):
        last = min(first + B, k)
        m = last - first
        z1 = PT[first:last]
        if first:  # the block's earlier updates of W⁽¹⁾ and b⁽¹⁾
            z1 -= np.dot(np.ascontiguousarray(G[first:last, :first]), DT[:first])
        for l in range(L):
            zl, al = z1 if l == 0 else z[l][:m], a[l][:m]
            if l:  # z⁽ˡ⁺¹⁾ᵀ = a⁽ˡ⁾ᵀ (W⁽ˡ⁺¹⁾)ᵀ + b⁽ˡ⁺¹⁾ᵀ
                zl[:] = np.dot(a[l - 1][:m], WT[l - 1])
                if b[l - 1].shape[0]:
                    zl += b[l - 1]
            _forward(codes[l], zl, al, scratch)
        zL, aL = z1 if L == 1 else z[L - 1][:m], a[L - 1][:m]
        ZT[first:last], AT[first:last] = zL, aL
        d = g[L - 1][:m]
        _output_delta(cost, codes[L - 1], zL, aL, YT[first:last], d)
        for j in range(m):
            d[j] *= w[first + j] / m
        for l in range(L - 1, 0, -1):  # δ⁽ˡ⁾ with W⁽ˡ⁺¹⁾ as it was, then W⁽ˡ⁺¹⁾'s update
            W, below, z_below, a_below = WT[l - 1], g[l - 1][:m], z1 if l == 1 else z[l - 1][:m], a[l - 1][:m]
            below[:] = np.dot(d, W.T)
            _backward(codes[l - 1], z_below, a_below, below)
            W -= np.dot(a_below.T, eta * d)
            bl = b[l - 1]
            if bl.shape[0]:
                for j in range(m):
                    bl -= eta * d[j]
            d = below
        DT[first:last] = eta * d


@njit(cache=True)
def varying_inputs(X):
    """Whether each input (row of X, (n_0, k)) takes more than one value over the block's columns."""
    varying = np.zeros(X.shape[0], np.bool_)
    for j in range(1, X.shape[1]):
        for p in range(X.shape[0]):
            varying[p] |= X[p, j] != X[p, 0]
    return varying


@njit(cache=True)
def take_inputs(X, W, V, K, XVT, WV):
    """The varying inputs V of X (n_0, k) as XVT = X_Vᵀ (k, |V|) and their weights WV = W_V (n_1, |V|), both
    copies; returns W_K v and v·v for the constant ones, x_p = v_p (p in K) in every column."""
    for j in range(X.shape[1]):
        for i in range(V.shape[0]):
            XVT[j, i] = X[V[i], j]
    for i in range(V.shape[0]):
        WV[:, i] = W[:, V[i]]
    Wv, vv = np.zeros(W.shape[0], W.dtype), 0.0
    for p in K:
        x = X[p, 0]
        vv += x * x
        for r in range(W.shape[0]):
            Wv[r] += W[r, p] * x
    return Wv, vv


@njit(cache=True)
def put_back(W, WV, V, K, v, d):
    """W⁽¹⁾ (column-major) after a block whose inputs K were constant, x_p = v_p in every sample: the columns
    V from their updated copy WV, and W_p ← W_p − v_p d for p in K, where d = Σ_j d_j (W − D Xᵀ for them)."""
    for i in range(V.shape[0]):
        W[:, V[i]] = WV[:, i]
    for i in range(K.shape[0]):
        p = K[i]
        x = v[p]
        for r in range(W.shape[0]):
            W[r, p] -= x * d[r]


class BlockKernel:
    """The compiled loop of a block bound to a network: ``online_block`` for batches of one, else
    ``batch_block``; the layers' (W⁽ˡ⁾)ᵀ and b⁽ˡ⁾ (l ≥ 2) as views, so the kernel updates the network's own
    arrays, and the per-layer buffers, every tuple padded to a multiple of ``LAYERS`` entries."""

    def __init__(self, net, cost_name: str, batch: int):
        dtype = np.dtype(net.dtype)
        # Tuples (Numba compiles its typed lists anew in every process: a second), of one length for every
        # depth up to LAYERS, the unused entries empty arrays of the same type.
        padded = -(-net.L // LAYERS) * LAYERS
        pad = lambda items, empty: tuple(items) + tuple(empty() for _ in range(padded - len(items)))  # noqa: E731
        layers = range(2, net.L + 1)
        self.WT = pad([net.W[l].T for l in layers], lambda: np.empty((0, 0), dtype))  # C-ordered views of W⁽ˡ⁾
        self.b = pad([net.b[l][:, 0] if net.b[l] is not None else np.empty(0, dtype) for l in layers],
                     lambda: np.empty(0, dtype))
        # z, a, δ of every layer: a vector online, else (batch, n_l)
        self.buffers = [pad([np.empty(n if batch == 1 else (batch, n), dtype) for n in net.sizes[1:]],
                            lambda: np.empty(0 if batch == 1 else (0, 0), dtype)) for _ in range(3)]
        self.codes = np.array([ACTIVATION_CODES[f.name] for f in net.f[1:]], np.int64)
        self.scratch = np.empty(3 * max(net.sizes[1:]), np.float64)  # for ``_sigmoids``
        self.L, self.cost, self.batch, self.dtype = net.L, COST_CODES[cost_name], batch, dtype.type

    def __call__(self, P, G, D, Y, eta: float, w, Z, A) -> None:
        """The block's samples from P = W⁽¹⁾X + b⁽¹⁾ (n_1, k) and G; D, Z, A (n_1 or n_L, k) column-major
        outputs; Y (n_L, k) targets; w (k,) sample weights."""
        YT, w = np.ascontiguousarray(Y.T), w.astype(self.dtype, copy=False)
        if self.batch == 1:
            online_block(self.L, P.T, G, D.T, self.WT, self.b, YT, eta * w, Z.T, A.T, self.codes, self.cost,
                         self.scratch, *self.buffers)
        else:
            batch_block(self.L, P.T, G, D.T, self.WT, self.b, YT, w, self.dtype(eta), Z.T, A.T, self.codes,
                        self.cost, self.batch, self.scratch, *self.buffers)
