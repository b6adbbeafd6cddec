"""The training loop: histories, schedules, optimisers, class weights, divergence, float32; and a short
training on real MNIST when it is present."""
import numpy as np
import pytest

from conftest import random_net
from mathdl.data import dots_task, make_dots, make_task
from mathdl.base.errors import DivergenceError, MathdlError
from mathdl.runs.experiment import Config, run
from mathdl.training.loop import Settings, train
from mathdl.training.evaluate import evaluate


@pytest.fixture
def moons():
    return dots_task(*make_dots("moons", 300, seed=0), seed=0)


def test_history_has_one_row_per_epoch_and_the_decayed_rate(moons):
    net = random_net([2, 10, 1], ["tanh", "sigmoid"])
    h = train(net, moons, Settings(cost="xe", method="matrix", epochs=4, eta=1.0, batch_size=16, decay=1.0),
              progress=False)
    assert [r["epoch"] for r in h.rows] == [1, 2, 3, 4]
    assert [r["eta"] for r in h.rows] == pytest.approx([1, 1 / 2, 1 / 3, 1 / 4])
    assert h.rows[-1]["test_accuracy"] == evaluate(net, moons.test, moons, "xe").accuracy
    assert h.seconds > 0


@pytest.mark.parametrize("optimizer,eta", [("sgd", 0.5), ("momentum", 0.05), ("adam", 0.01)])
@pytest.mark.parametrize("method", ["online", "matrix"])
def test_every_optimiser_lowers_the_cost(moons, optimizer, eta, method):
    net = random_net([2, 16, 1], ["tanh", "sigmoid"], seed=1)
    before = evaluate(net, moons.train, moons, "xe").cost
    h = train(net, moons, Settings(cost="xe", method=method, epochs=15, eta=eta, batch_size=8,
                                   optimizer=optimizer), progress=False)
    assert h.rows[-1]["train_cost"] < 0.6 * before
    assert h.rows[-1]["test_accuracy"] > 0.85


def test_training_is_reproducible_from_the_seed(moons):
    nets = [random_net([2, 8, 1], ["tanh", "sigmoid"]) for _ in range(3)]
    for net, seed in zip(nets, (5, 5, 6)):
        train(net, moons, Settings(cost="tse", method="online", epochs=2, eta=0.5, seed=seed), progress=False)
    np.testing.assert_array_equal(nets[0].W[1], nets[1].W[1])
    assert not np.array_equal(nets[0].W[1], nets[2].W[1])


@pytest.mark.parametrize("data", ["moons", "mnist"])
@pytest.mark.parametrize("method,eta", [("matrix", 0.5), ("online", 0.05)])
def test_float32_and_float64_agree(data, method, eta, request):
    """The same run in float32 and float64: weights within 1e-2 of each other (float32 keeps ~7 digits,
    thousands of updates accumulate its rounding), the same cost to 1e-3 and the same test predictions."""
    if data == "moons":
        tasks = {dt: dots_task(*make_dots("moons", 300, seed=0), seed=0, dtype=dt) for dt in (np.float64, np.float32)}
        a = random_net([2, 8, 1], ["tanh", "sigmoid"], seed=2)
    else:
        mnist = request.getfixturevalue("mnist")
        tasks = {dt: make_task(mnist, "id", student_id="100384", train_size=1000, test_size=300, scale="standard",
                               dtype=dt) for dt in (np.float64, np.float32)}
        a = random_net([784, 30, 1], ["sigmoid", "sigmoid"], seed=2)
    b = a.astype(np.float32)
    settings = Settings(cost="xe", method=method, epochs=3, eta=eta, batch_size=10)
    h64, h32 = (train(net, tasks[dt], settings, progress=False) for net, dt in ((a, np.float64), (b, np.float32)))
    assert b.W[1].dtype == np.float32
    np.testing.assert_allclose(b.W[1], a.W[1], rtol=1e-2, atol=1e-2 if data == "mnist" else 1e-4)
    assert h32.rows[-1]["cost"] == pytest.approx(h64.rows[-1]["cost"], rel=1e-3)
    predicted = [evaluate(net, tasks[dt].test, tasks[dt], "xe").predicted for net, dt in ((a, np.float64), (b, np.float32))]
    np.testing.assert_array_equal(*predicted)


def test_divergence_stops_with_a_clear_message(moons):
    net = random_net([2, 8, 1], ["relu", "linear"])
    with pytest.raises(DivergenceError, match="try a smaller learning rate than 1e\\+08"):
        train(net, moons, Settings(cost="mse", method="matrix", epochs=3, eta=1e8), progress=False)


def test_settings_are_checked():
    for kwargs, message in (({"epochs": 0}, "epochs"), ({"eta": -1.0}, "learning rate"),
                            ({"eta": float("inf")}, "learning rate"), ({"batch_size": 0}, "batch size"),
                            ({"optimizer": "lbfgs"}, "optimizer"), ({"decay": -1.0}, "decay"),
                            ({"class_weight": "heavy"}, "class weight"), ({"cost": "hinge"}, "cost"),
                            ({"method": "3"}, "bp method")):
        with pytest.raises(MathdlError, match=message):
            Settings(**kwargs)


def test_network_and_task_must_fit(moons):
    with pytest.raises(MathdlError, match="maps 3 inputs to 1 outputs but the task has 2 inputs"):
        train(random_net([3, 4, 1], ["tanh", "sigmoid"]), moons, Settings(), progress=False)
    with pytest.raises(MathdlError, match="cost xe needs a sigmoid or softmax output"):
        train(random_net([2, 4, 1], ["tanh", "linear"]), moons, Settings(cost="xe"), progress=False)


def test_balanced_class_weights_raise_sensitivity_on_an_imbalanced_task():
    """With 10% positives, Settings(class_weight="balanced") weighs the cost by N / (k N_c): the same weights as
    giving ``class_weights`` to ``train`` (bit for bit), other weights than none, and more sensitivity for less
    specificity."""
    rng = np.random.default_rng(0)
    X = rng.normal(0, 1, (2, 1000))
    labels = (X[0] + 0.8 * rng.normal(0, 1, 1000) > 1.8).astype(int)
    task = dots_task(X, labels, seed=0)
    from mathdl.data import class_weights
    nets, sens = {}, {}
    for weighting in (None, "balanced", "given"):
        net = nets[weighting] = random_net([2, 1], ["sigmoid"], seed=3)
        settings = Settings(cost="xe", method="matrix", epochs=30, eta=0.5, batch_size=20,
                            class_weight="balanced" if weighting == "balanced" else None)
        w = class_weights(task.train.labels, 2) if weighting == "given" else None
        train(net, task, settings, weights=w, progress=False)
        predicted = evaluate(net, task.test, task, "xe").predicted
        sens[weighting] = (predicted[task.test.labels == 1] == 1).mean()
    assert all(np.array_equal(a, b) for a, b in zip(nets["balanced"].params(), nets["given"].params()))
    assert not np.allclose(nets["balanced"].W[1], nets[None].W[1])
    assert sens["balanced"] > sens[None] + 0.1
    with pytest.raises(MathdlError, match="not both"):
        train(random_net([2, 1], ["sigmoid"]), task, Settings(class_weight="balanced"), weights=w, progress=False)


def test_short_training_on_real_mnist(mnist, tmp_path):
    """1000 images, two epochs of each method: well above chance, and a complete run directory."""
    for method in ("online", "matrix"):
        config = Config(task="id", student_id="100384", hidden=(30,), method=method, epochs=2, train_size=1000,
                        test_size=500, scale="standard")
        result = run(config, mnist, out=tmp_path / method, progress=False)
        assert result.metrics["test"]["accuracy"] > 0.8, method
        assert (tmp_path / method / "model.npz").exists()
    digits = make_task(mnist, "digits", train_size=2000, test_size=500, seed=1)
    net = random_net([784, 40, 10], ["sigmoid", "softmax"])
    train(net, digits, Settings(cost="xe", method="matrix", epochs=4, eta=0.5, batch_size=10), progress=False)
    assert evaluate(net, digits.test, digits, "xe").accuracy > 0.8


@pytest.mark.parametrize("optimizer", ["momentum", "adam"])
@pytest.mark.parametrize("method", ["online", "matrix"])
def test_every_optimiser_trains_with_its_default_learning_rate(mnist, method, optimizer):
    """The default η is the optimiser's too: with plain SGD's η (0.2 online, 2 matrix) Adam saturates every
    sigmoid within a few steps and ends at chance (49-51% here); momentum overshoots."""
    config = Config(task="id", hidden=(30,), method=method, cost="tse", optimizer=optimizer, epochs=3,
                    train_size=1000, test_size=500, deskew=False, augment=0, curves=False)  # fast: no deskew
    assert run(config, mnist, progress=False).metrics["test"]["accuracy"] > 0.8  # chance: 0.5


def test_a_run_without_curves_trains_the_same_network(tmp_path):
    """``curves=False`` (the size curve's runs) scores the splits after the last epoch only and changes
    nothing else: the same weights, final metrics and last row; the earlier rows have no scores."""
    from mathdl.base.files import read_csv_rows
    from mathdl.data.mnist import MNIST
    rng = np.random.default_rng(0)
    images, labels = rng.integers(0, 256, (200, 28, 28), dtype=np.uint8), np.arange(200, dtype=np.uint8) % 10
    mnist = MNIST(images, labels, images[:50], labels[:50], "test", "custom")
    results = {}
    for curve in (True, False):
        config = Config(task="id", hidden=(8,), method="matrix", epochs=3, curves=curve)
        results[curve] = run(config, mnist, out=tmp_path / str(curve), progress=False)
    for W, V in zip(results[True].net.params(), results[False].net.params()):
        np.testing.assert_array_equal(W, V)
    assert results[False].metrics["test"] == results[True].metrics["test"]
    assert results[False].metrics["train"] == results[True].metrics["train"]
    assert "test_accuracy" in results[True].history.rows[0]
    assert not {"train_accuracy", "test_accuracy"} & set(results[False].history.rows[0])
    last = results[True].history.rows[-1]
    assert results[False].history.rows[-1]["train_accuracy"] == last["train_accuracy"]
    saved = read_csv_rows(tmp_path / "False" / "history.csv")
    assert saved[0]["train_accuracy"] == "" and saved[-1]["train_accuracy"] == last["train_accuracy"]
    assert saved[-1]["test_accuracy"] == last["test_accuracy"] and saved[-1]["test_cost"] == last["test_cost"]
    assert (tmp_path / "False" / "learning_curves.png").is_file()


@pytest.mark.parametrize("method,cost,optimizer", [("online", "tse", "sgd"), ("online", "xe", "momentum"),
                                                   ("matrix", "xe", "sgd"), ("matrix", "mse", "adam")])
def test_one_table_of_defaults_for_settings_configs_and_the_estimator(method, cost, optimizer):
    """Epochs, η and batch size not given are the method's, cost's and optimiser's, from one table
    (``training.defaults``), whether training is set up by ``Settings``, a ``Config`` or the estimator."""
    from mathdl.runs.experiment import Config
    from mathdl.sklearn import MathdlClassifier
    from mathdl.training.defaults import defaults

    expected = defaults(method, cost, optimizer)
    settings = Settings(method=method, cost=cost, optimizer=optimizer)
    assert (settings.epochs, settings.eta, settings.batch_size) == tuple(expected[k] for k in ("epochs", "eta",
                                                                                                "batch_size"))
    assert Config(method=method, cost=cost, optimizer=optimizer, decay=0.0, augment=0).settings() == settings
    assert MathdlClassifier(method=method, cost=cost, optimizer=optimizer)._settings() == settings
    assert Settings(method=method, cost=cost, optimizer=optimizer, epochs=2).epochs == 2


def test_the_history_records_the_share_of_positives_that_ends_each_epoch():
    """For a binary task every epoch's row holds the share of positives among the last ``TAIL`` images of the order
    the loop drew (the report explains a dip all runs share with it, without the data): the same as drawing the
    orders again from the seed."""
    from mathdl.base.seeding import rng
    from mathdl.report.content import epoch_order_share
    from mathdl.training.loop import TAIL

    generator = np.random.default_rng(5)
    X = generator.normal(0, 1, (2, 2500))
    task = dots_task(X, (X[0] > 0.3).astype(int), seed=0)
    history = train(random_net([2, 3, 1], ["tanh", "sigmoid"]), task, Settings(method="matrix", epochs=3, seed=4),
                    progress=False)
    shuffle, labels = rng(4, "shuffle"), task.train.labels
    expected = [float(np.mean(labels[shuffle.permutation(task.train.N)[-TAIL:]])) for _ in range(3)]
    assert [row["tail_positives"] for row in history.rows] == expected
    assert len(set(expected)) == 3  # the orders differ, and so do their ends
    study = {"runs": {1: {"history": history.rows}},
             "summary": {"class_balance": {"train": {"negative": int((labels == 0).sum()),
                                                     "positive": int((labels == 1).sum())}}}}
    assert epoch_order_share(study, 2) == (expected[1], TAIL, float(np.mean(labels)))
