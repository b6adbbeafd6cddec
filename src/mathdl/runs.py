"""The run directory, the exchange format of mathdl, written atomically and loaded back.

    RUN_DIR/
      config.json    everything that produced the run (command-line options, data source, versions)
      metrics.json   {"test": {"accuracy", "confusion_matrix", "sensitivity", "specificity", …}, …}
      history.csv    one row per epoch: cost and accuracy on train, validation and test
      model.npz      W1…WL, b1…bL and a JSON "meta" entry; loads with allow_pickle=False
      checkpoint.npz only while the run is unfinished: where training stands (see ``save_checkpoint``)

Every file is written to a temporary name beside it and renamed into place, so a file that exists
is complete: an interrupted run never leaves half a file that loads.
"""
from __future__ import annotations

import csv
import io
import json
import os
import tempfile
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .errors import MathdlError
from .nn.activations import get_activation
from .nn.network import Network

if TYPE_CHECKING:
    from .train import Checkpoint

MODEL_FORMAT = "mathdl-model"
MODEL_VERSION = 1
CHECKPOINT = "checkpoint.npz"
CHECKPOINT_FORMAT = "mathdl-checkpoint"
CHECKPOINT_VERSION = 1


def _file_mode() -> int:
    """The permissions a new file gets under the current umask (mkstemp's own are 0600)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


FILE_MODE = _file_mode()


@contextmanager
def atomic_path(path, *, suffix: str = ".tmp"):
    """A temporary path beside ``path`` to write to; renamed onto ``path`` only if the block succeeds.

    ``suffix`` ends the temporary name (e.g. ".gif" for writers that pick the format by extension).
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


@contextmanager
def open_npz(path):
    """An .npz archive loaded with allow_pickle=False; the file is closed even when it is not valid."""
    with open(path, "rb") as fh:
        npz = np.load(fh, allow_pickle=False)
        if not isinstance(npz, np.lib.npyio.NpzFile):
            raise ValueError("not an .npz archive")
        with npz:
            yield npz


def write_bytes(path, data: bytes) -> None:
    with atomic_path(path) as tmp:
        Path(tmp).write_bytes(data)


def write_text(path, text: str) -> None:
    write_bytes(path, text.encode("utf-8"))


def write_json(path, obj) -> None:
    write_text(path, json.dumps(obj, indent=2, allow_nan=False, default=_json_default) + "\n")


def _json_default(obj):
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def write_csv(path, rows: list[dict]) -> None:
    """Rows of a table as CSV with a header (every key of the rows, in order of appearance; a row without
    a key has an empty cell there)."""
    buffer = io.StringIO()
    if rows:
        writer = csv.DictWriter(buffer, fieldnames=list({key: None for row in rows for key in row}),
                                lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    write_text(path, buffer.getvalue())


def read_csv_rows(path) -> list[dict]:
    """The rows of a CSV written by ``write_csv``, numbers converted back to float."""
    with open(path, newline="") as fh:
        return [{k: _number(v) for k, v in row.items()} for row in csv.DictReader(fh)]


def _number(value: str):
    try:
        return float(value)
    except ValueError:
        return value


def save_model(path, net: Network) -> None:
    """W⁽ˡ⁾ as ``W{l}``, b⁽ˡ⁾ as ``b{l}``, and a JSON ``meta`` entry (format, version, sizes, activations)."""
    write_npz(path, _model_arrays(net))


def _model_arrays(net: Network) -> dict:
    meta = {"format": MODEL_FORMAT, "version": MODEL_VERSION, "sizes": net.sizes,
            "activations": net.activations, "bias": net.bias, "dtype": str(net.dtype)}
    arrays = {"meta": np.array(json.dumps(meta))}
    for l in range(1, net.L + 1):
        arrays[f"W{l}"] = net.W[l]
        if net.bias:
            arrays[f"b{l}"] = net.b[l]
    return arrays


def write_npz(path, arrays: dict) -> None:
    """Arrays as an uncompressed .npz, atomically (loads with allow_pickle=False: no object arrays)."""
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            np.savez(fh, **arrays)


def load_model(path) -> Network:
    """The network saved by ``save_model``; no code is executed (allow_pickle=False)."""
    path = Path(path)
    try:
        with open_npz(path) as npz:
            meta = json.loads(str(npz["meta"]))
            if not isinstance(meta, dict) or meta.get("format") != MODEL_FORMAT:
                raise MathdlError(f"{path}: not a mathdl model file")
            if meta.get("version") != MODEL_VERSION:
                raise MathdlError(f"{path}: model format version {meta.get('version')} is not supported "
                                  f"(this mathdl reads version {MODEL_VERSION})")
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


def save_checkpoint(path, net: Network, checkpoint: Checkpoint, run: dict) -> None:
    """One file, so that its parts always belong together: the network as in ``save_model`` (so
    ``load_model`` reads it too), the optimiser's buffers as ``optimizer.{name}.{i}`` arrays, and a JSON
    ``checkpoint`` entry with the rest of the ``Checkpoint`` (epochs and samples done, the generators'
    states — PCG64's big integers are exact in JSON — the history so far) and ``run``: what the caller
    needs to check and finish the run (its configuration, the data's fingerprint)."""
    arrays = _model_arrays(net)
    training = {f.name: getattr(checkpoint, f.name) for f in fields(checkpoint) if f.name != "optimizer"}
    training["optimizer"] = {}
    for key, value in checkpoint.optimizer.items():
        if isinstance(value, list):
            arrays.update({f"optimizer.{key}.{i}": a for i, a in enumerate(value)})
            value = {"arrays": len(value)}
        training["optimizer"][key] = value
    state = {"format": CHECKPOINT_FORMAT, "version": CHECKPOINT_VERSION, "run": run, "training": training}
    arrays["checkpoint"] = np.array(json.dumps(state, default=_json_default))  # allows inf (‖∇C‖ may overflow)
    write_npz(path, arrays)


def read_checkpoint(path) -> tuple[Checkpoint, dict]:
    """The ``Checkpoint`` (its optimiser buffers not read: ``{name: {"arrays": count}}``) and the ``run``
    dict of a checkpoint file; quick, for checks and messages."""
    from .train import Checkpoint  # here: mathdl.train imports the data modules, which import this one
    path = Path(path)
    try:
        with open_npz(path) as npz:
            state = json.loads(str(npz["checkpoint"]))
        if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
            raise ValueError("no mathdl checkpoint entry")
        if state.get("version") != CHECKPOINT_VERSION:
            raise MathdlError(f"{path}: checkpoint format version {state.get('version')} is not supported "
                              f"(this mathdl reads version {CHECKPOINT_VERSION})")
        return Checkpoint(**state["training"]), dict(state["run"])
    except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile, EOFError) as e:
        raise MathdlError(f"{path}: not a readable checkpoint ({e}); delete it to train from the start") from None


def load_checkpoint(path) -> tuple[Network, Checkpoint, dict]:
    """The network, the ``Checkpoint`` and the ``run`` dict saved by ``save_checkpoint``."""
    checkpoint, run = read_checkpoint(path)
    net = load_model(path)
    try:
        with open_npz(path) as npz:
            checkpoint.optimizer = {
                key: [npz[f"optimizer.{key}.{i}"] for i in range(value["arrays"])] if isinstance(value, dict)
                else value for key, value in checkpoint.optimizer.items()}
    except (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile, EOFError) as e:
        raise MathdlError(f"{path}: not a readable checkpoint ({e}); delete it to train from the start") from None
    return net, checkpoint, run


@dataclass
class Run:
    """A run directory loaded back: its config, metrics, per-epoch history and model."""

    path: Path
    config: dict
    metrics: dict
    history: list[dict]
    net: Network


def make_run_dir(out) -> Path:
    """The run directory ``out``, created if need be."""
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise MathdlError(f"cannot create run directory {out}: {e.strerror or e}") from None
    return out


def write_run(out, *, config: dict, metrics: dict, history: list[dict], net: Network) -> Path:
    """Write a run directory (see the module docstring); returns its path."""
    out = make_run_dir(out)
    try:
        write_json(out / "config.json", config)
        write_json(out / "metrics.json", metrics)
        write_csv(out / "history.csv", history)
        save_model(out / "model.npz", net)
    except OSError as e:
        raise MathdlError(f"cannot write the run directory {out}: {e.strerror or e}") from None
    return out


def load_run(path) -> Run:
    """A run directory written by ``mathdl train --out`` (or by the study)."""
    path = Path(path)
    if not path.is_dir():
        raise MathdlError(f"{path}: not a run directory")
    if (path / CHECKPOINT).is_file():
        raise MathdlError(f"{path}: an unfinished run (its training was interrupted; {CHECKPOINT} holds where "
                          "it stopped); continue it with --resume and the options it was started with")
    missing = [name for name in ("config.json", "metrics.json", "history.csv", "model.npz")
               if not (path / name).is_file()]
    if missing:
        raise MathdlError(f"{path}: incomplete run directory, missing {', '.join(missing)}")
    try:
        config = json.loads((path / "config.json").read_text())
        metrics = json.loads((path / "metrics.json").read_text())
        history = read_csv_rows(path / "history.csv")
    except (OSError, ValueError, csv.Error) as e:  # ValueError: bad JSON, bytes that are not UTF-8
        raise MathdlError(f"{path}: unreadable run files ({e})") from None
    return Run(path, config, metrics, history, load_model(path / "model.npz"))
