"""What the explorer's tests share: a small ten-digit run (on real MNIST when it is on this machine, so drawn digits
are read; else on tiny random images), the explorer served by uvicorn on 127.0.0.1 in a thread, and digits drawn
with Pillow as a mouse would draw them."""
from __future__ import annotations

import contextlib
import io
import math
import os
from pathlib import Path

import pytest

from mathdl.explore.server import Background

from conftest import mnist_dir

STROKE = 20  # the page's pen width on its 280-pixel pad


@contextlib.contextmanager
def cache_at(folder: Path):
    """MATHDL_CACHE set to ``folder`` for the block (session fixtures cannot use monkeypatch)."""
    previous = os.environ.get("MATHDL_CACHE")
    os.environ["MATHDL_CACHE"] = str(folder)
    try:
        yield
    finally:
        if previous is None:
            del os.environ["MATHDL_CACHE"]
        else:
            os.environ["MATHDL_CACHE"] = previous


@pytest.fixture(scope="session")
def digits_run(tiny_data, tmp_path_factory):
    """(run directory of a ten-digit 784-h-10 sigmoid network, its MNIST, whether the MNIST is real)."""
    from mathdl.data.mnist import load_mnist
    from mathdl.runs.experiment import Config, run
    real = mnist_dir()
    data = str(real) if real is not None else str(tiny_data)
    sizes = {"hidden": (48,), "epochs": 2, "train_size": 6000, "test_size": 1000} if real else \
        {"hidden": (12,), "epochs": 1}
    config = Config(task="digits", cost="xe", method="matrix", scale="book", targets="book", deskew=False, **sizes)
    out = tmp_path_factory.mktemp("explore") / "digits"
    with cache_at(tmp_path_factory.mktemp("cache")):
        run(config, load_mnist(data, progress=False), out=out, progress=False)
    return out, data, real is not None


Served = Background  # the explorer served by uvicorn on 127.0.0.1 in a thread


def drawn(points, size: int = 280, width: int = STROKE) -> bytes:
    """A PNG of black strokes through ``points`` (lists of (x, y) on a size × size white pad)."""
    from PIL import Image, ImageDraw
    image = Image.new("L", (size, size), 255)
    pen = ImageDraw.Draw(image)
    for stroke in points:
        pen.line(stroke, fill=0, width=width, joint="curve")
        for x, y in (stroke[0], stroke[-1]):
            pen.ellipse((x - width / 2, y - width / 2, x + width / 2, y + width / 2), fill=0)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def zero_stroke(cx: float = 140, cy: float = 140, rx: float = 48, ry: float = 88, n: int = 48):
    """An upright ellipse, a 0, as one stroke."""
    return [(cx + rx * math.sin(2 * math.pi * i / n), cy - ry * math.cos(2 * math.pi * i / n)) for i in range(n + 1)]


def one_stroke(x: float = 140, top: float = 50, bottom: float = 230, n: int = 12):
    """A vertical bar, a 1, as one stroke."""
    return [(x + 6 * (1 - i / n), top + (bottom - top) * i / n) for i in range(n + 1)]
