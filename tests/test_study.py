"""The study's orchestration on tiny data: eight runs, summaries consistent with the runs, resume."""
import dataclasses
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from mathdl.data.mnist import load_mnist
from mathdl.base.errors import MathdlError
from mathdl.runs.experiment import run
from mathdl.base.interrupt import Interrupted
from mathdl.nn.fast.sgd import FastSGD
from mathdl.training.checkpoint import CHECKPOINT, read_checkpoint
from mathdl.runs.directory import load_run
from mathdl.base.files import read_csv_rows
import mathdl.study.worker as worker_module
from mathdl.study.executor import schedule
from mathdl.study.protocol import COMPARISONS, PROTOCOL, StudyOptions
from mathdl.study.runner import estimated_work, plan, run_study
from test_interrupt import signal_after

from conftest import TINY


def test_protocol_order_is_the_assignments():
    assert PROTOCOL[:4] == [(1, "tse", "online"), (1, "xe", "online"), (1, "tse", "matrix"), (1, "xe", "matrix")]
    assert [p[1:] for p in PROTOCOL[4:]] == [p[1:] for p in PROTOCOL[:4]] and {p[0] for p in PROTOCOL[4:]} == {3}


def test_every_comparison_differs_in_exactly_one_choice():
    assert len(COMPARISONS) == 12
    for question, a, b in COMPARISONS:
        differing = [x != y for x, y in zip(PROTOCOL[a - 1], PROTOCOL[b - 1])]
        assert sum(differing) == 1, (question, a, b)
        assert {"TSE vs XE": 1, "online vs matrix": 2, "1 vs 3 hidden layers": 0}[question] == differing.index(True)


def test_eight_runs_and_a_consistent_summary(study):
    out = study.path
    summary = json.loads((out / "summary.json").read_text())
    rows = summary["configurations"]
    assert [r["number"] for r in rows] == list(range(1, 9))
    for row in rows:
        run_dir = out / row["run_dir"]
        metrics = json.loads((run_dir / "metrics.json").read_text())["test"]
        assert [row[k] for k in ("tp", "fn", "fp", "tn")] == [metrics[k] for k in ("tp", "fn", "fp", "tn")]
        assert row["accuracy"]["value"] == metrics["accuracy"] and row["accuracy"]["ci95"] == metrics["accuracy_ci95"]
        assert row["tp"] + row["fn"] + row["fp"] + row["tn"] == 80
        config = json.loads((run_dir / "config.json").read_text())["config"]
        depth, cost, method = PROTOCOL[row["number"] - 1]
        assert (len(config["hidden"]), config["cost"], config["method"]) == (depth, cost, method)
        assert config["activation"] == "sigmoid" and config["output_activation"] == "sigmoid"
        for name in ("model.npz", "history.csv", "predictions.csv", "confusion.png", "learning_curves.png"):
            assert (run_dir / name).is_file()
    csv_rows = read_csv_rows(out / "summary.csv")
    assert len(csv_rows) == 8
    for csv_row, row in zip(csv_rows, rows):
        assert csv_row["accuracy"] == pytest.approx(row["accuracy"]["value"])
        assert csv_row["sensitivity_low"] == pytest.approx(row["sensitivity"]["ci95"][0])
        assert csv_row["test_positives"] + csv_row["test_negatives"] == 80
    assert summary["best"] == max(rows, key=lambda r: r["accuracy"]["value"])["number"]
    for name in ["confusion_matrices.png", "learning_curves.png", "accuracy_vs_size.png", "mcnemar.csv"] + \
            [f"confusion_{n}.png" for n in range(1, 9)]:
        assert (out / name).is_file(), name


def test_mcnemar_counts_come_from_the_predictions(study):
    out = study.path
    summary = json.loads((out / "summary.json").read_text())
    runs = {r["number"]: out / r["run_dir"] for r in summary["configurations"]}

    def correct(n):
        rows = read_csv_rows(runs[n] / "predictions.csv")
        return np.array([r["true"] == r["predicted"] for r in rows])
    assert len(summary["mcnemar"]) == 12
    for t in summary["mcnemar"]:
        a, b = correct(t["a"]), correct(t["b"])
        assert t["a_right_b_wrong"] == int((a & ~b).sum()) and t["a_wrong_b_right"] == int((~a & b).sum())
        assert 0 <= t["p_mid"] <= t["p_exact"] <= 1


def test_size_curve(study):
    curve = json.loads((study.path / "summary.json").read_text())["size_curve"]
    assert [p["train_size"] for p in curve] == [40, 80, 240]
    assert all(0 <= p["accuracy"] <= 1 for p in curve)
    for point in curve[:2]:  # the splits are scored after the last epoch only: earlier rows are empty there
        run_dir = study.path / "sizes" / str(point["train_size"])
        rows = read_csv_rows(run_dir / "history.csv")
        assert all(row["test_accuracy"] == row["train_accuracy"] == "" for row in rows[:-1])
        assert rows[-1]["test_accuracy"] == point["accuracy"]
        assert json.loads((run_dir / "metrics.json").read_text())["test"]["accuracy"] == point["accuracy"]


def test_reverse_part_is_run_by_the_workers(study):
    """Each ten-output network is run backwards in its worker right after training: reverse.json is
    written after the model and before the summary."""
    summary = (study.path / "summary.json").stat().st_mtime_ns
    for name in ("1layer", "3layers", "book"):
        folder = study.path / "reverse" / name
        found = json.loads((folder / "reverse.json").read_text())
        assert set(found["summary"]) == {"backquery", "pinv", "optimize", "prior"} and found["judge"]["test_images"]
        assert all((folder / file).is_file() for file in found["files"].values())
        assert (folder / "model" / "model.npz").stat().st_mtime_ns <= (folder / "reverse.json").stat().st_mtime_ns
        assert (folder / "reverse.json").stat().st_mtime_ns <= summary


def test_the_schedule_keeps_a_task_together_and_the_longest_first(tmp_path):
    options = StudyOptions(seeds=2)
    _, sizes = options.size_curve()
    order = [run.run_dir.relative_to(tmp_path).as_posix() for run in schedule(plan(options, tmp_path, 60000, 10000))]
    work = {run.run_dir.relative_to(tmp_path).as_posix(): run.work for run in plan(options, tmp_path, 60000, 10000)}
    binary = [f"runs/{name}" for _, name, _, _ in options.replicates()]
    assert sorted(order[:16]) == sorted(binary)  # both seeds' eight share one task: the full data has no subset
    assert {order[0], order[1]} == {"runs/4-1layer-xe-matrix", "runs/4-1layer-xe-matrix-seed1"}
    assert sorted(order[16:18]) == ["reverse/1layer/model", "reverse/3layers/model"]  # the digits task next
    # a task each, the largest first: the size curve's runs and the book's network (no deskewing)
    rest = [n for n in order[18:] if n != "reverse/book/model"]
    assert rest == [f"sizes/{n}" for n in sorted(sizes, reverse=True)] and "reverse/book/model" in order[18:]
    assert [work[n] for n in order[:16]] == sorted((work[n] for n in order[:16]), reverse=True)


def test_a_worker_reuses_its_task_for_the_same_options(tiny_data):
    one, two, *_ = StudyOptions(**TINY).configs()
    fingerprint = load_mnist(str(tiny_data)).fingerprint
    first, mnist = worker_module.worker_task(one[2], str(tiny_data), fingerprint)
    assert worker_module.worker_task(two[2], str(tiny_data), fingerprint)[0] is first  # TSE then XE: one task
    assert mnist.train_images.size == 0 and mnist.fingerprint == fingerprint
    other_seed = StudyOptions(**TINY).configs(seed=5)[1][2]  # no subset drawn: the seed does not change the task
    assert worker_module.worker_task(other_seed, str(tiny_data), fingerprint)[0] is first
    other, _ = worker_module.worker_task(dataclasses.replace(two[2], train_size=40), str(tiny_data), fingerprint)
    assert other is not first and other.train.N == 40
    with pytest.raises(MathdlError, match="has no MNIST with the study's fingerprint"):
        worker_module.worker_task(dataclasses.replace(two[2], train_size=41), str(tiny_data), "0" * 64)


def test_estimated_work_matches_a_measured_study():
    """The schedule's estimate against the training seconds of one full study on 2 cores (the compiled
    online loop, measured on 2026-12-01): each configuration within 15% of its share of the total, the
    40-epoch matrix XE networks the longest, the size runs in the order of their sizes, every estimate
    proportional to the epochs."""
    measured = {"1-1layer-tse-online": 38.3, "2-1layer-xe-online": 39.5, "3-1layer-tse-matrix": 51.8,
                "4-1layer-xe-matrix": 104.9, "5-3layers-tse-online": 26.1, "6-3layers-xe-online": 26.5,
                "7-3layers-tse-matrix": 38.7, "8-3layers-xe-matrix": 76.8}
    options = StudyOptions()
    w = {name: estimated_work(config, 60000, 10000) for _, name, config in options.configs()}
    scale = sum(measured.values()) / sum(w.values())
    assert {name: w[name] * scale for name in w} == pytest.approx(measured, rel=0.15)
    assert sorted(w, key=w.get)[-2:] == ["8-3layers-xe-matrix", "4-1layer-xe-matrix"]
    config, sizes = options.size_curve()
    size_work = [estimated_work(dataclasses.replace(config, train_size=n, curves=False), 60000, 10000)
                 for n in sizes]
    assert size_work == sorted(size_work) and size_work[-1] < w["5-3layers-tse-online"]
    twice = dataclasses.replace(config, epochs=80)
    assert estimated_work(twice, 60000, 10000) == pytest.approx(2 * w["4-1layer-xe-matrix"])


def test_an_existing_study_needs_resume_and_the_same_options(study, tiny_data):
    with pytest.raises(MathdlError, match="already holds a study; continue it with --resume"):
        run_study(StudyOptions(**TINY), study.path, data=str(tiny_data), progress=False)
    with pytest.raises(MathdlError, match="holds a study with other options"):
        run_study(StudyOptions(**{**TINY, "epochs": 2}), study.path, data=str(tiny_data), resume=True,
                  progress=False)
    before = (study.path / "runs" / "1-1layer-tse-online" / "model.npz").stat().st_mtime_ns
    again = run_study(StudyOptions(**TINY), study.path, data=str(tiny_data), resume=True, progress=False)
    assert (study.path / "runs" / "1-1layer-tse-online" / "model.npz").stat().st_mtime_ns == before
    assert [r["accuracy"] for r in again.rows] == [r["accuracy"] for r in study.rows]


def test_study_options_are_checked():
    with pytest.raises(MathdlError, match="--hidden1 must be one layer size"):
        StudyOptions(hidden1=(10, 10))
    with pytest.raises(MathdlError, match="--hidden3 must be three layer sizes"):
        StudyOptions(hidden3=(10, 10))
    with pytest.raises(MathdlError, match="the student ID must be made of digits"):
        StudyOptions(student_id="12x")


def test_another_process_checking_the_directory_does_not_make_it_foreign(tmp_path):
    """check_directory's probe (made and removed at once) of a second study, seen by the first one checking the
    directory under its lock, is not a file of another kind: the two studies started together once both failed."""
    from mathdl.base.files import CHECK_PREFIX
    from mathdl.base.lock import LOCK_FILE
    from mathdl.study.protocol import StudyOptions
    from mathdl.study.runner import check_target
    out = tmp_path / "s"
    (out / f"{CHECK_PREFIX}x1y2").mkdir(parents=True)
    (out / LOCK_FILE).write_text("process 1 on here\n")
    check_target(StudyOptions(), out, resume=False)
    (out / "notes.txt").write_text("mine")
    with pytest.raises(MathdlError, match="exists and is not a study directory"):
        check_target(StudyOptions(), out, resume=False)


def test_two_studies_started_together_in_one_directory(tiny_data, tmp_path):
    """Two ``mathdl study`` processes started at the same moment with the same --out and other seeds: one holds the
    directory and finishes; the other is refused in one line, exit 2, and the study is the first one's alone."""
    out = tmp_path / "s"
    env = {**os.environ, "MATHDL_CACHE": str(tmp_path / "cache")}
    argv = [sys.executable, "-m", "mathdl", "study", "--data", str(tiny_data), "--out", str(out), "--epochs", "1",
            "--hidden1", "12", "--hidden3", "10,8,6", "--sizes", "0", "--jobs", "1", "--quiet"]
    processes = {seed: subprocess.Popen(argv + ["--seed", str(seed)], env=env, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE, text=True) for seed in (0, 1)}
    errors = {seed: process.communicate(timeout=600)[1] for seed, process in processes.items()}
    codes = {seed: process.returncode for seed, process in processes.items()}
    assert sorted(codes.values()) == [0, 2], errors
    winner, loser = sorted(codes, key=codes.get)
    refused = errors[loser].strip()
    assert len(refused.splitlines()) == 1 and f"another mathdl study is running in {out} (process " in refused, refused
    assert json.loads((out / "study.json").read_text())["options"]["seed"] == winner
    assert json.loads((out / "summary.json").read_text())["options"]["seed"] == winner


@pytest.mark.usefixtures("default_signals")  # SIGINT as in a terminal, also when the tests run in the background
def test_interrupted_study_keeps_finished_runs_and_resumes(tiny_data, tmp_path):
    """A real SIGINT to a real study process: exit 130, finished runs kept, --resume completes the rest."""
    out = tmp_path / "s"
    env = {**os.environ, "MATHDL_CACHE": str(tmp_path / "cache")}
    argv = [sys.executable, "-m", "mathdl", "study", "--data", str(tiny_data), "--out", str(out), "--epochs", "3",
            "--hidden1", "12", "--hidden3", "10,8,6", "--sizes", "0", "--jobs", "1", "--quiet", "--no-video"]
    # Ctrl-C's SIGINT reaches the study even when this test runs where SIGINT is ignored (a background job)
    process = subprocess.Popen(argv, env=env, stderr=subprocess.PIPE, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    first = out / "runs" / "1-1layer-tse-online"
    finished = lambda: (first / "confusion.png").exists() and not (first / "checkpoint.npz").exists()  # noqa: E731
    deadline = time.time() + 120
    while not finished() and time.time() < deadline and process.poll() is None:
        time.sleep(0.1)
    assert finished(), process.stderr.read() if process.poll() is not None else "no run finished"
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "interrupted:" in stderr and "continue with: mathdl study --resume" in stderr and "Traceback" not in stderr
    kept = (out / "runs" / "1-1layer-tse-online" / "model.npz").stat().st_mtime_ns
    before = {run.name for run in (out / "runs").iterdir() if (run / "confusion.png").exists()
              and not (run / "checkpoint.npz").exists()}  # finished before the interrupt (one or more)
    # resumed with its progress shown: not a terminal here, so plain lines, no bars cut to a width
    done = subprocess.run([a for a in argv if a != "--quiet"] + ["--resume"], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    left = [run.name for run in sorted((out / "runs").iterdir()) if run.name not in before]
    assert left and all(f"done: {name}: test accuracy" in done.stderr for name in left), done.stderr
    assert not any(glyph in done.stderr for glyph in "━…"), done.stderr
    assert (out / "runs" / "1-1layer-tse-online" / "model.npz").stat().st_mtime_ns == kept
    assert len(json.loads((out / "summary.json").read_text())["configurations"]) == 8


@pytest.mark.usefixtures("default_signals")
def test_resume_continues_a_configuration_from_its_checkpoint(study, tiny_data, tmp_path, monkeypatch):
    """Configuration 3 (matrix bp) of a finished study is redone as if the study had been interrupted in
    the middle of its epoch: resuming continues it from the checkpoint, to the same weights."""
    from threadpoolctl import threadpool_limits
    out = tmp_path / "s"
    shutil.copytree(study.path, out)
    number, name, config = StudyOptions(**TINY).configs()[2]
    run_dir = out / "runs" / name
    expected = load_run(run_dir)
    shutil.rmtree(run_dir)
    signal_after(monkeypatch, 112)  # 112 of the 240 samples of its one epoch
    with threadpool_limits(limits=1), pytest.raises(Interrupted):  # the workers' single BLAS thread
        run(config, load_mnist(tiny_data, progress=False), out=run_dir, progress=False)
    monkeypatch.undo()
    block = FastSGD.block_for(config.settings().batch_size)  # plain SGD's safe points: after each block
    samples_done = -(-112 // block) * block
    assert read_checkpoint(run_dir / CHECKPOINT)[0].samples_done == samples_done
    others = {p: p.stat().st_mtime_ns for p in (out / "runs").glob("*/model.npz")}

    run_study(StudyOptions(**TINY), out, data=str(tiny_data), resume=True, progress=False)
    resumed = load_run(run_dir)
    assert resumed.config["resumed"] == [{"epochs_done": 0, "samples_done": samples_done}]
    assert all(np.array_equal(a, b) for a, b in zip(resumed.net.params(), expected.net.params()))
    assert {p: p.stat().st_mtime_ns for p in others} == others  # the finished configurations were kept


def test_the_reverse_part_has_a_control_trained_the_books_way():
    """The book's network (Rashid): one hidden layer of 200, no biases, TSE, online, a constant η = 0.1,
    the book's scaling and targets, no deskewing or shifts; the study's two networks beside it."""
    named = dict(StudyOptions().reverse_configs())
    assert list(named) == ["1layer", "3layers", "book"]
    book = named["book"]
    assert book.hidden == (200,) and book.bias is False and book.cost == "tse"
    assert book.method == "online" and book.settings().eta == 0.1 and book.decay == 0 and book.augment == 0
    assert (book.scale, book.targets, book.deskew, book.init) == ("book", "book", False, "normal")
    quick = dict(StudyOptions(quick=True).reverse_configs())["book"]
    assert quick.train_size == 3000 and quick.settings().epochs == 4


def test_summary_compares_the_best_with_every_other_configuration(study):
    summary = json.loads((study.path / "summary.json").read_text())
    best = summary["best"]
    versus = summary["versus_best"]
    assert [t["b"] for t in versus] == [n for n in range(1, 9) if n != best] and all(t["a"] == best for t in versus)
    rows = {r["number"]: r for r in summary["configurations"]}
    for t in versus:
        n_test = rows[best]["tp"] + rows[best]["fn"] + rows[best]["fp"] + rows[best]["tn"]
        diff = t["a_right_b_wrong"] - t["a_wrong_b_right"]
        assert diff == round(n_test * (rows[best]["accuracy"]["value"] - rows[t["b"]]["accuracy"]["value"]))
    for row in rows.values():  # the compiled loops' first use, apart from the training time
        metrics = json.loads((study.path / row["run_dir"] / "metrics.json").read_text())
        assert row["compile_seconds"] == metrics["compile_seconds"] and 0 <= row["compile_seconds"] <= row["train_seconds"]


def test_study_json_records_the_blas_kernels(study):
    environment = json.loads((study.path / "study.json").read_text())["environment"]
    assert environment["blas"] and all("internal_api" in b and "version" in b for b in environment["blas"])
    assert environment["cpu"]


def test_progress_without_a_terminal_is_a_plain_line_at_a_steady_pace(tmp_path, capsys):
    """Not a terminal (a log file, CI, nohup): no bars, a status line every ``every`` seconds — runs done, the
    share of the work, each training run's epoch, elapsed and ETA — and a line as each run finishes."""
    from mathdl.study.progress import StudyProgress
    runs = [("a", "1-1layer-tse-online", 100, tmp_path), ("b", "2-1layer-xe-online", 300, tmp_path)]
    with StudyProgress(runs, plain=True, every=0.05) as display:
        display.advance("a", 50, {"epoch": "2/4", "cost": "0.1"})
        display.advance("b", 50, {"epoch": "1/6"})
        time.sleep(0.4)
        display.finished("a", "test accuracy 90.00%")
        time.sleep(0.2)
    lines = capsys.readouterr().err.splitlines()
    status = [line for line in lines if line.startswith("study: ")]
    assert len(status) >= 4, lines  # at a steady pace, not only when something happens
    assert status[0].startswith("study: 0/2 runs done, 25% of the work; training: 1-1layer-tse-online epoch 2/4, "
                                "2-1layer-xe-online epoch 1/6; elapsed 0:00, eta 0:0")
    assert "1/2 done: 1-1layer-tse-online: test accuracy 90.00%" in lines
    assert status[-1].startswith("study: 1/2 runs done, 38% of the work; training: 2-1layer-xe-online epoch 1/6;")
    assert not any(glyph in "".join(lines) for glyph in "━…")


def _strings(value):
    """Every string inside a JSON value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def test_a_moved_study_is_reported_and_explored(study, tmp_path, capsys):
    """summary.json (and each reverse.json) names every file relative to the study directory, so a study copied
    to another folder or machine is still reported and explored there, naming nothing of where it was."""
    from starlette.testclient import TestClient

    from mathdl.cli import main
    from mathdl.explore.app import create_app
    summary = json.loads((study.path / "summary.json").read_text())
    written = [summary] + [json.loads(path.read_text()) for path in study.path.glob("reverse/*/reverse.json")]
    absolute = [s for data in written for s in _strings(data) if os.path.isabs(s) or str(study.path) in s]
    assert not absolute
    assert {name: part["network"]["model"] for name, part in summary["reverse"].items()} == \
        {name: f"reverse/{name}/model" for name in ("1layer", "3layers", "book")}
    first = shutil.copytree(study.path, tmp_path / "here" / "study")
    moved = shutil.move(first, tmp_path / "elsewhere")  # the study directory as another machine has it
    assert not first.exists()
    assert main(["report", str(moved)]) == 0
    markdown = (moved / "report.md").read_text()
    assert str(tmp_path) not in markdown and "incomplete" not in capsys.readouterr().err
    assert main(["present", str(moved), "--quiet"]) == 0  # the presentation finds its figures and images there
    assert str(tmp_path / "here") not in (moved / "presentation.md").read_text()
    with TestClient(create_app([moved]), base_url="http://127.0.0.1") as client:  # the explorer's own address
        networks = client.get("/api/networks").json()["networks"]
        view = client.get("/api/studies/0").json()
    assert sum("/reverse/" in n["name"] for n in networks) == 3 and sum("/runs/" in n["name"] for n in networks) == 8
    assert all(part["figure"] for part in view["reverse"]) and all(curve["rows"] for curve in view["curves"])
    assert str(tmp_path) not in json.dumps(view)


# The summary, the protocol, the class table and the progress display against hand values and independent
# routes (the mutation sweep's gaps): a study of two seeds trained in this process, without Dask.

@pytest.fixture(scope="module")
def local_study(tiny_data, tmp_path_factory):
    """The eight configurations of TINY over seeds 0 and 1 and one size run (40 images), each trained here as a
    worker trains it, stubs for the reverse part's files, then summarised: the summary's own code only."""
    import matplotlib.pyplot as plt

    import mathdl.plots
    from mathdl.study.summary import summarise
    options = StudyOptions(**{**TINY, "sizes": (40,), "seeds": 2})
    out = tmp_path_factory.mktemp("local") / "s"
    mnist = load_mnist(str(tiny_data), progress=False)
    with pytest.MonkeyPatch.context() as patch:  # the figures are drawn but not rendered to files: seconds saved
        patch.setattr(mathdl.plots, "save", lambda fig, path, **_: plt.close(fig))
        for _, name, _, config in options.replicates():
            run(config, mnist, out=out / "runs" / name, progress=False)
        config, sizes = options.size_curve()
        for n in sizes:
            run(dataclasses.replace(config, train_size=n, curves=False), mnist, out=out / "sizes" / str(n),
                progress=False)
        for name, _ in options.reverse_configs():
            (out / "reverse" / name).mkdir(parents=True)
            (out / "reverse" / name / "reverse.json").write_text(json.dumps({"network": {}, "summary": {},
                                                                             "settings": {}}))
        return summarise(out, options), options


def _correct(run_dir):
    rows = read_csv_rows(run_dir / "predictions.csv")
    return np.array([r["true"] == r["predicted"] for r in rows])


def _mcnemar_by_hand(b, c):
    """Exact two-sided p and mid-p (2 P(X ≤ k) − P(X = k), Fagerland et al.) of McNemar's test from the discordant
    counts, by scipy's binomial, each at most 1."""
    from scipy import stats
    n, k = b + c, min(b, c)
    if n == 0:
        return 1.0, 1.0
    tail = stats.binom.cdf(k, n, 0.5)
    return min(1.0, 2 * tail), min(1.0, 2 * tail - stats.binom.pmf(k, n, 0.5))


def test_summary_rows_are_each_runs_own_numbers(local_study):
    """Every rate with its own interval, the hidden layers, the resolved training settings and the ID's digits,
    against each run's own files; the size curve's points against their runs."""
    study, options = local_study
    summary = study.summary
    assert summary["positive_digits"] == [0, 1, 3, 4, 8]  # ID 100384
    for row in summary["configurations"]:
        run_dir = study.path / row["run_dir"]
        metrics = json.loads((run_dir / "metrics.json").read_text())["test"]
        config = json.loads((run_dir / "config.json").read_text())["config"]
        for rate in ("accuracy", "sensitivity", "specificity", "precision", "npv", "f1", "mcc"):
            assert row[rate] == {"value": metrics[rate], "ci95": metrics[f"{rate}_ci95"]}, rate
        assert row["hidden_layers"] == (1 if row["number"] <= 4 else 3) == len(config["hidden"])
        assert [row[k] for k in ("epochs", "eta", "batch_size")] == \
            [config["resolved"][k] for k in ("epochs", "eta", "batch_size")]
        truth = [r["true"] for r in read_csv_rows(run_dir / "predictions.csv")]
        csv_row = read_csv_rows(study.path / "summary.csv")[row["number"] - 1]
        assert (csv_row["test_positives"], csv_row["test_negatives"]) == (truth.count(1), truth.count(0))
    four = json.loads((study.path / "runs" / "4-1layer-xe-matrix" / "metrics.json").read_text())["test"]
    forty = json.loads((study.path / "sizes" / "40" / "metrics.json").read_text())["test"]
    assert summary["size_curve"] == [{"train_size": 40, "accuracy": forty["accuracy"], "ci95": forty["accuracy_ci95"]},
                                     {"train_size": 240, "accuracy": four["accuracy"], "ci95": four["accuracy_ci95"]}]


def test_every_mcnemar_test_of_every_seed_against_the_predictions(local_study):
    """The family of 24 tests (12 comparisons × 2 seeds): counts, accuracies and p-values from each seed's own
    predictions, Holm's adjustment by hand over all 24; summary["mcnemar"] is the study's seed's twelve; the best
    against every other configuration with its p-values by the binomial."""
    study, options = local_study
    summary = study.summary
    family = summary["mcnemar_family"]
    assert [(t["seed"], t["a"], t["b"]) for t in family] == [(s, a, b) for s in (0, 1) for _, a, b in COMPARISONS]
    names = {number: name for number, name, _ in options.configs()}
    for t in family:
        a, b = (_correct(study.path / "runs" / options.run_name(names[n], t["seed"])) for n in (t["a"], t["b"]))
        assert (t["accuracy_a"], t["accuracy_b"]) == (a.mean(), b.mean())
        assert (t["a_right_b_wrong"], t["a_wrong_b_right"]) == ((a & ~b).sum(), (~a & b).sum())
        assert (t["p_exact"], t["p_mid"]) == pytest.approx(_mcnemar_by_hand(t["a_right_b_wrong"], t["a_wrong_b_right"]))
    for p in ("p_exact", "p_mid"):  # Holm: the i-th smallest times (24 - i), the running maximum, at most 1
        order = sorted(range(24), key=lambda i: family[i][p])
        adjusted, running = {}, 0.0
        for rank, i in enumerate(order):
            running = max(running, min(1.0, (24 - rank) * family[i][p]))
            adjusted[i] = running
        assert [t[f"{p}_holm"] for t in family] == pytest.approx([adjusted[i] for i in range(24)])
    assert summary["mcnemar"] == family[:12] and {t["seed"] for t in summary["mcnemar"]} == {0}
    assert "the family of all 24 tests (12 comparisons × 2 seeds)" in summary["mcnemar_test"]
    for t in summary["versus_best"]:
        assert (t["p_exact"], t["p_mid"]) == pytest.approx(_mcnemar_by_hand(t["a_right_b_wrong"], t["a_wrong_b_right"]))


def test_seed_files_hold_the_summarys_intervals(local_study):
    """seeds.csv and effects.csv: each low and high where summary.json has them (a low never above its high)."""
    study, _ = local_study
    summary = study.summary
    seeds = read_csv_rows(study.path / "seeds.csv")
    for row, c in zip(seeds, summary["seeds"]["configurations"]):
        for rate in ("accuracy", "mcc"):
            if c[rate]["ci95"] is not None:
                assert [row[f"{rate}_low"], row[f"{rate}_high"]] == pytest.approx(c[rate]["ci95"])
                assert row[f"{rate}_low"] <= row[f"{rate}_high"]
    effects = read_csv_rows(study.path / "effects.csv")
    expected = [e for response in ("accuracy", "sensitivity", "specificity")
                for e in summary["factorial"][response]["effects"]]
    assert len(effects) == len(expected)
    for row, e in zip(effects, expected):
        assert [row["low"], row["high"]] == pytest.approx(e["ci95"]) and row["low"] <= row["high"]


def test_the_gradient_check_is_of_the_three_layer_network_and_its_worst_entry(local_study):
    """summary["gradcheck"]: the 784-10-8-6-1 network of hidden3, and per method the largest error of both costs."""
    from mathdl.base.seeding import rng
    from mathdl.nn.gradcheck import gradcheck
    from mathdl.nn.network import Network
    study, _ = local_study
    checks = study.summary["gradcheck"]
    assert checks["sizes"] == [784, 10, 8, 6, 1]
    generator = rng(0, "init")
    net = Network.create(checks["sizes"], ["sigmoid"] * 4, rng=generator)
    X, Y = generator.uniform(0, 1, (784, 4)), generator.integers(0, 2, (1, 4)).astype(float)
    for method in ("online", "matrix"):
        errors = [e for cost in ("tse", "xe") for c in gradcheck(net, X, Y, cost, method=method, max_entries=12,
                                                                 rng=rng(0, "init")) for e in (c.W_error, c.b_error)]
        assert checks[method] == max(errors) and max(errors) > min(errors)


def test_seed_summary_by_hand():
    """Two seeds: the mean, the sample sd and t(1)'s interval, cut to [0, 1] for a rate and to [-1, 1] for the MCC;
    a rate of 0 counts, an undefined one (None) does not."""
    from mathdl.study.summary import RATES, seed_summary
    options = StudyOptions(seeds=2)
    values = {"accuracy": [0.8, 0.9], "sensitivity": [0.0, 0.5], "specificity": [1.0, 1.0], "precision": [None, 0.5],
              "npv": [0.6, 0.6], "f1": [0.1, 0.3], "mcc": [0.1, 0.3]}
    replicates = [{"number": number, "seed": seed, **{rate: values[rate][seed] for rate in RATES}}
                  for seed in (0, 1) for number in range(1, 9)]
    found = seed_summary(replicates, options)
    assert found["seeds"] == [0, 1] and [c["number"] for c in found["configurations"]] == list(range(1, 9))
    half = 12.706204736174707 / math.sqrt(2)  # t(1)'s 97.5% point over √n, times sd below
    c = found["configurations"][0]
    assert c["accuracy"]["mean"] == pytest.approx(0.85) and c["accuracy"]["sd"] == pytest.approx(math.sqrt(0.005))
    assert c["accuracy"]["ci95"] == pytest.approx([0.85 - half * math.sqrt(0.005), 1.0])
    assert c["sensitivity"]["mean"] == 0.25 and c["sensitivity"]["values"] == [0.0, 0.5]
    assert c["precision"] == {"mean": 0.5, "sd": None, "ci95": None, "n": 1, "values": [None, 0.5]}
    assert c["specificity"]["ci95"] == [1.0, 1.0]
    assert 0.2 - half * math.sqrt(0.02) < -1 and 0.2 + half * math.sqrt(0.02) > 1  # cut at both ends
    assert c["f1"]["ci95"] == [0.0, 1.0] and c["mcc"]["ci95"] == [-1.0, 1.0]


def test_the_protocols_options_reach_every_configuration():
    """--quick's sizes and epochs unless given, the given options in all eight, seeds counted from --seed,
    the size curve's configuration (4) and sizes, the reverse part's epochs and data, what a resume compares."""
    quick = StudyOptions(quick=True).configs()
    assert {(c.train_size, c.test_size, c.epochs) for _, _, c in quick} == {(3000, 1000, 4)}
    assert {c.epochs for _, _, c in StudyOptions(quick=True, epochs=2).configs()} == {2}
    for deskew in (False, True):
        given = StudyOptions(deskew=deskew, decay=0.0, augment=0, scale="unit").configs()
        assert {(c.deskew, c.decay, c.augment, c.scale) for _, _, c in given} == {(deskew, 0.0, 0, "unit")}
        assert {c.deskew for _, c in StudyOptions(deskew=deskew).reverse_configs()[:2]} == {deskew}
    assert [c.hidden for _, _, c in StudyOptions().configs()] == [(300,)] * 4 + [(128, 64, 32)] * 4
    options = StudyOptions(seed=5, seeds=3)
    assert options.seed_list() == [5, 6, 7]
    assert [(s, name) for _, name, s, _ in options.replicates()][7:9] == [(5, "8-3layers-xe-matrix"),
                                                                          (6, "1-1layer-tse-online-seed6")]
    assert "seeds" not in options.resumable() and options.resumable()["seed"] == 5
    config, sizes = StudyOptions().size_curve()
    assert (config.hidden, config.cost, config.method) == ((300,), "xe", "matrix")
    assert sizes == (500, 1000, 2000, 5000, 10000)
    assert StudyOptions(train_size=1000, sizes=(500, 1000, 2000)).size_curve()[1] == (500,)
    reverse = dict(StudyOptions().reverse_configs())
    assert [(reverse[n].epochs, reverse[n].test_size) for n in ("1layer", "3layers", "book")] == \
        [(10, None), (10, None), (5, None)]
    assert {c.test_size for _, c in StudyOptions(quick=True).reverse_configs()} == {1000}
    for seeds in (0, -1, True, 1.5):
        with pytest.raises(MathdlError, match="--seeds must be a positive integer"):
            StudyOptions(seeds=seeds)


def test_the_class_table_by_hand(tmp_path):
    """Two students, one of them with two seeds: the best is the highest accuracy (the seeds' mean), in bold, with
    its own label; one seed says test accuracy. Comment lines of the ID file are left out."""
    from mathdl.study.classes import class_table, read_ids
    from mathdl.study.protocol import Study

    def study(student, accuracies, seeds=None):
        rows = [{"number": n, "label": f"config {n}", "hidden_layers": 1 if n <= 4 else 3, "cost": "xe", "bp": "matrix",
                 "accuracy": {"value": a}} for n, a in enumerate(accuracies, start=1)]
        summary = {"student_id": student, "configurations": rows}
        if seeds:
            summary["seeds"] = {"seeds": [0, 1], "configurations": [
                {"number": n, "accuracy": {"mean": sum(v) / 2, "values": v}} for n, v in enumerate(seeds, start=1)]}
        return Study(tmp_path / f"study-{student}", rows, [], 0.0, summary=summary)

    one = study("100384", [0.5, 0.9, 0.6, 0.7, 0.1, 0.2, 0.3, 0.4])
    # seed 0's values alone would make 1 the best; the means make it 3
    two = study("2468", [0.0] * 8, seeds=[[0.95, 0.05], [0.1, 0.1], [0.6, 0.6]] + [[0.2, 0.2]] * 5)
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    rows = class_table([one], tmp_path / "a")
    assert rows[0]["best"] == 2 and rows[0]["best_label"] == "config 2" and rows[0]["accuracy_5"] == 0.1
    md = (tmp_path / "a" / "class.md").read_text()
    assert "(test accuracy, %)" in md and "| 100384 | 50.00 | **90.00** | 60.00 | 70.00 |" in md
    assert md.count("**") == 2 and "| 2: config 2 |" in md
    rows = class_table([two], tmp_path / "b")
    assert rows[0]["best"] == 3 and rows[0]["accuracy_1"] == 0.5 and rows[0]["best_label"] == "config 3"
    assert "(mean test accuracy over 2 seeds, %)" in (tmp_path / "b" / "class.md").read_text()
    ids = tmp_path / "ids.txt"
    ids.write_text("# the class\n  # indented\n100384\n\n2468\n")
    assert read_ids(ids) == ["100384", "2468"]


def test_progress_numbers_by_hand(tmp_path, capsys):
    """The share of the work counts each run's samples once (an advance gives a run's total so far), the ETA is
    elapsed × (1 − share) / share, none before any work; a run of another study is ignored; a finished run's line
    from its metrics; the clock's hours."""
    from mathdl.study.progress import StudyProgress, _clock
    assert [_clock(s) for s in (0, 59.6, 125, 3599.4, 3725, 36000)] == \
        ["0:00", "1:00", "2:05", "59:59", "1:02:05", "10:00:00"]
    (tmp_path / "metrics.json").write_text(json.dumps({"test": {"accuracy": 0.98424}, "train_seconds": 224.4}))
    display = StudyProgress([("a", "one", 100, tmp_path), ("b", "two", 400, tmp_path)], plain=True)
    display.started = time.monotonic()
    assert display.status() == "study: 0/2 runs done, 0% of the work; elapsed 0:00"
    display.advance("a", 40, {"epoch": "1/4"})
    display.advance("a", 90, {"epoch": "3/4"})
    display.advance("b", 35, {})
    display.advance("elsewhere", 50, {"epoch": "1/1"})
    display.started = time.monotonic() - 100
    assert display.status() == \
        "study: 0/2 runs done, 25% of the work; training: one epoch 3/4, two; elapsed 1:40, eta 5:00"
    display.finished("a")
    assert capsys.readouterr().err.strip() == "1/2 done: one: test accuracy 98.42% after 224 s of training"
    assert display.status() == "study: 1/2 runs done, 27% of the work; training: two; elapsed 1:40, eta 4:30"
    assert StudyProgress([], plain=True).status().startswith("study: 0/0 runs done, 100% of the work; elapsed")


def test_summary_csv_columns_of_the_class_balance_and_intervals():
    """_flat: a rate as value, low and high; each split's counts (negative class first) as positives and negatives."""
    from mathdl.study.summary import _flat
    row = {"number": 1, "f1": {"value": 0.5, "ci95": [0.25, 0.75]}, "mcc": {"value": None, "ci95": None},
           "class_balance": {"train": {"other digits": 70, "ID digits": 30},
                             "test": {"other digits": 6, "ID digits": 4}}}
    assert _flat(row) == {"number": 1, "f1": 0.5, "f1_low": 0.25, "f1_high": 0.75, "mcc": None, "mcc_low": None,
                          "mcc_high": None, "train_positives": 30, "train_negatives": 70, "test_positives": 4,
                          "test_negatives": 6}


def test_the_mcnemar_family_by_hand(tmp_path):
    """Nested right answers (configuration n right on its first k_n of 100 images) make every discordant pair
    one-sided: |k_a − k_b| = m pairs, p_exact = 2/2^m and p_mid = 1/2^m; Holm's adjustment of the 24 by hand.
    The second seed is read from its predictions.csv (seed 1: the k's of seed 0 shifted by 5)."""
    from mathdl.study.summary import _mcnemar_family
    options = StudyOptions(seeds=2)
    k = {1: 10, 2: 90, 3: 20, 4: 80, 5: 30, 6: 70, 7: 40, 8: 60}
    first = {n: np.arange(100) < k[n] for n in k}
    for n, name, _ in options.configs(1):
        folder = tmp_path / "runs" / f"{name}-seed1"
        folder.mkdir(parents=True)
        lines = ["index,digit,true,predicted,output"] + [f"{i},3,1,{int(i < k[n] + 5)},0.5" for i in range(100)]
        (folder / "predictions.csv").write_text("\n".join(lines) + "\n")
    family = _mcnemar_family(tmp_path, options, first)
    m = {(1, 2): 80, (3, 4): 60, (5, 6): 40, (7, 8): 20, (1, 3): 10, (2, 4): 10, (5, 7): 10, (6, 8): 10,
         (1, 5): 20, (2, 6): 20, (3, 7): 20, (4, 8): 20}
    # each m twice (two seeds), sorted: 80 80 60 60 40 40 then the ten 20s, then the eight 10s
    rank_factor = {80: 24, 60: 22, 40: 20, 20: 18, 10: 8}  # Holm's running maximum: the first of each tie
    for t, seed in zip(family, [0] * 12 + [1] * 12):
        a, b = t["a"], t["b"]
        shift = 5 * seed
        assert (t["seed"], t["accuracy_a"], t["accuracy_b"]) == (seed, (k[a] + shift) / 100, (k[b] + shift) / 100)
        mm = m[(a, b)]
        assert (t["a_right_b_wrong"], t["a_wrong_b_right"]) == ((mm, 0) if k[a] > k[b] else (0, mm))
        assert (t["p_exact"], t["p_mid"]) == (2 / 2 ** mm, 1 / 2 ** mm)
        assert t["p_exact_holm"] == pytest.approx(rank_factor[mm] * 2 / 2 ** mm, rel=1e-12)
        assert t["p_mid_holm"] == pytest.approx(rank_factor[mm] / 2 ** mm, rel=1e-12)


def test_the_size_curve_ends_with_configuration_4_on_all_its_images(tmp_path):
    """_size_rows: each size run's accuracy and interval, then configuration 4's own (the fourth row), at the
    number of its training images (its two classes' counts added)."""
    from mathdl.study.summary import _size_rows
    (tmp_path / "sizes" / "40").mkdir(parents=True)
    (tmp_path / "sizes" / "40" / "metrics.json").write_text(json.dumps({"test": {"accuracy": 0.7,
                                                                                  "accuracy_ci95": [0.6, 0.8]}}))
    rows = [{"accuracy": {"value": n / 10, "ci95": [n / 10 - 0.05, n / 10 + 0.05]},
             "class_balance": {"train": {"other digits": 100 + n, "ID digits": 50}}} for n in range(1, 9)]
    assert _size_rows(tmp_path, StudyOptions(sizes=(40,)), rows) == [
        {"train_size": 40, "accuracy": 0.7, "ci95": [0.6, 0.8]},
        {"train_size": 154, "accuracy": 0.4, "ci95": [0.4 - 0.05, 0.4 + 0.05]}]
