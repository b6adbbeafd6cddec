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
import json
from dataclasses import dataclass
from pathlib import Path

from ..base.errors import MathdlError
from ..base.files import make_directory, read_csv_rows, write_csv, write_json
from ..nn.model_file import load_model, save_model
from ..nn.network import Network
from ..training.checkpoint import CHECKPOINT


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
    return make_directory(out, "run directory")


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


MODEL_FILES = ("config.json", "model.npz")  # what makes a directory a run directory (finished or not)
SEARCH_DEPTH = 3  # run directories are looked for this many levels below a given directory
SKIPPED = {"sizes"}  # a study's size-curve runs: the same network as configuration 4 on fewer images


def is_run(path: Path) -> bool:
    return all((path / name).is_file() for name in MODEL_FILES)


def runs_under(root: Path) -> list[Path]:
    """The run directories below ``root`` (up to ``SEARCH_DEPTH`` levels, not in ``SKIPPED``), sorted: a study
    directory's eight configurations and its reverse part's networks."""
    found, level = [], [root]
    for _ in range(SEARCH_DEPTH):
        level = sorted(d for parent in level for d in parent.iterdir()
                       if d.is_dir() and not d.is_symlink() and d.name not in SKIPPED and not d.name.startswith("."))
        found += [d for d in level if is_run(d)]
        level = [d for d in level if not is_run(d)]
    return sorted(found)


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
    if len(missing) == 4 and (inside := runs_under(path)):  # a study directory, or a folder of runs
        kind = "a study directory" if (path / "summary.json").is_file() else "a folder of run directories"
        names = [str(run.relative_to(path)) for run in inside]
        example = next((n for n in names if n.startswith("reverse/")), names[0])
        raise MathdlError(f"{path}: {kind}, not a run directory; give one of its {len(names)} runs: "
                          f"{', '.join(names)} (e.g. {path / example})")
    if missing:
        raise MathdlError(f"{path}: incomplete run directory, missing {', '.join(missing)}")
    try:
        config = json.loads((path / "config.json").read_text())
        metrics = json.loads((path / "metrics.json").read_text())
        history = read_csv_rows(path / "history.csv")
    except (OSError, ValueError, csv.Error) as e:  # ValueError: bad JSON, bytes that are not UTF-8
        raise MathdlError(f"{path}: unreadable run files ({e})") from None
    return Run(path, config, metrics, history, load_model(path / "model.npz"))
