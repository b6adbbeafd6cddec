"""Pixels: X kept as 0-255 bytes is, column for column and bit for bit, the scaled matrix; training on it
gives the very weights that training on the matrix gives."""
import dataclasses
import importlib

import numpy as np
import pytest

from mathdl.data import make_task
from mathdl.data.augment import take
from mathdl.data.mnist import MNIST
from mathdl.data.pixels import Pixels
from mathdl.nn import Network
from mathdl.training.loop import Settings, train
from mathdl.training.evaluate import evaluate


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(3)
    images = rng.integers(0, 256, (600, 28, 28), dtype=np.uint8)
    images[:, :4] = 0  # a blank border, as in MNIST
    labels = (np.arange(600) % 10).astype(np.uint8)
    return MNIST(images[:500], labels[:500], images[500:], labels[500:], "test", "custom")


def scaled(images: np.ndarray, how: str, stats, dtype) -> np.ndarray:
    """The whole matrix, by the scaling's definition applied to all images at once."""
    x = images.reshape(len(images), -1).astype(dtype)
    x *= dtype(1 / 255)
    if how == "book":
        x *= dtype(0.99)
        x += dtype(0.01)
    elif how == "standard":
        x -= dtype(stats[0])
        x /= dtype(stats[1])
    return x.T


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("how", ["unit", "book", "standard"])
def test_columns_are_the_scaled_matrix_bit_for_bit(data, how, dtype):
    task = make_task(data, "digits", scale=how, dtype=dtype)
    X, expected = task.train.X, scaled(data.train_images, how, task.stats, dtype)
    assert isinstance(X, Pixels) and X.shape == (784, 500) and X.dtype == dtype
    whole = np.asarray(X)
    assert whole.dtype == dtype and whole.flags.f_contiguous
    np.testing.assert_array_equal(whole, expected)
    idx = np.random.default_rng(0).permutation(500)[:123]
    np.testing.assert_array_equal(X[:, idx], expected[:, idx])
    mask = task.train.labels % 3 == 0
    np.testing.assert_array_equal(X[:, mask], expected[:, mask])
    with pytest.raises(IndexError):
        X[:, mask[:-1]]
    np.testing.assert_array_equal(X[:, 7], expected[:, 7])
    buffer = np.empty((784, 200), dtype, order="F")
    out = take(X, idx, buffer[:, :len(idx)])
    assert np.shares_memory(out, buffer)
    np.testing.assert_array_equal(out, expected[:, idx])
    assert X.min() == expected.min() and X.max() == expected.max()
    np.testing.assert_array_equal(X[3:5, 10:20], expected[3:5, 10:20])
    np.testing.assert_array_equal(X[np.array([1, 400]), :], expected[[1, 400], :])


def test_a_slice_is_a_view_of_the_pixels(data):
    X = make_task(data, "digits").train.X
    part = X[:, 10:400:3]
    assert isinstance(part, Pixels) and part.shape == (784, 130)
    assert np.shares_memory(part.images, X.images)
    np.testing.assert_array_equal(np.asarray(part), np.asarray(X)[:, 10:400:3])


def test_it_acts_as_the_matrix_in_arithmetic_and_array_methods(data):
    X = make_task(data, "digits", scale="standard").train.X
    A = np.asarray(X)
    W = np.random.default_rng(1).normal(size=(5, 784))
    np.testing.assert_array_equal(W @ X, W @ A)
    assert X.mean() == A.mean() and X.std() == A.std()
    np.testing.assert_array_equal(X.T, A.T)
    with pytest.raises(AttributeError):
        X._no_such_thing  # noqa: B018


@pytest.mark.parametrize("method,batch", [("online", 1), ("matrix", 16)])
def test_training_on_pixels_equals_training_on_the_matrix(data, method, batch):
    task = make_task(data, "id", student_id="100384", scale="book")
    dense = dataclasses.replace(task, train=dataclasses.replace(task.train, X=np.asarray(task.train.X)),
                                test=dataclasses.replace(task.test, X=np.asarray(task.test.X)))
    settings = Settings(cost="xe", method=method, epochs=2, eta=0.3, batch_size=batch, augment=1)
    nets = []
    for t in (task, dense):
        net = Network.create([784, 20, 1], ["sigmoid", "sigmoid"], rng=np.random.default_rng(0))
        history = train(net, t, settings, progress=False)
        nets.append((net, history))
    (a, ha), (b, hb) = nets
    for l in range(1, 3):
        np.testing.assert_array_equal(a.W[l], b.W[l])
    assert [r["test_accuracy"] for r in ha.rows] == [r["test_accuracy"] for r in hb.rows]
    assert [r["train_cost"] for r in ha.rows] == [r["train_cost"] for r in hb.rows]
    assert evaluate(a, task.test, task, "xe").cost == evaluate(b, dense.test, dense, "xe").cost


@pytest.mark.parametrize("how", ["unit", "book", "standard"])
def test_shifted_pixels_are_the_shifted_matrix(data, how):
    from mathdl.data.augment import Shifted
    task = make_task(data, "digits", scale=how)
    idx = np.random.default_rng(2).permutation(500)[:200]
    lazy = Shifted(task.train.X, 2, np.random.default_rng(5), task.background)
    dense = Shifted(np.asarray(task.train.X), 2, np.random.default_rng(5), task.background)
    assert np.abs(lazy.dx).max() == 2
    np.testing.assert_array_equal(lazy.take(idx), dense.take(idx))
    assert task.background == task.train.X.scaled(np.zeros((1, 1), np.uint8))[0, 0]  # a 0 pixel, scaled


def test_evaluating_pixels_in_chunks_equals_evaluating_the_matrix(data, monkeypatch):
    """``evaluate`` scales ``Pixels`` chunk by chunk into one buffer: in chunks of 64 (the last one short) the
    same cost, predictions and outputs as the whole scaled matrix at once."""
    from mathdl.data.tasks import Split
    module = importlib.import_module("mathdl.training.evaluate")  # the module, not the function of its name
    task = make_task(data, "digits", scale="standard")
    split = task.train
    assert isinstance(split.X, Pixels) and split.N % 64
    net = Network.create([784, 10], ["softmax"], rng=np.random.default_rng(1))
    dense = evaluate(net, Split(np.asarray(split.X), split.Y, split.labels, split.digits), task, "xe")
    monkeypatch.setattr(module, "EVAL_CHUNK", 64)
    lazy = evaluate(net, split, task, "xe")
    assert lazy.cost == pytest.approx(dense.cost, rel=1e-12) and lazy.accuracy == dense.accuracy
    np.testing.assert_array_equal(lazy.predicted, dense.predicted)
    np.testing.assert_allclose(lazy.outputs, dense.outputs, rtol=1e-12)


@pytest.mark.parametrize("how,alpha,beta", [("unit", 1 / 255, 0.0), ("book", 0.99 / 255, 0.01),
                                            ("standard", 1 / (255 * 0.25), -0.4 / 0.25)])
def test_affine_is_the_slope_and_intercept_of_the_scaling(how, alpha, beta):
    """x = α p + β: unit (1/255, 0); book (0.99/255, 0.01); standard, (μ, σ) = (0.4, 0.25): (1/(255σ), −μ/σ)."""
    X = Pixels(np.zeros((2, 28, 28), np.uint8), how, (0.4, 0.25), np.float64)
    assert X.affine() == pytest.approx((alpha, beta), rel=1e-12, abs=1e-15)
