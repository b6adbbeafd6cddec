"""The study's orchestration on tiny data: eight runs, summaries consistent with the runs, resume."""
import dataclasses
import json
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
