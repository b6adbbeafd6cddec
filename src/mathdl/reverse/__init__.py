"""Reverse: run a trained network backwards to picture the digits it has learned, and measure how valid
each picture is.

Three methods find an input x (n_0,), in the network's input scale, for digit d:

* ``backquery`` (T. Rashid): the target y_d pushed down with z⁽ˡ⁾ = f_l⁻¹(a⁽ˡ⁾),
  a⁽ˡ⁻¹⁾ = (W⁽ˡ⁾)ᵀ (z⁽ˡ⁾ − b⁽ˡ⁾), rescaled into the open range of f_{l−1} (``chain``);
* ``pinv``: the same chain with the pseudo-inverse W⁺ (``chain``);
* ``optimize``: projected gradient ascent on x for the log-likelihood of d, penalised (``ascent``).

``reverse`` runs them for the ten digits and measures every image (``measure``); ``explanation``
turns the measurements into the validity discussion (``discussion``); ``mathdl.runs.reverse`` writes
them into a directory with the figures.

The package is cut by concept: one module per method family, one for measurements, one for the text.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from ..base.errors import MathdlError, choice
from ..base.seeding import rng
from ..nn.network import Network
from .ascent import AscentSettings, optimize_input, total_variation
from .chain import MARGIN, Inversion, backquery, pinv_query, require_inverses, rescale
from .discussion import explanation
from .measure import correlation, mean_images, measure, network_facts

Array = np.ndarray

METHODS = {"backquery": "backquery (Wᵀ)", "pinv": "pseudo-inverse (W⁺)", "optimize": "optimisation"}
TARGET_LEVELS = (0.01, 0.99)  # the book's targets: 0.99 for the digit, 0.01 elsewhere

__all__ = ["METHODS", "TARGET_LEVELS", "AscentSettings", "Inversion", "Record", "Reverse", "backquery", "pinv_query",
           "optimize_input", "rescale", "total_variation", "require_inverses", "target", "method_names",
           "reverse_digits", "reverse", "measure", "mean_images", "correlation", "network_facts", "explanation", "MARGIN"]


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


def reverse_digits(net: Network, digits, methods, *, means: Array, input_range: tuple[float, float] = (0.0, 1.0),
                   ascent: AscentSettings = AscentSettings(), seed: int = 0, rescaling: bool = True) -> list[Record]:
    """Each method's image of each digit (a repeated digit once), measured against the mean images
    ``means`` (n_0, m).

    The chains query y_d with the book's levels (0.99 at d, 0.01 elsewhere); the ascent for digit d
    starts from child d of the generator ``rng(seed, "reverse")``, so each image is reproducible alone.
    """
    methods = method_names(methods)
    m = net.sizes[-1]
    digits = list(dict.fromkeys(int(d) for d in digits))
    for d in digits:
        target(d, m)
    for method in methods:
        if method != "optimize":
            require_inverses(net, method)
    records = []
    for method in methods:
        for d in digits:
            if method == "optimize":
                inv = optimize_input(net, d, settings=ascent, input_range=input_range,
                                     rng=rng(seed, "reverse").spawn(d + 1)[d])
            else:
                query = backquery if method == "backquery" else pinv_query
                inv = query(net, target(d, m, output=net.f[net.L].name), rescaling=rescaling,
                            input_range=input_range)
            records.append(Record(method, d, inv, measure(net, inv, d, means)))
    return records


@dataclass
class Reverse:
    """The images of digits 0-9 by each method, their measurements, the network's facts and the settings;
    ``means`` (n_0, m): the mean training image of each digit, which the images are compared with."""

    records: list[Record]
    facts: dict
    settings: dict
    network: dict = field(default_factory=dict)
    means: Array | None = None

    @property
    def methods(self) -> list[str]:
        return list(dict.fromkeys(r.method for r in self.records))

    def record(self, method: str, digit: int) -> Record:
        for r in self.records:
            if r.method == method and r.digit == digit:
                return r
        raise MathdlError(f"no {method} image of digit {digit}")

    def summary(self) -> dict:
        """Per method: images classified as intended, and the median/min output a_d and mean r."""
        summary = {}
        for method in self.methods:
            ms = [r.measures for r in self.records if r.method == method]
            outputs = [m["output"] for m in ms]
            corrs = [m["corr_mean"] for m in ms if m["corr_mean"] is not None]
            summary[method] = {"images": len(ms), "correct": sum(m["correct"] for m in ms),
                               "output_median": float(np.median(outputs)), "output_min": float(min(outputs)),
                               "corr_mean": float(np.mean(corrs)) if corrs else None}
        return summary

    def to_dict(self) -> dict:
        """The content of reverse.json (every number, no pixels)."""
        return {"network": self.network, "settings": self.settings, "summary": self.summary(), "facts": self.facts,
                "images": [r.measures for r in self.records]}


def reverse(net: Network, X: Array, labels: Array, *, methods=tuple(METHODS), ascent: AscentSettings = AscentSettings(),
            seed: int = 0, rescaling: bool = True, network: dict | None = None) -> Reverse:
    """Images of the digits 0..m−1 by ``methods`` for ``net``, with the training images X (n_0, N) and
    their labels giving the mean images and the pixel range [min X, max X] (the background is min X)."""
    means = mean_images(X, labels, net.sizes[-1])
    input_range = (float(X.min()), float(X.max()))
    records = reverse_digits(net, range(net.sizes[-1]), methods, means=means, input_range=input_range,
                             ascent=ascent, seed=seed, rescaling=rescaling)
    settings = {"methods": method_names(methods), "target_levels": list(TARGET_LEVELS), "margin": MARGIN,
                "rescaling": rescaling, "input_range": list(input_range), "ascent": asdict(ascent), "seed": seed}
    network = {"sizes": net.sizes, "activations": net.activations, "bias": net.bias, **(network or {})}
    return Reverse(records, network_facts(net, X, means), settings, network, means)
