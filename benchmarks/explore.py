"""Speed of mathdl explore: the playground's update rate and a prediction's round trip (a benchmark, not a test).

    python benchmarks/explore.py [--run RUN_DIR] [--seconds 5]

1. One playground update — an epoch of mathdl's training loop on 400 points (280 train, 120 test) for a 2-8-8-1
   tanh network, matrix backpropagation in batches of 16, then the frame: the boundary on a 100 × 100 grid, the
   16 hidden neurons' maps, JSON — timed in process, one step at a time (target: under 30 ms).
2. The same session trained as fast as it goes, served by uvicorn and read as a browser reads it (server-sent
   events over HTTP): frames and epochs received a second (target: at least 20 updates a second; the server
   sends at most ``MAX_FPS`` frames a second and every epoch's row).
3. A prediction's round trip: POST of a 280 × 280 PNG drawing to /api/networks/ID/predict over HTTP, answered
   with the 28 × 28 digit, every layer's activations and the units that decided; median of 50. The network is
   ``--run`` or, without it, a 784-100-10 sigmoid network (the explorer's own architecture) trained for one
   epoch on 2,000 MNIST images.

It is a script rather than a case of ``mathdl bench`` because the explorer is a sibling of ``mathdl.bench`` in the
layers contract (neither imports the other); it runs the explorer through its public API and its HTTP interface.
"""
from __future__ import annotations

import argparse
import json
import statistics
import io
import tempfile
import time
from pathlib import Path

import numpy as np

from mathdl.explore.app import create_app
from mathdl.explore.playground import MAX_FPS, Session
from mathdl.explore.server import Background

PARAMS = {"dataset": "xor", "points": 400, "hidden": [8, 8], "activation": "tanh", "bp": "matrix", "batch_size": 16,
          "rate": 1000}


def update_ms(steps: int = 200) -> list[float]:
    """Milliseconds of each update: ``step`` (an epoch and its frame) and the JSON of the frame."""
    session = Session("bench")
    session.configure(PARAMS)
    session.step()  # the first epoch compiles the loops (Numba) if they are not cached yet
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        session.step()
        json.dumps(session.frame)
        times.append(1000 * (time.perf_counter() - t0))
    session.close()
    return times


def streamed(run_dir: Path, seconds: float) -> tuple[float, float]:
    """(frames a second, epochs a second) read from the stream of a session training as fast as it goes."""
    import httpx
    with Background(create_app([run_dir])) as served, httpx.Client(base_url=served.url, timeout=10) as http:
        sid = http.post("/api/playground", json=PARAMS).json()["id"]
        http.post(f"/api/playground/{sid}/step")  # compiled before the clock starts
        frames = epochs = 0
        with http.stream("GET", f"/api/playground/{sid}/stream") as stream:
            lines = stream.iter_lines()
            next(lines)  # the state
            http.post(f"/api/playground/{sid}/start")
            t0 = time.perf_counter()
            for line in lines:
                if line.startswith("data: "):
                    message = json.loads(line[6:])
                    frames += message.get("frame") is not None
                    epochs += len(message.get("rows", []))
                if time.perf_counter() - t0 >= seconds:
                    break
            elapsed = time.perf_counter() - t0
        http.post(f"/api/playground/{sid}/pause")
    return frames / elapsed, epochs / elapsed


def prediction_ms(run_dir: Path, repeats: int = 50) -> list[float]:
    import httpx
    png = zero_png()
    with Background(create_app([run_dir])) as served, httpx.Client(base_url=served.url, timeout=10) as http:
        http.post("/api/networks/0/predict", content=png, headers={"content-type": "image/png"})  # loads the run
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            response = http.post("/api/networks/0/predict", content=png, headers={"content-type": "image/png"})
            times.append(1000 * (time.perf_counter() - t0))
            assert response.status_code == 200, response.text
    return times


def zero_png() -> bytes:
    """A 0 drawn with the page's pen on its 280 × 280 pad, as the page sends it."""
    from PIL import Image, ImageDraw
    image = Image.new("L", (280, 280), 255)
    ImageDraw.Draw(image).ellipse((92, 52, 188, 228), outline=0, width=20)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def small_run(folder: Path) -> Path:
    from mathdl.data.mnist import load_mnist
    from mathdl.runs.experiment import Config, run
    config = Config(task="digits", hidden=(100,), cost="xe", method="matrix", scale="book", targets="book", epochs=1,
                    train_size=2000, test_size=500)
    run(config, load_mnist(progress=False), out=folder / "digits", progress=False)
    return folder / "digits"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, help="a ten-digit run directory for the prediction round trip")
    parser.add_argument("--seconds", type=float, default=5.0, help="how long to read the stream (default 5)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mathdl-explore-bench-") as tmp:
        run_dir = args.run or small_run(Path(tmp))
        updates = update_ms()
        fps, eps = streamed(run_dir, args.seconds)
        predictions = prediction_ms(run_dir)
    q = lambda xs, p: float(np.percentile(xs, p))  # noqa: E731
    print(f"playground update (2-8-8-1 tanh, 400 points, 100 x 100 boundary, epoch + frame + JSON): "
          f"median {statistics.median(updates):.2f} ms, 90th percentile {q(updates, 90):.2f} ms "
          f"-> {1000 / statistics.median(updates):.0f} updates/s possible (target: < 30 ms, >= 20/s)")
    print(f"playground stream over HTTP, training as fast as it goes: {fps:.1f} frames/s (at most {MAX_FPS}), "
          f"{eps:.0f} epochs/s")
    print(f"prediction round trip (POST of a 280 x 280 PNG, 784-100-10): median {statistics.median(predictions):.1f} ms,"
          f" 90th percentile {q(predictions, 90):.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
