"""Speed of mathdl explore: a fresh install's first-use stall, the playground's update rate, a prediction's round
trip and the server's peak memory under large images (a benchmark, not a test).

    python benchmarks/explore.py [--run RUN_DIR] [--seconds 5] [--only stall,first,update,stream,predict,memory]

0. The first-use stall on a fresh install (Numba's cache empty, a new process): the seconds of the first epoch of
   each playground network in turn — 2-8-1, 2-8-8-1, 2-8-8-8-1 (matrix), 2-8-1 online, the perceptron 2-1 —
   trained by ``dots_fit`` and ``training.loop.train``, the public API, so that an older checkout is measured the
   same way (PYTHONPATH=OLD/src python benchmarks/explore.py --only stall). And the server's: ``mathdl explore``
   started with the cache empty and a session started at once: when its first epoch arrives, how long Pause takes
   to answer meanwhile, and then the first epoch of a deeper network and of the online method.
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
4. The server's peak memory (VmHWM of its process) over 4 rounds of 4 large images posted at once: 5000 × 5000
   pixels, a drawn 0, as PNG (~46 KB) and JPEG (~0.4 MB), within the byte limit; and its resident memory after.

It is a script rather than a case of ``mathdl bench`` because the explorer is a sibling of ``mathdl.bench`` in the
layers contract (neither imports the other); it runs the explorer through its public API and its HTTP interface.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
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
    while session.state()["status"] != "paused":
        time.sleep(0.01)
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
        first_epoch(http, sid)
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




STALL_CASES = [("2-8-1 matrix", (8,), "matrix"), ("2-8-8-1 matrix", (8, 8), "matrix"),
               ("2-8-8-8-1 matrix", (8, 8, 8), "matrix"), ("2-8-1 online", (8,), "online"),
               ("2-1 perceptron", (), "matrix")]


def stall_child() -> None:
    """(in a fresh process) Print the seconds of each STALL_CASES network's first epoch, as JSON."""
    from mathdl.data.dots import make_dots
    from mathdl.training.loop import train
    from mathdl.workshop.boundary import dots_fit
    X, labels = make_dots("xor", 400, None, seed=0)
    seconds = {}
    for name, hidden, method in STALL_CASES:
        fit = dots_fit(X, labels, name="xor", classes=["0", "1"], hidden=hidden, activation="tanh", epochs=1,
                       eta=0.3, batch_size=16, optimizer="sgd", cost="xe", method=method, test_fraction=0.3, seed=0)
        t0 = time.perf_counter()
        train(fit.net, fit.task, fit.settings, progress=False)
        seconds[name] = time.perf_counter() - t0
    print(json.dumps(seconds))


def fresh_env(folder: Path) -> dict:
    """The environment with Numba's cache in an empty ``folder``: a fresh install."""
    return {**os.environ, "NUMBA_CACHE_DIR": str(folder / "numba")}


def first_use_stall(folder: Path) -> dict:
    """{network: seconds of its first epoch} in a new process with Numba's cache empty."""
    done = subprocess.run([sys.executable, __file__, "--stall-child"], env=fresh_env(folder), capture_output=True,
                          text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def serve_process(args: list[str], env: dict) -> tuple[subprocess.Popen, str]:
    """``mathdl explore ARGS`` on a free port in a new process: (the process, its URL) once it answers."""
    import socket
    import httpx
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-m", "mathdl", "explore", *args, "--no-browser", "--port", str(port)],
                               env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            httpx.get(f"{url}/api", timeout=2)
            return process, url
        except httpx.HTTPError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise SystemExit(f"the explorer did not start: {process.stderr.read().decode()[-400:]}")
            time.sleep(0.1)


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def first_epoch(http, sid: str) -> float:
    """Seconds until the session has an epoch (from now)."""
    t0 = time.perf_counter()
    while http.get(f"/api/playground/{sid}").json()["epoch"] < 1:
        time.sleep(0.02)
    return time.perf_counter() - t0


def server_first_start(run_dir: Path, folder: Path) -> dict:
    """The server on a fresh install, a session started as soon as it answers: seconds from the server's start to
    the first epoch, Pause's answer meanwhile, then the first epochs of a deeper network and of the online method."""
    import httpx
    t0 = time.perf_counter()
    process, url = serve_process([str(run_dir)], fresh_env(folder))
    try:
        with httpx.Client(base_url=url, timeout=120) as http:
            sid = http.post("/api/playground", json={"rate": 1000}).json()["id"]
            status = http.post(f"/api/playground/{sid}/start").json()["status"]
            t1 = time.perf_counter()
            paused = http.post(f"/api/playground/{sid}/pause").json()
            pause_ms = 1000 * (time.perf_counter() - t1)
            http.post(f"/api/playground/{sid}/start")
            first_epoch(http, sid)
            first = time.perf_counter() - t0
            later = {}
            for name, changes in (("2-8-8-8-1 matrix", {"hidden": [8, 8, 8]}),
                                  ("2-8-1 online", {"hidden": [8], "bp": "online"})):
                http.post(f"/api/playground/{sid}/config", json=changes)
                t1 = time.perf_counter()
                http.post(f"/api/playground/{sid}/step")
                first_epoch(http, sid)
                later[name] = time.perf_counter() - t1
    finally:
        stop(process)
    return {"status": status, "pause_ms": pause_ms, "pause_status": paused["status"], "first_epoch_s": first,
            "later": later}


def drawn_zero(side: int, fmt: str) -> bytes:
    """A 0 drawn on a ``side`` × ``side`` white image, as ``fmt`` (PNG or JPEG)."""
    from PIL import Image, ImageDraw
    image = Image.new("L", (side, side), 255)
    ImageDraw.Draw(image).ellipse((side * 0.3, side * 0.14, side * 0.7, side * 0.86), outline=0, width=side // 15)
    buffer = io.BytesIO()
    image.save(buffer, fmt, **({"quality": 90} if fmt == "JPEG" else {}))
    return buffer.getvalue()


def peak_memory(run_dir: Path, rounds: int = 4) -> dict:
    """The server's resident memory (MiB) at the start, its peak (VmHWM) over ``rounds`` × 4 concurrent POSTs of
    5000 × 5000 images and after them; the answers' statuses."""
    import httpx
    images = {"png": (drawn_zero(5000, "PNG"), "image/png"), "jpeg": (drawn_zero(5000, "JPEG"), "image/jpeg")}
    process, url = serve_process([str(run_dir)], {**os.environ})
    statuses = []

    def vm(field: str) -> float:
        for line in Path(f"/proc/{process.pid}/status").read_text().splitlines():
            if line.startswith(field):
                return int(line.split()[1]) / 1024
        return float("nan")

    def post(http, kind: str) -> None:
        body, media = images[kind]
        statuses.append((kind, http.post("/api/networks/0/predict", content=body, headers={"content-type": media})
                         .status_code))
    try:
        time.sleep(2)
        start = vm("VmRSS")
        with httpx.Client(base_url=url, timeout=120) as http:
            for _ in range(rounds):
                threads = [threading.Thread(target=post, args=(http, "png" if i % 2 else "jpeg")) for i in range(4)]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
        time.sleep(5)  # the digit view's mean images, computed in the background after a first prediction
        peak, after = vm("VmHWM"), vm("VmRSS")
    finally:
        stop(process)
    return {"start_mib": start, "peak_mib": peak, "after_mib": after, "sizes": {k: len(v[0]) for k, v in images.items()},
            "statuses": sorted(set(statuses))}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, help="a ten-digit run directory for the prediction round trip")
    parser.add_argument("--seconds", type=float, default=5.0, help="how long to read the stream (default 5)")
    parser.add_argument("--only", default="stall,first,update,stream,predict,memory",
                        help="the measurements to make, comma-separated (default: all)")
    parser.add_argument("--stall-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stall_child:
        stall_child()
        return 0
    only = set(args.only.split(","))
    q = lambda xs, p: float(np.percentile(xs, p))  # noqa: E731
    print(f"load average before: {os.getloadavg()[0]:.2f}", flush=True)
    with tempfile.TemporaryDirectory(prefix="mathdl-explore-bench-") as tmp:
        if "stall" in only:
            stall = first_use_stall(Path(tmp) / "stall")
            print("first use, fresh install (Numba's cache empty), each network's first epoch in turn: "
                  + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in stall.items())
                  + f"; in all {sum(stall.values()):.1f} s", flush=True)
        run_dir = (args.run or small_run(Path(tmp))) if only & {"first", "stream", "predict", "memory"} else None
        if "first" in only:
            first = server_first_start(run_dir, Path(tmp) / "first")
            print(f"the server on a fresh install, a session started at once: status {first['status']}; Pause "
                  f"answered in {first['pause_ms']:.0f} ms ({first['pause_status']}); first epoch "
                  f"{first['first_epoch_s']:.1f} s after the server's start; then to a first epoch: "
                  + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in first["later"].items()), flush=True)
        if "update" in only:
            updates = update_ms()
            print(f"playground update (2-8-8-1 tanh, 400 points, 100 x 100 boundary, epoch + frame + JSON): "
                  f"median {statistics.median(updates):.2f} ms, 90th percentile {q(updates, 90):.2f} ms "
                  f"-> {1000 / statistics.median(updates):.0f} updates/s possible (target: < 30 ms, >= 20/s)", flush=True)
        if "stream" in only:
            fps, eps = streamed(run_dir, args.seconds)
            print(f"playground stream over HTTP, training as fast as it goes: {fps:.1f} frames/s (at most {MAX_FPS}), "
                  f"{eps:.0f} epochs/s", flush=True)
        if "predict" in only:
            predictions = prediction_ms(run_dir)
            print(f"prediction round trip (POST of a 280 x 280 PNG, 784-100-10): median "
                  f"{statistics.median(predictions):.1f} ms, 90th percentile {q(predictions, 90):.1f} ms", flush=True)
        if "memory" in only:
            memory = peak_memory(run_dir)
            print(f"server memory, 4 rounds of 4 concurrent POSTs of 5000 x 5000 images (PNG "
                  f"{memory['sizes']['png'] / 1024:.0f} KB, JPEG {memory['sizes']['jpeg'] / 1024:.0f} KB; answers "
                  f"{memory['statuses']}): {memory['start_mib']:.0f} MiB at the start, peak {memory['peak_mib']:.0f} "
                  f"MiB, {memory['after_mib']:.0f} MiB after", flush=True)
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
