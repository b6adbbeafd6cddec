"""``mathdl bench``: mathdl and its peers on the same networks, measured side by side in one run.

Cases (each timed for mathdl and every installed peer, at each thread count, back to back):

    matrix   784-100-10, ReLU, softmax + XE, batches of 200, Adam (η = 10⁻³), float32: seconds per epoch
             — PyTorch CPU, scikit-learn's MLPClassifier
    online   784-200-10 sigmoid, TSE, η = 0.1, per-sample updates, no biases, float64: seconds per epoch,
             and how far each peer's weights after the epoch are from mathdl's — the book's loop, PyTorch
    t98      seconds from the arrays to 98% test accuracy on the ten digits: mathdl's recipe (``ours.RECIPE``)
             against 784-256-10 ReLU, Adam 10⁻³, batches of 128 — PyTorch, scikit-learn
    scaling  mathdl's seconds per epoch as the hidden width and the batch size grow
    load     a cached MNIST load, in a fresh process
    study    ``mathdl study --quick`` and (full run) the full study: wall time and the peak memory of the
             whole process tree, on the Dask executor and on the previous Pool executor (kept for this
             comparison, ``previous_executor``), alternately, the previous one first; the studies are made
             without their video, which ``mathdl present`` then makes from each Dask study, timed apart

The achieved GFLOP/s (matrix products only, ``timing.train_flops``) stand next to the machine's measured
matrix-multiply peak. The performance targets are ratios from the same run; ``Report.targets`` checks them.
"""
from __future__ import annotations

import os
import statistics
import tempfile
import time
from dataclasses import dataclass, field

import numpy as np
from threadpoolctl import threadpool_limits

from ..base.errors import MathdlError
from ..data.mnist import TRAIN_IMAGES
from . import ours, peers
from .timing import train_flops

CASES = ("matrix", "online", "t98", "scaling", "load", "study")
PEERS = ("pytorch", "scikit-learn", "book loop")
QUICK_SIZES = {"train_size": 2000, "test_size": 500}
KERNEL_SETTINGS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")  # read by OpenBLAS when it is loaded
LIMITS = {"matrix": 0.5, "online": 0.33, "t98": 0.7, "weights": 1e-10, "study": 300.0, "study_quick": 45.0,
          "memory": 1.5 * 2**30, "load": 0.3, "executor": 1.05, "present": 60.0, "present_quick": 20.0,
          "present_memory": 2**30}


@dataclass
class Options:
    """What to run: cases, repetitions, thread counts, peers; ``quick`` for a CI-sized run on a subset."""

    cases: tuple[str, ...] = CASES
    quick: bool = False
    repeats: int | None = None
    threads: tuple[int, ...] = (1, 2)
    peers: tuple[str, ...] = PEERS
    goal: float | None = None
    max_epochs: int | None = None
    data: str | None = None

    def __post_init__(self):
        unknown = [c for c in self.cases if c not in CASES] + [p for p in self.peers if p not in PEERS]
        if unknown:
            raise MathdlError(f"unknown case or peer {', '.join(unknown)}; cases: {', '.join(CASES)}; "
                              f"peers: {', '.join(PEERS)}")
        if self.quick:
            self.goal = self.goal or 0.85
            self.max_epochs = self.max_epochs or 3
        self.goal, self.max_epochs = self.goal or 0.98, self.max_epochs or 20
        self.repeats = self.repeats or (2 if self.quick else 5)


@dataclass
class Row:
    """One tool on one case at one thread count: seconds of each repetition (inf: goal not reached)."""

    case: str
    tool: str
    threads: int | None
    seconds: list[float] = field(default_factory=list)
    unit: str = "s/epoch"
    flops: float | None = None  # per unit measured
    dtype: str | None = None
    note: str = ""
    skipped: str | None = None

    @property
    def median(self) -> float:
        return statistics.median(self.seconds) if self.seconds else float("nan")


@dataclass
class Report:
    options: Options
    rows: list[Row] = field(default_factory=list)
    loads: dict = field(default_factory=dict)  # case → (load average before, after)
    peaks: dict = field(default_factory=dict)  # (dtype, threads) → GFLOP/s
    checks: dict = field(default_factory=dict)  # extra measurements: weight differences, study memory…
    profiles: dict = field(default_factory=dict)  # case → [(function, seconds, share)]
    seconds: float = 0.0

    def best(self, case: str, tool: str) -> Row | None:
        """The tool's fastest thread count on the case (by median)."""
        rows = [r for r in self.rows if r.case == case and r.tool == tool and not r.skipped and r.seconds]
        return min(rows, key=lambda r: r.median) if rows else None

    def ratio(self, case: str, peer: str) -> float | None:
        """mathdl's best median ÷ the peer's best median on the case."""
        ours_, theirs = self.best(case, "mathdl"), self.best(case, peer)
        return None if ours_ is None or theirs is None else ours_.median / theirs.median

    def targets(self) -> list[tuple[str, str, str, bool | None]]:
        """(target, measured, required, met) for every target whose case ran."""
        out = []

        def ratio_target(name, case, peer, limit):
            r = self.ratio(case, peer)
            if case in self.options.cases:
                out.append((name, "not measured" if r is None else f"{r:.2f}×", f"≤ {limit}×",
                            None if r is None else r <= limit))
        ratio_target("1. matrix backprop, s/epoch vs PyTorch", "matrix", "pytorch", LIMITS["matrix"])
        ratio_target("1. matrix backprop, s/epoch vs scikit-learn", "matrix", "scikit-learn", 1.0)
        ratio_target("2. online backprop, s/epoch vs the book's loop", "online", "book loop", LIMITS["online"])
        if "online_weights" in self.checks:
            worst = max(self.checks["online_weights"].values())
            out.append(("2. weights after the epoch equal the book loop's", f"{worst:.1e} (relative)",
                        f"≤ {LIMITS['weights']:g}", worst <= LIMITS["weights"]))
        ratio_target("3. time to 98% vs PyTorch", "t98", "pytorch", LIMITS["t98"])
        for key, name, limit in (("study_quick", "4. mathdl study --quick, s", LIMITS["study_quick"]),
                                 ("study", "4. mathdl study (full), s", LIMITS["study"])):
            if key in self.checks:
                s = self.checks[key]["seconds"]
                out.append((name, f"{s:.0f} s", f"≤ {limit:.0f} s", s <= limit))
            if key == "study" and f"{key}_previous" in self.checks:  # the quick study: ~1 s of cluster start
                r = self.checks[key]["seconds"] / self.checks[f"{key}_previous"]["seconds"]
                out.append((name.replace(", s", ": Dask executor ÷ the previous Pool executor"), f"{r:.3f}×",
                            f"≤ {LIMITS['executor']}×", r <= LIMITS["executor"]))
        peaks = [c["peak_rss"] for k, c in self.checks.items()
                 if k.startswith("study") and not k.endswith("_previous") and c["peak_rss"]]
        if peaks:
            out.append(("4. study peak memory (Σ RSS of the process tree)", f"{max(peaks) / 2**30:.2f} GiB",
                        "≤ 1.5 GiB", max(peaks) <= LIMITS["memory"]))
        for key, name in (("present_quick", "5. mathdl present, quick study, s"), ("present", "5. mathdl present, s")):
            if key in self.checks:
                s = self.checks[key]["seconds"]
                out.append((name, f"{s:.0f} s", f"≤ {LIMITS[key]:.0f} s", s <= LIMITS[key]))
        peaks = [c["peak_rss"] for k, c in self.checks.items() if k.startswith("present") and c["peak_rss"]]
        if peaks:
            out.append(("5. mathdl present peak memory", f"{max(peaks) / 2**30:.2f} GiB", "≤ 1 GiB",
                        max(peaks) <= LIMITS["present_memory"]))
        if "load" in self.checks:
            s = self.checks["load"]["seconds"]
            out.append(("4. cached MNIST load", f"{s:.3f} s", f"≤ {LIMITS['load']} s", s <= LIMITS["load"]))
        return out


def run_bench(options: Options, *, say=print) -> Report:
    """Run the chosen cases; ``say`` receives a line of progress at each step."""
    from ..data.mnist import load_mnist

    start = time.perf_counter()
    report = Report(options)
    mnist = load_mnist(options.data, progress=False)
    if not options.quick and len(mnist.train_labels) < TRAIN_IMAGES:
        raise MathdlError(f"the full benchmark needs the full MNIST ({TRAIN_IMAGES:,} training images), found "
                          f"{len(mnist.train_labels):,}; --quick runs on a subset")
    settings = kernel_settings()
    if settings:
        say(f"note: OpenBLAS's kernels are set by {settings} in the environment, not chosen for this "
            f"processor; unset them for this command to measure what the processor can do")
    for dtype in ("float32", "float64"):
        for threads in options.threads:
            report.peaks[(dtype, threads)] = matmul_peak(np.dtype(dtype), threads)
    for case in options.cases:
        say(f"{case} (load average {os.getloadavg()[0]:.2f})")
        before = os.getloadavg()
        CASE_RUNNERS[case](report, mnist, say)
        report.loads[case] = (before, os.getloadavg())
    report.seconds = time.perf_counter() - start
    return report


def kernel_settings(environ=os.environ) -> str:
    """The environment's settings of OpenBLAS's kernels ("OPENBLAS_CORETYPE=Haswell"), empty when OpenBLAS
    chooses them for the processor. Some machines set them for old OpenBLAS builds; they can halve the speed
    of a current one's matrix products (benchmarks/notes.md)."""
    return ", ".join(f"{name}={environ[name]}" for name in KERNEL_SETTINGS if name in environ)


def matmul_peak(dtype, threads: int, n: int = 1024, repeats: int = 5) -> float:
    """The best GFLOP/s of an n × n matrix product (2n³ operations) with ``threads`` BLAS threads."""
    A = np.ones((n, n), dtype)
    C = np.empty_like(A)
    with threadpool_limits(threads):
        np.matmul(A, A, out=C)
        best = min(_seconds(lambda: np.matmul(A, A, out=C)) for _ in range(repeats))
    return 2 * n**3 / best / 1e9


def _seconds(work) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


def _sizes(options: Options, mnist) -> dict:
    """Subset sizes: the quick ones (within what the data has), or the whole set."""
    if not options.quick:
        return {}
    return {"train_size": min(QUICK_SIZES["train_size"], len(mnist.train_labels)),
            "test_size": min(QUICK_SIZES["test_size"], len(mnist.test_labels))}


def _peer(report: Report, row: Row, measure) -> None:
    """Fill ``row`` by ``measure()`` (seconds), or mark it skipped; append it."""
    if row.tool not in report.options.peers and row.tool != "mathdl":
        return
    try:
        with threadpool_limits(row.threads):
            row.seconds = measure()
    except peers.Skipped as e:
        row.skipped = str(e)
    report.rows.append(row)
    time.sleep(0.3)  # let a library's spinning threads go idle before the next one starts


# ---------------------------------------------------------------------------------------------------
# The cases


def case_matrix(report: Report, mnist, say) -> None:
    from ..data.tasks import make_task

    o = report.options
    task = make_task(mnist, "digits", scale="unit", dtype=np.float32, **_sizes(o, mnist))
    X, labels, hidden, batch, eta = task.train.X.T, task.train.labels, 100, 200, 1e-3
    flops = train_flops([784, hidden, 10]) * task.train.N
    for threads in o.threads:
        say(f"  matrix, {threads} thread(s)")
        common = dict(case="matrix", threads=threads, flops=flops, dtype="float32")
        _peer(report, Row(tool="mathdl", **common), lambda: ours.matrix_epochs(task, hidden, batch, eta, o.repeats))
        _peer(report, Row(tool="pytorch", **common),
              lambda: peers.torch_epochs(X, labels, hidden, batch, eta, o.repeats, threads))
        _peer(report, Row(tool="scikit-learn", **common),
              lambda: peers.sklearn_epochs(X, labels, hidden, batch, eta, o.repeats, threads))
    report.profiles["matrix"] = profile(lambda: ours.matrix_epochs(task, hidden, batch, eta, 1))


def case_online(report: Report, mnist, say) -> None:
    from ..data.tasks import make_task

    o = report.options
    task = make_task(mnist, "digits", scale="book", targets="book", dtype=np.float64, **_sizes(o, mnist))
    rng = np.random.default_rng(0)
    W1, W2 = rng.normal(0, 784 ** -0.5, (200, 784)), rng.normal(0, 200 ** -0.5, (10, 200))  # the book's init
    order, eta, N = rng.permutation(task.train.N), 0.1, task.train.N
    X = np.asarray(task.train.X)  # the peers' inputs: the scaled matrix itself
    flops = train_flops([784, 200, 10]) * N
    reference = {}
    differences = report.checks.setdefault("online_weights", {})

    def mathdl_epochs():
        seconds = []
        for _ in range(o.repeats):
            s, net = ours.online_epoch(task, W1, W2, order, eta)
            seconds.append(s)
        reference["W"] = [net.W[1], net.W[2]]
        return seconds

    def relative(found, tool):
        differences[tool] = max(float(np.abs(a - b).max() / np.abs(b).max()) for a, b in zip(found, reference["W"]))

    def book_epochs():
        seconds = []
        for _ in range(min(o.repeats, 3)):
            A, B = W1.copy(), W2.copy()
            seconds.append(peers.book_epoch(A, B, X, task.train.Y, order, eta))
        relative([A, B], "book loop")
        return seconds

    def torch_epochs(threads):
        seconds = []
        for _ in range(min(o.repeats, 3)):
            s, found = peers.torch_online_epoch(W1, W2, X, task.train.Y, order, eta, threads)
            seconds.append(s)
        relative(found, "pytorch")
        return seconds

    for threads in o.threads:
        say(f"  online, {threads} thread(s)")
        common = dict(case="online", threads=threads, flops=flops, dtype="float64")
        _peer(report, Row(tool="mathdl", **common), mathdl_epochs)
        _peer(report, Row(tool="book loop", **common), book_epochs)
        _peer(report, Row(tool="pytorch", **common), lambda: torch_epochs(threads))
    report.profiles["online"] = profile(lambda: ours.online_epoch(task, W1, W2, order, eta))


def case_t98(report: Report, mnist, say) -> None:
    from ..data.tasks import make_task

    o = report.options
    sizes = _sizes(o, mnist)
    unit = make_task(mnist, "digits", scale="unit", dtype=np.float32, **sizes)
    data = (unit.train.X.T, unit.train.labels, unit.test.X.T, unit.test.labels, o.goal, o.max_epochs)
    seeds = range(min(o.repeats, 3))
    for threads in o.threads:
        say(f"  time to {100 * o.goal:g}%, {threads} thread(s)")
        for tool, run in (("mathdl", lambda seed: ours.time_to(mnist, o.goal, o.max_epochs, seed, sizes)),
                          ("pytorch", lambda seed: peers.torch_time_to(*data, threads, seed)),
                          ("scikit-learn", lambda seed: peers.sklearn_time_to(*data, threads, seed))):
            row = Row(case="t98", tool=tool, threads=threads, unit=f"s to {100 * o.goal:g}%", dtype="float32")
            epochs = []

            def measure(run=run, epochs=epochs):
                results = [run(seed) for seed in (seeds if tool != "scikit-learn" else seeds[:1])]
                epochs.extend(e for _, e in results)
                return [s if e is not None else float("inf") for s, e in results]
            _peer(report, row, measure)
            row.note = "epochs: " + ", ".join("—" if e is None else str(e) for e in epochs)


def case_scaling(report: Report, mnist, say) -> None:
    """mathdl's matrix case as the hidden width and the batch size grow, and the online case by width."""
    from ..data.tasks import make_task

    o = report.options
    threads = max(o.threads)
    sizes = _sizes(o, mnist) or {"train_size": 20_000}
    float32 = make_task(mnist, "digits", scale="unit", dtype=np.float32, **sizes)
    float64 = make_task(mnist, "digits", scale="book", targets="book", dtype=np.float64, **sizes)
    widths, batches, N = (50, 100, 200, 400, 800), (16, 64, 200, 1000), float32.train.N
    repeats = 1 if o.quick else 2
    say(f"  scaling, {threads} thread(s), {N} samples scaled to {TRAIN_IMAGES:,}")
    with threadpool_limits(threads):
        for hidden, batch in [(h, 200) for h in widths] + [(100, b) for b in batches if b != 200]:
            seconds = ours.matrix_epochs(float32, hidden, batch, 1e-3, repeats)
            report.rows.append(Row("scaling", "mathdl matrix", threads, [s * TRAIN_IMAGES / N for s in seconds],
                                   flops=train_flops([784, hidden, 10]) * TRAIN_IMAGES, dtype="float32",
                                   note=f"784-{hidden}-10, batch {batch}"))
        rng = np.random.default_rng(0)
        for hidden in widths:
            W1, W2 = rng.normal(0, 784 ** -0.5, (hidden, 784)), rng.normal(0, hidden ** -0.5, (10, hidden))
            seconds = [ours.online_epoch(float64, W1, W2, np.arange(N), 0.1)[0] for _ in range(repeats)]
            report.rows.append(Row("scaling", "mathdl online", threads, [s * TRAIN_IMAGES / N for s in seconds],
                                   flops=train_flops([784, hidden, 10]) * TRAIN_IMAGES, dtype="float64",
                                   note=f"784-{hidden}-10, per sample"))


def case_load(report: Report, mnist, say) -> None:
    """A cached load: ``load_mnist`` timed inside fresh interpreters (the cache was made by this run)."""
    from .processes import run_measured

    data = report.options.data
    code = ("import time; from mathdl.data.mnist import load_mnist; t = time.perf_counter(); "
            f"load_mnist({data!r}, progress=False); print(time.perf_counter() - t)")
    seconds = []
    for _ in range(report.options.repeats):
        done = run_measured(["-c", code])
        if done.returncode:
            raise MathdlError(f"the load benchmark failed: {done.stderr.strip().splitlines()[-1:]}")
        seconds.append(float(done.stdout.split()[-1]))
    report.rows.append(Row("load", "mathdl", None, seconds, unit="s", note="load_mnist from the cache, fresh process"))
    report.checks["load"] = {"seconds": statistics.median(seconds)}


EXECUTORS = (("previous-pool", "mathdl, previous executor (Pool)"), ("dask", "mathdl"))  # the baseline first


def case_study(report: Report, mnist, say) -> None:
    """``mathdl study --quick`` and, in a full run, the full study, each in a fresh process tree, on the
    previous executor (``previous_executor.PoolExecutor``) and on Dask alternately, the previous one first."""
    from .processes import run_measured

    o = report.options
    profiles = [("study_quick", ["--quick"])] + ([] if o.quick else [("study", [])])
    repeats = 1 if o.quick else min(o.repeats, 2)
    for key, extra in profiles:
        command = " ".join(["mathdl study", *extra])
        rows = {executor: Row("study", tool, None, [], unit="s") for executor, tool in EXECUTORS}
        peaks = {executor: 0 for executor, _ in EXECUTORS}
        present = Row("study", "mathdl present", None, [], unit="s")
        present_peak = 0
        for _ in range(repeats):
            for executor, _ in EXECUTORS:
                say(f"  {command} on the {executor} executor")
                with tempfile.TemporaryDirectory(prefix="mathdl-bench-") as tmp:
                    args = ["-m", "mathdl", "study", *extra, "--out", os.path.join(tmp, "study"), "--quiet",
                            "--executor", executor, "--no-video"]
                    done = run_measured(args + (["--data", o.data] if o.data else []))
                    if done.returncode:
                        raise MathdlError(f"{command} --executor {executor} failed: "
                                          f"{done.stderr.strip().splitlines()[-1:]}")
                    if executor == "dask":
                        say(f"  mathdl present of {command}")
                        made = run_measured(["-m", "mathdl", "present", os.path.join(tmp, "study"), "--quiet"])
                        if made.returncode:
                            raise MathdlError(f"mathdl present failed: {made.stderr.strip().splitlines()[-1:]}")
                        present.seconds.append(made.seconds)
                        present_peak = max(present_peak, made.peak_rss or 0)
                rows[executor].seconds.append(done.seconds)
                peaks[executor] = max(peaks[executor], done.peak_rss or 0)
        for executor, _ in EXECUTORS:
            peak = peaks[executor] or None
            rows[executor].note = f"{command}, {executor}" + (f", peak Σ RSS {peak / 2**30:.2f} GiB" if peak else "")
            report.rows.append(rows[executor])
            report.checks[key if executor == "dask" else f"{key}_previous"] = {"seconds": rows[executor].median,
                                                                              "peak_rss": peak}
        present.note = (f"mathdl present of {command}, after it"
                        + (f", peak Σ RSS {present_peak / 2**30:.2f} GiB" if present_peak else ""))
        report.rows.append(present)
        report.checks[key.replace("study", "present")] = {"seconds": present.median, "peak_rss": present_peak or None}


CASE_RUNNERS = {"matrix": case_matrix, "online": case_online, "t98": case_t98, "scaling": case_scaling,
                "load": case_load, "study": case_study}


def profile(work, top: int = 8) -> list[tuple[str, float, float]]:
    """Where ``work()``'s time goes: the ``top`` functions by own time, (name, seconds, share)."""
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.runcall(work)
    stats = pstats.Stats(profiler).stats
    total = sum(v[2] for v in stats.values()) or 1.0
    rows = sorted(((f"{func} ({os.path.basename(path)}:{line})" if path != "~" else func, v[2])
                   for (path, line, func), v in stats.items()), key=lambda r: -r[1])[:top]
    return [(name, s, s / total) for name, s in rows]

