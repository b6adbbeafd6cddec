"""The checkpoint: where training stands at a safe point, and its file.

``Checkpoint`` is what ``train`` hands out after every epoch and at an interruption; ``save_checkpoint``
writes it with the network and the optimiser's buffers as one .npz (no pickle), so that its parts
always belong together, and ``load_checkpoint`` reads it back for ``train(..., resume=…)``.
"""
from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass, field, fields
from pathlib import Path

import numpy as np

from ..base.errors import MathdlError
from ..base.files import json_default, npz_header, open_npz, write_npz
from ..nn.model_file import load_model, model_arrays
from ..nn.network import Network


@dataclass
class Checkpoint:
    """Where training stands at a safe point: with the network's weights, all it takes to go on exactly.

    ``epochs_done`` whole epochs and the first ``samples_done`` samples of the next epoch (in its shuffled
    order) are trained. ``rng`` holds the states of the shuffle and augment generators as they were at
    the start of that next epoch, so continuing draws the same order and the same shifts again and skips
    the samples done. ``cost_sum`` (Σ C_x so far) and ``epoch_seconds`` belong to that unfinished epoch;
    ``optimizer`` is the optimiser's ``state()`` (momentum's v, Adam's m, v, t); ``history`` the rows of
    the finished epochs, ``warnings`` theirs; ``grad_norms`` and ``grad_reported`` the gradient monitor's
    memory; ``settings`` the training settings, which a resumed run must share.
    """

    settings: dict
    samples_per_epoch: int
    epochs_done: int = 0
    samples_done: int = 0
    cost_sum: float = 0.0
    epoch_seconds: float = 0.0
    seconds: float = 0.0
    rng: dict = field(default_factory=dict)
    optimizer: dict = field(default_factory=dict)
    history: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    grad_norms: list[float] = field(default_factory=list)
    grad_reported: bool = False

    def describe(self) -> str:
        """What is kept, in words: '3 of 10 epochs and 4,096 of the 60,000 samples of epoch 4'."""
        total = self.settings["epochs"]
        epochs = f"{self.epochs_done} of {total} epochs"
        if not self.samples_done:
            return epochs
        return (f"{epochs} and {self.samples_done:,} of the {self.samples_per_epoch:,} samples of epoch "
                f"{self.epochs_done + 1}")


CHECKPOINT = "checkpoint.npz"


CHECKPOINT_FORMAT = "mathdl-checkpoint"


CHECKPOINT_VERSION = 1


def save_checkpoint(path, net: Network, checkpoint: Checkpoint, run: dict) -> None:
    """One file, so that its parts always belong together: the network as in ``save_model`` (so
    ``load_model`` reads it too), the optimiser's buffers as ``optimizer.{name}.{i}`` arrays, and a JSON
    ``checkpoint`` entry with the rest of the ``Checkpoint`` (epochs and samples done, the generators'
    states — PCG64's big integers are exact in JSON — the history so far) and ``run``: what the caller
    needs to check and finish the run (its configuration, the data's fingerprint)."""
    arrays = model_arrays(net)
    training = {f.name: getattr(checkpoint, f.name) for f in fields(checkpoint) if f.name != "optimizer"}
    training["optimizer"] = {}
    for key, value in checkpoint.optimizer.items():
        if isinstance(value, list):
            arrays.update({f"optimizer.{key}.{i}": a for i, a in enumerate(value)})
            value = {"arrays": len(value)}
        training["optimizer"][key] = value
    state = {"format": CHECKPOINT_FORMAT, "version": CHECKPOINT_VERSION, "run": run, "training": training}
    arrays["checkpoint"] = np.array(json.dumps(state, default=json_default))  # allows inf (‖∇C‖ may overflow)
    write_npz(path, arrays)


def read_checkpoint(path) -> tuple[Checkpoint, dict]:
    """The ``Checkpoint`` (its optimiser buffers not read: ``{name: {"arrays": count}}``) and the ``run``
    dict of a checkpoint file; quick, for checks and messages."""
    from .checkpoint import Checkpoint  # here: mathdl.train imports the data modules, which import this one
    path = Path(path)
    try:
        with open_npz(path) as npz:
            state = npz_header(npz, "checkpoint", CHECKPOINT_FORMAT, CHECKPOINT_VERSION, path, "checkpoint format")
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
