"""The fast path of the matrix method with momentum or Adam — the readable twin is ``backprop`` followed
by the optimiser's ``step`` (``mathdl.nn.backprop``, ``mathdl.nn.optimizers``) — on preallocated buffers.
Plain SGD has its own fast path, ``mathdl.nn.fast.sgd``.

For a mini-batch X (n_0, N) and targets Y (n_L, N), with s_x = 1/N (or w_x/N with sample weights):

    z⁽ˡ⁾ = W⁽ˡ⁾ a⁽ˡ⁻¹⁾ + b⁽ˡ⁾,  a⁽ˡ⁾ = f_l(z⁽ˡ⁾)                       (into buffers, column-major)
    s ⊙ δ⁽ᴸ⁾,  s ⊙ δ⁽ˡ⁾ = (W⁽ˡ⁺¹⁾)ᵀ (s ⊙ δ⁽ˡ⁺¹⁾) ⊙ f_l'(z⁽ˡ⁾)
    ∂C/∂W⁽ˡ⁾ = (s ⊙ δ⁽ˡ⁾) (a⁽ˡ⁻¹⁾)ᵀ,  ∂C/∂b⁽ˡ⁾ = Σ_columns s ⊙ δ⁽ˡ⁾,

i.e. the factor 1/N of ``backprop``'s ∂C/∂W⁽ˡ⁾ = (1/N) δ⁽ˡ⁾ (a⁽ˡ⁻¹⁾)ᵀ taken into the deltas at the top;
then the optimiser's step fused into one compiled pass over each parameter (``steps``). The matrix
products go to BLAS; everything elementwise between them (biases, f, f', the cost, δ⁽ᴸ⁾, ∂C/∂b) is one
compiled pass per layer (``layers``). Nothing is allocated per batch (the training loop's targets come as
rows of Yᵀ; other targets are copied so, (N, n_L), and sample weights scaled). Tested equal to the readable
route in tests/test_fast.py.
"""
from __future__ import annotations

import numpy as np

from ..costs import Cost
from ..network import Network
from ..updates import OptimizerUpdates, chunk_for
from . import layers
from .kernels import ACTIVATION_CODES, COST_CODES
from .steps import fused_step
from .threads import SMALL_BATCH, one_thread


def supported(optimizer) -> bool:
    """Whether ``MatrixStep`` is the fast path for this optimiser (plain SGD has its own, ``sgd.FastSGD``)."""
    return fused_step(optimizer) is not None


class MatrixStep(OptimizerUpdates):
    """Mini-batch updates of ``net`` (in place) by ``optimizer`` for batches of at most ``batch`` samples.

    The readable twin: ``ReferenceUpdates`` (``mathdl.nn.updates``) — ``backprop`` on each batch, then the
    optimiser's ``step`` (here ``steps.fused_step``). ``pieces`` has its interface: every batch is a safe point.
    """

    def __init__(self, net: Network, cost: Cost, optimizer, batch: int):
        self.net, self.cost, self.optimizer, self.batch = net, cost, optimizer, batch
        self.chunk = chunk_for(batch)  # columns the training loop gathers at a time
        for l in range(1, net.L + 1):
            if not net.W[l].flags.f_contiguous:
                net.W[l] = np.asfortranarray(net.W[l])
        sizes, dtype = net.sizes, net.dtype
        # Column-major buffers: a sample's column contiguous, as the products and the compiled layers take it.
        self.z, self.a, self.delta = ([None] + [np.empty((n, batch), dtype, order="F") for n in sizes[1:]]
                                      for _ in range(3))
        self.grads = [np.empty_like(p, order="K") for p in net.params()]
        # ∂C/∂W⁽ˡ⁾ and ∂C/∂b⁽ˡ⁾ (a vector, or empty for a layer without biases) by layer: views of ``grads``
        grads, none = iter(self.grads), np.empty(0, dtype)
        self.dW, self.db, self.none = [None], [None], none
        for l in range(1, net.L + 1):
            self.dW.append(next(grads))
            self.db.append(none if net.b[l] is None else next(grads)[:, 0])
        self.codes = [None] + [ACTIVATION_CODES[f.name] for f in net.f[1:]]
        self.cost_code = COST_CODES[cost.name]
        self.scratch = np.empty(3 * max(sizes[1:]), np.float64)  # for the compiled sigmoids
        self.uniform = np.empty(batch, dtype)  # s_x = 1/N without sample weights
        self.step = fused_step(optimizer)

    def pieces(self, X: np.ndarray, Y: np.ndarray, weights: np.ndarray | None):
        """One update per batch of the columns, yielding (samples, Σ_x w_x C_x) after each."""
        for first in range(0, X.shape[1], self.batch):
            part = slice(first, first + self.batch)
            n = X[:, part].shape[1]
            yield n, n * self(X[:, part], Y[:, part], None if weights is None else weights[part])

    def __call__(self, X: np.ndarray, Y: np.ndarray, weights: np.ndarray | None = None) -> float:
        """One update from the batch X (n_0, N) column-major, Y (n_L, N); returns its cost C (before)."""
        if X.shape[1] < SMALL_BATCH:
            with one_thread():  # see mathdl.nn.fast.threads
                return self._step(X, Y, weights)
        return self._step(X, Y, weights)

    def _step(self, X: np.ndarray, Y: np.ndarray, weights: np.ndarray | None) -> float:
        net, L, N = self.net, self.net.L, X.shape[1]
        W, codes = net.W, self.codes
        b = [None] + [self.none if b is None else b[:, 0] for b in net.b[1:]]  # vectors (views), or empty
        z = [None] + [buf[:, :N] for buf in self.z[1:]]
        a = [X] + [buf[:, :N] for buf in self.a[1:]]
        for l in range(1, L):
            np.matmul(a[l - 1].T, W[l].T, out=z[l].T)  # z = W a, computed as zᵀ = aᵀ Wᵀ (row-major views)
            layers.forward(codes[l], z[l].T, b[l], a[l].T, self.scratch)
        np.matmul(a[L - 1].T, W[L].T, out=z[L].T)
        if weights is None:
            s = self.uniform[:N]
            s.fill(1 / N)
        else:
            s = (weights / N).astype(net.dtype, copy=False)
        delta = self.delta[L][:, :N]
        C = layers.output(self.cost_code, codes[L], z[L].T, b[L], a[L].T,
                          np.ascontiguousarray(Y.T, dtype=net.dtype), s, delta.T, self.db[L], self.scratch)
        self._gradients(z, a, delta)
        self.step(net.params(), self.grads)
        return float(C)

    def _gradients(self, z: list, a: list, delta: np.ndarray) -> None:
        """∂C/∂W⁽ˡ⁾ into ``self.grads`` (in the order of ``Network.params()``), and δ⁽ˡ⁻¹⁾ =
        (W⁽ˡ⁾)ᵀ δ⁽ˡ⁾ ⊙ f'(z⁽ˡ⁻¹⁾) with ∂C/∂b⁽ˡ⁻¹⁾ below each layer."""
        net = self.net
        for l in range(net.L, 0, -1):
            np.matmul(a[l - 1], delta.T, out=self.dW[l].T)  # dWᵀ = a δᵀ (row-major view of the column-major dW)
            if l > 1:
                below = self.delta[l - 1][:, :delta.shape[1]]
                np.matmul(delta.T, net.W[l], out=below.T)
                layers.backward(self.codes[l - 1], z[l - 1].T, a[l - 1].T, below.T, self.db[l - 1])
                delta = below
