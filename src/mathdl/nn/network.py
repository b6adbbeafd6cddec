"""The network: parameters W⁽ˡ⁾, b⁽ˡ⁾ and activations f_l for l = 1..L, and the forward pass.

    z⁽ˡ⁾ = W⁽ˡ⁾ a⁽ˡ⁻¹⁾ + b⁽ˡ⁾,   a⁽ˡ⁾ = f_l(z⁽ˡ⁾),   a⁽⁰⁾ = x,

with W⁽ˡ⁾ of shape (n_l, n_{l−1}) (stored column-major, as BLAS updates it in place) and b⁽ˡ⁾ of
shape (n_l, 1). A batch is a matrix whose N columns
are samples, so one equation serves a single sample (N = 1) and a mini-batch alike.
Lists are indexed by the layer number as in the equations: ``W[l]`` is W⁽ˡ⁾ and ``W[0]`` is None.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from ..base.errors import MathdlError
from .activations import get_activation, hidden_activation
from .init import init_std

Array = np.ndarray
DTYPES = {"float64": np.float64, "float32": np.float32}


def check_memory(sizes: list[int], dtype) -> None:
    """Refuse a network whose parameters, with a gradient and two optimiser arrays of the same size,
    would not fit in this machine's memory (rather than being killed while allocating them)."""
    n_params = sum(n_out * (n_in + 1) for n_in, n_out in zip(sizes, sizes[1:]))
    needed = 4 * n_params * np.dtype(dtype).itemsize
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # not POSIX: no check
        return
    if needed > memory:
        raise MathdlError(f"a network with layer sizes {sizes} has {n_params:,} parameters and needs about "
                          f"{needed / 2**30:.0f} GiB, more than this machine's {memory / 2**30:.0f} GiB")


@dataclass
class Network:
    """A fully connected network; ``W[l]``, ``b[l]``, ``f[l]`` for l = 1..L (index 0 is None).

    ``b[l]`` is None for every layer of a bias-free network (the book's).
    """

    W: list
    b: list
    f: list

    @classmethod
    def create(cls, sizes, activations, *, rng: np.random.Generator, init: str = "normal",
               bias: bool = True, dtype=np.float64) -> "Network":
        """A new network with layer sizes [n_0, n_1, …, n_L] and activations [f_1, …, f_L].

        W⁽ˡ⁾ ~ N(0, σ²) with σ from ``init``; b⁽ˡ⁾ = 0.
        """
        sizes = [int(n) for n in sizes]
        if len(sizes) < 2 or any(n < 1 for n in sizes):
            raise MathdlError(f"layer sizes must be at least two positive integers, got {sizes}")
        if len(activations) != len(sizes) - 1:
            raise MathdlError(f"{len(sizes) - 1} layers need {len(sizes) - 1} activations, "
                              f"got {len(activations)}")
        check_memory(sizes, dtype)
        f = [None] + [hidden_activation(name) for name in activations[:-1]]
        f.append(get_activation(activations[-1]))
        W, b = [None], [None]
        for n_in, n_out in zip(sizes, sizes[1:]):
            W.append(np.asfortranarray(rng.normal(0.0, init_std(init, n_in, n_out), (n_out, n_in)), dtype))
            b.append(np.zeros((n_out, 1), dtype) if bias else None)
        return cls(W, b, f)

    @property
    def L(self) -> int:
        """The number of layers with weights (hidden layers + output)."""
        return len(self.W) - 1

    @property
    def sizes(self) -> list[int]:
        """[n_0, n_1, …, n_L]."""
        return [self.W[1].shape[1]] + [self.W[l].shape[0] for l in range(1, self.L + 1)]

    @property
    def bias(self) -> bool:
        return self.b[1] is not None

    @property
    def dtype(self):
        return self.W[1].dtype

    @property
    def activations(self) -> list[str]:
        return [self.f[l].name for l in range(1, self.L + 1)]

    @property
    def n_params(self) -> int:
        """Σ_l n_l n_{l−1} (+ n_l with biases)."""
        return sum(self.W[l].size + (self.b[l].size if self.bias else 0) for l in range(1, self.L + 1))

    def params(self) -> list[Array]:
        """The parameter arrays in a fixed order: W⁽¹⁾, b⁽¹⁾, …, W⁽ᴸ⁾, b⁽ᴸ⁾ (biases if present)."""
        return [p for l in range(1, self.L + 1) for p in (self.W[l], self.b[l]) if p is not None]

    def z(self, l: int, a_prev: Array) -> Array:
        """z⁽ˡ⁾ = W⁽ˡ⁾ a⁽ˡ⁻¹⁾ + b⁽ˡ⁾."""
        z = self.W[l] @ a_prev
        if self.b[l] is not None:
            z += self.b[l]
        return z

    def forward(self, X: Array) -> tuple[list, list]:
        """All pre-activations and activations for X of shape (n_0, N): lists z, a indexed by l."""
        z, a = [None], [X]
        for l in range(1, self.L + 1):
            z.append(self.z(l, a[l - 1]))
            a.append(self.f[l](z[l]))
        return z, a

    def __call__(self, X: Array) -> Array:
        """The output a⁽ᴸ⁾ for X of shape (n_0, N), shape (n_L, N)."""
        a = X
        for l in range(1, self.L + 1):
            a = self.f[l](self.z(l, a))
        return a

    def copy(self) -> "Network":
        return Network([None] + [self.W[l].copy(order="K") for l in range(1, self.L + 1)],
                       [None] + [None if self.b[l] is None else self.b[l].copy()
                                 for l in range(1, self.L + 1)],
                       list(self.f))

    def astype(self, dtype) -> "Network":
        """A copy with parameters of another float dtype."""
        net = self.copy()
        for l in range(1, self.L + 1):
            net.W[l] = net.W[l].astype(dtype)
            if net.b[l] is not None:
                net.b[l] = net.b[l].astype(dtype)
        return net
