"""Tasks on MNIST-shaped data: ID digits, pairs, digits; scalings, targets, stratified seeded subsets."""
import numpy as np
import pytest

from mathdl.data import class_weights, dots_task, make_dots, make_task, parse_id
from mathdl.data.mnist import MNIST
from mathdl.data.tasks import encode_targets, stratified
from mathdl.base.errors import MathdlError


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    n_train, n_test = 1000, 300
    return MNIST(rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8), (np.arange(n_train) % 10).astype(np.uint8),
                 rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8), (np.arange(n_test) % 10).astype(np.uint8),
                 "test", "custom")


def test_parse_id():
    assert parse_id("100384") == (0, 1, 3, 4, 8)
    assert parse_id(" 7 ") == (7,)
    for bad in ("", "12a4", "-12", "1.5", "１２"):
        with pytest.raises(MathdlError, match="made of digits"):
            parse_id(bad)
    with pytest.raises(MathdlError, match="contains every digit"):
        parse_id("1234567890")


def test_id_task(data):
    task = make_task(data, "id", student_id="100384")
    positive = np.isin(task.train.digits, [0, 1, 3, 4, 8])
    np.testing.assert_array_equal(task.train.labels, positive.astype(int))
    np.testing.assert_array_equal(task.train.Y, positive[None, :].astype(float))
    assert task.binary and task.n_outputs == 1 and task.n_inputs == 784
    assert task.classes == ["other digits {2,5,6,7,9}", "ID digits {0,1,3,4,8}"]
    assert task.train.X.shape == (784, 1000) and np.asarray(task.train.X).flags.f_contiguous


def test_pair_task(data):
    task = make_task(data, "pair", pair="3,8")
    assert set(task.train.digits) == {3, 8} and task.train.N == 200 and task.test.N == 60
    np.testing.assert_array_equal(task.test.labels, (task.test.digits == 8).astype(int))
    for bad in ("3", "3,3", "3,12", "a,b"):
        with pytest.raises(MathdlError, match="pair must be"):
            make_task(data, "pair", pair=bad)


def test_digits_task_one_hot_with_book_targets(data):
    task = make_task(data, "digits", targets="book")
    Y = task.train.Y
    assert Y.shape == (10, 1000)
    np.testing.assert_array_equal(Y.argmax(0), task.train.labels)
    assert set(np.unique(Y)) == {0.01, 0.99}


@pytest.mark.parametrize("scale,low,high", [("unit", 0.0, 1.0), ("book", 0.01, 1.0)])
def test_scales(data, scale, low, high):
    X = make_task(data, "digits", scale=scale).train.X
    assert X.min() == pytest.approx(low) and X.max() == pytest.approx(high)
    expected = data.train_images.reshape(1000, -1).T / 255
    np.testing.assert_allclose(X, expected * (0.99 if scale == "book" else 1) + (0.01 if scale == "book" else 0))


def test_standard_scale_uses_training_statistics(data):
    task = make_task(data, "digits", scale="standard")
    assert task.train.X.mean() == pytest.approx(0, abs=1e-12) and task.train.X.std() == pytest.approx(1)
    assert abs(task.test.X.mean()) < 0.05


def test_float32(data):
    task = make_task(data, "id", student_id="1", dtype=np.float32)
    assert task.train.X.dtype == np.float32 and task.train.Y.dtype == np.float32


def test_stratified_subsets_keep_proportions_and_are_seeded(data):
    a = make_task(data, "digits", train_size=100, test_size=30, seed=1)
    b = make_task(data, "digits", train_size=100, test_size=30, seed=1)
    c = make_task(data, "digits", train_size=100, test_size=30, seed=2)
    assert a.train.N == 100 and a.test.N == 30
    np.testing.assert_array_equal(np.bincount(a.train.digits), [10] * 10)
    np.testing.assert_array_equal(a.train.X, b.train.X)
    assert not np.array_equal(a.train.X, c.train.X)


def test_stratified_largest_remainder():
    labels = np.array([0] * 7 + [1] * 2 + [2] * 1)
    picked = stratified(labels, 5, np.random.default_rng(0))
    assert len(picked) == 5 and len(set(picked)) == 5
    assert np.bincount(labels[picked], minlength=3).tolist() == [4, 1, 0]  # 3.5, 1.0, 0.5 → 4, 1, 0
    with pytest.raises(MathdlError, match="between 1 and 10"):
        stratified(labels, 11, np.random.default_rng(0))


def test_validation_split(data):
    task = make_task(data, "digits", train_size=500, val_size=100)
    assert task.train.N == 400 and task.val.N == 100
    assert np.bincount(task.val.digits).tolist() == [10] * 10
    with pytest.raises(MathdlError, match="--val-size must be smaller"):
        make_task(data, "digits", train_size=50, val_size=50)


def test_encode_targets_rejects_wrong_output_count():
    with pytest.raises(MathdlError, match="3 classes need 1"):
        encode_targets(np.array([0, 1, 2]), 3, 2, (0, 1), np.float64)


def test_balanced_class_weights():
    labels = np.array([0, 0, 0, 1])
    w = class_weights(labels, 2)
    np.testing.assert_allclose(w, [4 / 6, 4 / 6, 4 / 6, 2.0])
    assert w[labels == 0].sum() == pytest.approx(w[labels == 1].sum())
    assert w.mean() == pytest.approx(1)


@pytest.mark.parametrize("name", ["moons", "circles", "xor", "spirals", "blobs", "linear"])
def test_dots_are_seeded_2d_sets(name):
    X, labels = make_dots(name, 200, seed=3)
    X2, labels2 = make_dots(name, 200, seed=3)
    X3, _ = make_dots(name, 200, seed=4)
    assert X.shape == (2, 200) and labels.shape == (200,)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(labels, labels2)
    assert not np.array_equal(X, X3)
    assert len(np.unique(labels)) == (3 if name == "blobs" else 2)
    assert min(np.bincount(labels)) > 40


def test_dots_task_split():
    task = dots_task(*make_dots("circles", 100, seed=0), test_fraction=0.3)
    assert task.train.N == 70 and task.test.N == 30 and task.n_inputs == 2
    assert not set(map(tuple, task.train.X.T)) & set(map(tuple, task.test.X.T))
    blobs = dots_task(*make_dots("blobs", 90, seed=0))
    assert blobs.n_outputs == 3 and len(blobs.classes) == 3


def test_dots_bad_input():
    with pytest.raises(MathdlError, match="choose from moons, circles"):
        make_dots("squares")
    with pytest.raises(MathdlError, match="noise must be >= 0"):
        make_dots("moons", noise=-1)


def test_shift_augmentation_moves_each_image_and_fills_the_background(data):
    from mathdl.data.augment import shift_images
    task = make_task(data, "digits", scale="standard", train_size=50)
    X = task.train.X
    out = shift_images(X, 2, np.random.default_rng(0), task.background)
    assert out.shape == X.shape and out.dtype == X.dtype and not np.shares_memory(out, X)
    images, moved = X.T.reshape(-1, 28, 28), out.T.reshape(-1, 28, 28)
    found = set()
    for image, shifted in zip(images, moved):
        matches = [(dx, dy) for dx in range(-2, 3) for dy in range(-2, 3)
                   if np.array_equal(np.roll(image, (dy, dx), axis=(0, 1))[2:-2, 2:-2], shifted[2:-2, 2:-2])]
        assert matches, "every image is its original moved by at most 2 pixels"
        found.update(matches)
    assert len(found) > 10  # the shifts vary from image to image
    assert task.background == pytest.approx(task.train.X.min())


@pytest.mark.parametrize("piece", [1, 128, 1000, 4099, 1 << 20])
def test_pixel_stats_are_numpys_mean_and_std_bit_for_bit(piece):
    """The standard scale's μ and σ, summed piece by piece, are exactly NumPy's on the float64 copy."""
    from mathdl.data.tasks import pixel_stats
    for n in (1, 37, 300):
        images = np.random.default_rng(n).integers(0, 256, (n, 28, 28), dtype=np.uint8)
        pixels = images.astype(np.float64) / 255
        assert pixel_stats(images, piece) == (float(pixels.mean()), float(pixels.std()))


def test_a_shift_moves_right_by_dx_and_down_by_dy_and_fills_the_border():
    """shifted[r, c] = image[r − dy, c − dx], by hand: a pixel at row 10, column 5 goes to (10, 6) for
    (dx, dy) = (1, 0), to (8, 5) for (0, −2) and to (11, 8) for (3, 1), and the rows and columns uncovered
    (column 0; rows 26-27; row 0 and columns 0-2) take the background −0.5; an image of ones moved by (1, −1)
    is ones but in column 0 and row 27. The same through ``Shifted`` on an array and on ``Pixels`` (moved as
    bytes, a 0 pixel's border, then scaled)."""
    from mathdl.data.augment import Shifted, move
    from mathdl.data.pixels import Pixels
    dot = np.zeros((28, 28))
    dot[10, 5] = 1.0
    X = np.column_stack([dot.ravel()] * 3 + [np.ones(784)])
    dx, dy = np.array([1, 0, 3, 1]), np.array([0, -2, 1, -1])
    expected = np.zeros((4, 28, 28))
    expected[0, :, 0] = expected[1, 26:, :] = expected[2, 0, :] = expected[2, :, :3] = -0.5
    expected[0, 10, 6] = expected[1, 8, 5] = expected[2, 11, 8] = 1.0
    expected[3] = -0.5
    expected[3, :27, 1:] = 1.0
    out = move(X, dx, dy, -0.5)
    np.testing.assert_array_equal(out.T.reshape(4, 28, 28), expected)
    shifted = Shifted(X, 3, np.random.default_rng(0), -0.5)
    shifted.dx, shifted.dy = dx, dy
    np.testing.assert_array_equal(shifted.take(np.arange(4)), out)
    images = (255 * X.T.reshape(4, 28, 28)).astype(np.uint8)
    pixels = Shifted(Pixels(images, "unit", (0.0, 1.0), np.float64), 3, np.random.default_rng(0), 0.0)
    pixels.dx, pixels.dy = dx, dy
    np.testing.assert_array_equal(pixels.take(np.arange(4)), move(X, dx, dy, 0.0))


def test_shifts_are_drawn_uniformly_from_minus_s_to_s_each_way_independently():
    """dx and dy take every whole value in [−s, s] (both ends too), about equally often, and are drawn
    independently: 9,000 draws with s = 1 give each value about 3,000 times and dx = dy in about a third."""
    from mathdl.data.augment import draw_shifts
    dx, dy = draw_shifts(1, np.random.default_rng(0), 9000)
    for d in (dx, dy):
        values, counts = np.unique(d, return_counts=True)
        assert values.tolist() == [-1, 0, 1] and (abs(counts - 3000) < 200).all()
    assert abs(np.mean(dx == dy) - 1 / 3) < 0.03
    assert set(draw_shifts(3, np.random.default_rng(1), 500)[0]) == set(range(-3, 4))


# --- mutation sweep: cases with answers known by hand ---------------------------------------------------------

def test_one_output_is_class_1_from_the_midpoint_of_the_targets_up():
    """(lo + hi) / 2 and above is class 1: 0.5 for (0, 1) and for (0.01, 0.99); 0.4 for (0.2, 0.6)."""
    from mathdl.data.tasks import TARGETS, classify
    assert classify(np.array([[0.49, 0.5, 0.51]])).tolist() == [0, 1, 1]
    assert classify(np.array([[0.497, 0.5]]), TARGETS["book"]).tolist() == [0, 1]
    assert classify(np.array([[0.35, 0.4, 0.45]]), (0.2, 0.6)).tolist() == [0, 1, 1]
    assert classify(np.array([[0.1, 0.7], [0.3, 0.2], [0.2, 0.1]])).tolist() == [1, 0]  # several outputs: argmax


def test_the_pair_must_be_two_digits_either_way_round(data):
    from mathdl.data.tasks import parse_pair
    assert parse_pair("3,8") == (3, 8) and parse_pair((8, 3)) == (8, 3)
    for bad in ("12,3", "3,12", "-1,3", "3,-1"):
        with pytest.raises(MathdlError, match="pair must be two different digits 0-9"):
            parse_pair(bad)
    task = make_task(data, "pair", pair="3,8")
    assert task.positive_digits == (8,) and task.classes == ["3", "8"]
    assert make_task(data, "id", student_id="838").positive_digits == (3, 8)


def test_a_subset_of_no_samples_is_refused():
    labels = np.arange(10) % 3
    with pytest.raises(MathdlError, match="subset must be between 1 and 10, got 0"):
        stratified(labels, 0, np.random.default_rng(0))
    assert stratified(labels, 1, np.random.default_rng(0)).shape == (1,)


def test_standard_statistics_are_those_of_the_training_split_without_the_validation_images(data):
    task = make_task(data, "digits", scale="standard", train_size=500, val_size=100)
    train = task.train.X.images.astype(np.float64) / 255
    assert task.stats == (float(train.mean()), float(train.std()))


def test_dots_test_set_rounds_its_fraction():
    """0.3 × 99 = 29.7 test points: 30, the rest (69) for training."""
    task = dots_task(*make_dots("moons", 99, seed=0), test_fraction=0.3)
    assert task.test.N == 30 and task.train.N == 69


def test_stratified_breaks_ties_in_the_remainders_by_label():
    """Counts 2, 2, 1, 1 and 5 of 6: shares 5/3, 5/3, 5/6, 5/6 → floors 1, 1, 0, 0 and three more by the largest
    remainders: 5/6 and 5/6 (labels 2, 3), then the tie 2/3, 2/3 goes to the first label, 0: [2, 1, 1, 1] on
    every machine (a stable sort; NumPy's default sort may order ties otherwise)."""
    labels = np.array([0, 0, 1, 1, 2, 3])
    for seed in range(5):
        picked = stratified(labels, 5, np.random.default_rng(seed))
        assert np.bincount(labels[picked], minlength=4).tolist() == [2, 1, 1, 1]
