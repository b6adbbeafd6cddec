"""A trained run applied to new images: each turned into an MNIST digit, scaled exactly as the run's
training data were, and fed forward.

    image file → 28×28 digit (``data.handwriting.mnist_digit``) → deskewed if the run's were → x (784,)
    scaled by the run's
    config.json "inputs" (unit x/255, book 0.01 + 0.99x/255, standard (x/255 − μ)/σ with the
    training set's μ, σ) → a⁽ᴸ⁾ = network(x) → class (one output: a ≥ (lo + hi)/2 of the targets;
    several: the largest)
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..base.errors import MathdlError
from ..data.deskew import deskew
from ..data.handwriting import mnist_digit
from ..data.mnist import PIXELS
from ..data.pixels import scale
from ..data.tasks import SCALES, TARGETS, classify
from .directory import Run


@dataclass(frozen=True)
class Prediction:
    """One image: the 28×28 digit the network saw, its output vector a⁽ᴸ⁾ (m,) and the class."""

    path: Path
    image: np.ndarray
    outputs: np.ndarray
    index: int
    label: str


def inputs_of(run: Run) -> dict:
    """How the run prepared its inputs: {"deskew", "scale", "mean", "std", "targets"} from config.json."""
    config = run.config if isinstance(run.config, dict) else {}
    inputs = config.get("inputs")
    if isinstance(inputs, dict) and inputs.get("scale") in SCALES:
        try:
            mean, std = float(inputs["mean"]), float(inputs["std"])
            lo, hi = (float(t) for t in inputs["targets"])
        except (KeyError, TypeError, ValueError):
            mean = std = lo = hi = float("nan")
        if not (np.isfinite([mean, std, lo, hi]).all() and std > 0):
            raise MathdlError(f"{run.path}: config.json has malformed \"inputs\" (scale, mean, std, targets)")
        return {"deskew": bool(inputs.get("deskew", False)), "scale": inputs["scale"], "mean": mean, "std": std,
                "targets": (lo, hi)}
    options = config.get("config") if isinstance(config.get("config"), dict) else {}
    scale = options.get("scale")
    if scale in ("unit", "book"):  # written before config.json recorded "inputs"; these need no statistics
        return {"deskew": False, "scale": scale, "mean": 0.0, "std": 1.0,
                "targets": TARGETS.get(options.get("targets"), (0, 1))}
    if scale == "standard":
        raise MathdlError(f"{run.path}: config.json lacks the training mean and std that the standard scale "
                          "needs (written by an older mathdl); retrain the run")
    raise MathdlError(f"{run.path}: config.json does not say how the inputs were scaled; not an MNIST run")


def check_model(run: Run) -> list[str]:
    """The class names of the run, after checking that its network reads 28×28 images and has one
    output per class (or one output for two classes)."""
    net, classes = run.net, run.config.get("classes") if isinstance(run.config, dict) else None
    if net.sizes[0] != PIXELS:
        raise MathdlError(f"{run.path}: the network takes {net.sizes[0]} inputs, not the {PIXELS} pixels of a "
                          "28×28 image")
    if not (isinstance(classes, list) and len(classes) >= 2):
        raise MathdlError(f"{run.path}: config.json lists no classes")
    m = net.sizes[-1]
    if m != len(classes) and not (m == 1 and len(classes) == 2):
        raise MathdlError(f"{run.path}: the network has {m} output{'s' * (m != 1)} but config.json lists "
                          f"{len(classes)} classes")
    return [str(c) for c in classes]


def predict_images(run: Run, paths) -> list[Prediction]:
    """Read, convert, scale and classify every image; the first unreadable image is an error."""
    classes = check_model(run)
    inputs = inputs_of(run)
    paths = [Path(p) for p in paths]
    seen, X = prepare(run, np.stack([mnist_digit(p) for p in paths]), inputs)
    A = run.net(X)
    indices = classify(A, inputs["targets"])
    return [Prediction(p, seen[i], A[:, i], int(indices[i]), classes[indices[i]]) for i, p in enumerate(paths)]


def prepare(run: Run, images: np.ndarray, inputs: dict | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(the digits the network sees (k, 28, 28) uint8 — deskewed if the run's were —, its inputs X (784, k))
    from k MNIST-like digits (k, 28, 28), scaled by the run's config.json "inputs"."""
    inputs = inputs or inputs_of(run)
    seen = np.clip(np.rint(deskew(images)), 0, 255).astype(np.uint8) if inputs["deskew"] else images
    return seen, scale(seen, inputs["scale"], (inputs["mean"], inputs["std"]), run.net.dtype.type)
