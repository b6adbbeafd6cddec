"""Backprop against central differences, the two methods against each other, the fast path against
the reference, and the bias-free network against the book's own loop."""
import numpy as np
import pytest

from conftest import random_batch, random_net
from mathdl.nn import backprop, backprop_online, gradcheck, gradients, input_gradient
from mathdl.nn.backprop import method_name
from mathdl.nn.fast.online import OnlineSGD
from mathdl.nn.optimizers import SGD
from mathdl.base.errors import MathdlError

ARCHITECTURES = [[7, 5, 3], [7, 6, 5, 4, 3]]  # one and three hidden layers
COMBOS = [("sigmoid", "sigmoid", "tse"), ("sigmoid", "sigmoid", "xe"), ("tanh", "softmax", "xe"),
          ("relu", "softmax", "tse"), ("leaky_relu", "linear", "mse"), ("swish", "sigmoid", "xe"),
          ("tanh", "tanh", "tse"), ("sigmoid", "softmax", "tse")]


@pytest.mark.parametrize("sizes", ARCHITECTURES, ids=["1 hidden", "3 hidden"])
@pytest.mark.parametrize("hidden,output,cost", COMBOS)
@pytest.mark.parametrize("method", ["online", "matrix"])
def test_gradients_match_central_differences(sizes, hidden, output, cost, method):
    net = random_net(sizes, [hidden] * (len(sizes) - 2) + [output], seed=3)
    X, Y = random_batch(sizes[0], sizes[-1], 6, output)
    for check in gradcheck(net, X, Y, cost, method=method):
        assert check.W_error < 1e-6, check
        assert check.b_error < 1e-6, check


@pytest.mark.parametrize("sizes", ARCHITECTURES)
def test_weighted_cost_gradients_match_central_differences(sizes):
    net = random_net(sizes, ["sigmoid"] * (len(sizes) - 1), seed=4)
    X, Y = random_batch(sizes[0], sizes[-1], 5)
    w = np.array([0.5, 2.0, 1.0, 3.0, 0.25])
    for check in gradcheck(net, X, Y, "xe", weights=w):
        assert check.W_error < 1e-6 and check.b_error < 1e-6


def test_bias_free_gradients_match_central_differences():
    net = random_net([6, 4, 2], ["sigmoid", "sigmoid"], bias=False)
    X, Y = random_batch(6, 2, 4)
    checks = gradcheck(net, X, Y, "tse")
    assert all(c.W_error < 1e-6 and c.b_error is None for c in checks)


@pytest.mark.parametrize("sizes", ARCHITECTURES)
@pytest.mark.parametrize("cost", ["tse", "xe"])
def test_matrix_gradient_is_the_mean_of_per_sample_gradients(sizes, cost):
    net = random_net(sizes, ["sigmoid"] * (len(sizes) - 1), seed=5)
    X, Y = random_batch(sizes[0], sizes[-1], 9)
    C, g = backprop(net, X, Y, cost)
    per_sample = [backprop(net, X[:, [i]], Y[:, [i]], cost) for i in range(9)]
    assert C == pytest.approx(np.mean([c for c, _ in per_sample]), rel=1e-12)
    for l in range(1, net.L + 1):
        np.testing.assert_allclose(g.dW[l], np.mean([s.dW[l] for _, s in per_sample], axis=0), rtol=1e-10,
                                   atol=1e-15)
        np.testing.assert_allclose(g.db[l], np.mean([s.db[l] for _, s in per_sample], axis=0), rtol=1e-10,
                                   atol=1e-15)
    C_online, g_online = backprop_online(net, X, Y, cost)
    assert C_online == pytest.approx(C, rel=1e-12)
    for a, b in zip(g_online.arrays(), g.arrays()):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-15)


def test_gradients_do_not_change_the_network_or_the_data():
    net = random_net([5, 4, 2], ["sigmoid", "sigmoid"])
    X, Y = random_batch(5, 2, 3)
    before = [p.copy() for p in net.params()] + [X.copy(), Y.copy()]
    gradients(net, X, Y, "tse", "matrix")
    gradients(net, X, Y, "xe", "online")
    for a, b in zip(net.params() + [X, Y], before):
        np.testing.assert_array_equal(a, b)


def sgd_reference(net, X, Y, cost, eta, order, weights=None):
    """θ ← θ − η ∇C_x per sample via the reference backprop (new arrays every step)."""
    opt = SGD(eta)
    for i in order:
        _, g = backprop(net, X[:, [i]], Y[:, [i]], cost, None if weights is None else weights[[i]])
        opt.step(net.params(), g.arrays())


@pytest.mark.parametrize("sizes,hidden,output,cost", [
    ([8, 6, 1], "sigmoid", "sigmoid", "tse"), ([8, 6, 5, 4, 3], "tanh", "softmax", "xe"),
    ([8, 6, 3], "relu", "sigmoid", "xe"), ([8, 5, 2], "swish", "linear", "mse")])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fast_online_sgd_equals_the_reference(sizes, hidden, output, cost, dtype):
    """The in-place BLAS path (OnlineSGD) gives the reference path's weights after many steps."""
    from mathdl.nn import get_cost
    fast = random_net(sizes, [hidden] * (len(sizes) - 2) + [output], seed=7, dtype=dtype)
    slow = fast.copy()
    X, Y = (a.astype(dtype) for a in random_batch(sizes[0], sizes[-1], 40, output))
    weights = np.linspace(0.5, 2, 40).astype(dtype)
    order = np.random.default_rng(0).permutation(40)
    stepper = OnlineSGD(fast, get_cost(cost), 0.3)
    costs = [stepper.step(X[:, i], Y[:, i], weights[i]) for i in order]
    sgd_reference(slow, X, Y, cost, 0.3, order, weights)
    tol = 1e-12 if dtype == np.float64 else 2e-5
    for a, b in zip(fast.params(), slow.params()):
        assert a.dtype == dtype
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)
    assert np.all(np.isfinite(costs))


def test_online_equals_matrix_with_batch_size_one():
    """Training by the equations (the reference engine): online SGD (``backprop_online`` on each sample) ==
    matrix SGD with batches of one (``backprop`` on each), same seed, same order."""
    from mathdl.data import dots_task, make_dots
    from mathdl.training.loop import Settings, train
    task = dots_task(*make_dots("moons", 120, seed=1), seed=1)
    a = random_net([2, 8, 1], ["tanh", "sigmoid"], seed=2)
    b = a.copy()
    ha = train(a, task, Settings(cost="xe", method="online", epochs=3, eta=0.2, engine="reference"), progress=False)
    hb = train(b, task, Settings(cost="xe", method="matrix", epochs=3, eta=0.2, batch_size=1, engine="reference"),
               progress=False)
    for x, y in zip(a.params(), b.params()):
        np.testing.assert_allclose(x, y, rtol=1e-12, atol=1e-14)
    assert [r["cost"] for r in ha.rows] == pytest.approx([r["cost"] for r in hb.rows], rel=1e-12)


def book_setup(n=30):
    from mathdl.data import make_task
    from mathdl.data.mnist import MNIST
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, n).astype(np.uint8)
    task = make_task(MNIST(images, labels, images[:10], labels[:10], "test", "custom"), "digits",
                     scale="book", targets="book")
    book = np.random.default_rng(9)  # the book draws wih, then who, from normal(0, n_in^-0.5)
    wih = book.normal(0.0, pow(784, -0.5), (20, 784))
    who = book.normal(0.0, pow(20, -0.5), (10, 20))
    return task, wih, who


def book_train(wih, who, inputs, targets, lr, exact_gradient):
    """Rashid's train() for one sample. The book backpropagates the raw errors (hidden_errors = whoᵀ e);
    with ``exact_gradient`` the hidden error is whoᵀ (e ⊙ o(1 − o)), the true gradient of ½Σ(t − o)²."""
    sig = lambda x: 1 / (1 + np.exp(-x))  # noqa: E731 (the book's scipy.special.expit)
    hidden_outputs = sig(wih @ inputs)
    final_outputs = sig(who @ hidden_outputs)
    output_errors = targets - final_outputs
    back = output_errors * final_outputs * (1 - final_outputs) if exact_gradient else output_errors
    hidden_errors = who.T @ back  # computed before who changes, as in the book
    who += lr * ((output_errors * final_outputs * (1 - final_outputs)) @ hidden_outputs.T)
    wih += lr * ((hidden_errors * hidden_outputs * (1 - hidden_outputs)) @ inputs.T)
    return final_outputs


def test_bias_free_network_reproduces_the_books_forward_pass_and_initial_weights():
    from mathdl.nn import Network
    task, wih, who = book_setup()
    net = Network.create([784, 20, 10], ["sigmoid", "sigmoid"], rng=np.random.default_rng(9), bias=False)
    np.testing.assert_array_equal(net.W[1], wih)
    np.testing.assert_array_equal(net.W[2], who)
    sig = lambda x: 1 / (1 + np.exp(-x))  # noqa: E731
    np.testing.assert_allclose(net(task.train.X), sig(who @ sig(wih @ task.train.X)), rtol=1e-14)


def test_bias_free_online_sgd_is_the_books_loop_with_the_exact_hidden_error():
    """Every weight after an epoch of per-sample updates equals the book's loop, once its hidden error
    carries the output layer's σ'(z) factor (which makes the loop exact gradient descent on TSE)."""
    from mathdl.nn import Network
    from mathdl.training.loop import Settings, train
    task, wih, who = book_setup()
    net = Network.create([784, 20, 10], ["sigmoid", "sigmoid"], rng=np.random.default_rng(9), bias=False)
    order = np.random.default_rng(np.random.SeedSequence(0, spawn_key=(4,))).permutation(task.train.N)
    for i in order:
        book_train(wih, who, task.train.X[:, [i]], task.train.Y[:, [i]], 0.3, exact_gradient=True)
    train(net, task, Settings(cost="tse", method="online", epochs=1, eta=0.3, seed=0), progress=False)
    np.testing.assert_allclose(net.W[1], wih, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(net.W[2], who, rtol=1e-12, atol=1e-15)


def test_the_books_hidden_update_is_not_the_gradient():
    """One sample: the book's output-layer update is the gradient step; its hidden-layer update is not."""
    from mathdl.nn import Network
    task, wih, who = book_setup()
    net = Network.create([784, 20, 10], ["sigmoid", "sigmoid"], rng=np.random.default_rng(9), bias=False)
    x, y = task.train.X[:, [0]], task.train.Y[:, [0]]
    _, g = backprop(net, x, y, "tse")
    book_train(wih, who, x, y, 0.3, exact_gradient=False)
    np.testing.assert_allclose(who, net.W[2] - 0.3 * g.dW[2], rtol=1e-13)
    assert np.abs(wih - (net.W[1] - 0.3 * g.dW[1])).max() > 1e-4


def test_method_names():
    assert method_name("1") == "online" and method_name("2") == "matrix" and method_name("Matrix") == "matrix"
    with pytest.raises(MathdlError, match="choose from online, matrix"):
        method_name("batch")


@pytest.mark.parametrize("sizes", ARCHITECTURES, ids=["1 hidden", "3 hidden"])
@pytest.mark.parametrize("hidden,output,cost", COMBOS)
def test_input_gradient_matches_central_differences(sizes, hidden, output, cost):
    """∂C_x/∂x = (W⁽¹⁾)ᵀ δ⁽¹⁾, each column the gradient of its own sample's cost."""
    net = random_net(sizes, [hidden] * (len(sizes) - 2) + [output], seed=5)
    X, Y = random_batch(sizes[0], sizes[-1], 4, output)
    C_x, dX = input_gradient(net, X, Y, cost)
    assert C_x.shape == (4,) and dX.shape == X.shape
    h = 1e-6
    for i in range(X.shape[0]):
        E = np.zeros_like(X)
        E[i] = h
        numeric = (input_gradient(net, X + E, Y, cost)[0] - input_gradient(net, X - E, Y, cost)[0]) / (2 * h)
        np.testing.assert_allclose(dX[i], numeric, rtol=1e-6, atol=1e-9)
    C, _ = backprop(net, X, Y, cost)
    assert C == pytest.approx(C_x.mean())


def test_the_readme_quotes_the_code_it_shows():
    """The README's backprop excerpt is the code of nn/backprop.py, line for line."""
    from pathlib import Path

    import importlib
    module = importlib.import_module("mathdl.nn.backprop")

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    excerpt = readme.split("The heart of `nn/backprop.py`:")[1].split("```python\n")[1].split("```")[0]
    source = Path(module.__file__).read_text(encoding="utf-8")
    lines = [line for line in excerpt.splitlines() if line.strip()]
    assert len(lines) >= 10
    assert "\n".join(lines) in source
