"""The training images' first and second moments, in one pass over X (n_0, N) chunk by chunk:

    x̄_c = (1/N_c) Σ_{i: y_i = c} x_i   (the mean image of class c),   μ = (1/N) Σ_i x_i,   M = (1/N) Σ_i x_i x_iᵀ,

so that the covariance of all the images is Σ = M − μμᵀ (the Gaussian prior's) and the share of their energy
Σ_i ‖x_i‖² in a subspace with orthonormal basis V (rows) is tr(V M Vᵀ) / tr(M) (the null space of W⁽¹⁾'s share,
in ``measure.network_facts``). M is summed by the symmetric rank-k update of BLAS (``dsyrk``: C Cᵀ for a chunk C,
half the products of C @ C.T).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg.blas import dsyrk

from ..base.errors import MathdlError

Array = np.ndarray
CHUNK = 8192  # training images per chunk (64 MB of float64 for MNIST)


@dataclass
class Moments:
    """``means`` (n_0, m): x̄_c as columns; ``counts`` (m,): N_c; ``mu`` (n_0,): μ; ``second`` (n_0, n_0): M;
    ``lo``, ``hi``: the smallest and largest pixel of the images."""

    means: Array
    counts: Array
    mu: Array
    second: Array
    lo: float
    hi: float

    @property
    def N(self) -> int:
        return int(self.counts.sum())

    @property
    def covariance(self) -> Array:
        """Σ = M − μμᵀ (n_0, n_0)."""
        return self.second - np.outer(self.mu, self.mu)


def moments(X, labels: Array, m: int) -> Moments:
    """The moments of the training images X (n_0, N) (an array or ``Pixels``) with ``labels`` in 0..m−1."""
    n_0, N = X.shape
    labels = np.asarray(labels)
    counts = np.bincount(labels, minlength=m)[:m].astype(np.int64)
    missing = [c for c in range(m) if counts[c] == 0]
    if missing:
        raise MathdlError(f"no training image of digit {missing[0]}, so it has no mean image")
    sums, second = np.zeros((n_0, m)), np.zeros((n_0, n_0), order="F")
    for start in range(0, N, CHUNK):
        C = np.asfortranarray(np.asarray(X[:, start:start + CHUNK], dtype=np.float64))
        onehot = np.zeros((C.shape[1], m))
        onehot[np.arange(C.shape[1]), labels[start:start + CHUNK]] = 1.0
        sums += C @ onehot
        second = dsyrk(1.0, C, beta=1.0, c=second, overwrite_c=True)  # the upper triangle of M += C Cᵀ
    second = np.triu(second) + np.triu(second, 1).T
    mu = sums.sum(axis=1) / N
    return Moments(sums / counts, counts, mu, second / N, float(X.min()), float(X.max()))
