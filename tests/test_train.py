"""The training loop: histories, schedules, optimisers, class weights, divergence, float32; and a short
training on real MNIST when it is present."""
import dataclasses
import importlib

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
    assert [bool({"train_accuracy", "test_accuracy"} & set(row)) for row in results[False].history.rows] == [
        False, False, True]  # scored after the last epoch only
    last = results[True].history.rows[-1]
    assert results[False].history.rows[-1]["train_accuracy"] == last["train_accuracy"]
    saved = read_csv_rows(tmp_path / "False" / "history.csv")
    assert saved[0]["train_accuracy"] == "" and saved[-1]["train_accuracy"] == last["train_accuracy"]
    assert saved[-1]["test_accuracy"] == last["test_accuracy"] and saved[-1]["test_cost"] == last["test_cost"]
    assert (tmp_path / "False" / "learning_curves.png").is_file()
    once = run(dataclasses.replace(config, epochs=1), mnist, out=tmp_path / "once", progress=False)
    assert "test_accuracy" in once.history.rows[0]  # one epoch: its only row is the last, and scored


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


def replayed_training(W, b, task, epochs, eta, decay, batch, seed, weights):
    """The loop's run of a one-layer linear network under the total squared error C_x = ½(y − a)², replayed
    by the equations alone: epoch e draws its order from the seed's shuffle stream, cuts it into batches
    of ``batch`` (the last one shorter), and steps W ← W − η_e (1/|B|) Σ_x w_x δ_x xᵀ, b ← b − η_e (1/|B|)
    Σ_x w_x δ_x with δ_x = a − y and η_e = η / (1 + decay (e − 1)); returns W, b, the rates and the mean
    cost (1/N) Σ_x w_x C_x of each epoch, each C_x taken before its batch's step."""
    from mathdl.base.seeding import rng
    X, Y, N = task.train.X, task.train.Y, task.train.N
    w = np.ones(N) if weights is None else weights
    shuffle, rates, costs = rng(seed, "shuffle"), [], []
    for e in range(1, epochs + 1):
        order, eta_e, total = shuffle.permutation(N), eta / (1 + decay * (e - 1)), 0.0
        for first in range(0, N, batch):
            B = order[first:first + batch]
            residual = W @ X[:, B] + b - Y[:, B]  # a − y
            delta = residual * w[B]
            total += float(np.sum(residual ** 2 / 2 * w[B]))
            W, b = W - eta_e * delta @ X[:, B].T / len(B), b - eta_e * delta.sum(axis=1, keepdims=True) / len(B)
        rates.append(eta_e)
        costs.append(total / N)
    return W, b, rates, costs


@pytest.mark.parametrize("engine", ["fast", "reference"])
@pytest.mark.parametrize("weighted", [False, True])
def test_three_epochs_equal_the_equations_replayed_by_hand(engine, weighted):
    """700 training points in batches of 200 (the last one 100: 400 columns are gathered at a time, so the
    order is cut into two pieces and four batches), η = 0.3 with decay 0.5 (η_e = 0.3, 0.2, 0.15), sample
    weights or none: the weights, the rates and every epoch's mean cost are those of the update equations
    applied in the orders the seed draws."""
    generator = np.random.default_rng(2)
    X = generator.normal(0, 1, (2, 1000))
    task = dots_task(X, (X[0] - X[1] > 0).astype(int), seed=0)
    assert task.train.N == 700
    weights = generator.uniform(0.2, 3.0, 700) if weighted else None
    net = random_net([2, 1], ["linear"], seed=4)
    W, b, rates, costs = replayed_training(net.W[1].copy(), net.b[1].copy(), task, 3, 0.3, 0.5, 200, 9, weights)
    h = train(net, task, Settings(cost="tse", method="matrix", epochs=3, eta=0.3, decay=0.5, batch_size=200, seed=9,
                                  engine=engine), weights=weights, progress=False)
    assert rates == pytest.approx([0.3, 0.2, 0.15], rel=1e-15)
    assert [r["eta"] for r in h.rows] == pytest.approx(rates, rel=1e-15)
    assert [r["epoch"] for r in h.rows] == [1, 2, 3]
    assert [r["cost"] for r in h.rows] == pytest.approx(costs, rel=1e-10)
    np.testing.assert_allclose(net.W[1], W, rtol=1e-10)
    np.testing.assert_allclose(net.b[1], b, rtol=1e-10)


def test_every_epoch_shifts_the_images_by_new_draws_from_the_augment_stream(monkeypatch):
    """With augment s = 2 every epoch moves each training image by its own (dx, dy), drawn anew from the
    seed's augment stream (not the shuffle's, not the same every epoch): the shifts of epochs 1..3 are three
    successive ``draw_shifts(2, ·, N)`` from ``rng(seed, "augment")``, dx and dy each covering −2..2."""
    from mathdl.base.seeding import rng
    from mathdl.data.augment import Shifted, draw_shifts
    from mathdl.data.mnist import MNIST
    from mathdl.training import loop
    drawn = []

    class Recorded(Shifted):
        def __init__(self, *args):
            super().__init__(*args)
            drawn.append((self.dx.copy(), self.dy.copy()))

    monkeypatch.setattr(loop, "Shifted", Recorded)
    generator = np.random.default_rng(1)
    images, labels = generator.integers(0, 256, (150, 28, 28), dtype=np.uint8), np.arange(150, dtype=np.uint8) % 10
    task = make_task(MNIST(images, labels, images[:20], labels[:20], "test", "custom"), "digits")
    train(random_net([784, 10], ["sigmoid"]), task, Settings(method="matrix", epochs=3, augment=2, seed=7),
          progress=False)
    stream = rng(7, "augment")
    expected = [draw_shifts(2, stream, task.train.N) for _ in range(3)]
    assert len(drawn) == 3
    for (dx, dy), (ex, ey) in zip(drawn, expected):
        np.testing.assert_array_equal(dx, ex)
        np.testing.assert_array_equal(dy, ey)
        assert set(dx) == set(dy) == {-2, -1, 0, 1, 2}
    assert not np.array_equal(drawn[0][0], drawn[1][0]) and not np.array_equal(drawn[1][0], drawn[2][0])


def test_evaluation_by_hand_across_chunk_boundaries(monkeypatch):
    """x = 0, 1, 2 through a⁽¹⁾ = 2x − 1 and a⁽²⁾ = a⁽¹⁾ (linear), so a = −1, 1, 3; with y = 0, 0, 3 the total
    squared error ½(y − a)² is 0.5, 0.5, 0, the mean cost 1/3; the threshold ½ predicts 0, 1, 1 against the
    labels 0, 0, 1: accuracy 2/3. The same in chunks of 2 (the last one short), of 1 and of 2048."""
    from mathdl.data.tasks import Split, Task
    from mathdl.nn import Network
    module = importlib.import_module("mathdl.training.evaluate")  # the module, not the function of its name

    net = Network.create([1, 1, 1], ["linear", "linear"], rng=np.random.default_rng(0))
    net.W[1][...], net.b[1][...], net.W[2][...], net.b[2][...] = 2.0, -1.0, 1.0, 0.0
    split = Split(np.array([[0.0, 1.0, 2.0]]), np.array([[0.0, 0.0, 3.0]]), np.array([0, 0, 1]), np.array([0, 0, 1]))
    task = Task("hand", "by hand", ["0", "1"], split, split, None, (0.0, 1.0), "none")
    for chunk in (2, 1, 2048):
        monkeypatch.setattr(module, "EVAL_CHUNK", chunk)
        e = evaluate(net, split, task, "tse")
        assert e.cost == pytest.approx(1 / 3, rel=1e-15) and e.accuracy == pytest.approx(2 / 3, rel=1e-15)
        np.testing.assert_array_equal(e.predicted, [0, 1, 1])
        np.testing.assert_allclose(e.outputs, [[-1.0, 1.0, 3.0]], rtol=1e-15)
