"""The reverse part's references kept between runs: the training images' moments, the Gaussian prior's
eigen-decomposition and the judge's assessment depend on the images alone, not on a network, so the study's
networks trained on the same images (and every later run on them) share one computation. A file per key in
the data cache's ``reverse/`` folder (an .npz without pickle, written atomically); a cache that cannot be
read or written is recomputed or skipped: it only costs time.
"""
from __future__ import annotations

import hashlib
import json
import zipfile

import numpy as np

from ..base.files import open_npz, write_npz
from ..data.mnist import cache_dir
from .moments import Moments
from .prior import GaussianPrior

VERSION = 1  # of the cached files' content: a change of what is computed changes it
MOMENTS = ("means", "counts", "mu", "second")


def digest(parts) -> str:
    """SHA-256 of ``parts``: arrays by their dtype, shape and bytes (``Pixels`` by their 0-255 bytes and their
    affine scale), anything else by its repr."""
    h = hashlib.sha256(f"mathdl-reverse-{VERSION}".encode())
    for part in parts:
        images = getattr(part, "images", None)
        if images is not None and hasattr(part, "affine"):
            h.update(repr(("pixels", images.shape, part.affine())).encode())
            part = images
        if isinstance(part, np.ndarray):
            part = np.ascontiguousarray(part)
            h.update(repr((part.dtype.str, part.shape)).encode())
            h.update(memoryview(part).cast("B"))
        else:
            h.update(repr(part).encode())
    return h.hexdigest()


def cached(key, compute):
    """``compute()`` → (Moments, GaussianPrior | None, assessment dict | None), or the cached result of the
    same ``key`` (a tuple of arrays and values, see ``digest``)."""
    path = cache_dir() / "reverse" / f"{digest(key)[:32]}.npz"
    try:
        with open_npz(path) as npz:
            meta = json.loads(str(npz["meta"]))
            if meta["version"] == VERSION:
                found = Moments(*(npz[k] for k in MOMENTS), meta["lo"], meta["hi"])
                prior = (GaussianPrior(found.mu, npz["U"], npz["d"], meta["epsilon"], meta["lo"], meta["hi"])
                         if meta["epsilon"] is not None else None)
                return found, prior, meta["assessment"]
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError):
        pass
    found, prior, assessment = compute()
    meta = {"version": VERSION, "lo": found.lo, "hi": found.hi, "assessment": assessment,
            "epsilon": None if prior is None else prior.epsilon}
    arrays = {k: getattr(found, k) for k in MOMENTS} | ({"U": prior.U, "d": prior.d} if prior is not None else {})
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_npz(path, {"meta": np.array(json.dumps(meta)), **arrays})
    except OSError:
        pass
    return found, prior, assessment
