"""Learning tasks: inputs X (features × samples), targets Y and class labels, from MNIST or 2-D points.

Tasks on MNIST:
    id      binary: is the digit one of the digits of the student ID? (class 1 = yes, the positive class)
    digits  ten classes 0-9
    pair    two digits a,b (class 0 = a, class 1 = b, the positive class)
Each image may first be deskewed (``deskew``: its slant sheared away). Input scalings (x is the 0-255
pixel value):
    unit      x / 255 ∈ [0, 1]
    book      0.01 + 0.99 x / 255 ∈ [0.01, 1]   (Rashid, "Make Your Own Neural Network")
    standard  (x / 255 − μ) / σ, μ and σ the mean and std of the training pixels
Targets: a one-output binary task has y ∈ {lo, hi}; otherwise y is one-hot with lo and hi,
where (lo, hi) = (0, 1) ("binary") or (0.01, 0.99) ("book").
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..base.errors import DataError, MathdlError, choice
from ..base.seeding import rng
from .mnist import MNIST
from .pixels import Pixels

SCALES = {"unit": "x/255 in [0, 1]", "book": "0.01 + 0.99 x/255 in [0.01, 1]",
          "standard": "(x/255 - mean) / std of the training pixels"}
TARGETS = {"binary": (0.0, 1.0), "book": (0.01, 0.99)}
TASKS = ("id", "digits", "pair")


@dataclass(frozen=True)
class Split:
    """N samples: X (n_0, N) inputs as columns, Y (m, N) targets, labels (N,) class indices,
    digits (N,) the original MNIST digit (equal to labels for non-MNIST data). MNIST tasks keep X as
    ``Pixels`` (one byte a pixel, scaled when taken); other tasks as an array."""

    X: np.ndarray | Pixels
    Y: np.ndarray
    labels: np.ndarray
    digits: np.ndarray

    @property
    def N(self) -> int:
        return self.X.shape[1]


@dataclass(frozen=True)
class Task:
    """A classification task: training, optional validation, and test splits, and what the classes mean.

    ``test`` is None only for tasks that are trained and never tested (the scikit-learn estimator's).
    ``stats`` = (μ, σ) of the training pixels x/255 that the ``standard`` scale uses ((0, 1) otherwise).
    """

    name: str
    description: str
    classes: list[str]
    train: Split
    test: Split | None
    val: Split | None
    targets: tuple[float, float]
    scale: str
    positive_digits: tuple[int, ...] = ()
    background: float | None = None  # the scaled value of a 0 pixel (image tasks only)
    stats: tuple[float, float] = (0.0, 1.0)
    deskew: bool = False  # the images were deskewed before scaling

    @property
    def binary(self) -> bool:
        return len(self.classes) == 2

    @property
    def n_inputs(self) -> int:
        return self.train.X.shape[0]

    @property
    def n_outputs(self) -> int:
        return self.train.Y.shape[0]

    @property
    def threshold(self) -> float:
        """A single sigmoid output is read as class 1 when a ≥ (lo + hi) / 2."""
        return sum(self.targets) / 2

    def classify(self, a: np.ndarray) -> np.ndarray:
        """Class indices from outputs a (m, N): a ≥ threshold for one output, else argmax over rows."""
        return classify(a, self.targets)


def classify(a: np.ndarray, targets: tuple[float, float] = TARGETS["binary"]) -> np.ndarray:
    """Class indices (N,) from outputs a (m, N): one output is class 1 when a ≥ (lo + hi) / 2 of the
    targets (lo, hi); several outputs, the row of the largest."""
    if a.shape[0] == 1:
        return (a[0] >= sum(targets) / 2).astype(np.int64)
    return a.argmax(axis=0)


def parse_id(student_id: str) -> tuple[int, ...]:
    """The distinct digits of a student ID, sorted: '100384' → (0, 1, 3, 4, 8)."""
    text = str(student_id).strip()
    if not text or not text.isdecimal() or not text.isascii():
        raise MathdlError(f"the student ID must be made of digits 0-9, got {student_id!r}")
    digits = tuple(sorted({int(c) for c in text}))
    if len(digits) == 10:
        raise MathdlError(f"ID {text} contains every digit 0-9, so no digit is negative; the ID task "
                          "needs at least one digit that is not in the ID")
    return digits


def parse_pair(pair) -> tuple[int, int]:
    """'0,1' → (0, 1): two different digits."""
    try:
        a, b = (int(p) for p in str(pair).split(",")) if not isinstance(pair, tuple) else pair
    except ValueError:
        raise MathdlError(f"the pair must be two digits like 0,1; got {pair!r}") from None
    if not (0 <= a <= 9 and 0 <= b <= 9) or a == b:
        raise MathdlError(f"the pair must be two different digits 0-9, got {pair!r}")
    return a, b


def stratified(labels: np.ndarray, size: int | None, generator: np.random.Generator, what: str = "subset"
               ) -> np.ndarray:
    """Indices of ``size`` samples keeping each label's share (largest remainders), sorted; all if None."""
    n = len(labels)
    if size is None or size == n:
        return np.arange(n)
    if size < 1 or size > n:
        raise MathdlError(f"{what} must be between 1 and {n}, got {size}")
    classes, counts = np.unique(labels, return_counts=True)
    exact = counts * size / n
    quota = np.floor(exact).astype(np.int64)
    quota[np.argsort(quota - exact, kind="stable")[: size - quota.sum()]] += 1
    picks = [generator.permutation(np.flatnonzero(labels == c))[:q] for c, q in zip(classes, quota)]
    return np.sort(np.concatenate(picks))


def encode_targets(labels: np.ndarray, k: int, outputs: int, targets: tuple[float, float], dtype
                   ) -> np.ndarray:
    """Y (outputs, N): one output → lo/hi by class 1; otherwise one-hot rows with lo/hi."""
    lo, hi = targets
    if outputs == 1:
        return np.where(labels == 1, hi, lo).astype(dtype)[None, :]
    if outputs != k:
        raise MathdlError(f"{k} classes need 1 (binary only) or {k} output units, not {outputs}")
    Y = np.full((k, len(labels)), lo, dtype=dtype)
    Y[labels, np.arange(len(labels))] = hi
    return Y


def pixel_stats(images: np.ndarray, piece: int = 1 << 20) -> tuple[float, float]:
    """(μ, σ) of the pixels x/255 of ``images``, bit for bit the float64 numbers ``(images / 255).mean()`` and
    ``.std()`` give, without that float64 copy of the whole set (8 bytes a pixel).

    NumPy sums an array pairwise: it splits it in halves (the first rounded down to a multiple of 8) until
    a part has at most 128 elements. Summing the same halves here, and each part of at most ``piece``
    (≥ 128) pixels with NumPy, adds the same numbers in the same order: μ = Σ x/255 / n,
    σ = √(Σ (x/255 − μ)² / n).
    """
    flat, piece = images.reshape(-1), max(piece, 128)

    def total(term, lo: int, hi: int) -> float:
        if hi - lo <= piece:
            return np.add.reduce(term(flat[lo:hi]))
        half = (hi - lo) // 2
        half -= half % 8
        return total(term, lo, lo + half) + total(term, lo + half, hi)

    n = flat.size
    mean = total(lambda x: x.astype(np.float64) / 255, 0, n) / n
    variance = total(lambda x: np.square(x.astype(np.float64) / 255 - mean), 0, n) / n
    return float(mean), float(np.sqrt(variance))


def make_split(X: np.ndarray, labels: np.ndarray, digits: np.ndarray, k: int, outputs: int,
               targets: tuple[float, float], dtype) -> Split:
    return Split(X, encode_targets(labels, k, outputs, targets, dtype), labels, digits)


def make_task(mnist: MNIST, task: str = "id", *, student_id: str | None = None, pair=None,
              scale: str = "unit", targets: str = "binary", outputs: int | None = None,
              train_size: int | None = None, test_size: int | None = None, val_size: int | None = None,
              seed: int = 0, dtype=np.float64, deskew: bool = False) -> Task:
    """A task on MNIST with stratified, seeded subsets; ``outputs`` defaults to 1 for two classes, else k.
    With ``deskew``, every image is first deskewed (``mathdl.data.deskew``)."""
    choice("task", task, {t: t for t in TASKS})
    if deskew:
        from .deskew import deskewed
        mnist = deskewed(mnist)
    choice("scale", scale, SCALES)
    target_pair = choice("targets", targets, TARGETS)
    dtype = np.dtype(dtype).type
    train_digits, test_digits = mnist.train_labels.astype(np.int64), mnist.test_labels.astype(np.int64)
    train_keep, test_keep = np.arange(len(train_digits)), np.arange(len(test_digits))
    positive = ()
    if task == "id":
        if student_id is None:
            raise MathdlError("the id task needs --id, the student ID (e.g. --id 100384)")
        positive = parse_id(student_id)
        classes = [f"other digits {{{','.join(str(d) for d in range(10) if d not in positive)}}}",
                   f"ID digits {{{','.join(map(str, positive))}}}"]
        to_label = np.isin(np.arange(10), positive).astype(np.int64)
        description = f"ID {str(student_id).strip()}: is the digit one of {{{', '.join(map(str, positive))}}}?"
    elif task == "pair":
        if pair is None:
            raise MathdlError("the pair task needs --pair, two digits like 0,1")
        a, b = parse_pair(pair)
        positive = (b,)
        classes = [str(a), str(b)]
        to_label = np.full(10, -1)
        to_label[[a, b]] = [0, 1]
        train_keep = np.flatnonzero(np.isin(train_digits, (a, b)))
        test_keep = np.flatnonzero(np.isin(test_digits, (a, b)))
        description = f"pair: {a} (negative) vs {b} (positive)"
    else:
        classes = [str(d) for d in range(10)]
        to_label = np.arange(10)
        description = "ten digits 0-9"

    train_keep = train_keep[stratified(train_digits[train_keep], train_size, rng(seed, "train_subset"),
                                       "--train-size")]
    test_keep = test_keep[stratified(test_digits[test_keep], test_size, rng(seed, "test_subset"),
                                     "--test-size")]
    val_keep = None
    if val_size:
        if val_size >= len(train_keep):
            raise MathdlError(f"--val-size must be smaller than the {len(train_keep)} training images")
        chosen = stratified(train_digits[train_keep], val_size, rng(seed, "val_split"), "--val-size")
        val_keep = train_keep[chosen]
        train_keep = np.delete(train_keep, chosen)

    train_images = _rows(mnist.train_images, train_keep)
    _check_not_blank(train_images, mnist.source, scale)
    stats = pixel_stats(train_images) if scale == "standard" else (0.0, 1.0)
    k = len(classes)
    m = outputs or (1 if k == 2 else k)

    def split(images, digits, keep):
        return make_split(Pixels(_rows(images, keep), scale, stats, dtype), to_label[digits[keep]],
                          digits[keep], k, m, target_pair, dtype)

    background = {"unit": 0.0, "book": 0.01, "standard": -stats[0] / stats[1]}[scale]
    return Task(task, description, classes, split(mnist.train_images, train_digits, train_keep),
                split(mnist.test_images, test_digits, test_keep),
                split(mnist.train_images, train_digits, val_keep) if val_keep is not None else None,
                target_pair, scale, positive, background, stats, deskew)


def _check_not_blank(images: np.ndarray, source: str, scale: str) -> None:
    """Training images whose pixels are all one value (all black, all white) hold nothing to learn from;
    standardising them would divide by σ = 0."""
    lo, hi = int(images.min()), int(images.max())
    if lo == hi:
        shade = {0: "black", 255: "white"}.get(lo, f"grey {lo}")
        why = ", and the standard scale (x/255 − μ)/σ would divide by σ = 0" if scale == "standard" else ""
        raise DataError(f"{source}: every pixel of the {len(images)} training images is {lo} (all {shade}): "
                        f"nothing to learn from{why}")


def _rows(images: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """images[keep] for sorted indices ``keep``; the array itself when they are all of its rows (not a
    copy of the whole training set, 47 MB)."""
    return images if len(keep) == len(images) else images[keep]


def dots_task(X: np.ndarray, labels: np.ndarray, *, test_fraction: float = 0.3, targets: str = "binary",
              outputs: int | None = None, seed: int = 0, dtype=np.float64, name: str = "dots") -> Task:
    """A task on points X (d, N) with integer labels, split into train/test (stratified, seeded)."""
    labels = np.asarray(labels, dtype=np.int64)
    k = int(labels.max()) + 1
    target_pair = choice("targets", targets, TARGETS)
    m = outputs or (1 if k == 2 else k)
    test = stratified(labels, max(1, round(test_fraction * len(labels))), rng(seed, "test_subset"), "test set")
    train = np.setdiff1d(np.arange(len(labels)), test)
    X = np.asarray(X, dtype=dtype)

    def split(keep):
        return make_split(np.asfortranarray(X[:, keep]), labels[keep], labels[keep], k, m, target_pair, dtype)

    return Task(name, f"{name}: {len(labels)} points, {k} classes", [str(c) for c in range(k)],
                split(train), split(test), None, target_pair, "none")


def class_weights(labels: np.ndarray, k: int) -> np.ndarray:
    """Per-sample weights w_x = N / (k · N_c) for x in class c ("balanced"): each class weighs the same."""
    counts = np.bincount(labels, minlength=k)
    if (counts == 0).any():
        raise MathdlError("balanced class weights need every class in the training set")
    return (len(labels) / (k * counts))[labels]
