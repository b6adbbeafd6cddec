"""Randomness is explicit: one seed, an independent generator per purpose.

Changing how one stream is used (say, a different subset size) never shifts another (the initial
weights), so a figure can be reproduced from its seed alone.
"""
from __future__ import annotations

import numpy as np

STREAMS = ("train_subset", "test_subset", "val_split", "init", "shuffle", "dots", "reverse", "augment", "judge")


def rng(seed: int, stream: str) -> np.random.Generator:
    """The generator of ``stream`` for ``seed``: SeedSequence(seed) spawned at the stream's index."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(STREAMS.index(stream),)))
