"""MathdlClassifier: scikit-learn's own estimator checks, Pipeline + GridSearchCV, cross-validation,
partial_fit, labels of any type, and equality with mathdl's own training loop."""
import pickle

import numpy as np
import pytest

pytest.importorskip("sklearn")

from sklearn.datasets import load_digits, make_blobs  # noqa: E402
from sklearn.model_selection import GridSearchCV, cross_val_score  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import MinMaxScaler, StandardScaler  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

from mathdl.data.tasks import TARGETS, Task, make_split  # noqa: E402
from mathdl.nn import Network  # noqa: E402
from mathdl.base.seeding import rng  # noqa: E402
from mathdl.sklearn import MathdlClassifier  # noqa: E402
from mathdl.training.loop import Settings, train  # noqa: E402

# Every check of scikit-learn passes, for the default (matrix bp, XE, sigmoid/softmax output), a deeper
# online network with TSE and one-vs-rest sigmoid outputs, and the other optimisers with their default η
# (Adam with MSE and one-vs-rest sigmoids; momentum, ReLU and He initialisation in float32). The one check
# that does not run, check_array_api_input, skips itself: it needs SCIPY_ARRAY_API and an array-API
# library, and mathdl computes with NumPy only (the default tag array_api_support=False says so).
ESTIMATORS = [MathdlClassifier(),
              MathdlClassifier(hidden=(12, 6), activation="tanh", output_activation="sigmoid", cost="tse",
                               method="online", eta=0.2, epochs=10),
              MathdlClassifier(output_activation="sigmoid", cost="mse", optimizer="adam"),
              MathdlClassifier(hidden=(16,), activation="relu", init="he", optimizer="momentum", cost="tse",
                               dtype="float32")]


@parametrize_with_checks(ESTIMATORS)
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def digits():
    """scikit-learn's own 8×8 digits (1797 images, shipped with it): X (n_samples, 64), y 0-9."""
    X, y = load_digits(return_X_y=True)
    return X[:900], y[:900], X[900:1300], y[900:1300]


def test_pipeline_and_grid_search(digits):
    X, y, X_test, y_test = digits
    pipe = make_pipeline(MinMaxScaler(), MathdlClassifier(epochs=10))
    grid = GridSearchCV(pipe, {"mathdlclassifier__hidden": [(16,), (32, 16)],
                               "mathdlclassifier__cost": ["xe", "tse"]}, cv=3)
    grid.fit(X, y)
    assert set(grid.best_params_) == {"mathdlclassifier__hidden", "mathdlclassifier__cost"}
    assert grid.best_score_ > 0.85 and grid.score(X_test, y_test) > 0.85
    assert len(grid.cv_results_["mean_test_score"]) == 4


def test_cross_val_score_and_the_method_numbers(digits):
    X, y, _, _ = digits
    scores = cross_val_score(make_pipeline(StandardScaler(), MathdlClassifier(hidden=30, method=1, cost=2,
                                                                              eta=0.05, epochs=5)), X, y, cv=3)
    assert scores.shape == (3,) and scores.min() > 0.8


def test_string_labels_binary_and_multiclass():
    X, y = make_blobs(300, centers=3, random_state=0)
    names = np.array(["cat", "dog", "emu"])[y]
    clf = make_pipeline(StandardScaler(), MathdlClassifier(hidden=8)).fit(X, names)
    assert list(clf.classes_) == ["cat", "dog", "emu"] and clf.score(X, names) > 0.9
    assert set(clf.predict(X)) <= {"cat", "dog", "emu"}
    binary = names != "emu"
    clf = make_pipeline(StandardScaler(), MathdlClassifier(hidden=8)).fit(X, np.where(binary, "yes", "no"))
    assert clf[-1].net_.sizes[-1] == 1  # one sigmoid unit for two classes
    P = clf.predict_proba(X)
    assert P.shape == (300, 2) and np.allclose(P.sum(axis=1), 1)
    assert (clf.predict(X) == np.where(P[:, 1] >= 0.5, "yes", "no")).all()


@pytest.mark.parametrize("output,units", [("auto", 1), ("softmax", 2)])
def test_binary_outputs(output, units):
    X, y = make_blobs(200, centers=2, random_state=1)
    clf = MathdlClassifier(hidden=(), output_activation=output).fit(StandardScaler().fit_transform(X), y)
    assert clf.net_.sizes == [2, units]


def test_one_vs_rest_sigmoid_outputs_are_normalised():
    X, y = make_blobs(300, centers=4, random_state=2)
    clf = MathdlClassifier(hidden=10, output_activation="sigmoid").fit(StandardScaler().fit_transform(X), y)
    assert clf.net_.activations[-1] == "sigmoid" and clf.net_.sizes[-1] == 4
    assert np.allclose(clf.predict_proba(X).sum(axis=1), 1)


def test_fit_is_mathdl_train_on_the_transposed_data():
    """The estimator adds nothing to the maths: the same weights as Network.create + train on Xᵀ."""
    X, y = make_blobs(120, centers=3, n_features=5, random_state=3)
    clf = MathdlClassifier(hidden=(7,), activation="tanh", method="online", cost="tse", epochs=3, eta=0.05,
                           random_state=4).fit(X, y)
    net = Network.create([5, 7, 3], ["tanh", "softmax"], rng=rng(4, "init"))
    split = make_split(np.asfortranarray(X.T), y, y, 3, 3, TARGETS["binary"], np.float64)
    task = Task("t", "t", ["0", "1", "2"], split, None, None, TARGETS["binary"], "none")
    train(net, task, Settings(cost="tse", method="online", epochs=3, eta=0.05, seed=4), progress=False)
    for mine, theirs in zip(clf.net_.params(), net.params()):
        np.testing.assert_array_equal(mine, theirs)
    assert len(clf.history_) == 3 and clf.n_iter_ == 3 and clf.loss_curve_[-1] == clf.history_[-1]["cost"]


def test_partial_fit():
    X, y = make_blobs(400, centers=3, random_state=0)
    X = StandardScaler().fit_transform(X)
    clf = MathdlClassifier(hidden=8, optimizer="adam", eta=0.02)
    with pytest.raises(ValueError, match="first call to partial_fit needs classes"):
        clf.partial_fit(X, y)
    clf.partial_fit(X[:100], y[:100], classes=[0, 1, 2])
    first = clf.score(X, y)
    for start in list(range(100, 400, 100)) + list(range(0, 400, 100)) * 2:
        clf.partial_fit(X[start:start + 100], y[start:start + 100])
    assert clf.n_iter_ == 12 and len(clf.loss_curve_) == 12
    batches = -(-100 // clf._settings().batch_size)
    assert clf._optimizer.t == 12 * batches  # Adam's step count carries over: 12 calls of 100 samples
    assert clf.score(X, y) >= first and clf.score(X, y) > 0.85
    with pytest.raises(ValueError, match="labels not in classes: \\[7\\]"):
        clf.partial_fit(X[:3], [0, 1, 7])
    with pytest.raises(ValueError, match="X has 3 features, but MathdlClassifier is expecting 2"):
        clf.partial_fit(np.zeros((2, 3)), [0, 1])


def test_parameters_are_checked_with_one_line_value_errors():
    X, y = make_blobs(50, centers=2, random_state=0)
    for params, message in (({"cost": "hinge"}, "unknown cost 'hinge'"), ({"method": "batch"}, "bp method"),
                            ({"epochs": 0}, "epochs must be a positive integer"), ({"eta": -1}, "learning rate"),
                            ({"activation": "softmax"}, "softmax is an output activation"),
                            ({"output_activation": "tanh"}, "unknown output activation 'tanh'"),
                            ({"hidden": (4, 0)}, "layer sizes"), ({"dtype": "float16"}, "unknown dtype"),
                            ({"cost": "xe", "output_activation": "sigmoid", "optimizer": "lbfgs"}, "optimizer")):
        with pytest.raises(ValueError, match=message):
            MathdlClassifier(**params).fit(X, y)


def test_pickle_float32_and_class_weights():
    X, y = make_blobs(200, centers=2, random_state=6, cluster_std=3)
    X = StandardScaler().fit_transform(X)
    clf = MathdlClassifier(hidden=6, dtype="float32").fit(X, y)
    assert clf.net_.dtype == np.float32 and clf.predict_proba(X).dtype == np.float32
    back = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(back.predict_proba(X), clf.predict_proba(X))
    heavy = MathdlClassifier(hidden=6, class_weight={0: 100.0, 1: 1.0}).fit(X, y)
    assert (heavy.predict(X) == 0).mean() > (clf.predict(X) == 0).mean()


def test_on_real_mnist(mnist):
    """2000 MNIST images in the scikit-learn convention (one image per row, 0-255 pixels)."""
    X = mnist.train_images[:2000].reshape(2000, -1)
    y = mnist.train_labels[:2000]
    X_test, y_test = mnist.test_images[:500].reshape(500, -1), mnist.test_labels[:500]
    clf = make_pipeline(MinMaxScaler(), MathdlClassifier(hidden=40, epochs=5, eta=0.5)).fit(X, y)
    assert clf.score(X_test, y_test) > 0.85


@pytest.mark.parametrize("method,optimizer", [("online", "sgd"), ("matrix", "momentum")])
def test_the_reference_engine_gives_the_same_estimator(digits, method, optimizer):
    """``engine="reference"`` trains through backprop() and the optimiser's step only: the same network."""
    X, y, X_test, _ = digits
    X, X_test = X / 16, X_test / 16
    fits = [MathdlClassifier(hidden=(16,), method=method, optimizer=optimizer, epochs=2, eta=0.05, engine=engine)
            .fit(X[:300], y[:300]) for engine in ("fast", "reference")]
    np.testing.assert_allclose(fits[0].predict_proba(X_test), fits[1].predict_proba(X_test), rtol=1e-10, atol=1e-12)
    with pytest.raises(ValueError, match="unknown engine 'gpu'"):
        MathdlClassifier(engine="gpu").fit(X[:20], y[:20])


@pytest.mark.parametrize("options", [{"random_state": 0}, {"decay": 0.5}, {"bias": False}, {"init": "xavier"}],
                         ids=["random_state=0", "decay", "no bias", "xavier"])
def test_each_option_reaches_the_network_and_the_training(options):
    """random_state=0 is seed 0 (as ``mathdl train --seed 0``); decay, bias and init are passed on, not dropped."""
    X, y = make_blobs(90, centers=3, n_features=4, random_state=5)
    given = {"random_state": 4, **options}
    clf = MathdlClassifier(hidden=(5,), method="online", cost="tse", epochs=3, eta=0.05, **given).fit(X, y)
    net = Network.create([4, 5, 3], ["sigmoid", "softmax"], rng=rng(given["random_state"], "init"),
                         init=given.get("init", "normal"), bias=given.get("bias", True))
    split = make_split(np.asfortranarray(X.T), y, y, 3, 3, TARGETS["binary"], np.float64)
    task = Task("t", "t", ["0", "1", "2"], split, None, None, TARGETS["binary"], "none")
    train(net, task, Settings(cost="tse", method="online", epochs=3, eta=0.05, seed=given["random_state"],
                              decay=given.get("decay", 0.0)), progress=False)
    for mine, theirs in zip(clf.net_.params(), net.params()):
        np.testing.assert_array_equal(mine, theirs)


def test_each_partial_fit_is_one_epoch_with_a_new_shuffle():
    """Call j trains one epoch (whatever ``epochs`` says) shuffled by seed random_state + j, like train's epochs."""
    X, y = make_blobs(60, centers=2, n_features=3, random_state=7)
    clf = MathdlClassifier(hidden=(4,), method="online", cost="tse", eta=0.1, epochs=5, random_state=2)
    clf.partial_fit(X, y, classes=[0, 1])
    assert clf.n_iter_ == 1 and len(clf.history_) == 1
    clf.partial_fit(X, y)
    net = Network.create([3, 4, 1], ["sigmoid", "sigmoid"], rng=rng(2, "init"))
    split = make_split(np.asfortranarray(X.T), y, y, 2, 1, TARGETS["binary"], np.float64)
    task = Task("t", "t", ["0", "1"], split, None, None, TARGETS["binary"], "none")
    for seed in (2, 3):
        train(net, task, Settings(cost="tse", method="online", epochs=1, eta=0.1, seed=seed), progress=False)
    for mine, theirs in zip(clf.net_.params(), net.params()):
        np.testing.assert_array_equal(mine, theirs)


def test_partial_fit_refuses_labels_between_the_classes_and_other_classes():
    X = np.zeros((2, 2))
    clf = MathdlClassifier(hidden=2).partial_fit(X, [0, 4], classes=[0, 2, 4])
    with pytest.raises(ValueError, match="labels not in classes: \\[1\\]"):
        clf.partial_fit(X, [0, 1])
    with pytest.raises(ValueError, match="classes=\\[0, 2\\] differs from the first call's \\[0, 2, 4\\]"):
        clf.partial_fit(X, [0, 2], classes=[0, 2])


def test_class_weights_are_rescaled_to_mean_1_and_keyed_by_label():
    """Equal weights of any size are no weights at all (mean 1); a dict keyed by string labels weighs the same
    classes as one keyed by the equivalent integer labels."""
    X, y = make_blobs(80, centers=2, random_state=8)
    X = StandardScaler().fit_transform(X)
    plain = MathdlClassifier(hidden=4, epochs=3).fit(X, y)
    equal = MathdlClassifier(hidden=4, epochs=3, class_weight={0: 10.0, 1: 10.0}).fit(X, y)
    for mine, theirs in zip(equal.net_.params(), plain.net_.params()):
        np.testing.assert_allclose(mine, theirs, rtol=1e-12, atol=1e-14)
    numbers = MathdlClassifier(hidden=4, epochs=3, class_weight={0: 5.0, 1: 1.0}).fit(X, y)
    names = MathdlClassifier(hidden=4, epochs=3, class_weight={"no": 5.0, "yes": 1.0}).fit(
        X, np.where(y == 1, "yes", "no"))
    for mine, theirs in zip(names.net_.params(), numbers.net_.params()):
        np.testing.assert_array_equal(mine, theirs)
    assert not np.allclose(numbers.net_.W[1], plain.net_.W[1])


def test_a_single_class_is_refused():
    with pytest.raises(ValueError, match="needs samples of at least two classes; y has 1 class: \\['a'\\]"):
        MathdlClassifier().fit(np.zeros((4, 2)), ["a"] * 4)


def test_binary_probabilities_are_one_minus_a_then_a():
    X, y = make_blobs(60, centers=2, random_state=9)
    clf = MathdlClassifier(hidden=(), epochs=2).fit(X, y)
    a = 1 / (1 + np.exp(-(clf.net_.W[1] @ X.T + clf.net_.b[1])))[0]
    np.testing.assert_allclose(clf.predict_proba(X), np.column_stack([1 - a, a]), rtol=1e-12)
    np.testing.assert_array_equal(clf.predict(X), (a >= 0.5).astype(int))
