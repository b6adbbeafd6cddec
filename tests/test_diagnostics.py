"""Numerical faults reported with a suggestion: exploding gradients (the gradient norm on a probe, per
epoch) and saturated hidden units (mean f'(z) over the training set, after training)."""
import numpy as np
import pytest

from conftest import random_net
from mathdl.cli import main
from mathdl.data import dots_task, make_dots
from mathdl.training import diagnostics
from mathdl.training.diagnostics import EXPLODING, SATURATED, GradientMonitor, evenly, saturation
from mathdl.training.loop import Settings, train
from test_mnist import small, write_idx


@pytest.fixture
def moons():
    return dots_task(*make_dots("moons", 300, seed=0), seed=0)


def test_healthy_training_has_no_warnings_and_records_the_gradient_norm(moons):
    net = random_net([2, 16, 1], ["tanh", "sigmoid"], seed=1)
    h = train(net, moons, Settings(cost="xe", method="matrix", epochs=5, eta=0.5, batch_size=10), progress=False)
    assert h.warnings == []
    norms = [row["grad_norm"] for row in h.rows]
    assert len(norms) == 5 and all(0 < n < EXPLODING * h.diagnostics["grad_norm_initial"] for n in norms)
    assert h.diagnostics["saturation"] == {"1": {"activation": "tanh", "units": 16, "saturated": 0}}


def test_exploding_gradients_are_reported_before_the_cost_overflows(moons):
    """Gradient descent on a quadratic cost with η = 2.2/λ_max: each full-batch step multiplies the error
    along the top eigenvector by 1 − ηλ_max = −1.2, so ‖∇C‖ grows geometrically, ×1.2 per epoch."""
    X = moons.train.X
    X1 = np.vstack([X, np.ones(X.shape[1])])  # inputs with the bias' constant 1
    hessian = 2 * X1 @ X1.T / X.shape[1]  # of C = (1/N) Σ (y − a)², a = w·x + b
    eta = 2.2 / np.linalg.eigvalsh(hessian).max()
    net = random_net([2, 1], ["linear"], seed=0)
    h = train(net, moons, Settings(cost="mse", method="matrix", epochs=40, eta=eta, batch_size=moons.train.N),
              progress=False)
    [warning] = h.warnings
    assert warning.startswith("exploding gradients: in epoch ") and f"smaller learning rate than {eta:g}" in warning
    epoch = int(warning.split("in epoch ")[1].split()[0])
    assert 15 < epoch < 40 and np.isfinite(h.rows[-1]["cost"])


def test_saturated_sigmoid_units_and_dead_relu_units(moons):
    net = random_net([2, 10, 1], ["sigmoid", "sigmoid"], seed=0)
    net.b[1][:6] = [[40], [-40], [60], [-60], [80], [-80]]  # six units driven far into σ ≈ 0 or 1
    s = saturation(net, moons.train.X)
    assert s.layers[1]["saturated"] == 6 and s.layers[1]["units"] == 10
    [warning] = s.warnings()
    assert "6 of the 10 sigmoid units of hidden layer 1" in warning and f"mean f'(z) < {SATURATED:g}" in warning
    relu = random_net([2, 8, 1], ["relu", "sigmoid"], seed=0)
    relu.b[1][:3] = -100  # three units that never fire
    assert saturation(relu, moons.train.X).layers[1]["saturated"] == 3
    assert "leaky_relu" in saturation(relu, moons.train.X).warnings()[0]


def test_the_output_layer_counts_only_when_the_cost_has_its_derivative(moons):
    net = random_net([2, 4, 1], ["tanh", "sigmoid"], seed=0)
    net.b[2][:] = -50  # a ≈ 0 for every sample
    assert 2 not in saturation(net, moons.train.X).layers  # XE: δ⁽ᴸ⁾ = a − y, no f'
    s = saturation(net, moons.train.X, output=True)  # TSE: δ⁽ᴸ⁾ = (a − y) ⊙ f'(z)
    assert s.layers[2]["saturated"] == 1 and "of the output layer" in s.warnings()[0]


def test_a_tenth_of_a_layer_saturated_is_reported_and_less_is_not(moons):
    net = random_net([2, 10, 1], ["sigmoid", "sigmoid"], seed=0)
    net.b[1][0] = 80  # one unit of ten: exactly SATURATION_WARNING
    assert "1 of the 10 sigmoid units of hidden layer 1" in saturation(net, moons.train.X).warnings()[0]
    wide = random_net([2, 11, 1], ["sigmoid", "sigmoid"], seed=0)
    wide.b[1][0] = 80  # one of eleven: below it
    below = saturation(wide, moons.train.X)
    assert below.layers[1]["saturated"] == 1 and below.warnings() == []


def test_a_softmax_output_is_never_counted_as_saturated(moons):
    """Softmax has no elementwise f' (its δ⁽ᴸ⁾ is a − y with cross-entropy), so even output=True leaves it out."""
    net = random_net([2, 4, 2], ["tanh", "softmax"], seed=0)
    assert list(saturation(net, moons.train.X, output=True).layers) == [1]


def test_the_explosion_is_measured_from_the_smallest_norm_so_far(moons, monkeypatch):
    """‖∇C‖ 10, then 0.05, then 6: 120× the smallest, though less than the first — reported in epoch 2, once."""
    norms = iter([10.0, 0.05, 6.0, 600.0])
    monkeypatch.setattr(diagnostics, "gradient_norm", lambda *args: next(norms))
    monitor = GradientMonitor(random_net([2, 1], ["sigmoid"]), moons.train.X, moons.train.Y, None, eta=0.5)
    assert monitor.after_epoch(1) is None
    assert monitor.after_epoch(2).startswith("exploding gradients: in epoch 2 the gradient norm ‖∇C‖ grew to 6, "
                                             "120× its smallest value 0.05")
    assert monitor.after_epoch(3) is None and monitor.norms == [10.0, 0.05, 6.0, 600.0]


@pytest.mark.parametrize("N, at_most", [(250, 100), (10_000, 10_000), (10_001, 10_000), (60_000, 256), (5, 100)])
def test_evenly_takes_at_most_so_many_columns_spread_over_all(N, at_most):
    taken = range(N)[evenly(N, at_most)]
    assert len(taken) == N if N <= at_most else at_most // 2 < len(taken) <= at_most  # all, or at most so many
    assert taken[-1] >= N - N / len(taken)  # to the end of the set


def test_train_command_prints_the_warning_and_records_the_diagnostics(tmp_path, capsys):
    data = write_idx(tmp_path / "mnist", small(200, 60))
    out = tmp_path / "run"
    assert main(["train", "--quiet", "--data", str(data), "--hidden", "8", "--bp", "matrix", "--lr", "300",
                 "--epochs", "2", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert err.count("warning: saturated units:") >= 1 and "\n" not in err.split("warning: ")[1].rstrip("\n")
    import json
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["diagnostics"]["warnings"] and "saturation" in metrics["diagnostics"]
