"""The fast paths give the reference paths' numbers.

Reference: ``backprop`` (new arrays, the report's equations) followed by the optimiser's ``step``, one
batch at a time. Fast: ``FastSGD`` (in-place BLAS updates, the first layer's deferred over blocks of
samples) online and in mini-batches, ``MatrixStep`` (preallocated buffers) for momentum and Adam, and
``train`` with its column gathering and lazily shifted images.

Tolerances. float64: 1e-12 relative — the arithmetic is the same up to the order of additions inside
BLAS — and 1e-13 absolute for the entries that updates happen to cancel to near 0 (the weights are of
order 1). float32: 1e-4 relative and absolute — the same reorderings round at 6e-8 instead of 1e-16,
and a few dozen updates with η = 0.3 carry that to about 1e-5. The data keep the problems well conditioned: targets a tanh
output can reach (targets beyond ±1 make the training chaotic — perturbing the initial weights by
1e-15 moves the reference's own result by 1e-10 after 43 samples — and no path could match another).
"""
import numpy as np
import pytest

import dataclasses
from conftest import random_batch, random_net
from mathdl.data import make_task
from mathdl.data.augment import Shifted, shift_images, take
from mathdl.data.mnist import MNIST
from mathdl.nn import ACTIVATIONS, COSTS, backprop, get_cost, make_optimizer
from mathdl.nn.fast.matrix import MatrixStep
from mathdl.nn.fast.online import OnlineSGD
from mathdl.nn.fast.sgd import FastSGD
from mathdl.training.loop import Settings, train


def tolerance(dtype):
    return dict(rtol=1e-12, atol=1e-13) if dtype == np.float64 else dict(rtol=1e-4, atol=1e-4)


def assert_same_params(a, b, dtype):
    for x, y in zip(a.params(), b.params()):
        assert x.dtype == y.dtype == dtype
        np.testing.assert_allclose(x, y, **tolerance(dtype))


NETWORKS = [  # (sizes, hidden activation, output activation, cost): every kernel and every fallback
    ([12, 9, 1], "sigmoid", "sigmoid", "tse"), ([12, 9, 7, 4], "tanh", "softmax", "xe"),
    ([12, 9, 3], "relu", "sigmoid", "xe"), ([12, 8, 5, 2], "swish", "linear", "mse"),
    ([12, 9, 4], "leaky_relu", "softmax", "tse"), ([12, 6, 3], "linear", "tanh", "tse"), ([12, 3], None, "sigmoid", "xe")]


def make_net(sizes, hidden, output, dtype, bias=True):
    return random_net(sizes, [hidden] * (len(sizes) - 2) + [output], seed=3, bias=bias, dtype=dtype)


def make_batch(sizes, output, N, dtype, background=False):
    """X (n_0, N) and Y (n_L, N) column-major, with targets the output activation can reach. With
    ``background``, X is like an image's: inputs that are one constant value -0.4 in most samples (one
    half in all but a few, so that blocks have inputs constant over them, of two kinds)."""
    X, Y = random_batch(sizes[0], sizes[-1], N, output)
    if background:
        rng, half = np.random.default_rng(4), sizes[0] // 2
        X[:half][rng.uniform(size=(half, N)) < 0.97] = -0.4
        X[half:][rng.uniform(size=(sizes[0] - half, N)) < 0.3] = -0.4
        X[0] = 0.7  # an input constant at another value
    if output == "tanh":
        Y = np.random.default_rng(2).uniform(-0.9, 0.9, Y.shape)
    return np.asfortranarray(X, dtype), np.asfortranarray(Y, dtype)


def reference_steps(net, X, Y, cost, optimizer, batch, weights=None):
    """``backprop`` and ``optimizer.step`` batch after batch; returns Σ_batches C·|batch| (= Σ w_x C_x)."""
    total = 0.0
    for first in range(0, X.shape[1], batch):
        cols = slice(first, first + batch)
        C, grads = backprop(net, X[:, cols], Y[:, cols], cost, None if weights is None else weights[cols])
        optimizer.step(net.params(), grads.arrays())
        total += C * X[:, cols].shape[1]
    return total


@pytest.mark.parametrize("sizes,hidden,output,cost", NETWORKS)
@pytest.mark.parametrize("optimizer,eta", [("momentum", 0.1), ("adam", 0.01)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("bias", [True, False])
def test_matrix_step_equals_backprop_and_the_optimiser(sizes, hidden, output, cost, optimizer, eta, dtype, bias):
    fast = make_net(sizes, hidden, output, dtype, bias)
    slow = fast.copy()
    X, Y = make_batch(sizes, output, 50, dtype)
    weights = np.linspace(0.5, 2, 50).astype(dtype)
    fast_opt, slow_opt = make_optimizer(optimizer, eta), make_optimizer(optimizer, eta)
    step = MatrixStep(fast, get_cost(cost), fast_opt, 8)
    for first in range(0, 50, 8):  # six batches of 8 and one of 2 (a partial buffer)
        cols = slice(first, first + 8)
        w = weights[cols] if first % 16 else None  # with and without sample weights
        C_fast = step(X[:, cols], Y[:, cols], w)
        C = reference_steps(slow, X[:, cols], Y[:, cols], cost, slow_opt, 8, w)
        assert C_fast * X[:, cols].shape[1] == pytest.approx(C, rel=tolerance(dtype)["rtol"])
        assert_same_params(fast, slow, dtype)
    assert all(W.flags.f_contiguous for W in fast.W[1:])


@pytest.mark.parametrize("sizes,hidden,output,cost", NETWORKS)
@pytest.mark.parametrize("batch,block", [(1, 7), (1, 64), (4, 9), (5, 20), (16, 16)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("background", [False, True])
def test_fast_sgd_equals_backprop_and_sgd(sizes, hidden, output, cost, batch, block, dtype, bias, background):
    """Blocks that end inside a chunk, partial batches at the end of a block and of the data, with
    sample weights, inputs constant over a block or not: the deferred first-layer update equals one
    reference step per batch."""
    fast = make_net(sizes, hidden, output, dtype, bias)
    slow = fast.copy()
    X, Y = make_batch(sizes, output, 43, dtype, background)
    weights = np.linspace(0.5, 2, 43).astype(dtype)
    sgd = FastSGD(fast, get_cost(cost), 0.3, batch, block)
    total = sgd.run(X[:, :30], Y[:, :30], weights[:30]) + sgd.run(X[:, 30:], Y[:, 30:])
    expected = (reference_steps(slow, X[:, :30], Y[:, :30], cost, make_optimizer("sgd", 0.3), batch, weights[:30])
                + reference_steps(slow, X[:, 30:], Y[:, 30:], cost, make_optimizer("sgd", 0.3), batch))
    assert_same_params(fast, slow, dtype)
    assert total == pytest.approx(expected, rel=tolerance(dtype)["rtol"])


@pytest.mark.parametrize("batch", [1, 4])
def test_a_network_deeper_than_the_padded_tuples_equals_backprop_and_sgd(batch):
    """Nine layers: the kernels' per-layer tuples padded to two multiples of ``LAYERS``."""
    from mathdl.nn.fast.kernels import LAYERS
    sizes = [12, 7, 6, 6, 5, 5, 4, 4, 4, 3]
    assert len(sizes) - 1 > LAYERS
    fast = make_net(sizes, "tanh", "softmax", np.float64)
    slow = fast.copy()
    X, Y = make_batch(sizes, "softmax", 43, np.float64)
    total = FastSGD(fast, get_cost("xe"), 0.3, batch, 20).run(X, Y)
    expected = reference_steps(slow, X, Y, "xe", make_optimizer("sgd", 0.3), batch)
    assert_same_params(fast, slow, np.float64)
    assert total == pytest.approx(expected, rel=1e-12)


def test_one_compiled_loop_serves_every_depth_and_output_size():
    """Networks of 1 to 7 hidden layers, with one output or three, and blocks of one sample: one compiled
    signature per method (and dtype), so a new depth never waits for Numba."""
    from mathdl.nn.fast import kernels

    def float64_signatures(kernel):  # (a network deeper than LAYERS, of another test, has its own)
        return {s for s in kernel.signatures if str(s[1].dtype) == "float64" and s[4].count <= kernels.LAYERS}

    for sizes in ([12, 1], [12, 9, 1], [12, 9, 7, 3], [12, 5, 5, 5, 5, 5, 5, 5, 3]):
        for batch, N in ((1, 9), (4, 9), (4, 65)):  # 65: a last block of one sample
            net = make_net(sizes, "tanh", "sigmoid", np.float64)
            X, Y = make_batch(sizes, "sigmoid", N, np.float64)
            FastSGD(net, get_cost("xe"), 0.1, batch).run(X, Y)
    assert len(float64_signatures(kernels.online_block)) == 1
    assert len(float64_signatures(kernels.batch_block)) == 1


def test_online_sgd_is_fast_sgd_with_batches_of_one():
    net = make_net([12, 9, 1], "sigmoid", "sigmoid", np.float64)
    copy = net.copy()
    X, Y = (np.asfortranarray(m) for m in random_batch(12, 1, 20, "sigmoid"))
    costs = [OnlineSGD(net, get_cost("tse"), 0.3).step(X[:, i], Y[:, i], 0.5) for i in range(20)]
    reference_steps(copy, X, Y, "tse", make_optimizer("sgd", 0.3), 1, np.full(20, 0.5))
    assert_same_params(net, copy, np.float64)
    assert all(np.isfinite(costs))


def image_task(dtype, n=96):
    """Random digits on a background: a blank frame 6 pixels wide, as MNIST's, and blank pixels inside."""
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    images[rng.uniform(size=images.shape) < 0.5] = 0
    images[:, :6], images[:, -6:], images[:, :, :6], images[:, :, -6:] = 0, 0, 0, 0
    labels = np.arange(n, dtype=np.uint8) % 10
    mnist = MNIST(images, labels, images[:20], labels[:20], "test", "custom")
    return make_task(mnist, "digits", scale="standard", dtype=dtype)


def no_fast_path(monkeypatch):
    """Make every fast path fail if it is called: what runs next is the readable reference alone."""
    def refuse(*args, **kwargs):
        raise AssertionError("the reference engine took a fast path")
    for cls in (FastSGD, OnlineSGD, MatrixStep):
        monkeypatch.setattr(cls, "__init__", refuse)


@pytest.mark.parametrize("method,optimizer,eta,batch", [
    ("online", "sgd", 0.05, 1), ("matrix", "sgd", 0.5, 10), ("matrix", "sgd", 0.5, 64), ("matrix", "momentum", 0.05, 10),
    ("matrix", "adam", 0.005, 10), ("online", "adam", 0.001, 1)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("augment,weighted", [(0, False), (1, True)])
def test_training_by_the_fast_paths_equals_the_reference(monkeypatch, method, optimizer, eta, batch, dtype,
                                                         augment, weighted):
    """Whole training runs by the two engines, with shifted images and sample weights: the same weights
    and costs. The reference run cannot take a fast path (they raise), so the comparison can fail."""
    task = image_task(dtype)
    weights = np.linspace(0.5, 1.5, task.train.N).astype(dtype) if weighted else None
    settings = Settings(cost="xe", method=method, epochs=2, eta=eta, batch_size=batch, optimizer=optimizer,
                        augment=augment, decay=0.5)
    fast = make_net([784, 16, 10], "sigmoid", "softmax", dtype)
    slow = fast.copy()
    fast_history = train(fast, task, settings, weights=weights, progress=False)
    no_fast_path(monkeypatch)
    slow_history = train(slow, task, dataclasses.replace(settings, engine="reference"), weights=weights,
                         progress=False)
    assert_same_params(fast, slow, dtype)
    for a, b in zip(fast_history.rows, slow_history.rows):
        assert a["cost"] == pytest.approx(b["cost"], rel=tolerance(dtype)["rtol"])
        assert a["test_accuracy"] == b["test_accuracy"]


def test_shifted_columns_equal_the_shifted_set():
    """``Shifted.take`` moves only the columns asked for, exactly as ``shift_images`` moves them all."""
    X = np.asfortranarray(np.random.default_rng(1).normal(size=(784, 40)))
    idx = np.array([5, 0, 39, 5, 17])
    for s in (1, 3):
        whole = shift_images(X, s, np.random.default_rng(s), -0.4)
        lazy = Shifted(X, s, np.random.default_rng(s), -0.4)
        np.testing.assert_array_equal(lazy.take(idx), whole[:, idx])
        out = np.empty((784, 8), order="F")
        assert take(lazy, idx, out[:, :5]).base is out
        np.testing.assert_array_equal(out[:, :5], whole[:, idx])
    np.testing.assert_array_equal(take(X, idx), X[:, idx])
    np.testing.assert_array_equal(take(np.ascontiguousarray(X), idx), X[:, idx])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_compiled_sigmoids_are_within_three_ulp_of_expit(dtype):
    """The kernels' branch-free σ (their own e^{−|z|}) against SciPy's ``expit`` computed in float64:
    within 3 ulp wherever σ is a normal number; below it (where ``expit`` returns 0 from z < −709.78 on,
    its e⁻ᶻ overflowing, and the kernels the subnormal σ) closer than the smallest normal number; exactly
    0, ½ and 1 where those are the answers; NaN for NaN."""
    from scipy.special import expit

    from mathdl.nn.fast.kernels import _sigmoids

    rng = np.random.default_rng(0)
    z = np.concatenate([np.linspace(-800, 800, 160_001), rng.normal(0, 5, 10_000), [0.0, -0.0, 1e-300, -1e-300],
                        np.arange(-746, -744, 0.001), [np.inf, -np.inf, -1e4, 1e4, 36.7, -36.7]]).astype(dtype)
    a = np.empty_like(z)
    _sigmoids(z, a, np.empty(3 * len(z)))
    expected = expit(z.astype(np.float64)).astype(dtype)
    tiny = np.finfo(dtype).tiny
    normal = expected >= tiny
    assert np.max(np.abs(a - expected)[normal] / np.spacing(expected[normal])) <= 3
    assert np.max(np.abs(a - expected)[~normal]) < tiny
    np.testing.assert_array_equal(a[[-6, -5, -4, -3]], dtype([1, 0, 0, 1]))
    np.testing.assert_array_equal(a[(z == 0)], 0.5)
    nan = np.array([np.nan], dtype)
    _sigmoids(nan, a[:1], np.empty(3))
    assert np.isnan(a[0])


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_every_activation_has_its_kernel_code(name):
    """One registry: every activation has a branch in the compiled kernels (a code without one gives NaN),
    equal to f and backward, for a row per sample."""
    from mathdl.nn.fast import kernels

    f = ACTIVATIONS[name]
    z = np.linspace(-6, 6, 26).reshape(13, 2)  # two samples as columns
    a, g = f.f(z), np.cos(np.arange(26.0)).reshape(13, 2)
    out, grad = np.empty((2, 13)), np.ascontiguousarray(g.T)
    kernels._forward(kernels.ACTIVATION_CODES[name], np.ascontiguousarray(z.T), out, np.empty(3 * 13))
    kernels._backward(kernels.ACTIVATION_CODES[name], np.ascontiguousarray(z.T), np.ascontiguousarray(a.T), grad)
    np.testing.assert_allclose(out, a.T, rtol=1e-15, atol=1e-16)
    np.testing.assert_allclose(grad, f.backward(z, a, g).T, rtol=1e-14, atol=1e-16)


@pytest.mark.parametrize("cost", list(COSTS))
@pytest.mark.parametrize("output", ["sigmoid", "softmax", "linear"])
def test_every_cost_has_its_kernel_code(cost, output):
    """Every cost of the registry has its branch in the kernels' output delta and cost, equal to ``Cost.delta``
    and ``Cost.value`` (a row per sample; the cost weighted by s_x and summed)."""
    from mathdl.nn.fast import kernels

    C, f = COSTS[cost], ACTIVATIONS[output]
    if C.outputs is not None and output not in C.outputs:
        pytest.skip(f"{cost} is not defined for a {output} output")
    z = np.array([[0.3, 4.0], [-1.2, -30.0], [2.0, 0.5]])
    a, y = f.f(z), np.array([[0.0, 0.2], [1.0, 0.0], [0.0, 0.8]])
    rows = [np.ascontiguousarray(v.T) for v in (z, a, y)]
    delta, s = np.empty((2, 3)), np.array([0.25, 2.0])
    kernels._output_delta(kernels.COST_CODES[cost], kernels.ACTIVATION_CODES[output], *rows, delta)
    total = kernels._costs(kernels.COST_CODES[cost], kernels.ACTIVATION_CODES[output], *rows, s)
    np.testing.assert_allclose(delta, C.delta(z, a, y, f).T, rtol=1e-14, atol=1e-16)
    assert total == pytest.approx(float(C.value(z, a, y, f) @ s), rel=1e-14)
