"""An independent judge of the reverse images: k nearest neighbours on the pixels.

A network reading its own image as a "1" proves little (an image can be made to please one network
without looking like anything), so every image is also read by a classifier of another kind that
shares nothing with the network: it never sees a network (this module imports none, a contract in
pyproject.toml), only the training images X (n_0, N) and their labels. Its reading of an image x (n_0,)
is the class most frequent among the k training images nearest to x,

    N_k(x) = the k columns x_i of X with the smallest ‖x − x_i‖,   p̂(c | x) = #{i ∈ N_k(x) : y_i = c} / k,

ties broken by the class of the nearest of the tied neighbours. Its own test accuracy is measured on a
stratified sample of the test images (with a Wilson interval), and the same distances give, per class c,
how close a new handwritten digit of c comes to the training images of c: the ``quantile`` (5%) of
min_i ‖x − x_i‖ over the sampled test images of c. A reverse image closer than that to a training image
of its class is closer than 95% of new digits are: a near-copy of one training image, not a picture of the
class (``copy_distance``).

Distances are searched in float32 chunks of the training images, class by class (the products Qᵀ X_chunk,
memory bounded by ``CHUNK``), and the distances reported are recomputed exactly in float64.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..base.errors import MathdlError
from ..evaluation.metrics import wilson

Array = np.ndarray
K = 10  # neighbours that vote: p̂ in steps of 0.1
PER_CLASS = 50  # test images per class on which the judge is assessed
QUANTILE = 0.05  # a reverse image is a near-copy when closer to a training image than 95% of new digits are
CHUNK = 8192  # training images per distance product


def needed(share: float, images: int) -> int:
    """The fewest of ``images`` the judge must read as intended to read ``share`` of them: ⌈share · images⌉, the
    product rounded first (0.56 · 50 is 28.000000000000004 in floating point)."""
    return math.ceil(round(share * images, 9))


def _chunks(X, labels: Array, m: int):
    """The training images X (n_0, N) class by class, in chunks of at most ``CHUNK``: (class, indices, float32
    (n_0, c) columns), with (α, β) such that a column t of a chunk is the input α t + β: ``Pixels`` give their
    0-255 bytes (no scaling pass over the whole set), arrays their values (α, β = 1, 0)."""
    images = getattr(X, "images", None)
    pixels = images is not None and hasattr(X, "affine")
    alpha, beta = X.affine() if pixels else (1.0, 0.0)
    X = X if pixels else np.asarray(X)

    def chunks():
        for c in range(m):
            members = np.flatnonzero(labels == c)
            for start in range(0, len(members), CHUNK):
                idx = members[start:start + CHUNK]
                yield c, idx, (images[idx].T if pixels else X[:, idx]).astype(np.float32)
    return chunks(), alpha, beta


@dataclass
class Search:
    """For queries Q (n_0, q): the indices (q, k) and exact distances (q, k) of the k nearest training images,
    nearest first, and per class c the exact distance (q, m) to the nearest training image of c and its index."""

    nearest: Array
    distances: Array
    class_distance: Array
    class_index: Array


def search(X, labels: Array, Q: Array, k: int = K, m: int | None = None) -> Search:
    """The k nearest training images (columns of X, labels ``labels``) of each column of Q, and the nearest of
    each class, by ‖q − x_i‖² = ‖q‖² − 2 qᵀx_i + ‖x_i‖² in float32 chunks, then recomputed exactly."""
    Q = np.asarray(Q, dtype=np.float64)
    if Q.ndim == 1:
        Q = Q[:, None]
    n_0, N = X.shape
    if Q.shape[0] != n_0:
        raise MathdlError(f"the judge reads images of {n_0} pixels, got {Q.shape[0]}")
    labels = np.asarray(labels)
    m = int(labels.max()) + 1 if m is None else m
    k = min(k, N)
    q = Q.shape[1]
    chunks, alpha, beta = _chunks(X, labels, m)
    Q32 = ((Q - beta) / alpha).astype(np.float32)  # in the units of the chunks: distances there are ‖·‖ / α
    q_norm = (Q32 * Q32).sum(axis=0)[:, None]
    rows = np.arange(q)
    best_d, best_i = np.full((q, 0), np.inf, np.float32), np.zeros((q, 0), np.int64)
    class_d, class_i = np.full((q, m), np.inf, np.float32), np.zeros((q, m), np.int64)
    for c, idx, T in chunks:  # class by class: the nearest of the class is the chunk's nearest
        D = Q32.T @ T
        D *= -2
        D += q_norm
        D += (T * T).sum(axis=0)[None, :]  # (q, chunk) squared distances ‖q‖² − 2 qᵀt + ‖t‖²
        j = D.argmin(axis=1)
        better = D[rows, j] < class_d[:, c]
        class_d[better, c], class_i[better, c] = D[rows, j][better], idx[j][better]
        if best_d.shape[1] < k:  # the first chunks: every row takes part
            best_d, best_i = _merge(best_d, best_i, D, idx, k)
        else:  # only the rows with a training image nearer than their k-th nearest so far
            need = np.flatnonzero((D < best_d.max(axis=1)[:, None]).any(axis=1))
            if len(need):
                best_d[need], best_i[need] = _merge(best_d[need], best_i[need], D[need], idx, k)
    exact = lambda index: np.sqrt(((Q[:, :, None] - _take(X, index)) ** 2).sum(axis=0))  # noqa: E731
    distances = exact(best_i)
    order = np.argsort(distances, axis=1, kind="stable")
    best_i, distances = np.take_along_axis(best_i, order, 1), np.take_along_axis(distances, order, 1)
    class_exact = np.where(np.isfinite(class_d), exact(class_i), np.inf)
    return Search(best_i, distances, class_exact, class_i)


def _merge(best_d: Array, best_i: Array, D: Array, idx: Array, k: int) -> tuple[Array, Array]:
    """The k smallest of each row of the distances so far ``best_d`` (indices ``best_i``) and a chunk's D
    (columns ``idx``), unordered."""
    d = np.concatenate([best_d, D], axis=1)
    i = np.concatenate([best_i, np.broadcast_to(idx, D.shape)], axis=1)
    keep = np.argpartition(d, k - 1, axis=1)[:, :k] if d.shape[1] > k else np.argsort(d, axis=1)
    return np.take_along_axis(d, keep, 1), np.take_along_axis(i, keep, 1)


def _take(X, index: Array) -> Array:
    """Training images X[:, index] for an index array (q, j) → (n_0, q, j)."""
    columns = np.asarray(X[:, index.ravel()], dtype=np.float64)
    return columns.reshape(X.shape[0], *index.shape)


def vote(neighbour_labels: Array, distances: Array, m: int) -> tuple[Array, Array]:
    """The class of each row of ``neighbour_labels`` (q, k) by majority, a tie going to the tied class with the
    nearest neighbour (``distances`` ascending along the row), and the vote shares p̂ (q, m)."""
    q, k = neighbour_labels.shape
    votes = np.zeros((q, m))
    np.add.at(votes, (np.repeat(np.arange(q), k), neighbour_labels.ravel()), 1.0)
    shares = votes / k
    reading = np.empty(q, dtype=np.int64)
    for row in range(q):
        tied = np.flatnonzero(shares[row] == shares[row].max())
        first = [next(j for j in range(k) if neighbour_labels[row, j] == c) for c in tied]
        reading[row] = tied[int(np.argmin([distances[row, j] for j in first]))]
    return reading, shares


@dataclass
class Judge:
    """k-nearest-neighbour reader fitted on the training images X (n_0, N) with ``labels``; ``assessment``: its
    accuracy on a stratified sample of test images and, per class, the near-copy distance (see the module)."""

    X: object
    labels: Array
    k: int = K
    assessment: dict | None = None

    @property
    def m(self) -> int:
        return int(self.labels.max()) + 1

    def read(self, Q: Array) -> list[dict]:
        """Per column x of Q (n_0, q): ``reading`` (the class), ``shares`` p̂(c | x) for every c and the distance to
        the nearest training image of every class, ``class_distance`` (its index: ``class_nearest``)."""
        found = search(self.X, self.labels, Q, self.k, self.m)
        reading, shares = vote(self.labels[found.nearest], found.distances, self.m)
        return [{"reading": int(reading[j]), "shares": [float(v) for v in shares[j]],
                 "class_distance": [float(v) for v in found.class_distance[j]],
                 "class_nearest": [int(v) for v in found.class_index[j]]} for j in range(len(reading))]

    def copy_distance(self, c: int) -> float | None:
        """The near-copy threshold of class c (None before ``assess``)."""
        return None if self.assessment is None else self.assessment["copy_distance"][c]

    def assess(self, X_test, labels_test: Array, *, per_class: int = PER_CLASS, quantile: float = QUANTILE,
               rng: np.random.Generator) -> dict:
        """Read ``per_class`` test images of every class (drawn by ``rng``): the judge's accuracy with its Wilson
        interval, and per class c the ``quantile`` of the test images' distances to the nearest training image
        of c (``copy_distance``). Stored in ``assessment`` and returned."""
        labels_test = np.asarray(labels_test)
        sample = np.concatenate([rng.permutation(np.flatnonzero(labels_test == c))[:per_class]
                                 for c in range(self.m)])
        if not len(sample):
            raise MathdlError("no test images to assess the judge on")
        Q = np.asarray(X_test[:, sample], dtype=np.float64)
        found = search(self.X, self.labels, Q, self.k, self.m)
        reading, _ = vote(self.labels[found.nearest], found.distances, self.m)
        truth = labels_test[sample]
        correct = int((reading == truth).sum())
        rate = wilson(correct, len(sample))
        own = found.class_distance[np.arange(len(sample)), truth]
        copy = [float(np.quantile(own[truth == c], quantile)) if np.any(truth == c) else None for c in range(self.m)]
        self.assessment = {"k": self.k, "test_images": int(len(sample)), "correct": correct, "accuracy": rate.value,
                           "accuracy_ci95": [rate.low, rate.high], "quantile": quantile, "copy_distance": copy,
                           "median_distance": [float(np.median(own[truth == c])) if np.any(truth == c) else None
                                               for c in range(self.m)]}
        return self.assessment
