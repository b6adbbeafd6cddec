"""The study's protocol: the assignment's eight configurations on the ID task, the size curve and the
reverse part's networks, and the pairs McNemar's test compares.

    1  one hidden layer,    TSE, online bp        5  three hidden layers, TSE, online bp
    2  one hidden layer,    XE,  online bp        6  three hidden layers, XE,  online bp
    3  one hidden layer,    TSE, matrix bp        7  three hidden layers, TSE, matrix bp
    4  one hidden layer,    XE,  matrix bp        8  three hidden layers, XE,  matrix bp

Sigmoid on every layer.
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path

from ..base.errors import MathdlError
from ..data.mnist import TRAIN_IMAGES
from ..runs.experiment import Config, config_differences, finished_config
from ..training.checkpoint import CHECKPOINT

PROTOCOL = [(depth, cost, method) for depth in (1, 3) for method in ("online", "matrix") for cost in ("tse", "xe")]


QUICK = {"train_size": 3000, "test_size": 1000, "epochs": 4}


REVERSE_EPOCHS = 10  # the ten-output networks of the reverse part (matrix XE, the book's scaling and targets)


# The reverse part's control: T. Rashid's network trained the book's way (one hidden layer of 200, no biases,
# TSE, online, a constant η = 0.1, 5 epochs, inputs in [0.01, 1], targets 0.01/0.99, no deskewing or shifts),
# where backquery is known to give digit-like pictures.
BOOK = {"hidden": (200,), "eta": 0.1, "epochs": 5}


FULL_SIZES = (500, 1000, 2000, 5000, 10000)  # and the full 60,000: configuration 4 itself


QUICK_SIZES = (250, 500, 1000)


STATE_FILE = "study.json"


@dataclass
class StudyOptions:
    """The study's choices; ``None`` means the default of ``mathdl.runs.experiment`` (``Config`` and ``DEFAULTS``)."""

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
    engine: str = "fast"
    seeds: int = 1  # replicates: every configuration trained with the seeds seed, seed + 1, …, seed + seeds − 1

    def __post_init__(self):
        if isinstance(self.seeds, bool) or not isinstance(self.seeds, int) or self.seeds < 1:
            raise MathdlError(f"--seeds must be a positive integer, got {self.seeds!r}")
        self.hidden1, self.hidden3 = tuple(self.hidden1), tuple(self.hidden3)
        if len(self.hidden1) != 1:
            raise MathdlError(f"--hidden1 must be one layer size, got {list(self.hidden1)}")
        if len(self.hidden3) != 3:
            raise MathdlError(f"--hidden3 must be three layer sizes like 128,64,32, got {list(self.hidden3)}")
        if self.sizes is not None:
            self.sizes = tuple(int(n) for n in self.sizes)
        self.configs()  # every configuration is checked now, not after hours of training

    def configs(self, seed: int | None = None) -> list[tuple[int, str, Config]]:
        """The eight (number, name, Config) of the protocol, in its order, with ``seed`` (default: the
        study's) as the seed of every random choice."""
        seed = self.seed if seed is None else seed
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
                test_size=pick(self.test_size, quick.get("test_size")), seed=seed, dtype=self.dtype, engine=self.engine,
                **given)
            name = f"{number}-{'1layer' if depth == 1 else '3layers'}-{cost}-{method}"
            out.append((number, name, config))
        return out

    def seed_list(self) -> list[int]:
        """The replicates' seeds: seed, seed + 1, …, seed + seeds − 1."""
        return [self.seed + i for i in range(self.seeds)]

    def run_name(self, name: str, seed: int) -> str:
        """The run directory's name under runs/: the configuration's name for the study's seed (so a study of
        one seed is laid out as always), with '-seedS' for the other replicates."""
        return name if seed == self.seed else f"{name}-seed{seed}"

    def replicates(self) -> list[tuple[int, str, int, Config]]:
        """Every (number, run directory name, seed, Config) of the eight configurations over the seeds."""
        return [(number, self.run_name(name, seed), seed, config)
                for seed in self.seed_list() for number, name, config in self.configs(seed)]

    def reverse_configs(self) -> list[tuple[str, Config]]:
        """The ten-output networks the reverse part runs backwards: one and three hidden layers of the
        study's sizes, sigmoid everywhere, trained on the digits with the book's scaling and targets
        (so backquery asks for the 0.01/0.99 outputs the network learnt); and the control, the book's
        own network trained the book's way (``BOOK``): (name, configuration) each."""
        quick = QUICK if self.quick else {}
        pick = lambda value, default: default if value is None else value  # noqa: E731
        sizes = {"train_size": pick(self.train_size, quick.get("train_size")),
                 "test_size": pick(self.test_size, quick.get("test_size")), "seed": self.seed, "dtype": self.dtype,
                 "engine": self.engine}
        study = [(name, Config(
            task="digits", hidden=hidden, activation="sigmoid", output_activation="sigmoid", cost="xe",
            method="matrix", scale="book", targets="book",
            deskew=Config().deskew if self.deskew is None else self.deskew,
            epochs=pick(self.epochs, quick.get("epochs", REVERSE_EPOCHS)), **sizes))
            for name, hidden in (("1layer", self.hidden1), ("3layers", self.hidden3))]
        book = Config(task="digits", hidden=BOOK["hidden"], activation="sigmoid", output_activation="sigmoid",
                      cost="tse", method="online", eta=BOOK["eta"], decay=0.0, augment=0, init="normal", bias=False,
                      scale="book", targets="book", deskew=False,
                      epochs=pick(self.epochs, quick.get("epochs", BOOK["epochs"])), **sizes)
        return [*study, ("book", book)]

    def size_curve(self) -> tuple[Config, tuple[int, ...]]:
        """The configuration trained on growing subsets (number 4: one layer, XE, matrix), and the sizes."""
        config = self.configs()[3][2]
        sizes = self.sizes if self.sizes is not None else (QUICK_SIZES if self.quick else FULL_SIZES)
        full = config.train_size or TRAIN_IMAGES
        return config, tuple(n for n in sizes if n < full)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def resumable(self) -> dict:
        """The options a resumed study must share with the saved one: all but the number of seeds (a study
        can be given more seeds later; those it has are kept)."""
        return {key: value for key, value in json.loads(json.dumps(self.to_dict())).items() if key != "seeds"}


# McNemar comparisons: pairs of configurations that differ in one named choice (cost, method or depth); with
# the defaults the cost and method pairs also differ in η, and the matrix ones in epochs and batch size.
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
    summary: dict = field(default_factory=dict)  # summary.json's content


def is_complete(run_dir: Path, config: Config) -> bool:
    """A run directory that finished with this very configuration (so --resume can keep it)."""
    saved = finished_config(run_dir)
    return saved is not None and not config_differences(saved, config)


REVERSE_NAMES = {"1layer": "one hidden layer", "3layers": "three hidden layers", "book": "the book's network"}


def finished(options: StudyOptions, out) -> list[bool]:
    """For each run of the eight configurations over the seeds: is its run directory in ``out`` complete?"""
    return [is_complete(Path(out) / "runs" / name, config) for _, name, _, config in options.replicates()]


def checkpointed(options: StudyOptions, out) -> list[bool]:
    """For each run of the eight configurations over the seeds: does its run directory keep a checkpoint?"""
    return [(Path(out) / "runs" / name / CHECKPOINT).is_file() for _, name, _, _ in options.replicates()]
