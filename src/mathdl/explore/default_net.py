"""The network the explorer trains itself when it was given none: ten digits, 784-100-10 sigmoid, trained
on MNIST once (about half a minute on two cores) into the user cache, where later servers find it.

The book's scaling and targets, as ``mathdl reverse`` trains, so that backquery asks for the outputs the
network learnt; deskewed and shifted by a pixel every epoch like the study's networks, so that a digit
drawn with a mouse at a slant is read as well as MNIST's.
"""
from __future__ import annotations

import threading
from pathlib import Path

from ..base.errors import MathdlError
from ..data.mnist import cache_dir, load_mnist
from ..runs.experiment import Config, run
from ..runs.directory import is_run
from .catalog import NetworkEntry

CONFIG = Config(task="digits", hidden=(100,), activation="sigmoid", output_activation="sigmoid", cost="xe",
                method="matrix", epochs=3, scale="book", targets="book")
NAME = "digits-784-100-10"  # change it with CONFIG, so that a server never shows an older recipe's network
ID = "default"


class DefaultNetwork:
    """The state of the explorer's own network: ``absent``, ``training`` (with ``progress`` 0-1),
    ``ready`` or ``failed`` (with ``message``)."""

    def __init__(self, data=None, folder: Path | None = None):
        self.data = data
        self.folder = folder or cache_dir() / "explore" / NAME
        self.lock = threading.Lock()
        self.progress, self.message = 0.0, ""
        self.state = "ready" if self._finished() else "absent"
        self.thread: threading.Thread | None = None

    def _finished(self) -> bool:
        return is_run(self.folder) and (self.folder / "metrics.json").is_file() and \
            not (self.folder / "checkpoint.npz").exists()

    def entry(self) -> NetworkEntry:
        return NetworkEntry(ID, f"ten digits, {CONFIG.label([784, 100, 10])} (trained by the explorer)",
                            self.folder)

    def describe(self) -> dict:
        with self.lock:
            return {"id": ID, "state": self.state, "progress": round(self.progress, 4), "message": self.message,
                    "label": CONFIG.label([784, *CONFIG.hidden, 10])}

    def start(self) -> None:
        """Begin training in a thread, unless it is training or trained."""
        with self.lock:
            if self.state in ("training", "ready"):
                return
            self.state, self.progress, self.message = "training", 0.0, "loading MNIST"
            self.thread = threading.Thread(target=self._train, name="explore-default-network", daemon=True)
            self.thread.start()

    def _train(self) -> None:
        try:
            mnist = load_mnist(self.data, progress=False)
            total = CONFIG.settings().epochs * len(mnist.train_labels)
            done = 0

            def sink(units, fields):
                nonlocal done
                done += units
                with self.lock:
                    self.progress = min(done / total, 1.0)
                    self.message = "training, epoch " + str(fields.get("epoch", "1/")).split("/")[0] + \
                        f" of {CONFIG.settings().epochs}"

            with self.lock:
                self.message = "preparing the images"
            run(CONFIG, mnist, out=self.folder, progress=sink, resume=True)
        except (MathdlError, OSError) as e:
            with self.lock:
                self.state, self.message = "failed", str(e)
            return
        except Exception as e:  # noqa: BLE001 - shown on the page as one line
            with self.lock:
                self.state, self.message = "failed", f"{type(e).__name__}: {e}"
            return
        with self.lock:
            self.state, self.progress, self.message = "ready", 1.0, ""
