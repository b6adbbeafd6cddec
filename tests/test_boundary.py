"""Dots: the MLP's defaults succeed, a perceptron draws a straight line and fails on XOR."""
import numpy as np
import pytest

from mathdl.workshop.boundary import RECIPES, fit_dataset, fit_dots, frame_epochs, linear_boundary, plane
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
