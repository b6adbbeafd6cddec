"""The epochs, learning rate η and mini-batch size each backpropagation method, cost and optimiser trains with
when they are not given: one table, used by ``Settings`` (and so by ``Config``, the study, the estimator and
the command line)."""
from __future__ import annotations

from ..base.errors import choice
from ..nn.optimizers import OPTIMIZERS, Adam, Momentum

# Defaults per backpropagation method and cost, chosen so that every configuration of the study
# trains properly (see the README). Online SGD steps after every sample; matrix SGD after each
# mini-batch with the mean gradient, so it takes a larger η. TSE's output delta carries
# σ'(z) = a(1 − a) ≤ ¼, so TSE takes a larger η than XE, whose delta is a − y. MSE uses TSE's row.
DEFAULTS = {
    ("online", "tse"): {"epochs": 15, "eta": 0.2, "batch_size": 1},
    ("online", "xe"): {"epochs": 15, "eta": 0.05, "batch_size": 1},
    ("matrix", "tse"): {"epochs": 20, "eta": 2.0, "batch_size": 16},
    ("matrix", "xe"): {"epochs": 40, "eta": 0.5, "batch_size": 16},
}


ADAM_ETA = 1e-3  # Kingma & Ba's suggested η, also PyTorch's and scikit-learn's default


def defaults(method: str, cost: str, optimizer: str = "sgd") -> dict:
    """Epochs, η and batch size used when not given, for a bp method, cost and optimiser.

    ``DEFAULTS``' η is plain SGD's, θ ← θ − η g. Momentum, v ← μ v − η g, moves θ by η g / (1 − μ) a step
    under a steady gradient, so it takes η (1 − μ): the same step. Adam's step, η m̂ / (√v̂ + ε), is
    about η per parameter whatever the gradient's scale, so an η scaled to the gradient does not carry
    over (η = 2 with Adam saturates every sigmoid in a few steps): it takes ``ADAM_ETA``. η (1 − μ) is
    rounded to 12 digits, so that 2 (1 − 0.9) is 0.2 and not 0.19999999999999996."""
    row = dict(DEFAULTS[(method, "tse" if cost == "mse" else cost)])
    optimizer = choice("optimizer", optimizer, OPTIMIZERS)
    if optimizer is Momentum:
        row["eta"] = round(row["eta"] * (1 - Momentum(row["eta"]).mu), 12)
    elif optimizer is Adam:
        row["eta"] = ADAM_ETA
    return row
