"""The playground's sessions: one per browser tab, each a network on dots trained live by mathdl's own loop.

A session holds its parameters, its points and an untrained ``DotsFit`` (``workshop.boundary.dots_fit``).
Started, it runs ``training.loop.train`` in a thread of its own; the loop calls back after every epoch,
and there the session records the epoch's row (costs and accuracies), publishes a frame (``frame.frame``:
the boundary, the neurons' maps, a perceptron's line) at most ``MAX_FPS`` times a second, keeps to the
session's pace (``rate`` epochs a second), and waits while paused. Reset, a change of parameters or closing
the session stops the loop at its next epoch. ``Sessions`` frees a session nobody has asked about (no
request, no open stream) for ``timeout`` seconds.
"""
from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field

from ..base.errors import DivergenceError, MathdlError
from ..data.dots import DEFAULT_NOISE, DOTS, make_dots
from ..data.points import parse_points
from ..nn.activations import HIDDEN_ACTIVATIONS
from ..nn.optimizers import OPTIMIZERS
from ..training.loop import train
from ..workshop.boundary import Recipe, dots_fit
from .checks import ApiError, Param, checked, unprocessable
from .frame import Grid, frame, points

MAX_POINTS = 2000  # generated or uploaded: more makes an epoch slower than a frame
MAX_EPOCHS = 10_000  # a session's training stops there
MAX_FPS = 30  # frames published a second, at most
CSV_LIMIT = 256 * 1024  # bytes of an uploaded CSV (MAX_POINTS rows of three numbers fit many times over)

PARAMS = {
    "dataset": Param("choice", choices=(*DOTS, "csv")),
    "noise": Param("float", 0.0, 1.0, nullable=True),
    "points": Param("int", 20, MAX_POINTS),
    "test_fraction": Param("float", 0.1, 0.9),
    "hidden": Param("sizes", 1, 32, length=(0, 6)),
    "activation": Param("choice", choices=tuple(HIDDEN_ACTIVATIONS)),
    "cost": Param("choice", choices=("tse", "xe")),
    "bp": Param("choice", choices=("online", "matrix")),
    "optimizer": Param("choice", choices=tuple(OPTIMIZERS)),
    "eta": Param("float", 1e-4, 10.0),
    "batch_size": Param("int", 1, 256),
    "seed": Param("int", 0, 2**31 - 1),
    "rate": Param("int", 1, 1000),
}
FIRST = Recipe((8,))  # the first network: the workshop's defaults for dots (``workshop.boundary``)
DEFAULTS = {"dataset": "xor", "noise": None, "points": FIRST.points, "test_fraction": FIRST.test_fraction,
            "hidden": list(FIRST.hidden), "activation": FIRST.activation, "cost": FIRST.cost, "bp": FIRST.method,
            "optimizer": FIRST.optimizer, "eta": FIRST.eta, "batch_size": FIRST.batch_size, "seed": 0, "rate": 20}
ROW_KEYS = ("epoch", "cost", "train_cost", "train_accuracy", "test_cost", "test_accuracy")


class _Stopped(Exception):
    """Raised in the training loop's callback to end a session's training."""


def uploaded_points(body: bytes) -> tuple:
    """(X (2, N), labels, class names) of an uploaded CSV, with at most ``MAX_POINTS`` points."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(422, "the CSV is not UTF-8 text") from None
    try:
        X, labels, classes = parse_points(text, "the CSV")
    except MathdlError as e:
        raise unprocessable(e) from None
    if X.shape[1] > MAX_POINTS:
        raise ApiError(413, f"the CSV has {X.shape[1]:,} points; the playground takes at most {MAX_POINTS:,}")
    return X, labels, classes


@dataclass
class Session:
    """One tab's playground: parameters, points, network and its training thread."""

    id: str
    params: dict = field(default_factory=lambda: dict(DEFAULTS))
    csv: tuple | None = None
    last_seen: float = field(default_factory=time.monotonic)

    def __post_init__(self):
        self.cond = threading.Condition()
        self.thread: threading.Thread | None = None
        self.mode = "pause"  # what the loop does after its epoch: run, pause, step, stop
        self.parked = False  # the loop waits in its pause
        self.version = 0  # counts configurations: a stream resends the points when it changes
        self.closed = False
        self._build()

    # ---- configuration -------------------------------------------------------------------------

    def configure(self, changes: dict, csv: tuple | None = None) -> None:
        """New parameters (checked against ``PARAMS``) or new uploaded points: the training stops and a new
        untrained network is made on the new points."""
        changes = checked(changes, PARAMS)
        if csv is None and set(changes) <= {"rate"}:  # the pace is not the network's: keep training
            with self.cond:
                self.params = {**self.params, **changes}
            return
        params = {**self.params, **changes}
        if csv is not None:
            params["dataset"] = "csv"
        if params["dataset"] == "csv" and (csv or self.csv) is None:
            raise ApiError(422, "dataset csv needs an uploaded CSV of x, y, label rows first")
        self._stop()
        previous = (self.params, self.csv)
        self.params, self.csv = params, csv or self.csv
        try:
            self._build()
        except MathdlError as e:
            self.params, self.csv = previous
            self._build()
            raise unprocessable(e) from None

    def _build(self) -> None:
        p = self.params
        if p["dataset"] == "csv":
            X, labels, classes = self.csv
        else:
            X, labels = make_dots(p["dataset"], p["points"], p["noise"], seed=p["seed"])
            classes = [str(c) for c in range(int(labels.max()) + 1)]
        fit = dots_fit(X, labels, name=p["dataset"], classes=classes, hidden=tuple(p["hidden"]),
                       activation=p["activation"], epochs=MAX_EPOCHS, eta=p["eta"], batch_size=p["batch_size"],
                       optimizer=p["optimizer"], cost=p["cost"], method=p["bp"],
                       test_fraction=p["test_fraction"], seed=p["seed"])
        grid = Grid.over(X)
        with self.cond:
            self.fit, self.grid, self.rows = fit, grid, []
            self.status, self.message, self.epoch = "ready", "", 0
            self.version += 1
            self._publish(frame(fit, grid))

    # ---- control ---------------------------------------------------------------------------------

    def start(self) -> None:
        self._go("run")

    def pause(self, timeout: float = 10.0) -> None:
        """Pause after the epoch in progress; returns once the loop waits (so the state answered is final)."""
        with self.cond:
            if self.mode in ("run", "step"):
                self.mode = "pause"
                self.cond.notify_all()
            self._wait_parked(timeout)

    def step(self, timeout: float = 10.0) -> None:
        """Train one epoch and pause; returns when it is done (or the training ended)."""
        with self.cond:
            epoch = self.epoch
        self._go("step")
        with self.cond:
            self.cond.wait_for(lambda: self.epoch > epoch or not self._training(), timeout)
            self._wait_parked(timeout)

    def _training(self) -> bool:
        return self.thread is not None and self.thread.is_alive() and self.status == "running"

    def _wait_parked(self, timeout: float) -> None:
        """Wait (holding the lock) until the loop is parked in its pause, or is not training."""
        self.cond.wait_for(lambda: self.parked or self.mode not in ("pause", "step") or not self._training(), timeout)

    def reset(self) -> None:
        """The same parameters, a new untrained network."""
        self._stop()
        self._build()

    def close(self) -> None:
        self.closed = True
        self._stop()

    def _go(self, mode: str) -> None:
        with self.cond:
            if self.status in ("finished", "diverged", "failed"):
                raise ApiError(409, f"training has {self.status}" + (f" ({self.message})" if self.message else "")
                               + "; reset to train a new network")
            self.mode = mode
            self.status = "running"
            if self.thread is None:
                self.thread = threading.Thread(target=self._train, name=f"playground-{self.id[:6]}", daemon=True)
                self.thread.start()
            self.cond.notify_all()

    def _stop(self) -> None:
        with self.cond:
            thread, self.mode = self.thread, "stop"
            self.cond.notify_all()
        if thread is not None:
            thread.join(timeout=10)
        with self.cond:
            self.thread, self.mode = None, "pause"

    # ---- the training thread ---------------------------------------------------------------------

    def _train(self) -> None:
        fit = self.fit
        self._next = time.monotonic()
        self._framed = 0.0
        try:
            train(fit.net, fit.task, fit.settings, progress=False, on_epoch=self._after_epoch)
            outcome, message = "finished", f"all {MAX_EPOCHS:,} epochs done"
        except _Stopped:
            return
        except DivergenceError as e:
            outcome, message = "diverged", str(e)
        except Exception as e:  # noqa: BLE001 - shown on the page as one line; the server goes on
            outcome, message = "failed", f"{type(e).__name__}: {e}"
        picture = frame(fit, self.grid)
        with self.cond:
            if fit is self.fit and self.mode != "stop":
                self.status, self.message = outcome, message
                self._publish(picture)

    def _after_epoch(self, row: dict) -> None:
        """The training loop's callback after every epoch: record, publish, keep the pace, pause, stop."""
        kept = {key: round(float(row[key]), 6) if key != "epoch" else int(row[key]) for key in ROW_KEYS if key in row}
        now = time.monotonic()
        picture = frame(self.fit, self.grid) if self.mode != "run" or now - self._framed >= 1 / MAX_FPS else None
        with self.cond:
            if self.mode == "stop":
                raise _Stopped
            self.rows.append(kept)
            self.epoch = kept["epoch"]
            if self.mode == "step":
                self.mode = "pause"
            if picture is not None:
                self._framed = now
                self._publish(picture)
            self._next += 1 / self.params["rate"]
            while self.mode == "run" and time.monotonic() < self._next:
                self.cond.wait(self._next - time.monotonic())
            self._next = max(self._next, time.monotonic() - 1 / self.params["rate"])  # no burst after a slow epoch
            if self.mode == "pause":
                self.parked, self.status = True, "paused"
                self._publish(frame(self.fit, self.grid) if picture is None else picture)
                while self.mode == "pause":
                    self.cond.wait()
                self.parked = False
                self._next = time.monotonic()
            if self.mode == "stop":
                raise _Stopped

    def _publish(self, picture: dict) -> None:
        """The frame a stream sends next (the caller holds the lock)."""
        self.frame = {"epoch": self.epoch, "status": self.status, "message": self.message, **picture}
        self.frame_no = getattr(self, "frame_no", 0) + 1
        self.cond.notify_all()

    # ---- what the page is sent -------------------------------------------------------------------

    def state(self) -> dict:
        """Everything the page shows: parameters, points, network, the rows so far and the latest frame."""
        with self.cond:
            fit, p = self.fit, self.params
            return {"id": self.id, "version": self.version,
                    "params": {**p, "noise": DEFAULT_NOISE.get(p["dataset"], 0.0) if p["noise"] is None
                               else p["noise"]},
                    "classes": fit.classes, "extent": self.grid.extent, "points": points(fit),
                    "network": {"sizes": fit.net.sizes, "activations": fit.net.activations, "label": fit.label,
                                "parameters": fit.net.n_params},
                    "status": self.status, "message": self.message, "epoch": self.epoch, "rows": list(self.rows),
                    "frame": self.frame}

    def update(self, version: int, rows_sent: int, frame_sent: int) -> tuple[dict | None, int, int, int]:
        """What a stream has not sent yet: (message or None, version, rows sent, frame number sent). After a
        new configuration the message is {"state": the whole ``state``}."""
        with self.cond:
            if version != self.version:
                return {"state": self.state()}, self.version, len(self.rows), self.frame_no
            if len(self.rows) == rows_sent and self.frame_no == frame_sent:
                return None, version, rows_sent, frame_sent
            message = {"epoch": self.epoch, "status": self.status, "message": self.message,
                       "rows": self.rows[rows_sent:], "frame": self.frame if self.frame_no != frame_sent else None}
            return message, version, len(self.rows), self.frame_no


class Sessions:
    """The open sessions by id; at most ``limit``, each freed after ``timeout`` seconds unasked."""

    def __init__(self, *, timeout: float = 120.0, limit: int = 32):
        self.timeout, self.limit = timeout, limit
        self.open: dict[str, Session] = {}
        self.lock = threading.Lock()

    def create(self, params: dict) -> Session:
        self.reap()
        with self.lock:
            if len(self.open) >= self.limit:
                raise ApiError(429, f"{self.limit} playground sessions are open; close a tab or wait "
                                    f"{self.timeout:g} s for an abandoned one to be freed")
        session = Session(secrets.token_urlsafe(12))
        try:
            session.configure(params)
        except ApiError:
            session.close()
            raise
        with self.lock:
            self.open[session.id] = session
        return session

    def get(self, id: str) -> Session:
        with self.lock:
            session = self.open.get(id)
        if session is None:
            raise ApiError(404, f"no playground session {id!r} (it was closed or freed after "
                                f"{self.timeout:g} s unused); reload the page")
        session.last_seen = time.monotonic()
        return session

    def close(self, id: str) -> None:
        with self.lock:
            session = self.open.pop(id, None)
        if session is not None:
            session.close()

    def reap(self) -> list[str]:
        """Close the sessions unasked for longer than ``timeout``; their ids."""
        now = time.monotonic()
        with self.lock:
            idle = [id for id, s in self.open.items() if now - s.last_seen > self.timeout]
        for id in idle:
            self.close(id)
        return idle

    def close_all(self) -> None:
        for id in list(self.open):
            self.close(id)

