"""The generated dots without noise lie exactly on their curves; noise is Gaussian of the given std."""
import numpy as np
import pytest

from mathdl.base.errors import MathdlError
from mathdl.data.dots import make_dots


def test_moons_are_two_half_circles():
    X, labels = make_dots("moons", 200, noise=0, seed=1)
    x, y = X
    upper, lower = labels == 0, labels == 1
    assert upper.sum() == lower.sum() == 100
    np.testing.assert_allclose(np.hypot(x, y)[upper], 1, atol=1e-12)
    assert (y[upper] >= 0).all()
    np.testing.assert_allclose(np.hypot(x - 1, y - 0.5)[lower], 1, atol=1e-12)
    assert (y[lower] <= 0.5).all()


def test_circles_put_class_1_on_the_small_circle():
    X, labels = make_dots("circles", 101, noise=0, seed=2)
    radius = np.hypot(*X)
    np.testing.assert_allclose(radius[labels == 0], 1, atol=1e-12)
    np.testing.assert_allclose(radius[labels == 1], 0.5, atol=1e-12)
    assert (labels == 0).sum() == 50


def test_xor_is_class_1_where_the_signs_differ():
    X, labels = make_dots("xor", 200, noise=0, seed=3)
    np.testing.assert_array_equal(np.abs(X), 0.75)
    np.testing.assert_array_equal(labels, (np.sign(X[0]) != np.sign(X[1])).astype(int))
    assert len(np.unique(X, axis=1).T) == 4


def test_spirals_are_r_equal_theta_and_its_half_turn():
    turns = 1.75
    X, labels = make_dots("spirals", 200, noise=0, seed=4)
    r = np.hypot(*X)
    theta = r * turns * 2 * np.pi  # r = θ / (2π · turns)
    angle = theta + np.pi * labels  # class 1 is class 0's spiral turned by π
    np.testing.assert_allclose(X, r * np.vstack([np.cos(angle), np.sin(angle)]), atol=1e-12)
    assert theta.min() >= 0.5 and theta.max() <= turns * 2 * np.pi + 0.5


def test_blobs_sit_on_a_circle_of_radius_2_starting_at_the_top():
    X, labels = make_dots("blobs", 3000, seed=5)
    centres = np.array([[0, 2], [-np.sqrt(3), -1], [np.sqrt(3), -1]]).T  # 2 (cos, sin)(π/2 + 2πj/3)
    for j in range(3):
        np.testing.assert_allclose(X[:, labels == j].mean(axis=1), centres[:, j], atol=0.1)


def test_linear_dots_keep_a_margin_either_side_of_y_equals_half_x():
    X, labels = make_dots("linear", 300, noise=0, seed=6)
    above = X[1] - 0.5 * X[0]
    assert (above[labels == 1] >= 0.25).all() and (above[labels == 0] <= -0.25).all()
    assert 0 < labels.mean() < 1


def test_noise_is_gaussian_of_the_given_standard_deviation_and_zero_means_none():
    X, labels = make_dots("circles", 4000, noise=0.1, seed=7)
    clean, _ = make_dots("circles", 4000, noise=0, seed=7)
    jitter = X - clean  # the same seed draws the same circle points, then the noise
    assert abs(jitter.std() - 0.1) < 0.005 and abs(jitter.mean()) < 0.005
    np.testing.assert_allclose(np.hypot(*clean)[labels == 0], 1, atol=1e-12)


def test_too_few_points_is_an_error():
    with pytest.raises(MathdlError, match="at least 4 points, got 3"):
        make_dots("moons", 3)
    assert make_dots("moons", 4)[0].shape == (2, 4)
