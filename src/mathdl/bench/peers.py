"""The peers: the same networks in PyTorch (CPU), scikit-learn's MLPClassifier, and the book's loop.

Each function trains on arrays given in the samples × features layout the peer expects (or, for the
book's loop, features × samples as the book has them) and returns seconds; an absent package raises
``Skipped``. The PyTorch loops are the idiom a careful user writes (a tensor indexed by a shuffled
permutation, not a ``DataLoader`` that collates sample by sample), so the comparison is with PyTorch
at its best.
"""
from __future__ import annotations

import time
import warnings

import numpy as np

from .timing import timed


class Skipped(Exception):
    """A peer that cannot run here (the message says why)."""


def versions() -> dict[str, str]:
    """The installed peers' versions (absent ones are left out)."""
    found = {}
    for name, module in (("pytorch", "torch"), ("scikit-learn", "sklearn")):
        try:
            found[name] = __import__(module).__version__
        except ImportError:
            pass
    return found


def _torch(threads: int):
    try:
        import torch
    except ImportError:
        raise Skipped("PyTorch is not installed (pip install torch==2.13.0)") from None
    torch.set_num_threads(threads)
    return torch


def _sklearn_mlp(hidden: int, batch: int, eta: float, seed: int):
    """MLPClassifier for 784-h-10 ReLU, Adam, no L2 penalty."""
    try:
        from sklearn.neural_network import MLPClassifier
    except ImportError:
        raise Skipped("scikit-learn is not installed") from None
    return MLPClassifier(hidden_layer_sizes=(hidden,), activation="relu", solver="adam", alpha=0.0,
                         batch_size=batch, learning_rate_init=eta, shuffle=True, random_state=seed)


def _torch_mlp(torch, X, labels, hidden: int, eta: float, seed: int):
    """Tensors X (N, 784), y, the model 784-h-10 ReLU, its Adam optimiser and the cross-entropy loss."""
    torch.manual_seed(seed)
    X, y = torch.from_numpy(np.ascontiguousarray(X)), torch.from_numpy(labels.astype(np.int64))
    model = torch.nn.Sequential(torch.nn.Linear(X.shape[1], hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 10))
    return X, y, model, torch.optim.Adam(model.parameters(), lr=eta), torch.nn.CrossEntropyLoss()


def _torch_epoch(torch, X, y, model, optimizer, loss, batch: int) -> None:
    """One epoch of mini-batches in a fresh random order."""
    order = torch.randperm(len(y))
    for first in range(0, len(y), batch):
        idx = order[first:first + batch]
        optimizer.zero_grad(set_to_none=True)
        loss(model(X[idx]), y[idx]).backward()
        optimizer.step()


# ---------------------------------------------------------------------------------------------------
# Matrix backprop: one epoch of mini-batch Adam on 784-h-10, ReLU, softmax + cross-entropy, float32


def torch_epochs(X: np.ndarray, labels: np.ndarray, hidden: int, batch: int, eta: float, epochs: int,
                 threads: int, seed: int = 0) -> list[float]:
    """Seconds of each of ``epochs`` epochs (after one untimed) of PyTorch on X (N, 784) float32."""
    torch = _torch(threads)
    parts = _torch_mlp(torch, X, labels, hidden, eta, seed)
    return timed(lambda: _torch_epoch(torch, *parts, batch), epochs)


def sklearn_epochs(X: np.ndarray, labels: np.ndarray, hidden: int, batch: int, eta: float, epochs: int,
                   threads: int, seed: int = 0) -> list[float]:
    """Seconds of each of ``epochs`` epochs (``partial_fit``, after one untimed) of MLPClassifier."""
    model, classes = _sklearn_mlp(hidden, batch, eta, seed), np.arange(10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return timed(lambda: model.partial_fit(X, labels, classes=classes), epochs)


# ---------------------------------------------------------------------------------------------------
# Online backprop: per-sample SGD on 784-h-10 sigmoid, TSE, no biases, float64


def book_epoch(W1: np.ndarray, W2: np.ndarray, X: np.ndarray, Y: np.ndarray, order: np.ndarray, lr: float) -> float:
    """One epoch of the book's ``train`` (Rashid, "Make Your Own Neural Network") on X (784, N), Y (10, N)
    in ``order``; updates W1 (h, 784), W2 (10, h) in place and returns the seconds.

    The book's code, line for line — column vectors made with ``numpy.array(…, ndmin=2).T``, the
    outer products with ``numpy.dot``, ``scipy.special.expit`` — with one correction: the hidden errors
    are propagated from the output deltas e ⊙ o(1 − o), not from the raw errors e, so that the loop is
    exact gradient descent on ½ Σ (t − o)² (see the README's note on the book's network)."""
    from scipy.special import expit as activation_function

    start = time.perf_counter()
    for i in order:
        inputs = np.array(X[:, i], ndmin=2).T
        targets = np.array(Y[:, i], ndmin=2).T
        hidden_outputs = activation_function(np.dot(W1, inputs))
        final_outputs = activation_function(np.dot(W2, hidden_outputs))
        output_errors = targets - final_outputs
        output_deltas = output_errors * final_outputs * (1.0 - final_outputs)
        hidden_errors = np.dot(W2.T, output_deltas)
        W2 += lr * np.dot(output_deltas, np.transpose(hidden_outputs))
        W1 += lr * np.dot((hidden_errors * hidden_outputs * (1.0 - hidden_outputs)), np.transpose(inputs))
    return time.perf_counter() - start


def torch_online_epoch(W1: np.ndarray, W2: np.ndarray, X: np.ndarray, Y: np.ndarray, order: np.ndarray,
                       lr: float, threads: int) -> tuple[float, list[np.ndarray]]:
    """One epoch of per-sample SGD in PyTorch (float64, no biases, loss ½ Σ (y − a)²) from W1, W2 in
    ``order``; returns the seconds and the weights after it."""
    torch = _torch(threads)
    layers = [torch.nn.Linear(W.shape[1], W.shape[0], bias=False, dtype=torch.float64) for W in (W1, W2)]
    with torch.no_grad():
        for layer, W in zip(layers, (W1, W2)):
            layer.weight.copy_(torch.from_numpy(W))
    model = torch.nn.Sequential(layers[0], torch.nn.Sigmoid(), layers[1], torch.nn.Sigmoid())
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    Xs, Ys = torch.from_numpy(np.ascontiguousarray(X.T)), torch.from_numpy(np.ascontiguousarray(Y.T))
    start = time.perf_counter()
    for i in order.tolist():
        optimizer.zero_grad(set_to_none=True)
        (0.5 * ((Ys[i] - model(Xs[i])) ** 2).sum()).backward()
        optimizer.step()
    seconds = time.perf_counter() - start
    return seconds, [layer.weight.detach().numpy().copy() for layer in layers]


# ---------------------------------------------------------------------------------------------------
# Time to a test accuracy: 784-256-10 ReLU, Adam 1e-3, batch 128, inputs x/255, float32


def torch_time_to(X, labels, X_test, test_labels, goal: float, max_epochs: int, threads: int, seed: int,
                  hidden: int = 256, batch: int = 128, eta: float = 1e-3) -> tuple[float, int | None]:
    """Seconds until the test accuracy (measured after every epoch) reaches ``goal``, and the epochs it
    took (None: not within ``max_epochs``; the seconds are then those of all epochs)."""
    torch = _torch(threads)
    start = time.perf_counter()
    parts = _torch_mlp(torch, X, labels, hidden, eta, seed)
    model = parts[2]
    X_test, y_test = torch.from_numpy(np.ascontiguousarray(X_test)), torch.from_numpy(test_labels.astype(np.int64))
    for epoch in range(1, max_epochs + 1):
        _torch_epoch(torch, *parts, batch)
        with torch.no_grad():
            if (model(X_test).argmax(1) == y_test).double().mean().item() >= goal:
                return time.perf_counter() - start, epoch
    return time.perf_counter() - start, None


def sklearn_time_to(X, labels, X_test, test_labels, goal: float, max_epochs: int, threads: int, seed: int,
                    hidden: int = 256, batch: int = 128, eta: float = 1e-3) -> tuple[float, int | None]:
    """As ``torch_time_to``, with MLPClassifier (no L2 penalty, one ``partial_fit`` per epoch)."""
    start, classes = time.perf_counter(), np.arange(10)
    model = _sklearn_mlp(hidden, batch, eta, seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for epoch in range(1, max_epochs + 1):
            model.partial_fit(X, labels, classes=classes)
            if model.score(X_test, test_labels) >= goal:
                return time.perf_counter() - start, epoch
    return time.perf_counter() - start, None
