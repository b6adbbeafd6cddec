"""Weight initialisations: W⁽ˡ⁾ ~ N(0, σ²) with σ set by the fan-in n_{l−1} and fan-out n_l; b⁽ˡ⁾ = 0."""
from __future__ import annotations

import math

from ..base.errors import choice

INITS = {
    "normal": lambda n_in, n_out: n_in ** -0.5,  # the book's: σ = n_in^(−½)
    "xavier": lambda n_in, n_out: math.sqrt(2 / (n_in + n_out)),  # Glorot & Bengio (2010)
    "he": lambda n_in, n_out: math.sqrt(2 / n_in),  # He et al. (2015), for ReLU layers
}


def init_std(name: str, n_in: int, n_out: int) -> float:
    """The standard deviation σ of the initial weights of a layer with n_in inputs and n_out outputs."""
    return choice("init", name, INITS)(n_in, n_out)
