"""The fast path of the matrix method with momentum or Adam — the readable twin is ``backprop`` followed
by the optimiser's ``step`` (``mathdl.nn.backprop``, ``mathdl.nn.optimizers``) — on preallocated buffers.
Plain SGD has its own fast path, ``mathdl.nn.fast.sgd``.

For a mini-batch X (n_0, N) and targets Y (n_L, N), with s = 1/N (or w_x/N with sample weights):

    z⁽ˡ⁾ = W⁽ˡ⁾ a⁽ˡ⁻¹⁾ + b⁽ˡ⁾,  a⁽ˡ⁾ = f_l(z⁽ˡ⁾)                       (into buffers, column-major)
    s ⊙ δ⁽ᴸ⁾,  s ⊙ δ⁽ˡ⁾ = (W⁽ˡ⁺¹⁾)ᵀ (s ⊙ δ⁽ˡ⁺¹⁾) ⊙ f_l'(z⁽ˡ⁾)           (f' applied in place)
    ∂C/∂W⁽ˡ⁾ = (s ⊙ δ⁽ˡ⁾) (a⁽ˡ⁻¹⁾)ᵀ,  ∂C/∂b⁽ˡ⁾ = Σ_columns s ⊙ δ⁽ˡ⁾,

i.e. the factor 1/N of ``backprop``'s ∂C/∂W⁽ˡ⁾ = (1/N) δ⁽ˡ⁾ (a⁽ˡ⁻¹⁾)ᵀ taken into the deltas at the top;
then the optimiser's step fused into one compiled pass over each parameter (``steps``).
The activations' in-place forms are their records' ``f_into`` and ``df_into``; an activation without one
uses its ``f`` and ``backward``, copied into the buffers. Nothing is allocated per batch but small (n_L, N)
cost arrays. Tested equal to the readable route in tests/test_fast.py.
"""
from __future__ import annotations

import numpy as np

from ..costs import Cost
from ..network import Network
from ..updates import OptimizerUpdates, chunk_for
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
        # Column-major buffers (a sample's column contiguous, as the matrix products take it), but row-major
        # for the output layer: its few rows are reduced over per sample (softmax, costs), which NumPy does
        # fastest a row at a time.
        buffer = lambda l: np.empty((sizes[l], batch), dtype, order="C" if l == net.L else "F")  # noqa: E731
        self.z, self.a, self.delta, self.scratch = ([None] + [buffer(l) for l in range(1, net.L + 1)]
                                                    for _ in range(4))
        self.forward = [None] + [f.f_into for f in net.f[1:]]
        self.derivative = [None] + [f.df_into for f in net.f[1:]]
        self.grads = [np.empty_like(p, order="K") for p in net.params()]
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
        net, cost, L, N = self.net, self.cost, self.net.L, X.shape[1]
        W, b, f = net.W, net.b, net.f
        z = [None] + [buf[:, :N] for buf in self.z[1:]]
        a = [X] + [buf[:, :N] for buf in self.a[1:]]
        for l in range(1, L + 1):
            np.matmul(a[l - 1].T, W[l].T, out=z[l].T)  # z = W a, computed as zᵀ = aᵀ Wᵀ (row-major views)
            if b[l] is not None:
                z[l] += b[l]
            if self.forward[l] is not None:
                self.forward[l](z[l], a[l], self.scratch[l][:, :N])
            else:
                np.copyto(a[l], f[l](z[l]))
        scale = (1 / N) if weights is None else weights / N
        C = float((cost.value(z[L], a[L], Y, f[L]) * scale).sum())
        delta = self.delta[L][:, :N]
        np.multiply(cost.delta(z[L], a[L], Y, f[L]), scale, out=delta)
        self._gradients(z, a, delta)
        self.step(net.params(), self.grads)
        return C

    def _below(self, l: int, z: list, a: list, delta: np.ndarray) -> np.ndarray:
        """δ⁽ˡ⁻¹⁾ = (W⁽ˡ⁾)ᵀ δ⁽ˡ⁾ ⊙ f'(z⁽ˡ⁻¹⁾), into its buffer."""
        N = delta.shape[1]
        below = self.delta[l - 1][:, :N]
        np.matmul(delta.T, self.net.W[l], out=below.T)
        k = l - 1
        if self.derivative[k] is not None:
            self.derivative[k](z[k], a[k], below, self.scratch[k][:, :N])
        else:
            np.copyto(below, self.net.f[k].backward(z[k], a[k], below))
        return below

    def _gradients(self, z: list, a: list, delta: np.ndarray) -> None:
        """∂C/∂W⁽ˡ⁾ and ∂C/∂b⁽ˡ⁾ into ``self.grads`` (in the order of ``Network.params()``)."""
        net, grads = self.net, iter(reversed(self.grads))
        for l in range(net.L, 0, -1):
            if net.b[l] is not None:
                np.sum(delta, axis=1, keepdims=True, out=next(grads))
            dW = next(grads)
            np.matmul(a[l - 1], delta.T, out=dW.T)  # dWᵀ = a δᵀ (row-major view of the column-major dW)
            if l > 1:
                delta = self._below(l, z, a, delta)
