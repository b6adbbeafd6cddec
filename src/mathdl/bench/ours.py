"""mathdl's side of each case, through the code ``mathdl.train`` runs.

An epoch of updates is timed by the very epoch function ``train`` uses (the fast paths, columns gathered
into a reused buffer), without ``train``'s per-epoch evaluation of the training and test sets, which
the peers' loops do not do either. The time to an accuracy runs ``train`` itself, evaluation included.
"""
from __future__ import annotations

import dataclasses
import time

import numpy as np

from ..data.mnist import MNIST
from ..data.tasks import Task
from ..nn.costs import get_cost
from ..nn.fast import updates
from ..nn.network import Network
from ..nn.optimizers import make_optimizer
from ..runs.experiment import Config, build_network, build_task
from ..training.loop import epoch_updates, train
from .timing import timed

# Our recipe for the time to 98% test accuracy on the ten digits, tuned on 2 cores: the same one-hidden-
# layer network as PyTorch's case on the same images (no deskewing), standardised inputs, He
# initialisation, Adam with a larger step that decays as η/e in epoch e. On the command line: mathdl train
# --task digits --hidden 256 --activation relu --output-activation softmax --cost xe --bp matrix --optimizer
# adam --lr 0.003 --decay 1 --batch-size 128 --init he --scale standard --augment 0 --no-deskew --dtype float32
RECIPE = Config(task="digits", hidden=(256,), activation="relu", output_activation="softmax", cost="xe",
                method="matrix", optimizer="adam", eta=3e-3, decay=1.0, batch_size=128, init="he",
                scale="standard", augment=0, deskew=False, dtype="float32")


def matrix_epochs(task: Task, hidden: int, batch: int, eta: float, epochs: int, seed: int = 0) -> list[float]:
    """Seconds of each of ``epochs`` epochs (after one untimed) of mini-batch Adam on 784-h-10, ReLU,
    softmax + cross-entropy, in the dtype of ``task``."""
    net = Network.create([task.n_inputs, hidden, task.n_outputs], ["relu", "softmax"], init="he",
                         rng=np.random.default_rng(seed), dtype=task.train.X.dtype)
    route = updates(net, get_cost("xe"), "matrix", make_optimizer("adam", eta), batch)
    epoch = epoch_updates(route, {"X": task.train.X, "Y": task.train.Y}, None)
    shuffle = np.random.default_rng(seed)
    return timed(lambda: [None for _ in epoch(shuffle.permutation(task.train.N))], epochs)


def book_network(W1: np.ndarray, W2: np.ndarray) -> Network:
    """The book's network: 784-h-10, sigmoid on both layers, no biases, with copies of W1, W2."""
    from ..nn.activations import get_activation
    sigmoid = get_activation("sigmoid")
    return Network([None, np.array(W1, order="F"), np.array(W2, order="F")], [None, None, None],
                   [None, sigmoid, sigmoid])


def online_epoch(task: Task, W1: np.ndarray, W2: np.ndarray, order: np.ndarray, eta: float,
                 samples: int | None = None) -> tuple[float, Network]:
    """One epoch (or its first ``samples`` steps) of online SGD with TSE from W1, W2 in ``order``:
    the seconds and the trained network."""
    net = book_network(W1, W2)
    route = updates(net, get_cost("tse"), "online", make_optimizer("sgd", eta), 1)
    epoch = epoch_updates(route, {"X": task.train.X, "Y": task.train.Y}, None)
    order = order[:samples]
    start = time.perf_counter()
    for _ in epoch(order):
        pass
    return time.perf_counter() - start, net


class _Reached(Exception):
    def __init__(self, epoch: int):
        self.epoch = epoch


def time_to(mnist: MNIST, goal: float, max_epochs: int, seed: int, sizes: dict | None = None
            ) -> tuple[float, int | None]:
    """Seconds from the MNIST arrays to a test accuracy ≥ ``goal`` by ``train`` with ``RECIPE`` (building
    the task and the network included), and the epochs it took (None: not within ``max_epochs``)."""
    start = time.perf_counter()
    config = dataclasses.replace(RECIPE, seed=seed, epochs=max_epochs, **(sizes or {}))
    task = build_task(config, mnist)
    net = build_network(config, task)

    def stop(row):
        if row["test_accuracy"] >= goal:
            raise _Reached(row["epoch"])
    try:
        train(net, task, config.settings(), progress=False, on_epoch=stop)
    except _Reached as reached:
        return time.perf_counter() - start, reached.epoch
    return time.perf_counter() - start, None
