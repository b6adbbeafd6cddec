"""The study's PREVIOUS executor, kept only as the benchmark's baseline: ``mathdl bench`` times the
study on it and on the Dask engine (``mathdl.study.executor``) side by side (``mathdl study --executor
previous-pool``, a hidden option). Not used otherwise.

A ``multiprocessing.Pool`` (forkserver) of ``jobs`` processes, fed in the order of
``study.executor.schedule`` (the longest first, runs on one task together); a worker reuses its task data
(``study.worker.worker_task``) and runs a reverse-part network backwards after training it; progress comes
back through a manager queue. Ctrl-C ends the workers with SIGTERM, which each holds back until its next
safe point and keeps a checkpoint there.
"""
from __future__ import annotations

import multiprocessing
import os
import signal
import time
from pathlib import Path

from ..base.errors import MathdlError
from ..base.interrupt import stop_like_ctrl_c


def _train_one(spec: dict, data, fingerprint: str, queue, command: str | None) -> dict:
    """Worker: train the run ``spec`` (``study.executor.Run.spec()``) into its directory, continuing its
    checkpoint; progress goes to ``queue``; then run a reverse-part network backwards."""
    from threadpoolctl import threadpool_limits

    from ..runs.experiment import Config, run
    from ..study.runner import run_backwards
    from ..study.worker import release_memory, worker_task

    signal.signal(signal.SIGTERM, stop_like_ctrl_c)
    try:
        with threadpool_limits(limits=int(os.environ.get("MATHDL_WORKER_THREADS", "1"))):
            config = Config.from_dict(spec["config"])
            task, mnist = worker_task(config, data, fingerprint)
            sink = lambda n, fields: queue.put((spec["key"], n, fields))  # noqa: E731
            run(config, mnist, task=task, out=spec["run_dir"], progress=sink, command=command, resume=True)
            if spec["backwards"] is not None:
                run_backwards(Path(spec["run_dir"]).parent, config, task, **spec["backwards"])
    except KeyboardInterrupt:
        raise SystemExit(130) from None  # a process's exit code, without a traceback
    except MathdlError as e:
        return {"key": spec["key"], "status": "error", "message": str(e)}
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)  # an idle worker, ended by the pool, ends quietly
    release_memory()
    return {"key": spec["key"], "status": "done"}


class PoolExecutor:
    """The previous executor, with the Dask executor's interface (a context manager with ``train``)."""

    name = "previous-pool"

    def __init__(self, jobs: int):
        self.jobs = jobs

    def __enter__(self) -> PoolExecutor:
        return self

    def __exit__(self, *exc) -> None:
        pass

    def describe(self) -> str:
        return f"the previous executor (a multiprocessing pool of {self.jobs} processes)"

    def check_shared(self, folder) -> None:
        pass

    def train(self, runs, *, mnist, data, display, command) -> None:
        from ..study.executor import schedule

        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
        manager = context.Manager()
        queue = manager.Queue()
        seen: dict[str, int] = {}
        try:
            # Leaving the Pool's block terminates its workers (SIGTERM), so Ctrl-C stops everything at once.
            # The workers ignore SIGINT from their first moment: this process alone answers it.
            with context.Pool(self.jobs, initializer=signal.signal, initargs=(signal.SIGINT, signal.SIG_IGN)) as pool:
                pending = {run.key: pool.apply_async(_train_one, (run.spec(), data, mnist.fingerprint, queue, command))
                           for run in schedule(runs)}
                while pending:
                    time.sleep(0.2)
                    while not queue.empty():
                        key, n, fields = queue.get()
                        seen[key] = seen.get(key, 0) + n
                        display.advance(key, seen[key], fields)
                    for key in [k for k, result in pending.items() if result.ready()]:
                        outcome = pending.pop(key).get()  # re-raises a worker's exception here
                        if outcome["status"] == "error":
                            raise MathdlError(outcome["message"])
                        display.finished(key)
        finally:
            manager.shutdown()
