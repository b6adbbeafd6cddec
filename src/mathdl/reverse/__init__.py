"""Reverse: run a trained network backwards to picture the digits it has learned, and measure how valid
each picture is.

Four methods find an input x (n_0,), in the network's input scale, for digit d:

* ``backquery`` (T. Rashid): the target y_d pushed down with z⁽ˡ⁾ = f_l⁻¹(a⁽ˡ⁾),
  a⁽ˡ⁻¹⁾ = (W⁽ˡ⁾)ᵀ (z⁽ˡ⁾ − b⁽ˡ⁾), rescaled into the open range of f_{l−1} (``chain``);
* ``pinv``: the same chain with the pseudo-inverse W⁺ (``chain``);
* ``optimize``: projected gradient ascent on x for the log-likelihood of d, penalised (``ascent``);
* ``prior``: the most probable image of d under a Gaussian prior over all the training images,
  found in whitened coordinates (``prior``).

``reverse`` runs them for the ten digits and measures every image (``measure``): by the network itself,
by an independent judge that never sees the network (``judge``: k nearest neighbours on the pixels,
with its own test accuracy), against the mean training images and against the nearest training image
(``moments`` gives the means and the prior's covariance in one pass). ``explanation`` turns the
measurements into the validity discussion (``discussion``); ``mathdl.runs.reverse`` writes them into a
directory with the figures.

The package is cut by concept: one module per method family, one for the judge, one for measurements,
one for the text.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from ..base.errors import MathdlError, choice
from ..base.seeding import rng
from ..nn.network import Network
from .ascent import AscentSettings, optimize_input, optimize_inputs, total_variation
from .chain import MARGIN, Inversion, backquery, pinv_query, require_inverses, rescale
from .discussion import explanation
from .cache import cached
from .judge import PER_CLASS, QUANTILE, Judge, needed
from .measure import correlation, judged, mean_images, measure, network_facts
from .moments import Moments, moments
from .prior import GaussianPrior, PriorSettings, map_images

Array = np.ndarray

METHODS = {"backquery": "backquery (Wᵀ)", "pinv": "pseudo-inverse (W⁺)", "optimize": "optimisation",
           "prior": "Gaussian prior (MAP)"}
TARGET_LEVELS = (0.01, 0.99)  # the book's targets: 0.99 for the digit, 0.01 elsewhere
# What "read as the digit" asks of a method's ten images: the judge reads at least 90% of them as intended, their
# mean correlation with the mean images is at least 0.7, and none is a near-copy of a training image.
READ_AS_DIGITS = {"judge_share": 0.9, "corr_mean": 0.7}
JUDGE_SAMPLE = (PER_CLASS, QUANTILE)  # the judge's assessment: test images per class, near-copy quantile

__all__ = ["METHODS", "TARGET_LEVELS", "READ_AS_DIGITS", "AscentSettings", "PriorSettings", "Inversion", "Record",
           "Reverse", "References", "Judge", "GaussianPrior", "Moments", "backquery", "pinv_query", "optimize_input",
           "optimize_inputs", "map_images", "rescale", "total_variation", "require_inverses", "target",
           "method_names", "references", "reverse_digits", "reverse", "measure", "mean_images", "moments",
           "correlation", "network_facts", "explanation", "MARGIN"]


def method_names(names) -> list[str]:
    """The reverse methods from a list or a comma-separated string, each checked against ``METHODS``."""
    if isinstance(names, str):
        names = [n.strip() for n in names.split(",") if n.strip()]
    if not names:
        raise MathdlError(f"no reverse method given; choose from {', '.join(METHODS)}")
    return list(dict.fromkeys(choice("reverse method", name, {m: m for m in METHODS}) for name in names))


def target(digit: int, m: int, levels: tuple[float, float] = TARGET_LEVELS, output: str = "sigmoid") -> Array:
    """y_d (m,): ``levels[1]`` at the digit, ``levels[0]`` elsewhere; divided by its sum for a softmax
    output, whose values sum to 1."""
    if not 0 <= digit < m:
        raise MathdlError(f"digit {digit} is not an output of a network with {m} outputs")
    y = np.full(m, levels[0], dtype=np.float64)
    y[digit] = levels[1]
    return y / y.sum() if output == "softmax" else y


@dataclass
class Record:
    """One method's image of one digit, with its measurements."""

    method: str
    digit: int
    inversion: Inversion
    measures: dict

    @property
    def x(self) -> Array:
        return self.inversion.x


@dataclass
class References:
    """What the images are found with and compared with, all from the training images (and a sample of the test
    images for the judge's own accuracy): their ``moments`` (the mean image of each class among them), the
    Gaussian ``prior`` over all of them and the ``judge``; ``input_range``: [min X, max X]."""

    moments: Moments
    prior: GaussianPrior | None
    judge: Judge | None

    @property
    def means(self) -> Array:
        return self.moments.means

    @property
    def input_range(self) -> tuple[float, float]:
        return self.moments.lo, self.moments.hi


def references(X, labels: Array, m: int, *, test=None, prior: bool = True, seed: int = 0) -> References:
    """The ``References`` of the training images X (n_0, N) with ``labels``: the moments; the prior when
    ``prior``; the judge, assessed on ``test`` = (X_test, labels_test) when given (its sample drawn from
    ``rng(seed, "judge")``). They depend on the images alone, not on a network, so they are computed once and
    kept in the cache (``cache.cached``), keyed by the SHA-256 of the images, labels and choices."""
    labels = np.asarray(labels)
    judge = Judge(X, labels)

    def compute() -> tuple[Moments, GaussianPrior | None, dict | None]:
        found = moments(X, labels, m)
        if test is not None:
            judge.assess(*test, rng=rng(seed, "judge"))
        return found, GaussianPrior.fit(found) if prior else None, judge.assessment

    key = (X, labels, m, prior, judge.k, *(() if test is None else (*test, seed, JUDGE_SAMPLE)))
    found, gaussian, judge.assessment = cached(key, compute)
    return References(found, gaussian, judge)


def reverse_digits(net: Network, digits, methods, *, means: Array, input_range: tuple[float, float] = (0.0, 1.0),
                   ascent: AscentSettings = AscentSettings(), seed: int = 0, rescaling: bool = True,
                   prior: GaussianPrior | None = None, prior_settings: PriorSettings = PriorSettings(),
                   judge: Judge | None = None) -> list[Record]:
    """Each method's image of each digit (a repeated digit once), measured against the mean images
    ``means`` (n_0, m) and, when given, read by the ``judge``.

    The chains query y_d with the book's levels (0.99 at d, 0.01 elsewhere); the ascent for digit d
    starts from child d of the generator ``rng(seed, "reverse")``, so each image is reproducible alone;
    the prior method finds every digit's image (its λ is one for all of them, ``map_images``) from μ, and
    its inversions' histories hold λ (``weight``) and the λs tried (``tried``).
    """
    methods = method_names(methods)
    m = net.sizes[-1]
    digits = list(dict.fromkeys(int(d) for d in digits))
    for d in digits:
        target(d, m)
    for method in methods:
        if method in ("backquery", "pinv"):
            require_inverses(net, method)
    if "prior" in methods and prior is None:
        raise MathdlError("the prior method needs the Gaussian prior of the training images (references())")
    records = []
    for method in methods:
        if method == "optimize":
            children = rng(seed, "reverse").spawn(max(digits) + 1)
            found = optimize_inputs(net, digits, settings=ascent, input_range=input_range,
                                    rngs=[children[d] for d in digits])
        elif method == "prior":
            every, weight, tried = map_images(net, prior, prior_settings)
            found = [every[d] for d in digits]
            for inv in found:
                inv.history.update(weight=np.array([weight]), tried=np.array(tried))
        else:
            query = backquery if method == "backquery" else pinv_query
            found = [query(net, target(d, m, output=net.f[net.L].name), rescaling=rescaling, input_range=input_range)
                     for d in digits]
        mu = prior.mu if prior is not None else None
        records += [Record(method, d, inv, measure(net, inv, d, means, mu=mu)) for d, inv in zip(digits, found)]
    if judge is not None:
        judged([r.measures for r in records], judge.read(np.column_stack([r.x for r in records])), judge)
    return records


@dataclass
class Reverse:
    """The images of digits 0-9 by each method, their measurements, the network's facts and the settings;
    ``means`` (n_0, m): the mean training image of each digit, which the images are compared with; ``judge``:
    what the judge is and how well it reads (its assessment, and its reading of the mean images)."""

    records: list[Record]
    facts: dict
    settings: dict
    network: dict = field(default_factory=dict)
    means: Array | None = None
    judge: dict = field(default_factory=dict)

    @property
    def methods(self) -> list[str]:
        return list(dict.fromkeys(r.method for r in self.records))

    def record(self, method: str, digit: int) -> Record:
        for r in self.records:
            if r.method == method and r.digit == digit:
                return r
        raise MathdlError(f"no {method} image of digit {digit}")

    def summary(self) -> dict:
        """Per method: images the network classifies as intended, the median/min output a_d, the mean r and r of
        the deviations from μ; with the judge, the images it reads as intended, its mean p̂ for the digit, the
        smallest distance to a training image of the digit, the near-copies and ``read_as_digits``
        (``READ_AS_DIGITS``)."""
        summary = {}
        for method in self.methods:
            ms = [r.measures for r in self.records if r.method == method]
            outputs = [m["output"] for m in ms]
            corrs = [m["corr_mean"] for m in ms if m["corr_mean"] is not None]
            deviations = [m["corr_deviation"] for m in ms if m.get("corr_deviation") is not None]
            s = {"images": len(ms), "correct": sum(m["correct"] for m in ms),
                 "output_median": float(np.median(outputs)), "output_min": float(min(outputs)),
                 "corr_mean": float(np.mean(corrs)) if corrs else None,
                 "corr_deviation_mean": float(np.mean(deviations)) if deviations else None}
            if all("judge_class" in m for m in ms):
                copies = [m["near_copy"] for m in ms if m["near_copy"] is not None]
                s.update(judge_correct=sum(m["judge_correct"] for m in ms),
                         judge_probability_mean=float(np.mean([m["judge_probability"] for m in ms])),
                         nearest_distance_min=float(min(m["nearest_distance"] for m in ms)),
                         near_copies=sum(copies) if len(copies) == len(ms) else None)
                s["read_as_digits"] = bool(s["judge_correct"] >= needed(READ_AS_DIGITS["judge_share"], len(ms))
                                           and s["corr_mean"] is not None
                                           and s["corr_mean"] >= READ_AS_DIGITS["corr_mean"]
                                           and s["near_copies"] == 0)
            summary[method] = s
        return summary

    def to_dict(self) -> dict:
        """The content of reverse.json (every number, no pixels)."""
        return {"network": self.network, "settings": self.settings, "summary": self.summary(), "facts": self.facts,
                "judge": self.judge, "images": [r.measures for r in self.records]}


def reverse(net: Network, X, labels: Array, *, methods=tuple(METHODS), ascent: AscentSettings = AscentSettings(),
            prior_settings: PriorSettings = PriorSettings(), seed: int = 0, rescaling: bool = True,
            network: dict | None = None, test=None, refs: References | None = None) -> Reverse:
    """Images of the digits 0..m−1 by ``methods`` for ``net``, with the training images X (n_0, N) and their
    labels giving the mean images, the prior, the judge and the pixel range [min X, max X] (the background is
    min X); ``test`` = (X_test, labels_test) to assess the judge; ``refs`` when they are already made from X."""
    methods = method_names(methods)
    m = net.sizes[-1]
    refs = refs or references(X, labels, m, test=test, prior="prior" in methods, seed=seed)
    records = reverse_digits(net, range(m), methods, means=refs.means, input_range=refs.input_range,
                             ascent=ascent, seed=seed, rescaling=rescaling, prior=refs.prior,
                             prior_settings=prior_settings)
    readings = refs.judge.read(np.column_stack([*(r.x for r in records), refs.means]))  # one search for all
    judged([r.measures for r in records], readings[:len(records)], refs.judge)
    settings = {"methods": methods, "target_levels": list(TARGET_LEVELS), "margin": MARGIN, "rescaling": rescaling,
                "input_range": list(refs.input_range), "ascent": asdict(ascent), "seed": seed,
                "read_as_digits": dict(READ_AS_DIGITS)}
    if "prior" in methods:
        h = next(r.inversion.history for r in records if r.method == "prior")
        settings["prior"] = {"weight": float(h["weight"][0]), "tried": [float(w) for w in h["tried"]],
                             "epsilon": refs.prior.epsilon, "steps": prior_settings.steps, "eta": prior_settings.eta,
                             "halvings": prior_settings.halvings}
    network = {"sizes": net.sizes, "activations": net.activations, "bias": net.bias, **(network or {})}
    return Reverse(records, network_facts(net, X, refs.moments), settings, network, refs.means,
                   judge_facts(refs, readings[len(records):]))


def judge_facts(refs: References, readings: list[dict]) -> dict:
    """The judge (kind, k, its assessment on test images) and, from its ``readings`` of the mean images, how many
    it reads as their own digit; and r of the mean of all training images μ with each class mean, the
    correlation a picture has with the mean images without showing any digit in particular."""
    judge, means = refs.judge, refs.means
    mu = refs.moments.mu
    baseline = [correlation(mu, means[:, c]) for c in range(means.shape[1])]
    known = [r for r in baseline if r is not None]
    return {"kind": "k nearest neighbours on the pixels (Euclidean distance)", "k": judge.k,
            "training_images": int(judge.labels.size), **(judge.assessment or {}),
            "means_read_right": sum(r["reading"] == c for c, r in enumerate(readings)),
            "overall_mean_corr": baseline, "overall_mean_corr_mean": float(np.mean(known)) if known else None}
