"""Deskewing: the slant sheared away (zero row-column covariance), centroid kept, upright images unchanged."""
import numpy as np
import pytest

from mathdl.data.deskew import deskew, deskewed
from mathdl.data.mnist import MNIST


def moments(image):
    r, c = np.indices(image.shape, dtype=float)
    M = image.sum()
    rb, cb = (image * r).sum() / M, (image * c).sum() / M
    return rb, cb, (image * (r - rb) * (c - cb)).sum() / M


def slanted_bar(slope: float) -> np.ndarray:
    """A stroke from (row 4) to (row 23) whose column drifts by ``slope`` per row, drawn anti-aliased."""
    image = np.zeros((28, 28))
    for r in range(4, 24):
        c = 14 + slope * (r - 13.5)
        left = int(np.floor(c))
        image[r, left] += 255 * (1 - (c - left))
        image[r, left + 1] += 255 * (c - left)
    return image


@pytest.mark.parametrize("slope", [-0.4, -0.15, 0.2, 0.45])
def test_the_slant_is_removed_and_the_centroid_kept(slope):
    image = slanted_bar(slope)
    rb, cb, mu11 = moments(image)
    assert abs(mu11) > 1
    out = deskew(image)
    rb2, cb2, mu11_after = moments(out)
    assert abs(mu11_after) < 0.02 * abs(mu11)
    assert (rb2, cb2) == pytest.approx((rb, cb), abs=0.05)
    assert out.sum() == pytest.approx(image.sum(), rel=0.02)  # ink is moved, not made or lost


def test_an_upright_image_is_unchanged_and_a_blank_one_stays_blank():
    upright = slanted_bar(0.0)
    np.testing.assert_allclose(deskew(upright), upright, atol=1e-9)
    np.testing.assert_array_equal(deskew(np.zeros((28, 28))), np.zeros((28, 28)))


def test_batches_equal_single_images():
    images = np.stack([slanted_bar(s) for s in (-0.3, 0.1, 0.4)])
    batch = deskew(images)
    for image, out in zip(images, batch):
        np.testing.assert_allclose(deskew(image), out)


def test_deskewed_mnist_is_cached(tmp_path):
    images = np.stack([slanted_bar(s) for s in np.linspace(-0.4, 0.4, 12)]).astype(np.uint8)
    labels = np.arange(12, dtype=np.uint8) % 10
    data = MNIST(images, labels, images[:4], labels[:4], "test", "custom")
    first = deskewed(data)
    assert first.train_images.dtype == np.uint8
    np.testing.assert_array_equal(first.train_images, np.clip(np.rint(deskew(images)), 0, 255).astype(np.uint8))
    np.testing.assert_array_equal(first.test_images,
                                  np.clip(np.rint(deskew(images[:4])), 0, 255).astype(np.uint8))
    cached = list((tmp_path / "cache" / "deskewed").glob("*.npz"))
    assert len(cached) == 1
    again = deskewed(data)
    np.testing.assert_array_equal(again.test_images, first.test_images)
    np.testing.assert_array_equal(again.train_labels, labels)


def test_other_data_has_its_own_cache_entry(tmp_path):
    """The cache is keyed by the data: a second data set is deskewed itself, not served the first one's images."""
    images = np.stack([slanted_bar(s) for s in np.linspace(-0.4, 0.4, 6)]).astype(np.uint8)
    labels = np.arange(6, dtype=np.uint8)
    deskewed(MNIST(images, labels, images[:2], labels[:2], "test", "custom"))
    flipped = images[:, :, ::-1].copy()  # the opposite slants
    other = deskewed(MNIST(flipped, labels, flipped[:2], labels[:2], "test", "custom"))
    np.testing.assert_array_equal(other.train_images, np.clip(np.rint(deskew(flipped)), 0, 255).astype(np.uint8))
    assert len(list((tmp_path / "cache" / "deskewed").glob("*.npz"))) == 2


def test_a_diagonal_becomes_a_vertical_line():
    """I(r, c) = 1 on the diagonal of a 5×5 image: r̄ = c̄ = 2, μ₁₁ = μ₀₂ = 2, α = 1, so
    I'(r, c) = I(r, c + r − 2) is 1 exactly in column 2; where c + r − 2 falls off either edge it reads no ink."""
    expected = np.zeros((5, 5))
    expected[:, 2] = 1.0
    np.testing.assert_allclose(deskew(np.eye(5)), expected, atol=1e-12)


def test_a_half_column_shear_by_hand():
    """Ink at (0, 0) and (2, 1): r̄ = 1, c̄ = 1/2, μ₁₁ = 1/2, μ₀₂ = 1, α = 1/2. Row 0 reads column c − 1/2 and
    row 2 column c + 1/2, so each ink is split in halves; row 0, column 0 reads −1/2, half outside (no ink)."""
    image = np.zeros((3, 3))
    image[0, 0] = image[2, 1] = 1.0
    expected = np.array([[0.5, 0.5, 0.0], [0.0, 0.0, 0.0], [0.5, 0.5, 0.0]])
    np.testing.assert_allclose(deskew(image), expected, atol=1e-12)


def test_every_chunk_is_deskewed(monkeypatch):
    """Five images in chunks of two (the last one short): each equals the image deskewed alone."""
    import mathdl.data.deskew as module
    images = np.stack([slanted_bar(s) for s in (-0.4, -0.2, 0.1, 0.3, 0.45)])
    alone = np.stack([deskew(image) for image in images])
    monkeypatch.setattr(module, "CHUNK", 2)
    np.testing.assert_allclose(deskew(images), alone)


def test_deskewing_lifts_accuracy_on_real_mnist(mnist):
    """The point of it: the same small network, trained the same way, is more accurate on deskewed digits."""
    from mathdl.runs.experiment import Config, run
    accuracy = {}
    for flag in (False, True):
        config = Config(task="id", hidden=(50,), cost="xe", method="matrix", epochs=3, train_size=5000,
                        test_size=2000, augment=0, deskew=flag)
        accuracy[flag] = run(config, mnist, progress=False).metrics["test"]["accuracy"]
    assert accuracy[True] > accuracy[False] + 0.005
