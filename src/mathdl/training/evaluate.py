"""Evaluation of a network on a split: the mean cost C = (1/N) Σ_x C_x and the accuracy, by forward passes
over chunks of columns (bounded memory).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..data.augment import take
from ..data.tasks import Split, Task
from ..nn.costs import Cost, get_cost
from ..nn.network import Network

EVAL_CHUNK = 2048  # samples per forward pass when evaluating (bounds memory)


@dataclass(frozen=True)
class Evaluation:
    """Mean cost, accuracy, the predicted classes and the outputs a⁽ᴸ⁾ (m, N) of a network on one split."""

    cost: float
    accuracy: float
    predicted: np.ndarray
    outputs: np.ndarray


def evaluate(net: Network, split: Split, task: Task, cost: Cost | str) -> Evaluation:
    """C = (1/N) Σ_x C_x and the fraction of samples whose predicted class is the true class."""
    cost = get_cost(cost)
    L, total, predicted, outputs = net.L, 0.0, [], []
    lazy = not isinstance(split.X, np.ndarray)  # Pixels: scaled into one reused buffer, chunk by chunk
    buffer = np.empty((split.X.shape[0], min(EVAL_CHUNK, split.N)), split.X.dtype, order="F") if lazy else None
    for start in range(0, split.N, EVAL_CHUNK):
        cols = slice(start, min(start + EVAL_CHUNK, split.N))
        X = take(split.X, cols, buffer[:, :cols.stop - start]) if lazy else split.X[:, cols]
        Y = split.Y[:, cols]
        a = X
        for l in range(1, L):
            a = net.f[l](net.z(l, a))
        z_L = net.z(L, a)
        a_L = net.f[L](z_L)
        total += float(cost.value(z_L, a_L, Y, net.f[L]).sum())
        predicted.append(task.classify(a_L))
        outputs.append(a_L)
    predicted = np.concatenate(predicted)
    return Evaluation(total / split.N, float((predicted == split.labels).mean()), predicted,
                      np.concatenate(outputs, axis=1))
