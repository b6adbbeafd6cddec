"""Numerical health of training, measured cheaply: exploding gradients and saturated hidden units.

Exploding gradients. The gradient norm ‖∇C‖ = (Σ_l ‖∂C/∂W⁽ˡ⁾‖² + ‖∂C/∂b⁽ˡ⁾‖²)^½ is measured by one
matrix backprop on a fixed probe of at most ``PROBE`` training samples: before training and after
every epoch (never per sample). Gradient descent that works makes it shrink or stay of the same
order; a norm ``EXPLODING`` times the smallest one seen so far means the steps are being amplified
(too large a learning rate, or weights grown into a steep region of the cost).

Saturated units. A hidden unit whose derivative f'(z) is almost 0 on almost every sample passes
almost no gradient back, δ⁽ˡ⁾ = (W⁽ˡ⁺¹⁾)ᵀ δ⁽ˡ⁺¹⁾ ⊙ f'(z⁽ˡ⁾), so it stops learning. A unit counts as
saturated when the mean of f'(z) over (up to ``SATURATION_SAMPLES`` of) the training set is below
``SATURATED``: for sigmoid a(1 − a) < 10⁻³, i.e. a within ~10⁻³ of 0 or 1; for tanh 1 − a² < 10⁻³;
for ReLU a unit that never fires (a "dead" unit) has mean f'(z) = 0. Output units count too when
the cost's delta δ⁽ᴸ⁾ = ∂C/∂a ⊙ f'(z⁽ᴸ⁾) contains f' (TSE, MSE; not cross-entropy, whose δ⁽ᴸ⁾ = a − y).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..nn.backprop import backprop
from ..nn.costs import Cost
from ..nn.network import Network

PROBE = 256  # samples of the gradient-norm probe
EXPLODING = 100.0  # a norm this many times the smallest one so far is reported
SATURATION_SAMPLES = 10_000  # samples over which f'(z) is averaged
SATURATED = 1e-3  # a unit whose mean f'(z) is below this is saturated
SATURATION_WARNING = 0.1  # report a layer with at least this fraction of saturated units
REMEDIES = {  # what to try, by activation
    "relu": "a smaller learning rate, --init he, or leaky_relu (whose f' is never 0)",
    "default": "standardised inputs (--scale standard), a smaller learning rate or --init xavier",
}


def evenly(N: int, at_most: int) -> slice:
    """Every k-th column so that at most ``at_most`` of N are taken, spread over the whole set."""
    return slice(None, None, max(1, math.ceil(N / at_most)))


def gradient_norm(net: Network, X: np.ndarray, Y: np.ndarray, cost: Cost) -> float:
    """‖∇C‖₂ over all W⁽ˡ⁾ and b⁽ˡ⁾ for the batch (X, Y) (inf if it overflows)."""
    with np.errstate(all="ignore"):
        _, grads = backprop(net, X, Y, cost)
        total = sum(float(np.vdot(g, g)) for g in grads.arrays())
    return math.sqrt(total) if math.isfinite(total) else math.inf


class GradientMonitor:
    """‖∇C‖ on a fixed probe of the training set, before training and after each epoch."""

    def __init__(self, net: Network, X: np.ndarray, Y: np.ndarray, cost: Cost, eta: float):
        probe = evenly(X.shape[1], PROBE)
        self.net, self.X, self.Y, self.cost, self.eta = net, np.asarray(X[:, probe]), Y[:, probe], cost, eta
        self.norms = [gradient_norm(net, self.X, self.Y, cost)]  # index e: after epoch e
        self.reported = False

    def after_epoch(self, epoch: int) -> str | None:
        """Measure ‖∇C‖ after ``epoch``; a warning (once) when it exploded, else None."""
        norm = gradient_norm(self.net, self.X, self.Y, self.cost)
        smallest = min(self.norms)
        self.norms.append(norm)
        if self.reported or not norm > EXPLODING * smallest:
            return None
        self.reported = True
        return (f"exploding gradients: in epoch {epoch} the gradient norm ‖∇C‖ grew to {norm:.3g}, "
                f"{norm / smallest:.0f}× its smallest value {smallest:.3g}; try a smaller learning rate "
                f"than {self.eta:g}")


@dataclass(frozen=True)
class Saturation:
    """Per layer l: the activation's name and how many of its n_l units are saturated."""

    layers: dict  # l → {"activation": name, "units": n_l, "saturated": count}
    L: int

    def warnings(self) -> list[str]:
        notes = []
        for l, s in self.layers.items():
            if s["saturated"] and s["saturated"] >= SATURATION_WARNING * s["units"]:
                where = "the output layer" if l == self.L else f"hidden layer {l}"
                remedy = REMEDIES.get(s["activation"], REMEDIES["default"])
                notes.append(
                    f"saturated units: {s['saturated']} of the {s['units']} {s['activation']} units of {where} "
                    f"have mean f'(z) < {SATURATED:g} over the training set and barely learn; try {remedy}")
        return notes

    def to_dict(self) -> dict:
        return {str(l): s for l, s in self.layers.items()}


def saturation(net: Network, X: np.ndarray, *, output: bool = False, chunk: int = 2048) -> Saturation:
    """Count the saturated units of every hidden layer (and of the output layer if ``output``) on up
    to SATURATION_SAMPLES columns of X, ``chunk`` columns at a time (bounding the memory)."""
    columns = X[:, evenly(X.shape[1], SATURATION_SAMPLES)]
    n, sums = columns.shape[1], {}  # l → Σ_x f'(z_x) per unit
    with np.errstate(all="ignore"):
        for first in range(0, n, chunk):
            a = np.asarray(columns[:, first:first + chunk])
            for l in range(1, net.L + 1):
                z = net.z(l, a)
                a = net.f[l](z)
                if l == net.L and not (output and net.f[l].df is not None):
                    break
                sums[l] = sums.get(l, 0.0) + net.f[l].df(z, a).sum(axis=1)
    layers = {l: {"activation": net.f[l].name, "units": len(total), "saturated": int((total / n < SATURATED).sum())}
              for l, total in sums.items()}
    return Saturation(layers, net.L)
