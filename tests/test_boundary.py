"""Dots: the MLP's defaults succeed, a perceptron draws a straight line and fails on XOR."""
import numpy as np
import pytest

from mathdl.workshop.boundary import (RECIPES, dots_fit, fit_dataset, fit_dots, frame_epochs, line_equation, linear_boundary,
                                      plane)
from mathdl.data.dots import make_dots
from mathdl.base.errors import MathdlError


@pytest.mark.parametrize("dataset", ["moons", "circles", "xor"])
def test_the_mlp_reaches_95_percent_with_default_settings(dataset):
    fit = fit_dataset(dataset)
    assert not fit.perceptron
    assert fit.test_accuracy >= 0.95 and fit.train_accuracy >= 0.95


def test_a_perceptron_stays_near_chance_on_xor():
    """Trained by cross-entropy, the perceptron settles near the symmetric w ≈ 0 (chance, 50%); even the
    best single line would only get three of the four clusters (75%)."""
    fit = fit_dataset("xor", hidden=())
    assert fit.perceptron and fit.net.sizes == [2, 1]
    assert fit.test_accuracy <= 0.65 and fit.train_accuracy <= 0.65


def boundary_cells(predicted: np.ndarray, xs, ys) -> np.ndarray:
    """Midpoints (2, M) between horizontally or vertically adjacent grid cells of different class."""
    gx, gy = np.meshgrid(xs, ys)
    across = predicted[:, 1:] != predicted[:, :-1]
    up = predicted[1:, :] != predicted[:-1, :]
    mid_x = np.concatenate([((gx[:, 1:] + gx[:, :-1]) / 2)[across], gx[1:, :][up]])
    mid_y = np.concatenate([gy[:, 1:][across], ((gy[1:, :] + gy[:-1, :]) / 2)[up]])
    return np.vstack([mid_x, mid_y])


def distance_from_best_line(points: np.ndarray) -> float:
    """The largest distance of the points (2, M) from their total-least-squares line."""
    centred = points - points.mean(axis=1, keepdims=True)
    normal = np.linalg.svd(centred)[0][:, -1]  # the direction of least spread
    return float(np.abs(normal @ centred).max())


def test_the_perceptrons_boundary_is_a_straight_line():
    fit = fit_dataset("moons", hidden=())  # not separable, so the line crosses the data
    xs, ys, G = plane(fit.points(fit.task.train), resolution=200)
    predicted = fit.predict(G)
    assert 0 < predicted.mean() < 1
    # predicted class 1 exactly where the affine function w·x + c derived from W, b is ≥ 0 ...
    w, c = linear_boundary(fit)
    np.testing.assert_array_equal(predicted, (w @ G + c >= 0).astype(int))
    # ... and, independently of that derivation, the cells where the class changes lie on one line
    spacing = max(xs[1] - xs[0], ys[1] - ys[0])
    assert distance_from_best_line(boundary_cells(predicted.reshape(200, 200), xs, ys)) <= spacing


def test_an_mlps_boundary_is_not_a_line():
    fit = fit_dataset("xor")
    xs, ys, G = plane(fit.points(fit.task.train), resolution=200)
    cells = boundary_cells(fit.predict(G).reshape(200, 200), xs, ys)
    assert distance_from_best_line(cells) > 20 * (xs[1] - xs[0])
    with pytest.raises(MathdlError, match="only a two-class perceptron"):
        linear_boundary(fit)


def test_three_classes_get_a_softmax_output():
    fit = fit_dataset("blobs")
    assert fit.net.sizes[-1] == 3 and fit.net.f[fit.net.L].name == "softmax"
    assert fit.probabilities(fit.points(fit.task.test)).shape == (3, fit.task.test.N)
    np.testing.assert_allclose(fit.probabilities(fit.points(fit.task.test)).sum(axis=0), 1)
    assert fit.test_accuracy >= 0.95


def test_points_are_standardised_so_the_scale_of_the_data_does_not_matter():
    X, labels = make_dots("moons", 200, seed=3)
    fit = fit_dots(X, labels, recipe=RECIPES["moons"], epochs=20)
    scaled = fit_dots(1000 * X + 5, labels, recipe=RECIPES["moons"], epochs=20)
    np.testing.assert_array_equal(fit.predict(X), scaled.predict(1000 * X + 5))
    assert fit.test_accuracy == scaled.test_accuracy
    # fit.points undoes the standardisation: every training point is one of the given points
    distance = np.abs(fit.points(fit.task.train)[:, :, None] - X[:, None, :]).sum(axis=0).min(axis=1)
    assert distance.max() < 1e-9


def test_snapshots_for_the_animation():
    fit = fit_dataset("circles", epochs=40, frames=6)
    epochs = [e for e, _ in fit.snapshots]
    assert epochs[0] == 0 and epochs[-1] == 40 and epochs == sorted(set(epochs)) and len(epochs) >= 4
    first, last = fit.snapshots[0][1], fit.snapshots[-1][1]
    assert not np.allclose(first.W[1], last.W[1])
    np.testing.assert_array_equal(last.W[1], fit.net.W[1])
    assert frame_epochs(300, 0) == set() and max(frame_epochs(300, 30)) == 300


@pytest.mark.parametrize("call,message", [
    (lambda: fit_dots(np.zeros((3, 10)), np.zeros(10)), "points must be X of shape"),
    (lambda: fit_dots(np.zeros((2, 10)), np.arange(10) % 2, test_fraction=1.0), "test fraction"),
    (lambda: fit_dataset("squares"), "unknown dataset 'squares'"),
    (lambda: fit_dataset("moons", hidden=(4,), activation="softmax"), "softmax is an output activation"),
    (lambda: fit_dataset("moons", epochs=0), "epochs must be a positive integer"),
])
def test_bad_arguments_are_clear_errors(call, message):
    with pytest.raises(MathdlError, match=message):
        call()


def test_the_playground_starts_from_the_workshops_recipe():
    """The explorer's playground and the workshop's dots share one set of defaults (``workshop.boundary.Recipe``)."""
    import numpy as np

    from mathdl.explore.playground import DEFAULTS
    from mathdl.workshop.boundary import Recipe, dots_fit

    recipe = Recipe(tuple(DEFAULTS["hidden"]))
    assert (DEFAULTS["activation"], DEFAULTS["cost"], DEFAULTS["bp"], DEFAULTS["optimizer"], DEFAULTS["eta"],
            DEFAULTS["batch_size"], DEFAULTS["points"], DEFAULTS["test_fraction"]) == (
        recipe.activation, recipe.cost, recipe.method, recipe.optimizer, recipe.eta, recipe.batch_size, recipe.points,
        recipe.test_fraction)
    X, labels = np.random.default_rng(0).normal(size=(2, 40)), np.arange(40) % 2
    fit = dots_fit(X, labels, recipe=recipe)
    assert (fit.settings.cost, fit.settings.method, fit.task.test.N) == (recipe.cost, recipe.method, 12)


def test_plane_is_a_grid_over_the_points_with_a_margin_rows_by_y():
    """x from 0 to 10 and y from 0 to 1: pads max(0.1 · 10, 0.5) = 1 and max(0.1 · 1, 0.5) = 0.5."""
    xs, ys, G = plane(np.array([[0.0, 10.0], [0.0, 1.0]]), resolution=3)
    np.testing.assert_array_equal(xs, [-1, 5, 11])
    np.testing.assert_array_equal(ys, [-0.5, 0.5, 1.5])
    np.testing.assert_array_equal(G, [[-1, 5, 11, -1, 5, 11, -1, 5, 11],
                                      [-0.5, -0.5, -0.5, 0.5, 0.5, 0.5, 1.5, 1.5, 1.5]])


def test_frame_epochs_are_spaced_geometrically():
    assert frame_epochs(100, 5) == {1, 3, 10, 32, 100}  # 10^(0, 0.5, 1, 1.5, 2), rounded


def test_an_animation_keeps_four_candidate_snapshots_per_frame():
    fit = fit_dataset("circles", epochs=40, frames=6, points=60)
    geometric = np.unique(np.round(40 ** (np.arange(24) / 23)))  # 24 = 4 · 6 epochs from 1 to 40, spaced geometrically
    assert [e for e, _ in fit.snapshots] == [0, *geometric.astype(int)]


def test_the_line_equation_reads_signs_and_coefficients_in_order():
    assert line_equation(np.array([-0.139, 0.114]), -0.242) == "−0.139·x₁ + 0.114·x₂ − 0.242 = 0"
    assert line_equation(np.array([2.5, -1.0]), 0.0) == "2.5·x₁ − 1·x₂ + 0 = 0"


def test_only_a_two_class_perceptron_has_one_line():
    with pytest.raises(MathdlError, match="only a two-class perceptron"):
        linear_boundary(fit_dataset("blobs", hidden=(), epochs=1, points=60))


def test_probabilities_are_the_sigmoid_of_the_perceptrons_line():
    """P (2, N) = (1 − a, a) with a = σ(w·x + c) in the original coordinates: class 1 in the second row."""
    X, labels = make_dots("moons", 100, seed=2)
    fit = fit_dots(3 * X + 2, labels, hidden=(), epochs=5)
    w, c = linear_boundary(fit)
    P = fit.probabilities(3 * X + 2)
    a = 1 / (1 + np.exp(-(w @ (3 * X + 2) + c)))
    np.testing.assert_allclose(P[1], a, rtol=1e-10)
    np.testing.assert_allclose(P[0], 1 - a, rtol=1e-10)
    np.testing.assert_array_equal(fit.predict(3 * X + 2), (a >= 0.5).astype(int))


def test_the_training_points_are_standardised_by_their_own_mean_and_std():
    X, labels = make_dots("moons", 100, seed=2)
    fit = dots_fit(5 * X - 3, labels)
    np.testing.assert_allclose(fit.task.train.X.mean(axis=1), 0, atol=1e-12)
    np.testing.assert_allclose(fit.task.train.X.std(axis=1), 1, rtol=1e-12)
    assert np.abs(fit.task.test.X.mean(axis=1)).max() > 1e-6  # the test points are scaled by the training's μ and s


def test_points_on_one_vertical_line_are_not_divided_by_zero():
    X = np.vstack([np.full(20, 2.0), np.arange(20.0)])
    fit = dots_fit(X, np.arange(20) // 10)
    assert fit.std[0, 0] == 1 and np.isfinite(fit.task.train.X).all()
    np.testing.assert_array_equal(fit.task.train.X[0], 0)


def test_the_network_starts_from_xavier_weights_of_the_seed():
    from mathdl.base.seeding import rng
    from mathdl.nn.network import Network

    X, labels = make_dots("moons", 60, seed=0)
    fit = dots_fit(X, labels, seed=3)
    net = Network.create([2, 16, 16, 1], ["tanh", "tanh", "sigmoid"], rng=rng(3, "init"), init="xavier")
    for mine, theirs in zip(fit.net.params(), net.params()):
        np.testing.assert_array_equal(mine, theirs)


def test_every_option_reaches_the_settings():
    X, labels = make_dots("moons", 60, seed=0)
    fit = dots_fit(X, labels, epochs=7, eta=0.05, batch_size=5, cost="tse", method="online", optimizer="momentum",
                   test_fraction=0.5, seed=2)
    s = fit.settings
    assert (s.epochs, s.eta, s.batch_size, s.cost, s.method, s.optimizer, s.seed) == (7, 0.05, 5, "tse", "online",
                                                                                      "momentum", 2)
    assert fit.task.test.N == 30


def test_a_snapshot_is_classified_by_its_own_weights():
    """predict and accuracy with ``net=`` use that network (the animation's frames), not the trained one."""
    fit = fit_dataset("linear", hidden=(), epochs=20, frames=2, points=80)
    first = fit.snapshots[0][1]
    X = fit.points(fit.task.test)
    z = first.W[1] @ ((X - fit.mean) / fit.std) + first.b[1]
    expected = (z[0] >= 0).astype(int)
    np.testing.assert_array_equal(fit.predict(X, net=first), expected)
    assert fit.accuracy(fit.task.test, net=first) == (expected == fit.task.test.labels).mean()
    assert not np.array_equal(fit.predict(X, net=first), fit.predict(X))


def test_a_test_fraction_of_zero_is_an_error():
    with pytest.raises(MathdlError, match="the test fraction must be between 0 and 1, got 0"):
        fit_dots(np.zeros((2, 10)), np.arange(10) % 2, test_fraction=0)
