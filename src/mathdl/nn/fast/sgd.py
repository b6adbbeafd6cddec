"""The fast path of plain SGD, online (batches of one sample) and in mini-batches, updating in place.

For a batch B of samples (one sample for the online method), with s_x = w_x/|B| (1/|B| without sample
weights; the online method folds w_x into η):

    δ⁽ᴸ⁾ = s ⊙ cost delta,   δ⁽ˡ⁾ = (W⁽ˡ⁺¹⁾)ᵀ δ⁽ˡ⁺¹⁾ ⊙ f_l'(z⁽ˡ⁾),
    W⁽ˡ⁾ ← W⁽ˡ⁾ − η δ⁽ˡ⁾ (a⁽ˡ⁻¹⁾)ᵀ,   b⁽ˡ⁾ ← b⁽ˡ⁾ − η Σ_x δ⁽ˡ⁾_x,

every δ computed before the weights it depends on change, exactly as in the reference path
(``backprop``, then θ ← θ − η g).

The loop over a block's batches (of one sample, for the online method) runs compiled
(``kernels``), layers l ≥ 2 updated in place. The first layer — by far the largest, n_1 × 784 —
defers its updates over a block of k samples x_1 … x_k (several batches). With the bias as the weight of
a constant input 1, after the block's first j − 1 samples its parameters are W − Σ_{i<j} d_i x_iᵀ,
b − Σ_{i<j} d_i with d_i = η δ⁽¹⁾_i, so

    z⁽¹⁾_j = (W x_j + b) − Σ_{i<j} d_i (x_iᵀ x_j + 1),

which needs only P = W X + b for the whole block, its Gram matrix G = XᵀX + 1 and the block's
D = [d_1 … d_k]; at the end W ← W − D Xᵀ and b ← b − Σ_i d_i. The per-sample (or small-batch) products
with the 784-wide layer become three matrix-matrix products per block, which BLAS runs several times
faster.

Images have a background: in a block of 64 MNIST digits about a third of the 784 pixels are
background in every image. With the inputs split into those that vary within the block (rows V of X)
and those that are constant (rows K, each equal to v_p in every column),

    W X = W_V X_V + (W_K v) 1ᵀ   and   XᵀX = X_Vᵀ X_V + vᵀv,

so P and G need only the varying inputs and W's columns of them (gathered, W_V), and so does the update:

    W_V ← W_V − D X_Vᵀ   (on the gathered copy, then put back)   and   W_K ← W_K − (Σ_j d_j) v_Kᵀ.

The arithmetic is the reference's up to the order of additions; the test suite proves it.
"""
from __future__ import annotations

import numpy as np
from scipy.linalg.blas import get_blas_funcs

from ..costs import Cost
from ..network import Network
from ..updates import chunk_for
from .threads import one_thread

BLOCK = 64  # samples per deferred first-layer update (rounded to whole batches)
VARYING = 0.85  # the products use only the inputs that vary within a block when at most this share do


class FastSGD:
    """SGD steps on ``net`` (updated in place) with batches of ``batch`` samples; ``eta`` may change
    between calls. W⁽ˡ⁾ are made Fortran-ordered, as BLAS updates them.

    The readable twin: ``ReferenceUpdates`` (``mathdl.nn.updates``) with plain SGD — ``backprop`` on each
    batch, then ``SGD.step``. ``pieces`` has its interface; its safe points are the ends of blocks.
    """

    def __init__(self, net: Network, cost: Cost, eta: float, batch: int = 1, block: int = BLOCK):
        self.net, self.cost, self.eta, self.batch = net, cost, eta, batch
        self.block = self.block_for(batch, block)
        for l in range(1, net.L + 1):
            if not net.W[l].flags.f_contiguous:
                net.W[l] = np.asfortranarray(net.W[l])
        self.gemm = get_blas_funcs("gemm", (net.W[1],))
        self.b1 = None if net.b[1] is None else net.b[1][:, 0]  # a 1-D view (layers l ≥ 2: the kernel's)
        buffer = lambda n: np.empty((n, self.block), net.dtype, order="F")  # noqa: E731
        self.D, self.Z, self.A = buffer(net.sizes[1]), buffer(net.sizes[-1]), buffer(net.sizes[-1])
        self.ones = np.ones(self.block, net.dtype)  # the sample weights when none are given
        self.no_gram = np.empty((0, 0), net.dtype)
        from . import kernels  # imports Numba: only when it is needed
        self.kernels, self.kernel = kernels, kernels.BlockKernel(net, cost.name, batch)
        self.x_buffer = np.empty(self.block * net.sizes[0], net.dtype)  # X_Vᵀ of a block
        self.w_buffer = np.empty(net.W[1].size, net.dtype)  # W_V of a block

    @property
    def chunk(self) -> int:
        """Columns the training loop gathers at a time."""
        return chunk_for(self.batch)

    def pieces(self, X: np.ndarray, Y: np.ndarray, weights: np.ndarray | None):
        """``run`` a block at a time, yielding (samples, Σ_x w_x C_x) after each: the safe points."""
        for first in range(0, X.shape[1], self.block):
            part = slice(first, first + self.block)
            yield X[:, part].shape[1], self.run(X[:, part], Y[:, part], None if weights is None else weights[part])

    def state(self) -> dict:
        return {}  # plain SGD remembers nothing between steps

    def restore(self, state: dict) -> None:
        pass

    @staticmethod
    def block_for(batch: int, block: int = BLOCK) -> int:
        """Samples per deferred first-layer update: ``block`` rounded to whole batches."""
        return batch * max(1, round(block / batch))

    def run(self, X: np.ndarray, Y: np.ndarray, weights: np.ndarray | None = None) -> float:
        """Updates from the columns of X (n_0, N), Y (n_L, N), batch after batch in order; returns
        Σ_x w_x C_x, each C_x measured before its own batch's update."""
        X = np.asfortranarray(X)
        total = 0.0
        with one_thread():  # see mathdl.nn.fast.threads
            for first in range(0, X.shape[1], self.block):
                cols = slice(first, first + self.block)
                total += self._block(X[:, cols], Y[:, cols], None if weights is None else weights[cols])
        return total

    def _block(self, X: np.ndarray, Y: np.ndarray, weights: np.ndarray | None) -> float:
        """Updates from the k columns of X, batch after batch, the first layer's deferred to the end."""
        W1, b1, B, (n0, k) = self.net.W[1], self.b1, self.batch, X.shape
        n1 = W1.shape[0]
        varying = self.kernels.varying_inputs(X)
        split = k > 1 and 0 < (nV := int(varying.sum())) <= VARYING * n0
        gram = k > B or B == 1  # needed when the block holds more than one batch
        if split:  # the inputs that vary, Xᵀ_V, and their weights W_V: copies; W_K v and vᵀv of the others
            V, K = np.flatnonzero(varying), np.flatnonzero(~varying)
            XT, WX = self.x_buffer[:k * nV].reshape(k, nV), self.w_buffer[:n1 * nV].reshape((n1, nV), order="F")
            Wv, vv = self.kernels.take_inputs(X, W1, V, K, XT, WX)
        else:
            XT, WX = X.T, W1
        P = (XT @ WX.T).T  # (n_1, k) column-major: W⁽¹⁾ x_j (+ b⁽¹⁾) under the block's starting parameters
        G = XT @ XT.T if gram else self.no_gram  # x_iᵀ x_j (+ 1: the bias is the weight of a constant input 1)
        if split:
            P += Wv[:, None]
            if gram:
                G += vv
        if b1 is not None:
            P += b1[:, None]
            if gram:
                G += 1
        D, Z, A = self.D[:, :k], self.Z[:, :k], self.A[:, :k]
        self.kernel(P, G, D, Y, self.eta, self.ones[:k] if weights is None else weights, Z, A)  # compiled
        d = D.sum(axis=1)
        self.gemm(-1.0, D, XT.T, beta=1.0, c=WX, trans_b=True, overwrite_c=True)  # W ← W − D Xᵀ, in place
        if split:  # W_V put back from its copy, and W_K ← W_K − (Σ_j d_j) v_Kᵀ
            self.kernels.put_back(W1, WX, V, K, X[:, 0], d)
        if b1 is not None:
            b1 -= d
        C_x = self.cost.value(Z, A, Y, self.net.f[-1])
        return float(C_x.sum() if weights is None else (C_x * weights).sum())
