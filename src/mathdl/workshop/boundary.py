"""Red and blue dots: a network trained on 2-D points, and its decision over the whole plane.

The network sees standardised points x̃ = (x − μ) / s, μ and s (2, 1) the mean and standard deviation
of the training points per coordinate, so one set of defaults suits any scale of the user's data;
everything here takes and returns points in the original coordinates, as columns of X (2, N).

    two classes:  one sigmoid output a = σ(z⁽ᴸ⁾), class 1 where a ≥ ½, i.e. where z⁽ᴸ⁾ ≥ 0
    k classes:    k softmax outputs, the class is argmax_j a_j
    cost:         cross-entropy and matrix backpropagation on mini-batches unless ``dots_fit`` is told
                  otherwise (TSE, online)

A perceptron (no hidden layer) has z = W x̃ + b, so its two-class boundary {x : W x̃ + b = 0} is a
straight line; ``linear_boundary`` gives it in the original coordinates.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from ..base.errors import MathdlError, choice
from ..base.seeding import rng
from ..data.dots import make_dots
from ..data.tasks import Split, Task, dots_task
from ..nn.activations import layer_activations
from ..nn.network import Network
from ..training.loop import History, Settings, train


@dataclass(frozen=True)
class Recipe:
    """Default network and training for dots: hidden sizes, activation, cost, bp method, SGD epochs, η, batch,
    the points generated and the share held out for testing (the workshop's commands and the explorer's
    playground start from these)."""

    hidden: tuple[int, ...]
    activation: str = "tanh"
    cost: str = "xe"
    method: str = "matrix"
    epochs: int = 300
    eta: float = 0.3
    batch_size: int = 16
    optimizer: str = "sgd"
    points: int = 400
    test_fraction: float = 0.3


# Chosen so the MLP reaches ≥ 95% test accuracy on moons, circles and xor for every seed we tried
# (tests/test_boundary.py checks seed 0); spirals need two wider layers and more epochs.
RECIPES = {
    "moons": Recipe((16,)),
    "circles": Recipe((16,)),
    "xor": Recipe((16,)),
    "spirals": Recipe((32, 32), epochs=1000, eta=0.2),
    "blobs": Recipe((8,)),
    "linear": Recipe((8,)),
}
CUSTOM = Recipe((16, 16))  # the user's own points (--csv)

CANDIDATES = 4  # snapshots kept per frame of an animation (``plots.workshop.moving_frames`` picks)


@dataclass
class DotsFit:
    """A network trained on dots: its task (standardised points), μ and s, settings and history.

    ``snapshots`` are (epoch, copy of the network) pairs taken during training, epoch 0 the
    initial network, for animations; empty unless asked for.
    """

    name: str
    net: Network
    task: Task
    mean: np.ndarray
    std: np.ndarray
    settings: Settings
    history: History
    snapshots: list[tuple[int, Network]]

    @property
    def classes(self) -> list[str]:
        return self.task.classes

    @property
    def perceptron(self) -> bool:
        return self.net.L == 1

    @property
    def label(self) -> str:
        """'perceptron 2-1' or 'MLP 2-16-1, tanh'."""
        layers = "-".join(map(str, self.net.sizes))
        if self.perceptron:
            return f"perceptron {layers}"
        return f"MLP {layers}, {'/'.join(dict.fromkeys(self.net.activations[:-1]))}"

    @property
    def train_accuracy(self) -> float:
        return self.history.rows[-1]["train_accuracy"]

    @property
    def test_accuracy(self) -> float:
        return self.history.rows[-1]["test_accuracy"]

    def points(self, split: Split) -> np.ndarray:
        """The points of a split in the original coordinates, X (2, N)."""
        return split.X * self.std + self.mean

    def probabilities(self, X: np.ndarray, net: Network | None = None) -> np.ndarray:
        """P (k, N): the probability of each class for the points X (2, N) (a and 1 − a for one output)."""
        a = (net or self.net)((X - self.mean) / self.std)
        return np.vstack([1 - a, a]) if a.shape[0] == 1 else a

    def predict(self, X: np.ndarray, net: Network | None = None) -> np.ndarray:
        """Class indices (N,) for the points X (2, N), as ``Task.classify`` reads the outputs."""
        return self.task.classify((net or self.net)((X - self.mean) / self.std))

    def accuracy(self, split: Split, net: Network | None = None) -> float:
        """The fraction of a split's points classified correctly (by ``net``, default the trained one)."""
        return float((self.task.classify((net or self.net)(split.X)) == split.labels).mean())


def fit_dots(X: np.ndarray, labels: np.ndarray, *, frames: int = 0, progress: bool = False, **options) -> DotsFit:
    """Train a network on points X (2, N) with labels (N,) in 0..k−1: ``dots_fit`` (its options; unset
    ones from the recipe) trained by ``train``. ``frames`` > 0 keeps snapshots for an animation of about that
    many frames: ``CANDIDATES`` times as many, from which the animation picks those where the boundary moves."""
    fit = dots_fit(X, labels, **options)
    keep = frame_epochs(fit.settings.epochs, CANDIDATES * frames)
    if frames:
        fit.snapshots.append((0, fit.net.copy()))

    def snapshot(row):
        if row["epoch"] in keep:
            fit.snapshots.append((row["epoch"], fit.net.copy()))

    fit.history = train(fit.net, fit.task, fit.settings, progress=progress, on_epoch=snapshot)
    return fit


def dots_fit(X: np.ndarray, labels: np.ndarray, *, name: str = "dots", classes: list[str] | None = None,
             recipe: Recipe = CUSTOM, hidden: tuple[int, ...] | None = None, activation: str | None = None,
             epochs: int | None = None, eta: float | None = None, batch_size: int | None = None,
             optimizer: str | None = None, cost: str | None = None, method: str | None = None,
             test_fraction: float | None = None, seed: int = 0) -> DotsFit:
    """An untrained fit of points X (2, N) with labels (N,) in 0..k−1: the standardised train/test task,
    the network (sigmoid output for two classes, softmax for more; ``hidden=()`` is a perceptron) and its
    settings, unset options from ``recipe``; its history is empty."""
    X = np.asarray(X, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.int64)
    if X.ndim != 2 or X.shape[0] != 2 or X.shape[1] != len(labels):
        raise MathdlError(f"points must be X of shape (2, N) with N labels, got X {X.shape} and {len(labels)} labels")
    pick = lambda value, default: default if value is None else value  # noqa: E731
    test_fraction = pick(test_fraction, recipe.test_fraction)
    if not 0 < test_fraction < 1:
        raise MathdlError(f"the test fraction must be between 0 and 1, got {test_fraction}")
    hidden = recipe.hidden if hidden is None else tuple(hidden)
    task = dots_task(X, labels, test_fraction=test_fraction, seed=seed, name=name)
    if classes is not None:
        task = dataclasses.replace(task, classes=list(classes))
    mean, std = task.train.X.mean(axis=1, keepdims=True), task.train.X.std(axis=1, keepdims=True)
    std = np.where(std > 0, std, 1.0)  # all training points on one line: do not divide by zero
    task = dataclasses.replace(task, train=_standardised(task.train, mean, std),
                               test=_standardised(task.test, mean, std), scale="standard")
    activations = layer_activations(pick(activation, recipe.activation), len(hidden),
                                    "sigmoid" if task.n_outputs == 1 else "softmax")
    settings = Settings(cost=pick(cost, recipe.cost), method=pick(method, recipe.method),
                        epochs=pick(epochs, recipe.epochs), eta=pick(eta, recipe.eta),
                        batch_size=pick(batch_size, recipe.batch_size),
                        optimizer=pick(optimizer, recipe.optimizer), seed=seed)
    net = Network.create([2, *hidden, task.n_outputs], activations, rng=rng(seed, "init"),
                         init="xavier")
    return DotsFit(name, net, task, mean, std, settings, History(), [])


def fit_dataset(dataset: str, *, points: int | None = None, noise: float | None = None, seed: int = 0,
                **options) -> DotsFit:
    """``fit_dots`` on a generated dataset (moons, circles, xor, spirals, blobs, linear) with its recipe."""
    recipe = choice("dataset", dataset, RECIPES)
    X, labels = make_dots(dataset, points or recipe.points, noise, seed=seed)
    return fit_dots(X, labels, name=dataset, recipe=recipe, seed=seed, **options)


def frame_epochs(epochs: int, frames: int) -> set[int]:
    """About ``frames`` epochs from 1 to ``epochs``, spaced geometrically (the boundary moves most early)."""
    if frames <= 0:
        return set()
    return {int(e) for e in np.unique(np.round(np.geomspace(1, epochs, frames)))}


def linear_boundary(fit: DotsFit) -> tuple[np.ndarray, float]:
    """(w (2,), c) with class 1 ⇔ w·x + c ≥ 0 in the original coordinates, for a two-class perceptron.

    z = W x̃ + b with x̃ = (x − μ)/s gives w_i = W_i / s_i and c = b − Σ_i W_i μ_i / s_i.
    """
    if not fit.perceptron or fit.net.sizes[-1] != 1:
        raise MathdlError("only a two-class perceptron (no hidden layer, one output) has a single straight boundary")
    W = fit.net.W[1][0]
    b = float(fit.net.b[1][0, 0])
    w = W / fit.std[:, 0]
    return w, b - float(w @ fit.mean[:, 0])


def line_equation(w: np.ndarray, c: float) -> str:
    """The line w·x + c = 0 as text: '−0.139·x₁ − 0.114·x₂ + 0.242 = 0'."""
    return f"{_signed(w[0], leading=True)}·x₁ {_signed(w[1])}·x₂ {_signed(c)} = 0"


def _signed(value: float, leading: bool = False) -> str:
    """'+ 1.5' or '− 1.5'; at the start of an expression '1.5' or '−1.5'."""
    if leading:
        return f"{'−' if value < 0 else ''}{abs(value):.3g}"
    return f"{'−' if value < 0 else '+'} {abs(value):.3g}"


def plane(X: np.ndarray, resolution: int = 300, margin: float = 0.1):
    """A grid over the points X (2, N) plus a margin: (xs (R,), ys (R,), G (2, R·R)), rows of G by y."""
    low, high = X.min(axis=1), X.max(axis=1)
    pad = np.maximum(margin * (high - low), 0.5)
    xs = np.linspace(low[0] - pad[0], high[0] + pad[0], resolution)
    ys = np.linspace(low[1] - pad[1], high[1] + pad[1], resolution)
    gx, gy = np.meshgrid(xs, ys)
    return xs, ys, np.vstack([gx.ravel(), gy.ravel()])


def _standardised(split: Split, mean: np.ndarray, std: np.ndarray) -> Split:
    return dataclasses.replace(split, X=np.asfortranarray((split.X - mean) / std))
