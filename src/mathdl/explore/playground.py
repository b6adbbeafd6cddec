"""The playground's sessions: one per browser tab, each a network on dots trained live by mathdl's own loop.

A session holds its parameters, its points and an untrained ``DotsFit`` (``workshop.boundary.dots_fit``).
Started, it runs ``training.loop.train`` in a thread of its own; the loop calls back after every epoch,
and there the session records the epoch's row (costs and accuracies), publishes a frame (``frame.frame``:
the boundary, the neurons' maps, a perceptron's line) at most ``MAX_FPS`` times a second, keeps to the
session's pace (``rate`` epochs a second), and waits while paused. Reset, a change of parameters or closing
the session leaves the loop behind: it ends at its next epoch, and a new network is there at once. Whoever
listens (a stream) is woken when something new is published. ``Sessions`` frees a session nobody has asked
about (no request, no open stream) for ``timeout`` seconds.

The compiled training loops (``nn.fast``) are compiled on first use, once per backpropagation method; the
server has them compiled in the background as it starts (``Compiler``). A Start meanwhile shows the status
``compiling`` and waits for them without holding anything: Pause, Step, Reset and a change of parameters
answer at once (within ``PROMPT`` seconds) at any time.
"""
from __future__ import annotations

import math
import secrets
import threading
import time
from typing import Callable

import numpy as np

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
COORDINATE_LIMIT = 1e6  # |x|, |y| of an uploaded point: the plane's grid and scaling stay far from overflow
PROMPT = 0.15  # seconds a control waits for the loop before it answers (Pause: until the epoch ends)

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


def uploaded_points(body: bytes) -> tuple:
    """(X (2, N), labels, class names) of an uploaded CSV, with at most ``MAX_POINTS`` points, each within
    ``COORDINATE_LIMIT`` of the origin."""
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
    far = np.flatnonzero(np.abs(X).max(axis=0) > COORDINATE_LIMIT)
    if far.size:
        x, y = X[:, far[0]]
        raise ApiError(422, f"the CSV's point {far[0] + 1} ({x:g}, {y:g}) lies outside the playground's plane: "
                            f"coordinates must be within ±{COORDINATE_LIMIT:,.0f}")
    return X, labels, classes


class Compiler:
    """The compiled training loops made ready once, in a thread: one epoch of a small network by each
    backpropagation method with plain SGD (every depth shares the loops of its method). ``ready`` is set when
    done (also when it failed: training then compiles as it goes); the loop of momentum and Adam is compiled
    next, in the same thread (a session with Adam started before waits for it on Numba's lock)."""

    def __init__(self):
        self.ready = threading.Event()
        self.started: float | None = None
        self.error = ""  # why the compilation failed (the sessions then compile as they train)
        self.lock = threading.Lock()
        self.waiting: list[Callable[[], None]] = []  # called once ready

    def start(self) -> "Compiler":
        with self.lock:
            if self.started is None:
                self.started = time.monotonic()
                threading.Thread(target=self._compile, name="explore-compile", daemon=True).start()
        return self

    def _compile(self) -> None:
        X, labels = make_dots("xor", 40, None, seed=0)

        def one_epoch(method: str, optimizer: str) -> None:
            fit = dots_fit(X, labels, name="xor", classes=["0", "1"], hidden=(2,), activation="tanh", epochs=1,
                           eta=0.1, batch_size=4, optimizer=optimizer, cost="xe", method=method, seed=0)
            train(fit.net, fit.task, fit.settings, progress=False)
        try:
            for method in ("matrix", "online"):
                one_epoch(method, "sgd")
        except Exception as e:  # noqa: BLE001 - the sessions then compile as they train
            self.error = f"{type(e).__name__}: {e}"
        with self.lock:
            self.ready.set()
            waiting, self.waiting = self.waiting, []
        for wake in waiting:
            wake()
        try:  # then momentum's and Adam's loop (``nn.fast.layers``), which the default recipe does not use
            one_epoch("matrix", "adam")
        except Exception:  # noqa: BLE001 - a session with Adam then compiles it as it trains
            pass

    def when_ready(self, wake: Callable[[], None]) -> bool:
        """Call ``wake`` once the loops are ready; False if they are ready now (nothing is called)."""
        with self.lock:
            if self.ready.is_set():
                return False
            self.waiting.append(wake)
            return True

    def elapsed(self) -> float:
        return 0.0 if self.started is None else time.monotonic() - self.started


class _Stopped(Exception):
    """Raised in the training loop's callback to end a training thread left behind."""


ENDED = ("finished", "diverged", "failed")  # statuses a reset leaves


class Session:
    """One tab's playground: parameters, points, network and its training thread.

    ``status`` is what the session is doing (ready — untrained, no thread; compiling — waiting
    for the compiled loops; running; paused — the loop waits in its pause; finished, diverged, failed;
    closed); ``want`` is what the loop is asked to do next: run, step (one epoch, then pause) or pause. A
    training thread trains the ``fit`` it started with, and ends at its next epoch once that is no longer
    the session's (after a reset or a change of parameters) or the session is closed."""

    def __init__(self, id: str, compiler: Compiler | None = None):
        self.id = id
        self.compiler = compiler
        self.params, self.csv = dict(DEFAULTS), None
        self.last_seen = time.monotonic()
        self.cond = threading.Condition()
        self.listeners: set[Callable[[], None]] = set()  # woken whenever something new is published
        self.thread: threading.Thread | None = None
        self.status, self.want, self.message = "ready", "pause", ""
        self.version = 0  # counts configurations: a stream resends the points when it changes
        self.epoch, self.rows, self.frame, self.frame_no = 0, [], {}, 0
        self.pace = self.framed = 0.0  # when the next epoch is due; when the last frame was published
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
        previous = (self.params, self.csv)
        self.params, self.csv = params, csv or self.csv
        try:
            self._build()
        except MathdlError as e:
            self.params, self.csv = previous
            self._build()
            raise unprocessable(e) from None

    def _build(self) -> None:
        """A new untrained network on the parameters' points; a training thread still running is left behind."""
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
        picture = frame(fit, grid)
        with self.cond:
            self.fit, self.grid, self.rows, self.thread = fit, grid, [], None
            self.status, self.want, self.message, self.epoch = "ready", "pause", "", 0
            self.version += 1
            self._publish(picture)

    # ---- control: each answers within PROMPT seconds ----------------------------------------------

    def start(self) -> None:
        self._go("run")

    def pause(self) -> None:
        """Pause after the epoch in progress: the answer is paused once the loop waits (within ``PROMPT``
        seconds), else the status is still running, with ``want`` pause (the page says "pausing")."""
        with self.cond:
            if self.status in ("running", "compiling"):
                self.want = "pause"
                if self.status == "compiling":  # nothing trains yet: it pauses before its first epoch
                    self._set_status("paused")
                self.cond.wait_for(lambda: self.status != "running", PROMPT)

    def step(self) -> None:
        """Train one epoch and pause: the answer has it when it took less than ``PROMPT`` seconds."""
        with self.cond:
            epoch = self.epoch
        self._go("step")
        with self.cond:
            self.cond.wait_for(lambda: self.epoch > epoch and self.status != "running"
                               or self.status not in ("running", "compiling"), PROMPT)

    def reset(self) -> None:
        """The same parameters, a new untrained network."""
        self._build()

    def close(self) -> None:
        with self.cond:
            self._set_status("closed")

    def _go(self, want: str) -> None:
        with self.cond:
            if self.status in ENDED or self.status == "closed":
                raise ApiError(409, f"training has {self.status}" + (f" ({self.message})" if self.message else "")
                               + "; reset to train a new network")
            self.want = want
            if self.thread is None:
                ready = self.compiler is None or not self.compiler.start().when_ready(self._wake)
                self._set_status("running" if ready else "compiling")
                self.thread = threading.Thread(target=self._train, args=(self.fit,), daemon=True,
                                               name=f"playground-{self.id[:6]}")
                self.thread.start()
            elif self.status == "paused":
                self._set_status("compiling" if self._compiling() else "running")

    def _compiling(self) -> bool:
        """Does the training thread wait for the compiled loops? (the caller holds the lock)"""
        return self.thread is not None and self.compiler is not None and not self.compiler.ready.is_set()

    def _wake(self) -> None:
        with self.cond:
            self.cond.notify_all()

    def _set_status(self, status: str) -> None:
        """(the caller holds the lock)"""
        if status != self.status:
            self.status = status
            self._changed()

    # ---- the training thread ---------------------------------------------------------------------

    def _current(self, fit) -> bool:
        """Is ``fit`` still the session's, and the session open? (the caller holds the lock)"""
        return fit is self.fit and self.status != "closed"

    def _train(self, fit) -> None:
        with self.cond:  # the compiled loops first (unless they are ready), then any pause asked for meanwhile
            self.cond.wait_for(lambda: self.compiler is None or self.compiler.ready.is_set()
                               or not self._current(fit))
            if not self._current(fit) or not self._hold(fit):
                return
            self.pace = time.monotonic()
        try:
            train(fit.net, fit.task, fit.settings, progress=False, on_epoch=lambda row: self._after_epoch(fit, row))
            outcome, message = "finished", f"all {MAX_EPOCHS:,} epochs done"
        except _Stopped:
            return
        except DivergenceError as e:
            outcome, message = "diverged", str(e)
        except Exception as e:  # noqa: BLE001 - shown on the page as one line; the server goes on
            outcome, message = "failed", f"{type(e).__name__}: {e}"
        picture = frame(fit, self.grid)
        with self.cond:
            if self._current(fit):
                self.message = message
                self._set_status(outcome)
                self._publish(picture)

    def _hold(self, fit) -> bool:
        """Wait while paused (the caller holds the lock): status paused until asked to run or step; False if
        ``fit`` was left behind meanwhile. Otherwise the status is running."""
        if self.want == "pause":
            self._set_status("paused")
            self.cond.wait_for(lambda: self.want != "pause" or not self._current(fit))
            self.pace = time.monotonic()
        if not self._current(fit):
            return False
        self._set_status("running")
        return True

    def _after_epoch(self, fit, row: dict) -> None:
        """The training loop's callback after every epoch: record, publish, keep the pace, pause, stop."""
        kept = {key: _finite(row[key]) if key != "epoch" else int(row[key]) for key in ROW_KEYS if key in row}
        now = time.monotonic()
        picture = frame(fit, self.grid) if self.want != "run" or now - self.framed >= 1 / MAX_FPS else None
        with self.cond:
            if not self._current(fit):
                raise _Stopped
            self.rows.append(kept)
            self.epoch = kept["epoch"]
            if self.want == "step":
                self.want = "pause"
            if picture is not None:
                self.framed = now
                self._publish(picture)
            else:
                self._changed()
            self.pace += 1 / self.params["rate"]
            while self.want == "run" and self._current(fit) and time.monotonic() < self.pace:
                self.cond.wait(self.pace - time.monotonic())
            self.pace = max(self.pace, time.monotonic() - 1 / self.params["rate"])  # no burst after a slow epoch
            if self.want == "pause" and picture is None and self._current(fit):
                self._publish(frame(fit, self.grid))
            if not self._hold(fit):
                raise _Stopped

    def _publish(self, picture: dict) -> None:
        """The frame a stream sends next (the caller holds the lock)."""
        self.frame = {"epoch": self.epoch, "status": self.status, "message": self.message, **picture}
        self.frame_no += 1
        self._changed()

    def _changed(self) -> None:
        """Wake the waiting controls and the listening streams (the caller holds the lock)."""
        self.cond.notify_all()
        for wake in list(self.listeners):
            wake()

    def listen(self, wake: Callable[[], None]) -> None:
        with self.cond:
            self.listeners.add(wake)

    def unlisten(self, wake: Callable[[], None]) -> None:
        with self.cond:
            self.listeners.discard(wake)

    # ---- what the page is sent -------------------------------------------------------------------

    def _status(self) -> dict:
        """The status, what the loop was asked to do, and how long the compilation has taken so far."""
        compiling = self.status in ("compiling", "paused") and self._compiling()
        return {"status": self.status, "want": self.want, "message": self.message,
                "compiling": round(self.compiler.elapsed(), 1) if compiling else None}

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
                    **self._status(), "epoch": self.epoch, "rows": list(self.rows), "frame": self.frame}

    def update(self, version: int, rows_sent: int, frame_sent: int, status_sent: dict | None = None) \
            -> tuple[dict | None, int, int, int, dict]:
        """What a stream has not sent yet: (message or None, version, rows sent, frame number sent, status
        sent). After a new configuration the message is {"state": the whole ``state``}."""
        with self.cond:
            status = self._status()
            if version != self.version:
                return {"state": self.state()}, self.version, len(self.rows), self.frame_no, status
            if len(self.rows) == rows_sent and self.frame_no == frame_sent and status == status_sent:
                return None, version, rows_sent, frame_sent, status
            message = {"epoch": self.epoch, **status, "rows": self.rows[rows_sent:],
                       "frame": self.frame if self.frame_no != frame_sent else None}
            return message, version, len(self.rows), self.frame_no, status


def _finite(value) -> float | None:
    """A row's number rounded to 6 digits, None when it is not finite (JSON has no NaN)."""
    value = float(value)
    return round(value, 6) if math.isfinite(value) else None


class Sessions:
    """The open sessions by id; at most ``limit``, each freed after ``timeout`` seconds unasked."""

    def __init__(self, *, timeout: float = 120.0, limit: int = 32, compiler: Compiler | None = None):
        self.timeout, self.limit, self.compiler = timeout, limit, compiler
        self.open: dict[str, Session] = {}
        self.lock = threading.Lock()
        self.stopping = False  # the server is shutting down: the streams end

    def create(self, params: dict) -> Session:
        """A new session with ``params``, refused (429) when ``limit`` are open."""
        self.reap()
        session = Session(secrets.token_urlsafe(12), self.compiler)
        session.configure(params)
        with self.lock:
            full = len(self.open) >= self.limit
            if not full:
                self.open[session.id] = session
        if full:
            session.close()
            raise ApiError(429, f"{self.limit} playground sessions are open; close a tab or wait "
                                f"{self.timeout:g} s for an abandoned one to be freed")
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

    def stop_streams(self) -> None:
        """The server shuts down: every open stream ends now, not after the graceful timeout."""
        self.stopping = True
        with self.lock:
            sessions = list(self.open.values())
        for session in sessions:
            with session.cond:
                session._changed()

    def close_all(self) -> None:
        for id in list(self.open):
            self.close(id)
