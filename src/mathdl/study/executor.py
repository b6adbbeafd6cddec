"""The study's executor: Dask distributed.

By default a ``LocalCluster`` of worker processes with one thread each, as many as ``workers`` (the
cores), listening on 127.0.0.1 only, started and closed by the study; or an existing cluster by its
scheduler's address (``tcp://HOST:PORT``). Each run is one Dask task (``worker.train_run``):

- the longest first, runs on the same task data together (``schedule``), handed to Dask as one graph in
  that order (its priority); the cluster's scheduler queues them and gives a worker the next one when it
  is free;
- a worker keeps the task data it prepared for the next run on the same data (``worker.worker_task``);
- a reverse-part network is run backwards in the task that trained it, so on the same worker;
- a lost worker's run is given to another worker by Dask and continues from the run's last checkpoint
  (after every epoch, in the run directory), up to ``ALLOWED_FAILURES`` times (Dask's
  ``distributed.scheduler.allowed-failures``: set so on the local cluster; an existing cluster's scheduler has
  its own, 3 by default); a run that raised is retried ``RETRIES`` times;
- the progress display says when a worker is lost (and which run it was training), when one joins, and when
  the cluster has no worker left to run on;
- a study the cluster cannot finish (its scheduler stopped answering; a run whose workers died more than
  ``ALLOWED_FAILURES`` times) is a ``StudyStopped``: the runs finished and the checkpoints are kept, and
  ``--resume`` continues;
- Ctrl-C: every running run stops at its next safe point and keeps a checkpoint, none starts any more.

Workers on other machines must see the study directory at the same path (a shared file system: they
write the run directories and checkpoints there, and a retried run needs its checkpoint); MNIST they
find on their own machine, else they take the client's copy (published on the cluster), each
checked by its fingerprint.
"""
from __future__ import annotations

import contextlib
import logging
import os
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

from ..base.errors import MathdlError
from ..runs.experiment import Config

RETRIES = 2
ALLOWED_FAILURES = 3  # a run is given out again after this many lost workers, and then the study stops
STOP_WAIT = 60.0  # seconds the runs get to reach a safe point and keep their checkpoints
CONNECT_TIMEOUT = 10.0
# A local worker's event loop wakes rarely: each wake-up takes the GIL from the run (the compiled loops hold
# it), and with every core busy the run then waits for the loop's thread to be scheduled. Dask's defaults
# (a tick every 20 ms, a system monitor every 500 ms, the profiler sampling every thread's stack every
# 10 ms) made the full study 5.7% slower than in plain processes; these, 0.7% (benchmarks/notes.md).
QUIET_WORKERS = {"distributed.worker.profile.enabled": False, "distributed.admin.tick.interval": "1s",
                 "distributed.admin.system-monitor.interval": "5s"}


class StudyStopped(MathdlError):
    """The cluster could not go on with the study (its scheduler stopped answering, or the workers running one
    run died again and again); what is finished, and every checkpoint, is kept for ``--resume``."""


@dataclass(frozen=True)
class Run:
    """One training run of a study: ``total`` (epochs × training images) measures its progress, ``work`` its
    expected time (``estimated_work``); ``backwards``: the keywords of ``run_backwards`` for a reverse-part
    network."""

    key: str
    name: str
    config: Config
    run_dir: Path
    study_dir: Path
    total: int
    work: float
    backwards: dict | None = None

    def spec(self) -> dict:
        return {"key": self.key, "config": self.config.to_dict(), "run_dir": str(self.run_dir),
                "study_dir": str(self.study_dir), "backwards": self.backwards}


def schedule(runs: list[Run]) -> list[Run]:
    """The order to train in: the longest first, so that the last to finish are short ones and no worker
    waits long for another; but runs on the same task data together, so that a worker reuses it: the
    tasks by their total work, the longest first within each."""
    from ..runs.experiment import task_options

    groups: dict[tuple, list[Run]] = {}
    for run in runs:
        groups.setdefault(task_options(run.config), []).append(run)
    ranked = sorted(groups.values(), key=lambda group: -sum(run.work for run in group))
    return [run for group in ranked for run in sorted(group, key=lambda run: -run.work)]


def local_workers() -> int:
    """The cores this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


class DaskExecutor:
    """The cluster the study runs on; a context manager (connects or starts on entry, closes on exit).
    ``scheduler``: an existing cluster's address (else a LocalCluster of ``workers`` processes)."""

    name = "dask"

    def __init__(self, scheduler: str | None = None, workers: int | None = None):
        self.scheduler, self.workers = scheduler, workers or local_workers()
        self.client = self.cluster = None
        self._stack = contextlib.ExitStack()

    def __enter__(self) -> DaskExecutor:
        import dask

        self._stack.enter_context(_quiet_logs())
        if self.scheduler is None:
            from distributed import Client, LocalCluster, fire_and_forget

            from .worker import IgnoreInterrupt, warm_up

            # A free worker takes the next run (saturation 1.0). The workers' environment without Dask's
            # MALLOC_TRIM_THRESHOLD_: setting it turns off glibc's dynamic mmap threshold, so every large
            # temporary array is mapped and faulted in afresh (training 5-10% slower, measured); a worker
            # returns its memory itself between runs (worker.release_memory).
            environ = {k: v for k, v in dask.config.get("distributed.nanny.pre-spawn-environ").items()
                       if k != "MALLOC_TRIM_THRESHOLD_"}
            self._stack.enter_context(dask.config.set({  # while the cluster lives: its workers start later
                "distributed.scheduler.worker-saturation": 1.0, "distributed.nanny.pre-spawn-environ": environ,
                "distributed.scheduler.allowed-failures": ALLOWED_FAILURES, **QUIET_WORKERS}))
            self.cluster = self._stack.enter_context(LocalCluster(
                n_workers=0, threads_per_worker=1, processes=True, host="127.0.0.1",
                dashboard_address="127.0.0.1:0", memory_limit=0, silence_logs=logging.CRITICAL))  # its HTTP port
            self.client = self._stack.enter_context(Client(self.cluster))
            self.client.register_plugin(IgnoreInterrupt())
            self.cluster.scale(self.workers)  # they start, and import what a run needs, while this process goes on
            fire_and_forget([self.client.submit(warm_up, key=f"mathdl-warm-up-{i}", pure=False)
                             for i in range(self.workers)])
        else:
            self.client = self._stack.enter_context(connect(self.scheduler))
        return self

    def __exit__(self, *exc) -> None:
        self._stack.close()

    def describe(self) -> str:
        if self.cluster is not None:
            return f"a local Dask cluster of {self.workers} worker processes"
        n = len(self.client.scheduler_info()["workers"])
        return f"the Dask cluster at {self.scheduler} ({n} worker{'s' if n != 1 else ''} now)"

    def check_shared(self, folder: Path) -> None:
        """Every worker of an existing cluster must see ``folder`` (where the study directory goes) at the same
        path: a one-line error if one does not. Checked with a temporary file, removed again."""
        if self.cluster is not None:
            return
        from .worker import sees

        folder = next(p for p in [folder, *folder.parents] if p.is_dir())
        token = uuid.uuid4().hex
        try:
            with tempfile.NamedTemporaryFile("w", dir=folder, prefix=".mathdl-probe-") as probe:
                probe.write(token)
                probe.flush()
                answers = self.client.run(sees, probe.name, token, on_error="return")
        except OSError as e:
            raise MathdlError(f"cannot write in {folder}: {e.strerror or e}") from None
        blind = sorted(worker for worker, seen in answers.items() if seen is not True)
        if not answers:
            raise MathdlError(f"the Dask cluster at {self.scheduler} has no workers")
        if blind:
            raise MathdlError(f"the Dask worker{'s' if len(blind) > 1 else ''} {', '.join(blind)} cannot see "
                              f"{folder}: the study directory must be on a file system that every worker mounts at "
                              "the same path")

    def train(self, runs: list[Run], *, mnist, data: str | None, display, command: str | None) -> None:
        """Train ``runs`` on the cluster; ``display`` (a ``StudyProgress``) shows their progress and the cluster's
        workers coming and going. A run that fails is a ``MathdlError`` here, after the other runs stopped at a
        safe point; a cluster that cannot go on is a ``StudyStopped``."""
        from distributed import as_completed

        from .worker import PROGRESS_TOPIC, forget, train_run

        client, token = self.client, uuid.uuid4().hex[:12]
        dataset = None
        if self.cluster is None:  # workers elsewhere may lack this MNIST: they can take the client's copy
            dataset = f"mathdl-mnist-{token}"
            client.publish_dataset(client.scatter(mnist, hash=False), name=dataset)
        order = schedule(runs)
        by_key = {run.key: run for run in order}
        keys = [f"mathdl-run-{token}-{rank}" for rank in range(len(order))]  # Dask's keys of the runs
        watch = _Watch(display, self.place(), {key: run.name for key, run in zip(keys, order)})
        client.subscribe_topic(PROGRESS_TOPIC, lambda event: watch.progress(event, by_key))
        client.subscribe_topic("all", watch.cluster)  # the scheduler's events: workers added and removed
        watch.workers |= set(client.scheduler_info()["workers"])  # and those there before
        futures = []
        try:
            # One graph, so that its order is the runs' priority and the scheduler holds them back (a group
            # larger than twice the threads is queued) until a worker is free; submitted one by one, the
            # first few would be dealt out to the workers at once, whatever their length.
            futures = client.map(train_run, [run.spec() for run in order], key=keys, token=token, data=data,
                                 fingerprint=mnist.fingerprint, dataset=dataset, command=command, retries=RETRIES,
                                 pure=False)
            for future in as_completed(futures):
                outcome = self._outcome(future, watch)
                if outcome["status"] == "error":
                    raise MathdlError(f"{by_key[outcome['key']].name}: {outcome['message']}")
                if outcome["status"] == "interrupted":  # stopped by another process (an executor's stop)
                    raise KeyboardInterrupt
                display.finished(outcome["key"])
        except BaseException:
            if client.status == "running":
                self._stop(token, futures)
            raise
        finally:
            with contextlib.suppress(Exception):
                client.unsubscribe_topic(PROGRESS_TOPIC)
                client.unsubscribe_topic("all")
            if client.status == "running":
                with contextlib.suppress(Exception):
                    client.run(forget, token, on_error="ignore")
                    if dataset is not None:
                        client.unpublish_dataset(dataset)

    def place(self) -> str:
        """Where the study runs, for messages: 'the local Dask cluster' or 'the scheduler at tcp://…'."""
        return "the local Dask cluster" if self.cluster is not None else f"the scheduler at {self.scheduler}"

    def _outcome(self, future, watch) -> dict:
        """The outcome of a finished run's future; a ``StudyStopped`` when the cluster could not run it."""
        from distributed import KilledWorker

        try:
            return future.result()
        except KilledWorker as e:
            run, allowed = watch.names.get(future.key, future.key), getattr(e, "allowed_failures", ALLOWED_FAILURES)
            raise StudyStopped(f"{run}: the workers running it died {allowed + 1} times (the scheduler gives a run "
                               f"out again {allowed} time{'s' * (allowed != 1)}; out of memory?)") from None
        except Exception:
            if future.status == "cancelled" or self.client.status != "running":  # no one cancels them but us
                raise StudyStopped(f"{self.place()} stopped answering") from None
            raise

    def _stop(self, token: str, futures) -> None:
        """Every run stops at its next safe point, keeping its checkpoint; those not started do not start."""
        from distributed import wait

        from .worker import request_stop

        with contextlib.suppress(Exception):
            self.client.run(request_stop, token, on_error="ignore")
            wait(futures, timeout=STOP_WAIT)
        with contextlib.suppress(Exception):
            self.client.cancel([f for f in futures if not f.done()])


class _Watch:
    """What the study's display hears from the cluster, as it comes (called in the client's event-loop thread):
    the runs' progress, and workers lost and joining; with none left, that the study waits for one."""

    def __init__(self, display, place: str, names: dict[str, str]):
        self.display, self.place, self.names = display, place, names
        self.workers: set[str] = set()
        self.waiting = False

    def progress(self, event, by_key: dict) -> None:
        _, (key, done, fields, _) = event
        if key in by_key:
            self.display.advance(key, done, fields)

    def cluster(self, event) -> None:
        """A scheduler event: a worker added or removed."""
        _, message = event
        action, worker = (message.get("action"), message.get("worker")) if isinstance(message, dict) else (None, None)
        if action == "add-worker":
            self.workers.add(worker)
            if self.waiting:
                self.waiting = False
                self.display.say(f"worker {worker} joined {self.place}: the study goes on")
        elif action == "remove-worker":
            self.workers.discard(worker)
            runs = [self.names[key] for key in message.get("processing-tasks", ()) if key in self.names]
            if not message.get("expected"):  # its runs: the one it trained and those queued on it
                self.display.say(f"worker {worker} lost" + (
                    f"; its run {runs[0]} is given to a worker again and goes on from its last checkpoint"
                    if len(runs) == 1 else f"; its runs {', '.join(runs)} are given to a worker again and go on from "
                    "their last checkpoints" if runs else ""))
            if not self.workers:
                self.waiting = True
                self.display.say(f"no worker left in {self.place}: the study waits for one" + (
                    " (start one with: dask worker SCHEDULER_ADDRESS)" if "scheduler" in self.place else
                    " (its nanny starts a new one)"))


def connect(address: str):
    """A client of the Dask cluster at ``address``, or a one-line error if nothing answers there."""
    import socket

    from distributed import Client
    from distributed.comm import parse_address, parse_host_port

    try:
        protocol, location = parse_address(address)
        host, port = parse_host_port(location)
    except (ValueError, TypeError) as e:
        raise MathdlError(f"--scheduler {address!r} is not a scheduler address like tcp://HOST:PORT ({e})") from None
    if protocol == "tcp":  # a refused connection is known at once; Dask would retry until its timeout
        try:
            socket.create_connection((host, port), timeout=CONNECT_TIMEOUT).close()
        except OSError as e:
            raise MathdlError(f"no Dask scheduler answers at {address} ({e.strerror or e})") from None
    try:
        return Client(address, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError, ValueError, TypeError) as e:
        reason = str(e).splitlines()[0] if str(e) else f"no answer within {CONNECT_TIMEOUT:g} s"
        raise MathdlError(f"no Dask scheduler answers at {address} ({reason})") from None


@contextlib.contextmanager
def _quiet_logs():
    """Dask's own log lines (a lost worker, a restart, a lost scheduler) stay out of the study's display: the study
    says what matters itself. Dask's configuration gives some of its loggers levels of their own
    (``distributed.client``…), so each is quieted, not only the parents."""
    import distributed  # noqa: F401 - its loggers exist once it is imported

    names = [name for name in logging.root.manager.loggerDict
             if name.split(".")[0] in ("distributed", "tornado", "bokeh")]
    loggers = [logging.getLogger(name) for name in {"distributed", "tornado", *names}]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)
