"""``MathdlClassifier``: mathdl's network as a scikit-learn classifier (``pip install 'mathdl[sklearn]'``).

scikit-learn's convention is X of shape (n_samples, n_features), one sample per row; inside mathdl
columns are samples. The estimator converts once, at its boundary: the network sees Xᵀ, (n_0, N).

Outputs and targets, for the k classes ``classes_`` (sorted, of any label type: ints, strings, …):

* k = 2: one sigmoid unit, target y = 1 for ``classes_[1]``; a⁽ᴸ⁾ is read as P(classes_[1] | x), and
  ``predict_proba`` returns the columns [1 − a, a]. ``output_activation="softmax"`` uses two units.
* k > 2: k softmax units with one-hot targets, a⁽ᴸ⁾ = P(class | x). ``output_activation="sigmoid"``
  trains k independent sigmoid units (one-vs-rest); ``predict_proba`` divides them by their sum.

Training is ``mathdl.train`` with the same choices as ``mathdl train``: cost (xe, tse, mse), bp method
(online, matrix), epochs, η, batch size, optimiser, initialisation, dtype, seed. Scaling the inputs
is left to the pipeline (``StandardScaler``, ``MinMaxScaler``), as scikit-learn does it.
"""
from __future__ import annotations

from contextlib import contextmanager

import numpy as np

try:
    from sklearn.base import BaseEstimator, ClassifierMixin
    from sklearn.utils import check_random_state
    from sklearn.utils.class_weight import compute_sample_weight
    from sklearn.utils.multiclass import check_classification_targets
    from sklearn.utils.validation import check_is_fitted, validate_data
except ImportError as e:  # pragma: no cover - depends on the environment
    raise ImportError("mathdl.sklearn needs scikit-learn >= 1.6: pip install 'mathdl[sklearn]'") from e

from .base.errors import MathdlError, choice
from .base.seeding import rng
from .data.tasks import TARGETS, Task, make_split
from .nn.costs import get_cost
from .nn.network import DTYPES, Network
from .nn.optimizers import make_optimizer
from .training.loop import Settings, train

OUTPUTS = {"auto": "auto", "sigmoid": "sigmoid", "softmax": "softmax"}


@contextmanager
def parameters():
    """A bad parameter found by mathdl (a MathdlError) is a ValueError, as scikit-learn users expect."""
    try:
        yield
    except (MathdlError, TypeError) as e:
        raise ValueError(f"invalid parameter: {e}") from None


class MathdlClassifier(ClassifierMixin, BaseEstimator):
    """A fully connected network z⁽ˡ⁾ = W⁽ˡ⁾ a⁽ˡ⁻¹⁾ + b⁽ˡ⁾, a⁽ˡ⁾ = f_l(z⁽ˡ⁾), trained by backpropagation.

    Parameters
    ----------
    hidden : int or tuple of int, default (100,)
        Hidden layer sizes (h1, h2, …); () for none (a single layer of outputs).
    activation : str or sequence of str, default "sigmoid"
        Hidden activation, one for all layers or one per layer: sigmoid, tanh, relu, leaky_relu,
        swish, linear.
    output_activation : {"auto", "sigmoid", "softmax"}, default "auto"
        auto: one sigmoid unit for two classes, softmax for more.
    cost : {"xe", "tse", "mse"} (or the assignment's 1/2), default "xe"
    method : {"matrix", "online"} (or 2/1), default "matrix"
        matrix: mini-batch backpropagation; online: per-sample updates.
    epochs, eta, batch_size : int, float, int or None
        Passes over the data, learning rate η and mini-batch size; None takes the default for the bp
        method, cost and optimiser (``mathdl.training.defaults``, e.g. matrix XE with SGD: 40
        epochs, η = 0.5, batches of 16; momentum takes η (1 − μ), Adam η = 10⁻³).
    optimizer : {"sgd", "momentum", "adam"}, default "sgd"
    init : {"normal", "xavier", "he"}, default "normal"
    bias : bool, default True
    decay : float, default 0.0
        η in epoch e is η / (1 + decay (e − 1)).
    class_weight : None, "balanced" or dict {class: weight}
        Weights of each sample's cost, rescaled to mean 1 over the training set so that η keeps its
        meaning.
    dtype : {"float64", "float32"}, default "float64"
    engine : {"fast", "reference"}, default "fast"
        fast: the compiled and in-place fast paths; reference: ``backprop`` and the optimiser's ``step``
        and nothing else (the same numbers up to round-off, slower; for stepping through in a debugger).
    random_state : int, RandomState or None, default 0
        Seed of the initial weights and of the shuffling (an int reproduces ``mathdl train --seed``).
    verbose : bool, default False
        Show the progress bar.

    Attributes
    ----------
    classes_ : ndarray (k,)           the class labels, sorted; output unit j stands for classes_[j]
    n_features_in_ : int              n_0
    net_ : mathdl.Network             the trained network (net_.W[l] of shape (n_l, n_{l−1}))
    history_ : list of dict           one row per epoch: cost, train accuracy, gradient norm, seconds
    loss_curve_ : list of float       the mean training cost C of each epoch
    n_iter_ : int                     epochs trained
    warnings_ : list of str           numerical diagnostics (exploding gradients, saturated units)
    """

    def __init__(self, hidden=(100,), activation="sigmoid", output_activation="auto", cost="xe",
                 method="matrix", epochs=None, eta=None, batch_size=None, optimizer="sgd", init="normal",
                 bias=True, decay=0.0, class_weight=None, dtype="float64", engine="fast", random_state=0,
                 verbose=False):
        self.hidden = hidden
        self.activation = activation
        self.output_activation = output_activation
        self.cost = cost
        self.method = method
        self.epochs = epochs
        self.eta = eta
        self.batch_size = batch_size
        self.optimizer = optimizer
        self.init = init
        self.bias = bias
        self.decay = decay
        self.class_weight = class_weight
        self.dtype = dtype
        self.engine = engine
        self.random_state = random_state
        self.verbose = verbose

    # --- fitting -----------------------------------------------------------------------------------

    def fit(self, X, y):
        """Train a new network for ``epochs`` epochs on X (n_samples, n_features) and labels y."""
        X, y = validate_data(self, X, y, dtype=self._dtype())
        check_classification_targets(y)
        classes, labels = np.unique(y, return_inverse=True)
        if len(classes) < 2:
            raise ValueError(f"{type(self).__name__} needs samples of at least two classes; y has 1 class: "
                             f"{classes.tolist()}")
        self._start(classes, X.shape[1])
        return self._train(X, labels, self._settings().epochs)

    def partial_fit(self, X, y, classes=None):
        """One epoch over (X, y), continuing the current network and optimiser state; the first call
        creates the network and needs ``classes``, every label that will ever appear."""
        first = not hasattr(self, "net_")
        X, y = validate_data(self, X, y, dtype=self._dtype(), reset=first)
        check_classification_targets(y)
        if first:
            if classes is None:
                raise ValueError("the first call to partial_fit needs classes=, all the class labels")
            classes = np.unique(classes)
            if len(classes) < 2:
                raise ValueError(f"classes must hold at least two classes, got {classes.tolist()}")
            self._start(classes, X.shape[1])
        elif classes is not None and not np.array_equal(np.unique(classes), self.classes_):
            raise ValueError(f"classes={np.unique(classes).tolist()} differs from the first call's "
                             f"{self.classes_.tolist()}")
        labels = np.searchsorted(self.classes_, y)
        unknown = (labels >= len(self.classes_)) | (self.classes_[np.minimum(labels, len(self.classes_) - 1)] != y)
        if unknown.any():
            raise ValueError(f"y holds labels not in classes: {np.unique(y[unknown]).tolist()}")
        return self._train(X, labels, 1)

    def _dtype(self):
        with parameters():
            return choice("dtype", self.dtype, DTYPES)

    def _outputs(self, k: int) -> tuple[str, int]:
        """The output activation and the number of output units m for k classes."""
        name = choice("output activation", self.output_activation, OUTPUTS)
        if name == "auto":
            name = "sigmoid" if k == 2 else "softmax"
        return name, 1 if (k == 2 and name == "sigmoid") else k

    def _settings(self, epochs: int | None = None, seed: int = 0) -> Settings:
        """The training settings, unset values filled from the bp method's defaults."""
        with parameters():
            return Settings(cost=self.cost, method=self.method, epochs=epochs or self.epochs,
                            eta=None if self.eta is None else float(self.eta), batch_size=self.batch_size,
                            optimizer=self.optimizer, seed=seed, decay=float(self.decay), engine=self.engine)

    def _start(self, classes: np.ndarray, n_features: int) -> None:
        """A new network for ``classes`` and n_0 = ``n_features`` inputs, and its random seed."""
        self._settings()  # check every parameter before anything is built
        self._seed = self._draw_seed()
        with parameters():
            output, m = self._outputs(len(classes))
            hidden = (self.hidden,) if isinstance(self.hidden, (int, np.integer)) else tuple(self.hidden)
            acts = [self.activation] * len(hidden) if isinstance(self.activation, str) else list(self.activation)
            net = Network.create([n_features, *hidden, m], [*acts, output], rng=rng(self._seed, "init"),
                                 init=self.init, bias=bool(self.bias), dtype=self._dtype())
            get_cost(self.cost).check_output(net.f[net.L])
        self.classes_, self.net_ = classes, net
        self.history_, self.loss_curve_, self.n_iter_, self.warnings_ = [], [], 0, []
        self._optimizer = None

    def _draw_seed(self) -> int:
        """An int seed: ``random_state`` itself when it is an int, else drawn from it."""
        if isinstance(self.random_state, (int, np.integer)) and self.random_state >= 0:
            return int(self.random_state)
        return int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))

    def _train(self, X: np.ndarray, labels: np.ndarray, epochs: int):
        """``epochs`` epochs of mathdl's training loop on Xᵀ (the one conversion) and the labels."""
        dtype, k = self._dtype(), len(self.classes_)
        settings = self._settings(epochs, seed=self._seed + self.n_iter_)  # a new shuffle for each call
        split = make_split(np.asfortranarray(X.T), labels, labels, k, self.net_.sizes[-1], TARGETS["binary"],
                           dtype)
        task = Task("sklearn", f"{k} classes", [str(c) for c in self.classes_], split, None, None,
                    TARGETS["binary"], "none")
        weights = None
        if self.class_weight is not None:
            weights = compute_sample_weight(self._class_weight(), labels)
            weights = (weights * len(weights) / weights.sum()).astype(dtype)
        if self._optimizer is None:
            self._optimizer = make_optimizer(settings.optimizer, settings.eta)
        history = train(self.net_, task, settings, weights=weights, progress=bool(self.verbose),
                        optimizer=self._optimizer)
        self.history_ += history.rows
        self.loss_curve_ += [row["cost"] for row in history.rows]
        self.n_iter_ += epochs
        self.warnings_ = history.warnings
        return self

    def _class_weight(self):
        """``class_weight`` with its keys turned into class indices, as ``labels`` are."""
        if isinstance(self.class_weight, dict):
            index = {c: i for i, c in enumerate(self.classes_.tolist())}
            return {index[c]: w for c, w in self.class_weight.items() if c in index}
        return self.class_weight

    # --- prediction --------------------------------------------------------------------------------

    def predict_proba(self, X) -> np.ndarray:
        """(n_samples, k): column j is the network's probability of ``classes_[j]``."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=self._dtype(), reset=False)
        a = self.net_(np.asfortranarray(X.T)).T  # (n_samples, m)
        if a.shape[1] == 1:
            return np.hstack([1 - a, a])
        if self.net_.f[self.net_.L].name == "softmax":
            return a
        total = a.sum(axis=1, keepdims=True)  # one-vs-rest sigmoid units, normalised
        return np.divide(a, total, out=np.full_like(a, 1 / a.shape[1]), where=total > 0)

    def predict(self, X) -> np.ndarray:
        """The class of largest probability (for one sigmoid unit: classes_[1] when a ≥ ½)."""
        P = self.predict_proba(X)
        return self.classes_[P.argmax(axis=1)]
