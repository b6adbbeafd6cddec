"""The independent judge: its search equals brute force, its vote and ties, its assessment, near-copies, and
that it never sees the network whose images it reads."""
import ast
from pathlib import Path

import numpy as np
import pytest

from conftest import random_net
from mathdl.data.pixels import Pixels
from mathdl.nn.network import Network
from mathdl.reverse import AscentSettings, reverse
from mathdl.reverse import judge as judge_module
from mathdl.reverse.judge import Judge, search, vote


def clusters(n_per=40, n=12, m=3, spread=0.05, seed=0):
    """m well-separated clusters of images in [0, 1]ⁿ with their labels."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform(0, 1, (n, m))
    labels = np.repeat(np.arange(m), n_per)
    return np.clip(centres[:, labels] + rng.normal(0, spread, (n, labels.size)), 0, 1), labels


def test_search_equals_brute_force(monkeypatch):
    monkeypatch.setattr(judge_module, "CHUNK", 7)  # several chunks, merged
    rng = np.random.default_rng(1)
    X, labels = rng.uniform(0, 1, (10, 50)), rng.integers(0, 4, 50)
    Q = rng.uniform(0, 1, (10, 6))
    found = search(X, labels, Q, k=5, m=4)
    D = np.sqrt(((Q[:, :, None] - X[:, None, :]) ** 2).sum(axis=0))  # (6, 50)
    np.testing.assert_array_equal(found.nearest, np.argsort(D, axis=1)[:, :5])
    np.testing.assert_allclose(found.distances, np.sort(D, axis=1)[:, :5], rtol=1e-12)
    for c in range(4):
        np.testing.assert_allclose(found.class_distance[:, c], D[:, labels == c].min(axis=1), rtol=1e-12)
        np.testing.assert_array_equal(found.class_index[:, c], np.flatnonzero(labels == c)[D[:, labels == c].argmin(1)])


def test_search_on_pixels_equals_the_scaled_matrix():
    """``Pixels`` are searched as bytes with their affine scale: the same neighbours and distances."""
    rng = np.random.default_rng(2)
    images = rng.integers(0, 256, (40, 16), dtype=np.uint8)
    X = Pixels(images, "book", (0.0, 1.0), np.float64)
    labels = np.arange(40) % 4
    Q = np.asarray(X)[:, :5] + rng.normal(0, 0.01, (16, 5))
    a, b = search(X, labels, Q, k=3), search(np.asarray(X), labels, Q, k=3)
    np.testing.assert_array_equal(a.nearest, b.nearest)
    np.testing.assert_allclose(a.distances, b.distances, rtol=1e-12)
    np.testing.assert_allclose(a.class_distance, b.class_distance, rtol=1e-12)
    assert X.affine() == pytest.approx((0.99 / 255, 0.01))


def test_vote_is_the_majority_and_a_tie_goes_to_the_nearest():
    reading, shares = vote(np.array([[2, 1, 1, 2, 0], [0, 0, 3, 3, 3]]), np.arange(10.0).reshape(2, 5), 4)
    assert list(reading) == [2, 3]  # 2 and 1 tie with 2 votes: 2 has the nearest neighbour
    np.testing.assert_allclose(shares, [[0.2, 0.4, 0.4, 0.0], [0.4, 0.0, 0.0, 0.6]])


def test_assessment_on_separable_clusters():
    X, labels = clusters()
    X_test, labels_test = clusters(n_per=30, seed=0)  # the same centres, other noise... drawn again
    X_test = X_test + np.random.default_rng(9).normal(0, 0.01, X_test.shape)
    judge = Judge(X, labels, k=5)
    a = judge.assess(X_test, labels_test, per_class=20, rng=np.random.default_rng(3))
    assert a["test_images"] == 60 and a["accuracy"] == 1.0 and a["accuracy_ci95"][0] > 0.9
    assert len(a["copy_distance"]) == 3 and all(0 < c <= m for c, m in zip(a["copy_distance"], a["median_distance"]))


def test_a_training_image_is_a_near_copy_and_a_class_mean_is_not():
    X, labels = clusters()
    judge = Judge(X, labels)
    judge.assess(*clusters(n_per=30, seed=0), rng=np.random.default_rng(4))
    copy, mean = judge.read(np.column_stack([X[:, 5], X[:, labels == 0].mean(axis=1)]))
    assert copy["reading"] == 0 and copy["class_distance"][0] == 0.0 and copy["class_nearest"][0] == 5
    assert copy["class_distance"][0] < judge.copy_distance(0)
    assert mean["reading"] == 0 and mean["shares"][0] == 1.0


def test_the_judge_never_sees_the_network(monkeypatch):
    """The judge's module imports no part of a network (nor anything that makes images), and the readings in
    ``reverse`` are the judge's readings of the pixels alone: the same with every network method broken."""
    tree = ast.parse(Path(judge_module.__file__).read_text())
    imported = {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    assert not {name for name in imported if name.lstrip(".").split(".")[0] in ("nn", "training", "runs")}
    assert not imported & {".ascent", ".chain", ".prior", "..nn.network", "mathdl.nn"}

    rng = np.random.default_rng(5)
    net = random_net([16, 6, 10], ["sigmoid", "sigmoid"], seed=5)
    X, labels = rng.uniform(0, 1, (16, 60)), np.arange(60) % 10
    found = reverse(net, X, labels, ascent=AscentSettings(steps=10), test=(X[:, :30], labels[:30]))

    def blind(*args, **kwargs):
        raise AssertionError("the judge looked at a network")
    for name in ("__call__", "forward"):
        monkeypatch.setattr(Network, name, blind)
    judge = Judge(X, labels)
    for r, reading in zip(found.records, judge.read(np.column_stack([r.x for r in found.records]))):
        assert r.measures["judge_class"] == reading["reading"]
        assert r.measures["judge_probability"] == reading["shares"][r.digit]
        assert r.measures["nearest_distance"] == reading["class_distance"][r.digit]


def test_copy_distance_is_to_the_nearest_training_image_of_the_own_class():
    """Two classes on a line; each test image lies nearer to a training image of the *other* class: the near-copy
    distance of c is the distance to the nearest training image of c (0.9 and 0.8 here), not to the nearest of any
    class (0.1, 0.2). Both misread with k = 1: accuracy 0 and the Wilson interval [0, z²/(2 + z²)] for n = 2."""
    X = np.array([[0.0, 0.0, 1.0, 1.0], [0.0, 0.1, 0.0, 0.1]])
    judge = Judge(X, np.array([0, 0, 1, 1]), k=1)
    X_test = np.array([[0.9, 0.2], [0.0, 0.0]])
    a = judge.assess(X_test, np.array([0, 1]), per_class=1, rng=np.random.default_rng(0))
    assert a["copy_distance"] == pytest.approx([0.9, 0.8], rel=1e-12)
    assert a["median_distance"] == pytest.approx([0.9, 0.8], rel=1e-12)
    z2 = 1.959963984540054 ** 2
    assert a["correct"] == 0 and a["accuracy"] == 0.0
    assert a["accuracy_ci95"] == pytest.approx([0.0, z2 / (2 + z2)], rel=1e-12)


def test_wilson_interval_of_a_perfect_judge():
    """k = n correct: the Wilson interval is [n / (n + z²), 1]."""
    X, labels = clusters()
    a = Judge(X, labels, k=5).assess(*clusters(n_per=30, seed=0), per_class=20, rng=np.random.default_rng(3))
    assert a["correct"] == 60 and a["accuracy_ci95"] == pytest.approx([60 / (60 + 1.959963984540054 ** 2), 1.0],
                                                                        rel=1e-12)


def test_a_class_without_training_images_is_infinitely_far_and_fewer_images_than_k_all_vote():
    """Labels 0 and 2 only: class 1 has no nearest training image (distance ∞). With 4 training images and
    k = 10, all four vote: p̂ = (0.5, 0, 0.5), the tie going to the class of the nearest."""
    X = np.array([[0.0, 0.2, 1.0, 1.2], [0.0, 0.0, 0.0, 0.0]])
    judge = Judge(X, np.array([0, 0, 2, 2]))
    reading = judge.read(np.array([0.9, 0.0]))[0]
    assert reading["class_distance"] == pytest.approx([0.7, np.inf, 0.1], rel=1e-12)
    assert reading["class_nearest"][0] == 1 and reading["class_nearest"][2] == 2
    assert reading["shares"] == [0.5, 0.0, 0.5] and reading["reading"] == 2
