"""The fast path of the matrix method with momentum or Adam: ``backprop`` and the optimiser's update on
preallocated buffers (plain SGD has its own, ``mathdl.nn.sgd``).

For a mini-batch X (n_0, N) and targets Y (n_L, N), with s = 1/N (or w_x/N with sample weights):

    z⁽ˡ⁾ = W⁽ˡ⁾ a⁽ˡ⁻¹⁾ + b⁽ˡ⁾,  a⁽ˡ⁾ = f_l(z⁽ˡ⁾)                       (into buffers, column-major)
    δ⁽ᴸ⁾ = s ⊙ cost delta,  δ⁽ˡ⁾ = (W⁽ˡ⁺¹⁾)ᵀ δ⁽ˡ⁺¹⁾ ⊙ f_l'(z⁽ˡ⁾)      (f' applied in place)
    ∂C/∂W⁽ˡ⁾ = δ⁽ˡ⁾ (a⁽ˡ⁻¹⁾)ᵀ,  ∂C/∂b⁽ˡ⁾ = Σ_columns δ⁽ˡ⁾,

then θ ← update(θ, ∂C/∂θ): momentum and Adam run their reference arithmetic (``optimizers``) operation
by operation into scratch buffers, on the optimiser's own state, so a run can switch between the paths. Nothing is allocated per batch but small (n_L, N)
cost arrays; the test suite proves the result equals ``backprop`` followed by the optimiser's ``step``.

Activations with an in-place form are listed in ``FORWARD`` and ``DERIVATIVE``; any other activation
uses its own functions from ``activations``, copied into the buffers.
"""
from __future__ import annotations

import numpy as np
from scipy.special import expit

from ..costs import Cost
from ..network import Network
from ..optimizers import Adam, Momentum
from .threads import SMALL_BATCH, one_thread


def _softmax(z, a, scratch):
    """a = e^{z − max z} / Σ e^{z − max z} per column, as ``activations.softmax`` computes it."""
    np.subtract(z, z.max(axis=0, keepdims=True), out=a)
    np.exp(a, out=a)
    a /= a.sum(axis=0, keepdims=True)


FORWARD = {  # a = f(z) written into a; same values as activations.ACTIVATIONS[name].f(z)
    "sigmoid": lambda z, a, scratch: expit(z, out=a),
    "tanh": lambda z, a, scratch: np.tanh(z, out=a),
    "relu": lambda z, a, scratch: np.maximum(z, 0, out=a),
    "linear": lambda z, a, scratch: np.copyto(a, z),
    "softmax": _softmax,
}


def _sigmoid_df(z, a, g, scratch):
    np.subtract(1, a, out=scratch)  # σ' = a(1 − a)
    scratch *= a
    g *= scratch


def _tanh_df(z, a, g, scratch):
    np.multiply(a, a, out=scratch)  # tanh' = 1 − a²
    np.subtract(1, scratch, out=scratch)
    g *= scratch


DERIVATIVE = {  # g ← g ⊙ f'(z) in place; same values as Activation.backward(z, a, g)
    "sigmoid": _sigmoid_df,
    "tanh": _tanh_df,
    "relu": lambda z, a, g, scratch: np.multiply(g, z > 0, out=g),
    "linear": lambda z, a, g, scratch: None,
}


def supported(optimizer) -> bool:
    """Whether ``MatrixStep`` implements this optimiser (plain SGD has its own fast path, ``mathdl.nn.sgd``)."""
    return type(optimizer) in (Momentum, Adam)


class MatrixStep:
    """Mini-batch updates of ``net`` (in place) by ``optimizer`` for batches of at most ``batch`` samples."""

    def __init__(self, net: Network, cost: Cost, optimizer, batch: int):
        self.net, self.cost, self.optimizer = net, cost, optimizer
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
        self.forward = [None] + [FORWARD.get(f.name) for f in net.f[1:]]
        self.derivative = [None] + [DERIVATIVE.get(f.name) for f in net.f[1:]]
        self.grads = [np.empty_like(p, order="K") for p in net.params()]
        self.work = [(np.empty_like(p, order="K"), np.empty_like(p, order="K")) for p in net.params()]

    def __call__(self, X: np.ndarray, Y: np.ndarray, weights: np.ndarray | None = None) -> float:
        """One update from the batch X (n_0, N) column-major, Y (n_L, N); returns its cost C (before)."""
        if X.shape[1] < SMALL_BATCH:
            with one_thread():  # see mathdl.nn.threads
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
        self._update()
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

    def _update(self) -> None:
        """The optimiser's reference arithmetic, one operation at a time into scratch buffers."""
        opt, params = self.optimizer, self.net.params()
        if type(opt) is Momentum:
            opt.start(params)
            for theta, g, v, (w, _) in zip(params, self.grads, opt.v, self.work):
                v *= opt.mu
                np.multiply(g, opt.eta, out=w)  # v ← μv − ηg
                v -= w
                theta += v
            return
        opt.start(params)
        step, eps_hat = opt.advance()
        for theta, g, m, v, (w, u) in zip(params, self.grads, opt.m, opt.v, self.work):
            m *= opt.beta1
            np.multiply(g, 1 - opt.beta1, out=w)  # m ← β₁m + (1 − β₁)g
            m += w
            v *= opt.beta2
            np.multiply(g, 1 - opt.beta2, out=w)  # v ← β₂v + (1 − β₂)g²
            w *= g
            v += w
            np.multiply(m, step, out=w)  # θ ← θ − η m̂ / (√v̂ + ε)
            np.sqrt(v, out=u)
            u += eps_hat
            w /= u
            theta -= w
