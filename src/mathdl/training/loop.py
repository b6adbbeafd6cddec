"""Training: epochs of shuffled updates by the online or matrix method, with a per-epoch history.

    online:  for each sample x (in a seeded random order):  θ ← update(θ, ∇C_x)
    matrix:  for each mini-batch B of ``batch_size`` samples: θ ← update(θ, (1/|B|) Σ_{x∈B} ∇C_x)

The updates go by the route ``mathdl.nn.fast.updates`` chooses: with ``engine="reference"`` through
``backprop`` and the optimiser's ``step`` and nothing else (``mathdl.nn.updates``); by default through the
fast paths that equal them (``mathdl.nn.fast``).

A non-finite cost, or an overflow or invalid operation on the way to it, stops training with a
``DivergenceError`` that suggests a smaller learning rate. Exploding gradients and saturated hidden
units do not stop training; they are measured cheaply (``diagnostics``) and reported as warnings in
the history.

Interruption. Ctrl-C (SIGINT) and SIGTERM are held back while training (``mathdl.base.interrupt``); at
every safe point of the route (online: every chunk of samples; matrix: every mini-batch, with plain SGD
every block of them; the reference engine: every update) the loop looks whether one came. If so it
hands a ``Checkpoint`` to ``on_checkpoint`` and raises ``Interrupted``. A checkpoint is also handed over
after every epoch. ``train(..., resume=checkpoint)`` on the network as it was then continues exactly:
the same orders, shifts and steps, so the same final weights and history (but the seconds) as a run
that was never interrupted.
"""
from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field

import numpy as np

from ..base.console import progress_bar
from ..base.errors import DivergenceError, MathdlError, choice
from ..base.interrupt import Interrupted, held_signals
from ..base.seeding import rng
from ..data.augment import Shifted, take
from ..data.tasks import Split, Task, class_weights
from ..nn.backprop import method_name
from ..nn.costs import Cost, get_cost
from ..nn.fast import ENGINES
from ..nn.fast import updates as route
from ..nn.network import Network
from ..nn.optimizers import make_optimizer
from .checkpoint import Checkpoint
from .defaults import defaults
from .diagnostics import GradientMonitor, evenly, saturation
from .evaluate import evaluate

MONITOR = 10_000  # training images the per-epoch check evaluates: every k-th, at most this many
TAIL = 1000  # the last images of an epoch's order, whose share of positives the history records (binary tasks)




@dataclass
class Settings:
    """How to train: cost, bp method, epochs, learning rate η, batch size, optimiser, seed, and the engine
    that computes it (the fast paths, or the readable reference; the same numbers up to round-off). Epochs, η
    and the batch size not given (None) are the method's, cost's and optimiser's (``training.defaults``)."""

    cost: str = "tse"
    method: str = "online"
    epochs: int | None = None
    eta: float | None = None
    batch_size: int | None = None
    optimizer: str = "sgd"
    seed: int = 0
    class_weight: str | None = None  # None or "balanced"
    decay: float = 0.0  # η in epoch e is η / (1 + decay · (e − 1))
    augment: int = 0  # shift training images by up to this many pixels, anew every epoch
    engine: str = "fast"  # "reference": backprop() and the optimiser's step only (see mathdl.nn.fast.updates)

    def eta_at(self, epoch: int) -> float:
        """The learning rate of epoch e = 1, 2, …: η / (1 + decay · (e − 1)) (inverse-time decay)."""
        return self.eta / (1 + self.decay * (epoch - 1))

    def __post_init__(self):
        self.cost = get_cost(self.cost).name
        self.method = method_name(self.method)
        given = defaults(self.method, self.cost, self.optimizer)
        for key in ("epochs", "eta", "batch_size"):
            if getattr(self, key) is None:
                setattr(self, key, given[key])
        if not (isinstance(self.epochs, int) and self.epochs > 0):
            raise MathdlError(f"epochs must be a positive integer, got {self.epochs}")
        if not (math.isfinite(self.eta) and self.eta > 0):
            raise MathdlError(f"learning rate must be a positive number, got {self.eta}")
        if not (isinstance(self.batch_size, int) and self.batch_size > 0):
            raise MathdlError(f"batch size must be a positive integer, got {self.batch_size}")
        if not (math.isfinite(self.decay) and self.decay >= 0):
            raise MathdlError(f"learning-rate decay must be >= 0, got {self.decay}")
        if not (isinstance(self.augment, int) and 0 <= self.augment <= 4):
            raise MathdlError(f"augment must be a shift of 0 to 4 pixels, got {self.augment}")
        choice("engine", self.engine, ENGINES)
        if self.class_weight not in (None, "balanced"):
            raise MathdlError(f"class weight must be 'balanced' or none, got {self.class_weight!r}")


@dataclass
class History:
    """One row per epoch (cost and accuracy on each split, gradient norm, seconds; for a binary task the share
    of positives among the last ``TAIL`` images of the epoch's order, ``tail_positives``), the wall time, and
    the numerical diagnostics: ``warnings`` (one line each, with a suggestion) and ``diagnostics``."""

    rows: list[dict] = field(default_factory=list)
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)
    diagnostics: dict = field(default_factory=dict)


def train(net: Network, task: Task, settings: Settings, *, weights: np.ndarray | None = None,
          progress: bool = True, on_epoch=None, optimizer=None, resume: Checkpoint | None = None,
          on_checkpoint=None, curves: bool = True) -> History:
    """Train ``net`` in place on ``task.train``; returns the per-epoch history.

    ``weights`` (N_train,) weight each sample's cost; without them, ``settings.class_weight`` "balanced" weighs
    each sample by w_x = N / (k N_c) (``data.tasks.class_weights``), so every class weighs the same; ``on_epoch(row)``
    is called after every epoch; ``progress`` is True (a bar), False, or a callable receiving
    (samples done, fields) instead of a bar; ``optimizer`` (from ``make_optimizer``) continues an
    earlier call's optimiser state (momentum, Adam's moments) instead of starting a fresh one.
    ``on_checkpoint(checkpoint)`` receives a ``Checkpoint`` after every epoch and at an interruption,
    which then raises ``Interrupted`` (a KeyboardInterrupt); ``resume`` continues from a checkpoint,
    ``net`` holding the weights it was taken with. Without ``curves`` the splits are scored after the last
    epoch only (the other rows have no train/val/test columns).
    """
    cost = get_cost(settings.cost)
    cost.check_output(net.f[net.L])
    if net.sizes[0] != task.n_inputs or net.sizes[-1] != task.n_outputs:
        raise MathdlError(f"the network maps {net.sizes[0]} inputs to {net.sizes[-1]} outputs but the task has "
                          f"{task.n_inputs} inputs and {task.n_outputs} outputs")
    if settings.augment and task.background is None:
        raise MathdlError("augment (shifted images) needs an image task")
    if settings.class_weight == "balanced":
        if weights is not None:
            raise MathdlError("give sample weights or class_weight='balanced', not both")
        weights = class_weights(task.train.labels, len(task.classes)).astype(net.dtype)
    shuffle, shifts = rng(settings.seed, "shuffle"), rng(settings.seed, "augment")
    N = task.train.N
    data = {"X": task.train.X, "Y": task.train.Y}  # X is replaced by shifted images every epoch
    stepper = route(net, cost, settings.method, optimizer or make_optimizer(settings.optimizer, settings.eta),
                    min(settings.batch_size, N), settings.engine)
    updates = epoch_updates(stepper, data, weights)
    monitor = GradientMonitor(net, task.train.X, task.train.Y, cost, settings.eta)
    at = Checkpoint(asdict(settings), N, grad_norms=list(monitor.norms))
    if resume is not None:
        at = _resume(resume, at, shuffle, shifts, stepper, monitor)
    history = History(rows=list(at.history), warnings=list(at.warnings))
    start = time.perf_counter() - at.seconds
    label = f"{settings.method} {settings.cost}"

    def checkpoint(epochs_done, samples_done, cost_sum, epoch_seconds, generators) -> Checkpoint:
        """The checkpoint here, handed to ``on_checkpoint``."""
        kept = Checkpoint(at.settings, N, epochs_done, samples_done, cost_sum, epoch_seconds,
                          time.perf_counter() - start, generators, _optimizer_state(stepper),
                          list(history.rows), list(history.warnings), list(monitor.norms), monitor.reported)
        if on_checkpoint is not None:
            on_checkpoint(kept)
        return kept

    with progress_bar(label, settings.epochs * N, enabled=progress) as bar, held_signals() as signals:
        bar.advance(at.epochs_done * N + at.samples_done)
        for epoch in range(at.epochs_done + 1, settings.epochs + 1):
            generators = {"shuffle": shuffle.bit_generator.state, "augment": shifts.bit_generator.state}
            order = shuffle.permutation(N)
            stepper.eta = settings.eta_at(epoch)
            if settings.augment:
                data["X"] = Shifted(task.train.X, settings.augment, shifts, task.background)
            done, total_cost, t0 = 0, 0.0, time.perf_counter()
            if epoch == at.epochs_done + 1:  # the epoch a checkpoint stopped in: skip the samples it did.
                # ``updates`` yields at fixed places from the start of the order it is given (every chunk,
                # every mini-batch) and a checkpoint is taken only there, so the rest of the order is cut
                # into the same pieces as in a run that was never interrupted.
                done, total_cost, t0 = at.samples_done, at.cost_sum, t0 - at.epoch_seconds
            try:
                with np.errstate(over="raise", invalid="raise", divide="raise"):
                    for n, cost_sum in updates(order[done:]):
                        done += n
                        total_cost += cost_sum
                        bar.advance(n, epoch=f"{epoch}/{settings.epochs}")
                        if not math.isfinite(total_cost):
                            raise FloatingPointError(total_cost)
                        if signals.requested and done < N:  # a safe point: between two updates
                            raise Interrupted(checkpoint(epoch - 1, done, total_cost, time.perf_counter() - t0,
                                                         generators))
            except FloatingPointError as e:
                raise DivergenceError(
                    f"training diverged in epoch {epoch} (the cost became non-finite: {e}); "
                    f"try a smaller learning rate than {settings.eta:g}") from None
            row = {"epoch": epoch, "eta": stepper.eta, "cost": total_cost / N}
            if len(task.classes) == 2:  # what the last updates of the epoch saw: explains a dip all runs share
                row["tail_positives"] = tail_share(task.train.labels, order)
            if curves or epoch == settings.epochs:
                row.update(_scores(net, task, cost))
            warning = monitor.after_epoch(epoch)
            row["grad_norm"] = monitor.norms[-1]
            row["seconds"] = time.perf_counter() - t0
            history.rows.append(row)
            if warning:
                history.warnings.append(warning)
            shown = "test" if task.test is not None else "train"
            bar.note(epoch=f"{epoch}/{settings.epochs}", cost=f"{row['cost']:.4g}",
                     **({shown: f"{100 * row[f'{shown}_accuracy']:.2f}%"} if f"{shown}_accuracy" in row else {}))
            kept = checkpoint(epoch, 0, 0.0, 0.0, {"shuffle": shuffle.bit_generator.state,
                                                   "augment": shifts.bit_generator.state})
            if on_epoch is not None:
                on_epoch(row)
            if signals.requested:
                raise Interrupted(kept)
    history.seconds = time.perf_counter() - start
    saturated = saturation(net, task.train.X, output=cost.name != "xe")  # XE's δ⁽ᴸ⁾ = a − y has no f'(z)
    history.warnings += saturated.warnings()
    history.diagnostics = {"grad_norm_initial": monitor.norms[0], "saturation": saturated.to_dict()}
    return history


def _resume(resume: Checkpoint, fresh: Checkpoint, shuffle, shifts, stepper, monitor) -> Checkpoint:
    """Put the generators, the optimiser and the gradient monitor back where ``resume`` left them."""
    if {"engine": "fast", **resume.settings} != fresh.settings or resume.samples_per_epoch != fresh.samples_per_epoch:
        raise MathdlError("the checkpoint was taken with other training settings or data; resume it with the "
                          "same ones")
    if resume.rng:
        shuffle.bit_generator.state, shifts.bit_generator.state = resume.rng["shuffle"], resume.rng["augment"]
    stepper.restore(resume.optimizer)
    monitor.norms, monitor.reported = list(resume.grad_norms), resume.grad_reported
    return resume


def tail_share(labels: np.ndarray, order: np.ndarray, tail: int = TAIL) -> float:
    """The share of positives (label 1) among the last ``tail`` images of an epoch's ``order`` (all of them when
    there are fewer)."""
    return float(np.mean(labels[order[-tail:]] == 1))


def _optimizer_state(stepper) -> dict:
    """A copy of the optimiser's memory (none for plain SGD)."""
    state = stepper.state()
    return {key: [a.copy() for a in value] if isinstance(value, list) else value for key, value in state.items()}


def _chunks(X, YT: np.ndarray, order: np.ndarray, size: int, weights: np.ndarray | None):
    """The training columns in the epoch's ``order``, ``size`` at a time, gathered into one reused
    column-major buffer (shifted on the way when X is ``Shifted``): (X, Y, weights) per chunk, Y taken from
    YT = Yᵀ (a sample's targets in one row: one memory access each, where Y's columns are spread over n_L rows)."""
    buffer = np.empty((X.shape[0], min(size, len(order))), X.dtype, order="F")
    for first in range(0, len(order), size):
        idx = order[first:first + size]
        yield take(X, idx, buffer[:, :len(idx)]), YT[idx].T, None if weights is None else weights[idx]


def epoch_updates(route, data: dict, weights: np.ndarray | None):
    """The updates of an epoch in the order it is given, by ``route`` (``mathdl.nn.fast.updates``): yields
    (samples done, Σ_x w_x C_x) at every safe point."""
    YT = np.ascontiguousarray(data["Y"].T)

    def epoch(order):
        for X, Y, w in _chunks(data["X"], YT, order, route.chunk, weights):  # data["X"]: this epoch's images
            yield from route.pieces(X, Y, w)
    return epoch


def _scores(net: Network, task: Task, cost: Cost) -> dict:
    """Cost and accuracy after the epoch on the train, validation and test splits (those present); the
    training split's on every k-th image, at most ``MONITOR`` of them (a view, no copy), so the check
    costs a fraction of an epoch's training rather than a quarter of it."""
    s = evenly(task.train.N, MONITOR)
    train = Split(task.train.X[:, s], task.train.Y[:, s], task.train.labels[s], task.train.digits[s])
    scores = {}
    for name, split in (("train", train), ("val", task.val), ("test", task.test)):
        if split is not None:
            e = evaluate(net, split, task, cost)
            scores[f"{name}_cost"], scores[f"{name}_accuracy"] = e.cost, e.accuracy
    return scores
