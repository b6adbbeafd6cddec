"""Running the study: every configuration trained in worker processes, the longest first, those on one
task together so that a worker reuses it; the reverse part's networks run backwards by the worker
that trained them. A finished configuration is on disk at once, and one in training keeps a
checkpoint after every epoch and where it is interrupted, so an interrupted study keeps both and
``resume`` goes on from there.
"""
from __future__ import annotations

import ctypes
import dataclasses
import gc
import json
import multiprocessing
import os
import signal
import time
from pathlib import Path

from ..base.errors import MathdlError
from ..base.files import check_directory, write_json
from ..base.interrupt import stop_like_ctrl_c
from ..runs.directory import load_run
from ..runs.experiment import Config, environment
from .protocol import REVERSE_NAMES, STATE_FILE, Study, StudyOptions, _complete
from .summary import summarise


def _train_one(number: int, config: dict, run_dir: str, data, queue, command: str | None,
               backwards: dict | None = None) -> int | None:
    """Worker: train configuration ``number`` into ``run_dir``, continuing its checkpoint if it has one;
    progress goes to ``queue``. With ``backwards`` (the keywords of ``run_backwards``), a reverse-part
    network is then run backwards here too, while the other workers go on training.

    The pool ends its workers with SIGTERM when the study is interrupted: held back during training, it
    stops at the next safe point with a checkpoint of the configuration in ``run_dir``; elsewhere it
    unwinds (so no temporary file is left behind). The worker then exits quietly."""
    from threadpoolctl import threadpool_limits

    from ..runs.experiment import run

    signal.signal(signal.SIGTERM, stop_like_ctrl_c)
    try:
        with threadpool_limits(limits=int(os.environ.get("MATHDL_WORKER_THREADS", "1"))):
            config = Config.from_dict(config)
            task, mnist = _worker_task(config, data)
            sink = (lambda n, fields: queue.put((number, n, fields))) if queue is not None else False
            run(config, mnist, task=task, out=run_dir, progress=sink, command=command, resume=True)
            if backwards is not None:
                run_backwards(Path(run_dir).parent, config, task, **backwards)
    except KeyboardInterrupt:
        raise SystemExit(130) from None  # a process's exit code, without a traceback
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)  # an idle worker, ended by the pool, ends quietly
    _release_memory()
    return number


def _release_memory() -> None:
    """Free the finished run's memory before the next: its reference cycles hold its data (~450 MB), and
    glibc keeps freed heap memory (~50 MB after a run's figures) unless asked to return it."""
    gc.collect()
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to trim
        pass


_last_task: dict = {}  # in a worker: the task it built last, with its options and MNIST without pixels


def _worker_task(config: Config, data):
    """The task of ``config`` on the MNIST at ``data``, and that MNIST without its pixels: the worker's last
    ones when the options are the same (configurations 1-8 share one task, ~440 MB of inputs that take
    about 2 s to make), else new ones, built after the last are freed."""
    from ..data.mnist import load_mnist
    from ..runs.experiment import build_task, task_options

    key = (task_options(config), data)
    if _last_task.get("key") != key:
        _last_task.clear()
        _release_memory()
        mnist = load_mnist(data, progress=False)
        task = build_task(config, mnist)
        _last_task.update(key=key, task=task, mnist=mnist.without_images())  # not 55 MB of pixels kept
    return _last_task["task"], _last_task["mnist"]


def _context():
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


def estimated_work(config: Config, n_train: int, n_test: int) -> float:
    """A configuration's training time in arbitrary units, to schedule the longest first: per epoch, each
    training image passes a network of W weights three times (forward, δ, update) plus about 40,000
    weights' worth of other work per layer (measured), and the check after every epoch (after the last
    only, without ``curves``) runs the test images and up to ``MONITOR`` training images forward:

        epochs · N_train · (3W + 40,000 · L) + checks · (N_test + min(N_train, MONITOR)) · W
    """
    from ..data.mnist import PIXELS
    from ..training.loop import MONITOR

    settings = config.settings()
    sizes = [PIXELS, *config.hidden, 10 if config.task == "digits" else 1]  # outputs as the study's tasks have
    W = sum(a * b for a, b in zip(sizes, sizes[1:]))
    N, L, N_test = config.train_size or n_train, len(sizes) - 1, config.test_size or n_test
    checks = settings.epochs if config.curves else 1
    return settings.epochs * N * (3 * W + 40_000 * L) + checks * (N_test + min(N, MONITOR)) * W


def schedule(jobs_list: list[tuple[int, str, Config, Path]], work: dict[int, float]) -> list:
    """The order to train in: the longest first, so that the last to finish are short ones and neither core
    waits long for the other; but configurations on the same task together, so that a worker reuses it
    (``_worker_task``): the tasks by their total work, the longest first within each."""
    from ..runs.experiment import task_options

    groups: dict[tuple, list] = {}
    for job in jobs_list:
        groups.setdefault(task_options(job[2]), []).append(job)
    ranked = sorted(groups.values(), key=lambda group: -sum(work[job[0]] for job in group))
    return [job for group in ranked for job in sorted(group, key=lambda job: -work[job[0]])]


def train_all(jobs_list: list[tuple[int, str, Config, Path]], *, data, jobs: int, progress: bool,
              command: str | None, totals: dict[int, int], work: dict[int, float],
              backwards: dict[int, dict] | None = None) -> None:
    """Train the listed configurations, ``jobs`` at a time, in the order of ``schedule``, showing one bar per
    configuration (in the listed order); ``backwards[number]``: run that network backwards when trained
    (the keywords of ``run_backwards``)."""
    from rich.progress import (
        BarColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from ..base.console import err

    columns = [TextColumn("{task.description}"), BarColumn(bar_width=24), TextColumn("{task.percentage:>3.0f}%"),
               TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn(), TextColumn("{task.fields[info]}")]
    display = Progress(*columns, console=err, disable=not progress)
    overall = display.add_task(f"study: {len(jobs_list)} configurations", total=sum(totals.values()), info="")
    bars = {number: display.add_task(f"  {name}", total=totals[number], info="waiting")
            for number, name, _, _ in jobs_list}
    finished = 0
    names = {number: name for number, name, _, _ in jobs_list}
    runs = {number: run_dir for number, _, _, run_dir in jobs_list}
    context = _context()
    manager = context.Manager()
    queue = manager.Queue()
    try:
        # Leaving the Pool's block terminates its workers (SIGTERM), so Ctrl-C stops everything at once:
        # a finished configuration is complete on disk, one in training keeps a checkpoint. The workers
        # ignore SIGINT from their first moment: Ctrl-C in a terminal signals the whole process group,
        # and this process alone answers it, by ending them in order.
        with display, context.Pool(jobs, initializer=signal.signal,
                                   initargs=(signal.SIGINT, signal.SIG_IGN)) as pool:
            pending = {number: pool.apply_async(_train_one, (number, config.to_dict(), str(run_dir), data, queue,
                                                             command, (backwards or {}).get(number)))
                       for number, _, config, run_dir in schedule(jobs_list, work)}
            while pending:
                time.sleep(0.2)
                while not queue.empty():
                    number, n, fields = queue.get()
                    info = "  ".join(f"{k} {v}" for k, v in fields.items())
                    display.update(bars[number], advance=n, info=info)
                    display.update(overall, advance=n)
                for number in [n for n, result in pending.items() if result.ready()]:
                    pending.pop(number).get()  # re-raises a worker's exception here
                    finished += 1
                    if progress:
                        display.console.print(f"{finished}/{len(jobs_list)} done: {names[number]}: "
                                              + _outcome(runs[number]))
                    remaining = display.tasks[bars[number]].remaining or 0
                    display.update(bars[number], completed=totals[number], info="done")
                    display.update(overall, advance=remaining,
                                   description=f"study: {finished}/{len(jobs_list)} configurations done")
    finally:
        manager.shutdown()


def _outcome(run_dir: Path) -> str:
    """'test accuracy 98.42% in 224 s' from a finished run directory."""
    metrics = json.loads((Path(run_dir) / "metrics.json").read_text())
    return f"test accuracy {100 * metrics['test']['accuracy']:.2f}% after {metrics['train_seconds']:.0f} s of training"


def run_study(options: StudyOptions, out, *, data=None, jobs: int = 1, resume: bool = False,
              progress: bool = True, command: str | None = None) -> Study:
    """Train (or, resuming, keep) the eight configurations and the size curve, then summarise."""
    from ..base.console import err
    from ..data.mnist import load_mnist

    out = check_directory(out)  # everything checked before anything is written: out, then the data
    state = {"options": options.to_dict(), "command": command}
    if (out / STATE_FILE).exists():
        if not resume:
            raise MathdlError(f"{out} already holds a study; continue it with --resume, or choose another --out")
        saved = json.loads((out / STATE_FILE).read_text())
        if saved.get("options") != json.loads(json.dumps(options.to_dict())):
            raise MathdlError(f"{out} holds a study with other options; resume it with the same options "
                              f"(see {out / STATE_FILE}) or choose another --out")
    elif out.exists() and any(out.iterdir()):
        raise MathdlError(f"{out} exists and is not a study directory; choose another --out")
    start = time.perf_counter()
    mnist = load_mnist(data, progress=progress)  # found and verified here; the workers load it
    if progress:
        err.print(f"study of ID {options.student_id} in {out}/ ({jobs} at a time)")
    try:
        (out / "runs").mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise MathdlError(f"cannot create {out}: {e.strerror or e}") from None
    write_json(out / STATE_FILE, {**state, "environment": environment()})
    n_train, n_test = len(mnist.train_labels), len(mnist.test_labels)
    if any(config.deskew for _, _, config in options.configs() + options.reverse_configs()):
        from ..data.deskew import deskewed
        deskewed(mnist)  # computed once here and cached, so the workers only load it
    del mnist  # the workers load their own: not 55 MB of pixels here beside theirs during training
    planned = [(number, name, config, out / "runs" / name) for number, name, config in options.configs()]
    curve_config, sizes = options.size_curve()
    for n in sizes:
        planned.append((100 + n, f"size-{n}", dataclasses.replace(curve_config, train_size=n, curves=False),
                        out / "sizes" / f"{n}"))
    for number, name, config in options.reverse_configs():
        planned.append((number, f"reverse-{name}", config, out / "reverse" / name / "model"))
    todo = [p for p in planned if not _complete(p[3], p[2])]
    if todo:
        totals = {number: config.settings().epochs * (config.train_size or n_train)
                  for number, _, config, _ in todo}
        train_all(todo, data=data if data is not None else os.environ.get("MATHDL_DATA"), jobs=jobs,
                  progress=progress, command=command, totals=totals,
                  work={number: estimated_work(config, n_train, n_test)
                        for number, _, config, _ in todo},
                  backwards={number: {"seed": options.seed, "student_id": options.student_id}
                             for number, _, _ in options.reverse_configs()})
    reverse_part(out, options, data, progress=progress)
    study = summarise(out, options, seconds=time.perf_counter() - start)
    return study


def reverse_part(out: Path, options: StudyOptions, data=None, *, progress: bool = True) -> None:
    """Run backwards each ten-output network that is not yet (the workers run them as soon as they are
    trained; this finishes what an interrupted study left, loading MNIST from ``data`` then); a result is
    kept when newer than its model."""
    from ..base.console import err
    from ..data.mnist import load_mnist
    from ..runs.experiment import build_task

    mnist = None
    for _, name, config in options.reverse_configs():
        folder = out / "reverse" / name
        model = folder / "model" / "model.npz"
        if (folder / "reverse.json").is_file() and (folder / "reverse.json").stat().st_mtime >= model.stat().st_mtime:
            continue
        if progress:
            err.print(f"reverse part: running the {name} ten-output network backwards")
        mnist = mnist or load_mnist(data, progress=progress)
        run_backwards(folder, config, build_task(config, mnist), seed=options.seed, student_id=options.student_id)


def run_backwards(folder: Path, config: Config, task, *, seed: int, student_id: str) -> None:
    """Run the ten-output network in folder/model backwards on ``task`` (backquery, pseudo-inverse,
    optimisation) and write folder/: reverse.json, reverse.md and the figures."""
    from ..reverse import reverse
    from ..runs.reverse import write_reverse

    run = load_run(folder / "model")
    found = reverse(run.net, task.train.X, task.train.labels, seed=seed,
                    network={"label": run.config["label"], "model": str(folder / "model"),
                             "test_accuracy": run.metrics["test"]["accuracy"], "scale": config.scale,
                             "targets": config.targets})
    write_reverse(found, folder, student_id=student_id, title=f"{REVERSE_NAMES[folder.name]}: ")
