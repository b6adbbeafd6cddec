"""Running a study (or several, one per student ID) on the executor: the runs planned, those finished kept,
the others trained by the executor (``executor.DaskExecutor``: the longest first, a worker reusing its task data,
the reverse part's networks run backwards by the worker that trained them), then summarised. A finished
run is on disk at once, and one in training keeps a checkpoint after every epoch and where it is
interrupted, so an interrupted study keeps both and ``resume`` goes on from there.

Everything is checked before anything is written: the study directories, the data and the cluster. A study
holds its directory for its whole life (``claimed``: an OS lock the kernel releases when the process ends), so
a second study there is refused before it writes anything.
"""
from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import time
from pathlib import Path

import numpy as np

from ..base.errors import MathdlError
from ..base.files import CHECK_PREFIX, check_directory, make_directory, write_json, write_npz
from ..base.lock import LOCK_FILE, holding
from ..runs.directory import load_run
from ..runs.experiment import Config, environment
from .executor import DaskExecutor, Run
from .protocol import REVERSE_NAMES, STATE_FILE, Study, StudyOptions, is_complete
from .summary import summarise


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


def study_configs(options: StudyOptions) -> list[Config]:
    """Every configuration a study trains but the size curve's (the same as configuration 4's but smaller)."""
    return [config for *_, config in options.replicates()] + [config for _, config in options.reverse_configs()]


def check_target(options: StudyOptions, out: Path, resume: bool) -> None:
    """May a study with ``options`` go into ``out``? A one-line error if not; nothing is written."""
    check_directory(out)  # a file, or a place where nothing can be written, is refused here
    if (out / STATE_FILE).exists():
        if not resume:
            raise MathdlError(f"{out} already holds a study; continue it with --resume, or choose another --out")
        try:
            saved = json.loads((out / STATE_FILE).read_text()).get("options", {})
        except (OSError, ValueError) as e:
            raise MathdlError(f"{out / STATE_FILE} is unreadable ({e}); choose another --out") from None
        if {k: v for k, v in saved.items() if k != "seeds"} != options.resumable():
            raise MathdlError(f"{out} holds a study with other options; resume it with the same options "
                              f"(see {out / STATE_FILE}) or choose another --out")
    elif out.exists() and (not out.is_dir() or any(p.name != LOCK_FILE and not p.name.startswith(CHECK_PREFIX)
                                                   for p in out.iterdir())):  # another process's probe may be there
        raise MathdlError(f"{out} exists and is not a study directory; choose another --out")


@contextlib.contextmanager
def claimed(studies: list[tuple[StudyOptions, Path]], resume: bool):
    """Hold every study directory of ``studies`` for the block: each checked (``check_target``), then locked
    (``base.lock.holding``: created if missing, refused at once while another study holds it) and checked again
    under the lock, where no other study can begin in it any more. Re-entrant: the command holds the directories
    while the study runs and while its report is written."""
    for options, out in studies:
        check_target(options, Path(out), resume)  # nothing is written for a study refused here
    with contextlib.ExitStack() as stack:
        for options, out in studies:
            stack.enter_context(holding(out))
            check_target(options, Path(out), resume)
        yield


def plan(options: StudyOptions, out: Path, n_train: int, n_test: int, prefix: str = "") -> list[Run]:
    """Every run of the study in ``out``: the eight configurations for each seed, the size curve and the
    reverse part's networks (these two for the study's seed only); ``prefix`` names them in a class."""
    planned = [(f"{prefix}{name}", config, out / "runs" / name, None)
               for _, name, _, config in options.replicates()]
    curve_config, sizes = options.size_curve()
    planned += [(f"{prefix}size-{n}", dataclasses.replace(curve_config, train_size=n, curves=False),
                 out / "sizes" / f"{n}", None) for n in sizes]
    planned += [(f"{prefix}reverse-{name}", config, out / "reverse" / name / "model",
                 {"seed": options.seed, "student_id": options.student_id})
                for name, config in options.reverse_configs()]
    return [Run(key=str(run_dir), name=name, config=config, run_dir=run_dir, study_dir=out,
                total=config.settings().epochs * (config.train_size or n_train),
                work=estimated_work(config, n_train, n_test), backwards=backwards)
            for name, config, run_dir, backwards in planned]


def run_study(options: StudyOptions, out, *, data=None, jobs: int | None = None, resume: bool = False,
              progress: bool = True, command: str | None = None, scheduler: str | None = None,
              executor=None) -> Study:
    """Train (or, resuming, keep) every run of the study in ``out`` and summarise it. ``executor``: what to
    run on (default: a ``DaskExecutor`` on the cluster at ``scheduler``, else a LocalCluster of ``jobs``
    workers)."""
    return run_studies([(options, Path(out))], data=data, jobs=jobs, resume=resume, progress=progress,
                       command=command, scheduler=scheduler, executor=executor)[0]


def run_studies(studies: list[tuple[StudyOptions, Path]], *, data=None, jobs: int | None = None,
                resume: bool = False, progress: bool = True, command: str | None = None,
                scheduler: str | None = None, executor=None) -> list[Study]:
    """``run_study`` for each (options, directory), all their runs on one executor at once, each directory held
    by this process throughout (``claimed``)."""
    studies = [(options, Path(out).absolute()) for options, out in studies]  # the workers' working directory may differ
    with claimed(studies, resume):
        return _run_studies(studies, data=data, jobs=jobs, progress=progress, command=command, scheduler=scheduler,
                            executor=executor)


def _run_studies(studies, *, data, jobs, progress, command, scheduler, executor) -> list[Study]:
    from ..base.console import err
    from ..data.mnist import load_mnist
    from .progress import StudyProgress

    start = time.perf_counter()
    executor = executor if executor is not None else DaskExecutor(scheduler, jobs)
    with executor:  # a scheduler that does not answer is an error here, before anything is written
        mnist = load_mnist(data, progress=progress)  # found and verified here; the workers load their own
        n_train, n_test = len(mnist.train_labels), len(mnist.test_labels)
        data = data if data is not None else os.environ.get("MATHDL_DATA")
        for _, out in studies:
            executor.check_shared(out.parent.resolve())
        for options, out in studies:
            make_directory(out / "runs", "study directory")
            write_json(out / STATE_FILE, {"options": options.to_dict(), "command": command,
                                          "environment": environment()})
            write_examples(out, mnist, options.student_id)
        if any(config.deskew for options, _ in studies for config in study_configs(options)):
            from ..data.deskew import deskewed
            deskewed(mnist)  # computed once here and cached, so the workers on this machine only load it
        several = len(studies)
        runs = [run for options, out in studies
                for run in plan(options, out, n_train, n_test, f"{options.student_id}: " if several > 1 else "")]
        todo = [run for run in runs if not is_complete(run.run_dir, run.config)]
        if todo:
            if progress:
                ids = ", ".join(f"{o.student_id} in {out}/" for o, out in studies[:3]) + (" …" if several > 3 else "")
                seeds = f", {studies[0][0].seeds} seeds" if studies[0][0].seeds > 1 else ""
                err.print(f"study of ID {ids}{seeds}: {len(todo)} of {len(runs)} runs to train on {executor.describe()}")
            with StudyProgress([(r.key, r.name, r.total, r.run_dir) for r in todo], enabled=progress) as display:
                executor.train(todo, mnist=mnist, data=data, display=display, command=command)
    del mnist
    done = []
    for options, out in studies:
        reverse_part(out, options, data, progress=progress)
        done.append(summarise(out, options, seconds=time.perf_counter() - start))
    return done


def write_examples(out: Path, mnist, student_id: str) -> None:
    """examples.npz: the first test image of every digit, split into the ID's digits (``positive``) and the
    others (``negative``), with their labels, for the presentation's task slide."""
    from ..data.tasks import parse_id

    positive = set(parse_id(student_id))
    first = {int(d): int(np.argmax(mnist.test_labels == d)) for d in range(10) if np.any(mnist.test_labels == d)}
    arrays = {}
    for name, digits in (("positive", sorted(positive)), ("negative", sorted(set(first) - positive))):
        index = [first[d] for d in digits if d in first]
        arrays[name], arrays[f"{name}_labels"] = mnist.test_images[index], mnist.test_labels[index]
    write_npz(out / "examples.npz", arrays)


def reverse_part(out: Path, options: StudyOptions, data=None, *, progress: bool = True) -> None:
    """Run backwards each ten-output network that is not yet (the workers run them as soon as they are
    trained; this finishes what an interrupted study left, loading MNIST from ``data`` then); a result is
    kept when newer than its model."""
    from ..base.console import err
    from ..data.mnist import load_mnist
    from ..runs.experiment import build_task

    mnist = None
    for name, config in options.reverse_configs():
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
    optimisation, the Gaussian prior; the judge assessed on the task's test images) and write folder/:
    reverse.json, reverse.md and the figures. The model's path is recorded relative to the study directory
    (folder is STUDY/reverse/NAME), so that a moved study still names it."""
    from ..reverse import reverse
    from ..runs.reverse import write_reverse

    run = load_run(folder / "model")
    found = reverse(run.net, task.train.X, task.train.labels, seed=seed, test=(task.test.X, task.test.labels),
                    network={"label": run.config["label"], "model": str(Path("reverse") / folder.name / "model"),
                             "test_accuracy": run.metrics["test"]["accuracy"], "scale": config.scale,
                             "targets": config.targets})
    write_reverse(found, folder, student_id=student_id, title=f"{REVERSE_NAMES[folder.name]} — ")
