"""The study: the assignment's eight configurations on the ID task, trained, compared and tested.

    1  one hidden layer,    TSE, online bp        5  three hidden layers, TSE, online bp
    2  one hidden layer,    XE,  online bp        6  three hidden layers, XE,  online bp
    3  one hidden layer,    TSE, matrix bp        7  three hidden layers, TSE, matrix bp
    4  one hidden layer,    XE,  matrix bp        8  three hidden layers, XE,  matrix bp

Sigmoid on every layer. Each configuration writes a run directory under ``runs/``; the study then
writes ``summary.json``/``summary.csv`` (one row per configuration), the confusion matrices, the
learning curves, McNemar's test for every pair that differs in one choice, and accuracy against the
number of training images. Configurations run in parallel worker processes (``multiprocessing.Pool``),
the longest first (``estimated_work``) but those on one task together (``schedule``), so that a worker
keeps its task for the next; the size curve's runs measure the test set only after their last epoch,
and the reverse part's networks are run backwards by the worker that trained them. A finished
configuration is on disk at once, and one in training keeps a checkpoint after every epoch and where
it is interrupted, so an interrupted study keeps both and ``resume`` goes on from there.
"""
from __future__ import annotations

import csv
import ctypes
import dataclasses
import gc
import json
import multiprocessing
import os
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import MathdlError
from .experiment import Config, environment, finished_config
from .interrupt import stop_like_ctrl_c
from .metrics import mcnemar
from .runs import CHECKPOINT, load_run, write_csv, write_json

PROTOCOL = [(depth, cost, method) for depth in (1, 3) for method in ("online", "matrix") for cost in ("tse", "xe")]

QUICK = {"train_size": 3000, "test_size": 1000, "epochs": 4}
REVERSE_EPOCHS = 10  # the ten-output networks of the reverse part (matrix XE, the book's scaling and targets)
FULL_SIZES = (500, 1000, 2000, 5000, 10000)  # and the full 60,000: configuration 4 itself
QUICK_SIZES = (250, 500, 1000)
STATE_FILE = "study.json"


@dataclass
class StudyOptions:
    """The study's choices; ``None`` means the default of ``mathdl.experiment`` (``Config`` and ``DEFAULTS``)."""

    student_id: str = "100384"
    hidden1: tuple[int, ...] = (300,)
    hidden3: tuple[int, ...] = (128, 64, 32)
    epochs: int | None = None
    eta: float | None = None
    batch_size: int | None = None
    decay: float | None = None
    augment: int | None = None
    scale: str | None = None
    deskew: bool | None = None
    class_weight: str | None = None
    train_size: int | None = None
    test_size: int | None = None
    sizes: tuple[int, ...] | None = None
    quick: bool = False
    seed: int = 0
    dtype: str = "float64"

    def __post_init__(self):
        self.hidden1, self.hidden3 = tuple(self.hidden1), tuple(self.hidden3)
        if len(self.hidden1) != 1:
            raise MathdlError(f"--hidden1 must be one layer size, got {list(self.hidden1)}")
        if len(self.hidden3) != 3:
            raise MathdlError(f"--hidden3 must be three layer sizes like 128,64,32, got {list(self.hidden3)}")
        if self.sizes is not None:
            self.sizes = tuple(int(n) for n in self.sizes)
        self.configs()  # every configuration is checked now, not after hours of training

    def configs(self) -> list[tuple[int, str, Config]]:
        """The eight (number, name, Config) of the protocol, in its order."""
        quick = QUICK if self.quick else {}
        given = {key: value for key, value in (("decay", self.decay), ("augment", self.augment),
                                               ("scale", self.scale), ("deskew", self.deskew)) if value is not None}
        out = []
        for number, (depth, cost, method) in enumerate(PROTOCOL, start=1):
            pick = lambda value, default: default if value is None else value  # noqa: E731
            config = Config(
                task="id", student_id=self.student_id, hidden=self.hidden1 if depth == 1 else self.hidden3,
                activation="sigmoid", output_activation="sigmoid", cost=cost, method=method,
                epochs=pick(self.epochs, quick.get("epochs")), eta=self.eta, batch_size=self.batch_size,
                class_weight=self.class_weight, train_size=pick(self.train_size, quick.get("train_size")),
                test_size=pick(self.test_size, quick.get("test_size")), seed=self.seed, dtype=self.dtype, **given)
            name = f"{number}-{'1layer' if depth == 1 else '3layers'}-{cost}-{method}"
            out.append((number, name, config))
        return out

    def reverse_configs(self) -> list[tuple[int, str, Config]]:
        """The ten-output networks the reverse part runs backwards: one and three hidden layers of the
        study's sizes, sigmoid everywhere, trained on the digits with the book's scaling and targets
        (so backquery asks for the 0.01/0.99 outputs the network learnt)."""
        quick = QUICK if self.quick else {}
        pick = lambda value, default: default if value is None else value  # noqa: E731
        return [(200 + i, name, Config(
            task="digits", hidden=hidden, activation="sigmoid", output_activation="sigmoid", cost="xe",
            method="matrix", scale="book", targets="book",
            deskew=Config().deskew if self.deskew is None else self.deskew,
            epochs=pick(self.epochs, quick.get("epochs", REVERSE_EPOCHS)),
            train_size=pick(self.train_size, quick.get("train_size")),
            test_size=pick(self.test_size, quick.get("test_size")), seed=self.seed, dtype=self.dtype))
            for i, (name, hidden) in enumerate((("1layer", self.hidden1), ("3layers", self.hidden3)))]

    def size_curve(self) -> tuple[Config, tuple[int, ...]]:
        """The configuration trained on growing subsets (number 4: one layer, XE, matrix), and the sizes."""
        config = self.configs()[3][2]
        sizes = self.sizes if self.sizes is not None else (QUICK_SIZES if self.quick else FULL_SIZES)
        full = config.train_size or 60000
        return config, tuple(n for n in sizes if n < full)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


# McNemar comparisons: pairs of configurations that differ in exactly one choice.
COMPARISONS = ([("TSE vs XE", a, a + 1) for a in (1, 3, 5, 7)]
               + [("online vs matrix", a, a + 2) for a in (1, 2, 5, 6)]
               + [("1 vs 3 hidden layers", a, a + 4) for a in (1, 2, 3, 4)])


@dataclass
class Study:
    """A finished study: its directory, the summary rows, McNemar tests and timings."""

    path: Path
    rows: list[dict]
    tests: list[dict]
    seconds: float
    size_curve: list[dict] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------------
# Running


def _complete(run_dir: Path, config: Config) -> bool:
    """A run directory that finished with this very configuration (so --resume can keep it)."""
    return finished_config(run_dir) == config.saved()


REVERSE_NAMES = {"1layer": "one hidden layer", "3layers": "three hidden layers"}


def finished(options: StudyOptions, out) -> list[bool]:
    """For each of the eight configurations: is its run directory in ``out`` complete?"""
    return [_complete(Path(out) / "runs" / name, config) for _, name, config in options.configs()]


def checkpointed(options: StudyOptions, out) -> list[bool]:
    """For each of the eight configurations: does its run directory in ``out`` keep a checkpoint?"""
    return [(Path(out) / "runs" / name / CHECKPOINT).is_file() for _, name, _ in options.configs()]


def _train_one(number: int, config: dict, run_dir: str, data, queue, command: str | None,
               backwards: dict | None = None) -> int | None:
    """Worker: train configuration ``number`` into ``run_dir``, continuing its checkpoint if it has one;
    progress goes to ``queue``. With ``backwards`` (the keywords of ``run_backwards``), a reverse-part
    network is then run backwards here too, while the other workers go on training.

    The pool ends its workers with SIGTERM when the study is interrupted: held back during training, it
    stops at the next safe point with a checkpoint of the configuration in ``run_dir``; elsewhere it
    unwinds (so no temporary file is left behind). The worker then exits quietly."""
    from threadpoolctl import threadpool_limits

    from .experiment import run

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
    from .data.mnist import load_mnist
    from .experiment import build_task, task_options

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
    from .data.mnist import PIXELS
    from .train import MONITOR

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
    from .experiment import task_options

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
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                               TimeRemainingColumn)

    from .terminal import err

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
    from .data.mnist import load_mnist

    out = Path(out)
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
    try:
        (out / "runs").mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise MathdlError(f"cannot create {out}: {e.strerror or e}") from None
    write_json(out / STATE_FILE, {**state, "environment": environment()})

    start = time.perf_counter()
    mnist = load_mnist(data, progress=progress)  # found and verified here; the workers load it
    n_train, n_test = len(mnist.train_labels), len(mnist.test_labels)
    if any(config.deskew for _, _, config in options.configs() + options.reverse_configs()):
        from .data.deskew import deskewed
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
    from .data.mnist import load_mnist
    from .experiment import build_task
    from .terminal import err

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
    from .reverse import reverse, write_reverse

    run = load_run(folder / "model")
    found = reverse(run.net, task.train.X, task.train.labels, seed=seed,
                    network={"label": run.config["label"], "model": str(folder / "model"),
                             "test_accuracy": run.metrics["test"]["accuracy"], "scale": config.scale,
                             "targets": config.targets})
    write_reverse(found, folder, student_id=student_id, title=f"{REVERSE_NAMES[folder.name]}: ")


# ---------------------------------------------------------------------------------------------------
# Summarising (from the files alone, so a study can be re-summarised without retraining)


def _rate(d: dict, name: str) -> dict:
    return {"value": d[name], "ci95": d[f"{name}_ci95"]}


def load_predictions(run_dir: Path) -> tuple[np.ndarray, np.ndarray]:
    """The true and predicted classes of a run's test images, from its predictions.csv."""
    with open(run_dir / "predictions.csv", newline="") as fh:
        rows = csv.reader(fh)
        header = next(rows)
        true, predicted = header.index("true"), header.index("predicted")
        pairs = np.array([(row[true], row[predicted]) for row in rows], dtype=int).reshape(-1, 2)
    return pairs[:, 0], pairs[:, 1]


def summarise(out, options: StudyOptions, seconds: float | None = None) -> Study:
    """summary.json, summary.csv, mcnemar.csv and the study figures, from the run directories."""
    out = Path(out)
    rows, correct, histories, matrices = [], {}, [], []
    for number, name, config in options.configs():
        run_dir = out / "runs" / name
        run = load_run(run_dir)
        true, predicted = load_predictions(run_dir)
        correct[number] = true == predicted
        test = run.metrics["test"]
        settings = run.config["config"]["resolved"]
        label = run.config["label"]
        rows.append({
            "number": number, "name": name, "label": label, "layers": "-".join(map(str, run.config["sizes"])),
            "hidden_layers": len(config.hidden), "cost": config.cost, "bp": config.method,
            "epochs": settings["epochs"], "eta": settings["eta"], "batch_size": settings["batch_size"],
            "tp": test["tp"], "fn": test["fn"], "fp": test["fp"], "tn": test["tn"],
            **{name_: _rate(test, name_) for name_ in ("accuracy", "sensitivity", "specificity", "precision",
                                                       "npv", "f1", "mcc")},
            "train_seconds": run.metrics["train_seconds"], "class_balance": run.metrics["class_balance"],
            "run_dir": str(Path("runs") / name)})
        histories.append((f"{number}: {len(config.hidden)} hidden, {config.cost.upper()}, {config.method}",
                          run.history))
        matrices.append((test["confusion_matrix"], label, number))
    tests = []
    for question, a, b in COMPARISONS:
        t = mcnemar(correct[a], correct[b])
        tests.append({"question": question, "a": a, "b": b, "accuracy_a": float(correct[a].mean()),
                      "accuracy_b": float(correct[b].mean()), "a_right_b_wrong": t.b, "a_wrong_b_right": t.c,
                      "p_exact": t.p_exact, "p_mid": t.p_mid})
    size_rows = _size_rows(out, options, rows)
    reverse = {}
    for _, name, _ in options.reverse_configs():
        data = json.loads((out / "reverse" / name / "reverse.json").read_text())
        reverse[name] = {"network": data["network"], "summary": data["summary"],
                         "dir": str(Path("reverse") / name)}
    checks = architecture_gradcheck([784, *options.hidden3, 1], options.seed)
    best = max(rows, key=lambda r: r["accuracy"]["value"])
    summary = {"student_id": options.student_id, "positive_digits": _positive(options.student_id),
               "class_balance": rows[0]["class_balance"], "configurations": rows, "mcnemar": tests,
               "best": best["number"], "size_curve": size_rows, "gradcheck": checks, "reverse": reverse,
               "options": options.to_dict(),
               "intervals": "Wilson score intervals for proportions; percentile bootstrap (10,000 multinomial "
                            "resamples of the confusion matrix) for F1 and MCC",
               "mcnemar_test": "exact two-sided binomial test on the discordant pairs, and the mid-p value",
               "wall_seconds": seconds}
    write_json(out / "summary.json", summary)
    write_csv(out / "summary.csv", [_flat(r) for r in rows])
    write_csv(out / "mcnemar.csv", tests)
    write_study_figures(out, rows, matrices, histories, size_rows, options)
    return Study(out, rows, tests, seconds or 0.0, size_rows)


def architecture_gradcheck(sizes: list[int], seed: int, entries: int = 12) -> dict:
    """The largest relative error of backprop against central differences on this architecture (sigmoid,
    random weights and data, TSE and XE), per method."""
    from .nn.gradcheck import gradcheck
    from .nn.network import Network
    from .seeding import rng

    generator = rng(seed, "init")
    net = Network.create(sizes, ["sigmoid"] * (len(sizes) - 1), rng=generator)
    X = generator.uniform(0, 1, (sizes[0], 4))
    Y = generator.integers(0, 2, (sizes[-1], 4)).astype(float)
    worst = {}
    for method in ("online", "matrix"):
        errors = [e for cost in ("tse", "xe")
                  for c in gradcheck(net, X, Y, cost, method=method, max_entries=entries, rng=rng(seed, "init"))
                  for e in (c.W_error, c.b_error)]
        worst[method] = max(errors)
    return {"sizes": sizes, "entries_per_array": entries, **worst}


def _positive(student_id: str) -> list[int]:
    from .data.tasks import parse_id
    return list(parse_id(student_id))


def _flat(row: dict) -> dict:
    """A summary row for CSV: each rate as value, low, high columns."""
    flat = {}
    for key, value in row.items():
        if isinstance(value, dict) and "value" in value:
            low, high = value["ci95"] or (None, None)
            flat.update({key: value["value"], f"{key}_low": low, f"{key}_high": high})
        elif key == "class_balance":
            for split, counts in value.items():
                negative, positive = list(counts.values())
                flat.update({f"{split}_positives": positive, f"{split}_negatives": negative})
        else:
            flat[key] = value
    return flat


def _size_rows(out: Path, options: StudyOptions, rows: list[dict]) -> list[dict]:
    """Test accuracy of configuration 4 trained on each subset size (and on the whole training set)."""
    config, sizes = options.size_curve()
    curve = []
    for n in sizes:
        metrics = json.loads((out / "sizes" / f"{n}" / "metrics.json").read_text())["test"]
        curve.append({"train_size": n, "accuracy": metrics["accuracy"], "ci95": metrics["accuracy_ci95"]})
    full = rows[3]
    n_full = sum(full["class_balance"]["train"].values())
    curve.append({"train_size": n_full, "accuracy": full["accuracy"]["value"], "ci95": full["accuracy"]["ci95"]})
    return curve


def write_study_figures(out: Path, rows, matrices, histories, size_rows, options: StudyOptions) -> None:
    from .plots import save
    from .plots.confusion import confusion_figure, confusion_grid
    from .plots.curves import accuracy_vs_size, compare_curves

    classes = list(rows[0]["class_balance"]["test"])  # [negative, positive] names in class order
    grid = []
    for (matrix, label, number), row in zip(matrices, rows):
        cm = np.array([[matrix[1][1], matrix[1][0]], [matrix[0][1], matrix[0][0]]])  # back to class order
        title = f"{number}: {label}"
        save(confusion_figure(cm, classes, positive=1, title=title), out / f"confusion_{number}.png", svg=True)
        grid.append((cm, classes, title))
    save(confusion_grid(grid, positive=1, suptitle=f"ID {options.student_id}: the eight configurations "
                        "(test set)"), out / "confusion_matrices.png")
    save(compare_curves(histories, title="learning curves of the eight configurations"),
         out / "learning_curves.png")
    config, _ = options.size_curve()
    save(accuracy_vs_size([r["train_size"] for r in size_rows], [r["accuracy"] for r in size_rows],
                          low=[r["ci95"][0] for r in size_rows], high=[r["ci95"][1] for r in size_rows],
                          title=f"accuracy vs training images: {config.label()}"),
         out / "accuracy_vs_size.png")
