"""One configuration end to end: MNIST task → network → training → evaluation → run directory.

``Config`` holds every choice ``mathdl train`` offers, checked when it is made; ``run`` trains it and
writes the run directory. The study runs eight of these.

A run with a directory keeps ``checkpoint.npz`` there after every epoch and when interrupted, and
deletes it only after the last file of the run directory is written: a directory with a checkpoint
is unfinished and ``run(..., resume=True)`` continues it; one without, holding every file, is finished.
"""
from __future__ import annotations

import dataclasses
import json
import platform
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..base.errors import MathdlError, choice
from ..base.files import check_directory, remove_temporaries, write_csv
from ..base.seeding import rng
from ..data.mnist import MNIST, PIXELS, TEST_IMAGES, TRAIN_IMAGES
from ..data.tasks import SCALES, TARGETS, TASKS, Task, make_task, parse_id, parse_pair
from ..evaluation.metrics import binary_report, confusion_matrix, multiclass_report
from ..nn.activations import get_activation, layer_activations
from ..nn.backprop import method_name
from ..nn.costs import get_cost
from ..nn.init import INITS
from ..nn.network import DTYPES, Network, check_memory
from ..training.checkpoint import CHECKPOINT, Checkpoint, load_checkpoint, read_checkpoint, save_checkpoint
from ..training.evaluate import Evaluation, evaluate
from ..training.loop import History, Settings, train
from .directory import make_run_dir, write_run

@dataclass
class Config:
    """Everything that defines one training run; ``None`` for epochs/eta/batch_size means the
    default for the bp method and cost (``training.defaults``)."""

    task: str = "id"
    student_id: str = "100384"
    pair: str | None = None
    hidden: tuple[int, ...] = (300,)
    activation: str = "sigmoid"
    output_activation: str = "sigmoid"
    cost: str = "tse"
    method: str = "online"
    epochs: int | None = None
    eta: float | None = None
    batch_size: int | None = None
    decay: float = 0.3
    augment: int = 1
    optimizer: str = "sgd"
    init: str = "normal"
    bias: bool = True
    scale: str = "standard"
    deskew: bool = True
    targets: str = "binary"
    train_size: int | None = None
    test_size: int | None = None
    val_size: int | None = None
    class_weight: str | None = None
    seed: int = 0
    dtype: str = "float64"
    curves: bool = True  # score the splits after every epoch (learning curves); False: after the last only
    engine: str = "fast"  # or "reference": backprop() and the optimiser's step only (mathdl.nn.fast.updates)

    def __post_init__(self):
        self.hidden = tuple(int(h) for h in self.hidden)
        if any(h < 1 for h in self.hidden):
            raise MathdlError(f"hidden layer sizes must be positive integers, got {list(self.hidden)}")
        self.method = method_name(self.method)
        self.cost = get_cost(self.cost).name
        choice("task", self.task, {t: t for t in TASKS})
        if self.task == "id":
            parse_id(self.student_id)
        if self.task == "pair":
            if self.pair is None:
                raise MathdlError("the pair task needs --pair, two digits like 0,1")
            parse_pair(self.pair)
        choice("scale", self.scale, SCALES)
        choice("targets", self.targets, TARGETS)
        choice("init", self.init, INITS)
        choice("dtype", self.dtype, DTYPES)
        self.activations()
        get_cost(self.cost).check_output(get_activation(self.output_activation))
        self.settings()
        self.check_sizes()

    def check_sizes(self) -> None:
        """What can be checked before the data is loaded, each a one-line error: the subsets within the whole
        MNIST's (``make_task`` checks them again against the data found), fewer validation than training images,
        a mini-batch no larger than the training set, and a network that fits in this machine's memory."""
        for option, size, most in (("--train-size", self.train_size, TRAIN_IMAGES),
                                   ("--test-size", self.test_size, TEST_IMAGES)):
            if size is not None and not 1 <= size <= most:
                raise MathdlError(f"{option} must be between 1 and {most}, got {size}")
        n_train = self.train_size or TRAIN_IMAGES
        if self.val_size is not None and self.val_size >= n_train:
            raise MathdlError(f"--val-size must be smaller than the {n_train} training images")
        self.check_batch(n_train - (self.val_size or 0))
        outputs = 10 if self.task == "digits" else 2 if self.output_activation == "softmax" else 1
        check_memory([PIXELS, *self.hidden, outputs], DTYPES[self.dtype])

    def check_batch(self, n_train: int) -> None:
        """A mini-batch of the matrix method holds at most the ``n_train`` training images."""
        batch = self.settings().batch_size
        if self.method == "matrix" and batch > n_train:
            raise MathdlError(f"--batch-size {batch} is larger than the {n_train} training images; choose at most "
                              f"{n_train}")

    def activations(self) -> list[str]:
        """[f_1, …, f_L]: the hidden activation(s) (one for all, or one per layer) and the output's."""
        return layer_activations(self.activation, len(self.hidden), self.output_activation)

    def settings(self) -> Settings:
        """The training settings (epochs, η and batch size not given: the method's, ``training.defaults``)."""
        return Settings(cost=self.cost, method=self.method, epochs=self.epochs, eta=self.eta,
                        batch_size=self.batch_size, optimizer=self.optimizer, seed=self.seed,
                        class_weight=self.class_weight, decay=self.decay, augment=self.augment, engine=self.engine)

    def label(self, sizes: list[int] | None = None, n_train: int | None = None) -> str:
        """The hyper-parameters in one line, for titles: layers, activations, cost, bp, epochs, η, data."""
        s = self.settings()
        layers = "-".join(map(str, sizes)) if sizes else f"hidden {','.join(map(str, self.hidden)) or 'none'}"
        acts = "/".join(dict.fromkeys(self.activations()))
        batch = f", batch {s.batch_size}" if s.method == "matrix" else ""
        data = f", {n_train} train" if n_train else ""
        weight = ", balanced" if self.class_weight else ""
        batch += f", decay {s.decay:g}" if s.decay else ""
        batch += f", shift ±{s.augment}px" if s.augment else ""
        batch += ", deskewed" if self.deskew else ""
        batch += f", {self.engine} engine" if self.engine != "fast" else ""
        return (f"{layers} {acts}, {s.cost.upper()}, {s.method} bp, {s.epochs} ep, "
                f"η={s.eta:g}{batch}{weight}{data}")

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["hidden"] = list(self.hidden)
        d["resolved"] = dataclasses.asdict(self.settings())
        return d

    def saved(self) -> dict:
        """``to_dict()`` as it reads back from config.json (lists, not tuples), for comparisons."""
        return json.loads(json.dumps(self.to_dict()))

    @classmethod
    def from_dict(cls, d: dict) -> "Config":
        """A Config from ``to_dict``'s output; options a run predates take their behaviour of then."""
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{"deskew": False, **{k: v for k, v in d.items() if k in names}})


@dataclass
class Result:
    """A trained configuration: its task, network, history, test evaluation and metrics."""

    config: Config
    task: Task
    net: Network
    history: History
    test: Evaluation
    metrics: dict
    run_dir: Path | None = None
    extra: dict = field(default_factory=dict)


def task_options(config: Config) -> tuple:
    """What ``build_task`` makes the task from: configurations that agree here train on the same task (the
    seed only draws subsets, so without one it does not matter)."""
    subsets = config.train_size is not None or config.test_size is not None or config.val_size is not None
    return (config.task, config.student_id, config.pair, config.scale, config.targets, config.output_activation,
            config.train_size, config.deskew, config.test_size, config.val_size, config.seed if subsets else None,
            config.dtype)


def build_task(config: Config, mnist: MNIST) -> Task:
    """The task of ``config`` made from ``mnist``; its sizes checked against the data found."""
    outputs = 2 if config.output_activation == "softmax" and config.task != "digits" else None
    task = make_task(mnist, config.task, student_id=config.student_id, pair=config.pair, scale=config.scale,
                     targets=config.targets, outputs=outputs, train_size=config.train_size, deskew=config.deskew,
                     test_size=config.test_size, val_size=config.val_size, seed=config.seed,
                     dtype=DTYPES[config.dtype])
    config.check_batch(task.train.N)
    return task


def build_network(config: Config, task: Task) -> Network:
    return Network.create([task.n_inputs, *config.hidden, task.n_outputs], config.activations(),
                          rng=rng(config.seed, "init"), init=config.init, bias=config.bias,
                          dtype=DTYPES[config.dtype])


def class_balance(task: Task) -> dict:
    """Samples per class in each split."""
    balance = {}
    for name, split in (("train", task.train), ("val", task.val), ("test", task.test)):
        if split is not None:
            counts = np.bincount(split.labels, minlength=len(task.classes))
            balance[name] = {cls: int(n) for cls, n in zip(task.classes, counts)}
    return balance


def metrics_of(task: Task, evaluation: Evaluation, history: History) -> dict:
    """metrics.json: the test confusion matrix and rates (binary: TP/FN/FP/TN, sensitivity, …;
    digits: per-class rates), the class balance and the final training accuracy."""
    cm = confusion_matrix(task.test.labels, evaluation.predicted, len(task.classes))
    if task.binary:
        test = binary_report(cm, positive=1).to_dict()
        test["classes"] = {"positive": task.classes[1], "negative": task.classes[0]}
    else:
        test = multiclass_report(cm, task.classes)
    test["cost"] = evaluation.cost
    last = history.rows[-1]
    return {"task": task.description, "test": test, "class_balance": class_balance(task),
            "train": {"accuracy": last["train_accuracy"], "cost": last["train_cost"]},
            **({"val": {"accuracy": last["val_accuracy"], "cost": last["val_cost"]}} if task.val else {}),
            "train_seconds": history.seconds,
            "diagnostics": {**history.diagnostics, "warnings": history.warnings}}


def inputs_of(task: Task) -> dict:
    """How raw 0-255 pixels became the network's inputs, so new images can be prepared the same way:
    deskewed or not, the scale, the training pixels' μ and σ (of x/255) that ``standard`` uses, and the
    targets."""
    return {"deskew": task.deskew, "scale": task.scale, "mean": task.stats[0], "std": task.stats[1],
            "targets": list(task.targets)}


def environment() -> dict:
    """Versions, the machine, and the BLAS libraries with their kernels: the same code and seed give the
    same numbers bit for bit only with the same kernels (another kernel adds in another order)."""
    import matplotlib

    from .. import __version__
    return {"mathdl": __version__, "python": platform.python_version(), "numpy": np.__version__,
            "matplotlib": matplotlib.__version__, "machine": platform.machine(), "cpu": _cpu_model(),
            "cpus": _cpu_count(), "blas": blas_libraries()}


def blas_libraries() -> list[dict]:
    """threadpoolctl's view of the BLAS libraries loaded: the library, its version, the kernel
    (architecture or core type) it chose for this CPU, its threading layer."""
    from threadpoolctl import threadpool_info

    keys = ("internal_api", "version", "architecture", "threading_layer", "prefix", "num_threads")
    return [{key: info[key] for key in keys if key in info} for info in threadpool_info()
            if info.get("user_api") == "blas"]


def _cpu_model() -> str:
    """The CPU's model name (from /proc/cpuinfo on Linux), else the platform's processor string."""
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _cpu_count() -> int:
    import os
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def run(config: Config, mnist: MNIST, *, out=None, progress: bool = True, task: Task | None = None,
        command: str | None = None, resume: bool = False) -> Result:
    """Train and evaluate ``config`` on ``mnist``; with ``out``, write the run directory there, keeping a
    checkpoint while it is unfinished. ``resume`` continues the run in ``out`` from its checkpoint (the
    same configuration and data are required); without a checkpoint it starts from the beginning."""
    task = task or build_task(config, mnist)
    settings = config.settings()
    net, checkpoint, keep = None, None, None
    if out is not None:
        out = make_run_dir(out)
        net, checkpoint, state = _start(out, config, mnist, resume)
    net = net or build_network(config, task)
    if out is not None:
        def keep(kept: Checkpoint) -> None:
            """The checkpoint, and history.csv with the epochs finished so far (for the reader)."""
            try:
                save_checkpoint(out / CHECKPOINT, net, kept, state)
                if kept.history:
                    write_csv(out / "history.csv", kept.history)
            except OSError as e:
                raise MathdlError(f"cannot write the run directory {out}: {e.strerror or e}") from None
    from ..nn.fast.compiling import compile_time
    with compile_time() as compiling:  # the compiled loops' first use in this process, inside the training time
        history = train(net, task, settings, progress=progress, resume=checkpoint,
                        on_checkpoint=keep, curves=config.curves)
    test = evaluate(net, task.test, task, settings.cost)
    metrics = {**metrics_of(task, test, history), "compile_seconds": compiling.seconds}
    result = Result(config, task, net, history, test, metrics)
    if out is not None:
        run_config = {"config": config.to_dict(), "label": config.label(net.sizes, task.train.N),
                      "sizes": net.sizes, "n_params": net.n_params, "task": task.description,
                      "classes": task.classes, "inputs": inputs_of(task),
                      "data": {"source": mnist.source, "checksum": mnist.status, "fingerprint": state["data"]},
                      "command": command, "environment": environment(),
                      "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                      **({"resumed": state["resumed"]} if state["resumed"] else {})}
        result.run_dir = write_run(out, config=run_config, metrics=metrics, history=history.rows, net=net)
        write_csv(result.run_dir / "predictions.csv", prediction_rows(task, test))
        write_figures(result, run_config["label"])
        (out / CHECKPOINT).unlink(missing_ok=True)  # the last step: the run is finished
        remove_temporaries(out)  # what a process killed while writing here before left behind
    return result


def _start(out: Path, config: Config, mnist: MNIST, resume: bool) -> tuple:
    """Where a run into ``out`` starts: (network, checkpoint) of the run to resume, or (None, None) to start
    afresh; and the state every checkpoint carries: the configuration, the data's fingerprint and where
    the run was resumed before."""
    state = {"config": config.saved(), "data": mnist.fingerprint, "resumed": []}
    if not unfinished(out, config, resume=resume):
        return None, None, state
    net, checkpoint, saved = load_checkpoint(out / CHECKPOINT)
    if saved.get("data") != state["data"]:
        raise MathdlError(f"{out} holds a run interrupted while training on other data; resume it with the "
                          "same --data, or choose another --out")
    state["resumed"] = saved.get("resumed", []) + [{"epochs_done": checkpoint.epochs_done,
                                                     "samples_done": checkpoint.samples_done}]
    return net, checkpoint, state


def unfinished(out, config: Config, *, resume: bool) -> bool:
    """Does ``out`` hold an unfinished run to continue? Refuses one without ``resume`` and one started
    with other options (a one-line ``MathdlError`` each)."""
    path = Path(out) / CHECKPOINT
    if not path.is_file():
        return False
    checkpoint, saved = read_checkpoint(path)
    if not resume:
        raise MathdlError(f"{out} holds an interrupted run ({checkpoint.describe()} done); continue it with "
                          "--resume, or choose another --out")
    differences = config_differences(saved.get("config", {}), config)
    if differences:
        raise MathdlError(f"{out} holds a run interrupted with other options ({differences}); resume it with the "
                          "options it was started with, or choose another --out")
    return True


@dataclass(frozen=True)
class ResumeStatus:
    """Where a run into a directory stands before training: ``finished`` (nothing to do) or not, in words."""

    finished: bool
    message: str


def resume_status(out, config: Config, *, resume: bool, force: bool = False) -> ResumeStatus:
    """The resume policy, checked before any data are loaded. ``out`` must be a directory that can be
    written. With ``resume``: a finished run of the same options is finished (one of other options is
    refused), a checkpoint is continued, no checkpoint means training from the start. Without ``resume``:
    a checkpoint is refused (``unfinished``), and so is a directory holding a run's files unless ``force``
    (then ``remove_run`` clears them before the new run is written). Refusals are a one-line
    ``MathdlError``."""
    out = check_directory(out)
    saved = finished_config(out) if resume else None
    if saved is not None:
        differences = config_differences(saved, config)
        if differences:
            raise MathdlError(f"{out} holds a run finished with other options ({differences})")
        return ResumeStatus(True, f"{out} holds a finished run of these options: nothing to resume (see "
                                  f"{out / 'metrics.json'})")
    if unfinished(out, config, resume=resume):
        return ResumeStatus(False, f"{out}: resuming from {CHECKPOINT}: "
                                   f"{read_checkpoint(out / CHECKPOINT)[0].describe()} done")
    kept = [name for name in RUN_FILES if (out / name).is_file()]
    if kept and not (resume or force):
        what = (f"a finished run (see {out / 'metrics.json'})" if finished_config(out) is not None else
                f"a run's files ({', '.join(kept)})")
        raise MathdlError(f"{out} already holds {what}; choose another --out, or add --force to replace it")
    return ResumeStatus(False, f"{out}: no checkpoint: training from the start")


def remove_run(out) -> None:
    """Delete the files a run writes from ``out`` (and nothing else), so a new run replaces an old one
    without leaving a file of the old one beside its own."""
    for name in RUN_FILES:
        (Path(out) / name).unlink(missing_ok=True)


def interruption_kept(run_dir, again: str) -> str:
    """What an interruption kept (the checkpoint on disk in ``run_dir``) and the command ``again`` that
    continues it."""
    if run_dir is None:
        return "nothing kept (give --out DIR to keep a checkpoint)"
    path = Path(run_dir) / CHECKPOINT
    if not path.is_file():
        return "nothing kept (stopped before the first update)"
    return f"{read_checkpoint(path)[0].describe()} kept in {path}; continue with: {again}"


FINISHED_FILES = ("config.json", "metrics.json", "history.csv", "model.npz", "predictions.csv", "confusion.png")
RUN_FILES = FINISHED_FILES + ("confusion.svg", "learning_curves.png", "weights.png", "misclassified.png")  # all


def finished_config(run_dir) -> dict | None:
    """The saved configuration of the finished run in ``run_dir`` (every file there, no checkpoint left),
    else None."""
    run_dir = Path(run_dir)
    if (run_dir / CHECKPOINT).exists() or not all((run_dir / name).is_file() for name in FINISHED_FILES):
        return None
    try:
        saved = json.loads((run_dir / "config.json").read_text())["config"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return saved if isinstance(saved, dict) else None


def config_differences(saved: dict, config: Config) -> str:
    """The options in which ``config`` differs from a saved one, e.g. "epochs 5 instead of 3, method
    'matrix' instead of 'online'"; empty when they agree."""
    now, saved = config.saved(), {"engine": "fast", **saved}  # runs saved before there were engines: fast
    if isinstance(saved.get("resolved"), dict):
        saved["resolved"] = {"engine": "fast", **saved["resolved"]}
    words = [f"{key} {now[key]!r} instead of {saved.get(key)!r}" for key in now
             if key != "resolved" and now[key] != saved.get(key)]
    if not words and now != saved:
        words = [f"default settings {now['resolved']} instead of {saved.get('resolved')}"]
    return ", ".join(words)


def prediction_rows(task: Task, evaluation: Evaluation) -> list[dict]:
    """One row per test sample: its MNIST digit, true and predicted class, and the output a⁽ᴸ⁾ of the
    predicted class (for one output: a itself)."""
    rows = []
    for i, (digit, true, predicted) in enumerate(zip(task.test.digits, task.test.labels, evaluation.predicted)):
        rows.append({"index": i, "digit": int(digit), "true": int(true), "predicted": int(predicted),
                     "output": float(evaluation.outputs[:, i].max() if evaluation.outputs.shape[0] > 1
                                     else evaluation.outputs[0, i])})
    return rows


def write_figures(result: Result, label: str, misclassified_count: int = 36) -> None:
    """The run's figures: confusion matrix, learning curves, first-layer weights, misclassified digits."""
    from ..plots import save
    from ..plots.confusion import confusion_figure
    from ..plots.curves import learning_curves
    from ..plots.digits import misclassified, weight_images

    task, out = result.task, result.run_dir
    cm = confusion_matrix(task.test.labels, result.test.predicted, len(task.classes))
    save(confusion_figure(cm, task.classes, positive=1 if task.binary else None,
                          title=f"test set ({task.test.N} images): {label}"), out / "confusion.png", svg=True)
    save(learning_curves(result.history.rows, title=label), out / "learning_curves.png")
    if task.n_inputs == 784:
        save(weight_images(result.net.W[1]), out / "weights.png")
        wrong = np.flatnonzero(result.test.predicted != task.test.labels)[:misclassified_count]
        names = [str(d) for d in range(10)]
        true = [f"{names[d]}" for d in task.test.digits[wrong]]
        predicted = [task.classes[c] if not task.binary or task.name == "pair" else
                     ("ID" if c == 1 else "not ID") for c in result.test.predicted[wrong]]
        save(misclassified(task.test.X[:, wrong].T.reshape(-1, 28, 28), true, predicted,
                           title=f"misclassified test digits (true digit → predicted class): {label}"),
             out / "misclassified.png")
