"""The model file: W⁽ˡ⁾ as ``W{l}``, b⁽ˡ⁾ as ``b{l}`` and a JSON ``meta`` entry (format, version, sizes,
activations) in an uncompressed .npz, written atomically; it loads with ``allow_pickle=False``, so
reading a model never executes code.
"""
from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np

from ..base.errors import MathdlError
from ..base.files import npz_header, open_npz, write_npz
from .activations import get_activation
from .network import Network

MODEL_FORMAT = "mathdl-model"


MODEL_VERSION = 1


def save_model(path, net: Network) -> None:
    """W⁽ˡ⁾ as ``W{l}``, b⁽ˡ⁾ as ``b{l}``, and a JSON ``meta`` entry (format, version, sizes, activations)."""
    write_npz(path, model_arrays(net))


def model_arrays(net: Network) -> dict:
    meta = {"format": MODEL_FORMAT, "version": MODEL_VERSION, "sizes": net.sizes,
            "activations": net.activations, "bias": net.bias, "dtype": str(net.dtype)}
    arrays = {"meta": np.array(json.dumps(meta))}
    for l in range(1, net.L + 1):
        arrays[f"W{l}"] = net.W[l]
        if net.bias:
            arrays[f"b{l}"] = net.b[l]
    return arrays


def load_model(path) -> Network:
    """The network saved by ``save_model``; no code is executed (allow_pickle=False)."""
    path = Path(path)
    try:
        with open_npz(path) as npz:
            meta = npz_header(npz, "meta", MODEL_FORMAT, MODEL_VERSION, path, "model format")
            sizes, activations = meta["sizes"], meta["activations"]
            if not (isinstance(sizes, list) and len(sizes) >= 2 and all(isinstance(n, int) and n > 0 for n in sizes)
                    and isinstance(activations, list) and len(activations) == len(sizes) - 1):
                raise ValueError(f"malformed sizes {sizes!r} or activations {activations!r}")
            L = len(sizes) - 1
            W = [None] + [npz[f"W{l}"] for l in range(1, L + 1)]
            b = [None] + [npz[f"b{l}"] if meta["bias"] else None for l in range(1, L + 1)]
            f = [None] + [get_activation(name) for name in activations]
    except FileNotFoundError:
        raise MathdlError(f"{path}: no such model file") from None
    except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile, EOFError) as e:
        raise MathdlError(f"{path}: not a readable model file ({e})") from None
    for l in range(1, L + 1):
        if np.shape(W[l]) != (sizes[l], sizes[l - 1]) or (b[l] is not None and np.shape(b[l]) != (sizes[l], 1)):
            raise MathdlError(f"{path}: layer {l} has shape {np.shape(W[l])}, expected {(sizes[l], sizes[l - 1])}")
        for name, p in ((f"W{l}", W[l]), (f"b{l}", b[l])):
            if p is not None and not (isinstance(p, np.ndarray) and p.dtype in (np.float32, np.float64)
                                      and np.isfinite(p).all()):
                raise MathdlError(f"{path}: {name} must hold finite float32/float64 numbers ({p.dtype})")
    return Network(W, b, f)
