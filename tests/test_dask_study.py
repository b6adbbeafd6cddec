"""The study on Dask, with real processes on 127.0.0.1: a scheduler and two workers started here, a study run
against them by address equal to the local cluster's; a worker killed in the middle of a run, which
continues from its checkpoint to the undisturbed result; several seeds, the factorial analysis and a
resume that keeps the finished seeds; a class of IDs; and the bad inputs (one line, exit 2, nothing
written)."""
import contextlib
import csv
import json
import re
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from mathdl.base.files import read_csv_rows
from mathdl.cli import main
from mathdl.data.mnist import load_mnist
from mathdl.evaluation.factorial import factorial
from mathdl.evaluation.metrics import holm
from mathdl.runs.directory import load_run
from mathdl.runs.experiment import Config, run
from mathdl.study.protocol import StudyOptions
from mathdl.study.classes import class_studies, class_table, read_ids
from mathdl.study.runner import run_studies, run_study
from mathdl.study.worker import PROGRESS_TOPIC
from mathdl.training.checkpoint import CHECKPOINT, read_checkpoint

from conftest import TINY
from test_mnist import small, write_idx


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def dask_cluster(folder: Path, workers: int = 2, scheduler_env: dict | None = None):
    """`dask scheduler` and ``workers`` `dask worker` processes (one thread each) on 127.0.0.1, started in
    ``folder`` and stopped at the end. The workers' own MNIST ($MATHDL_DATA) is other data, so they must take the
    client's copy, checked by its fingerprint. Yields (address, client, the scheduler's process)."""
    from distributed import Client

    env = {**os.environ, "MATHDL_DATA": str(write_idx(folder / "their-mnist", small(240, 80, seed=7))),
           "MATHDL_CACHE": str(folder / "cache"), "HOME": str(folder / "home")}
    (folder / "home").mkdir()
    started, file, client = [], folder / "scheduler.json", None
    try:
        started.append(subprocess.Popen([sys.executable, "-m", "dask", "scheduler", "--host", "127.0.0.1", "--port", "0",
                                         "--dashboard-address", "127.0.0.1:0", "--scheduler-file", str(file)],
                                        env={**env, **(scheduler_env or {})}, cwd=folder,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        deadline = time.time() + 60
        while not (file.is_file() and file.read_text().strip().endswith("}")) and time.time() < deadline:
            time.sleep(0.1)
        address = json.loads(file.read_text())["address"]
        assert address.startswith("tcp://127.0.0.1:")
        for name in [f"w{i + 1}" for i in range(workers)]:
            started.append(subprocess.Popen([sys.executable, "-m", "dask", "worker", address, "--host", "127.0.0.1",
                                             "--nthreads", "1", "--nworkers", "1", "--no-dashboard",
                                             "--memory-limit", "0", "--name", name],
                                            env=env, cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        client = Client(address, set_as_default=False)
        client.wait_for_workers(workers, timeout=60)
        yield SimpleNamespace(address=address, client=client, scheduler=started[0])
    finally:
        if client is not None:
            with contextlib.suppress(Exception):
                client.close(timeout=10)
        for process in reversed(started):
            _stop(process)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with dask_cluster(tmp_path_factory.mktemp("cluster")) as started:
        yield started


def same_weights(a, b) -> bool:
    return all(np.array_equal(p, q) for p, q in zip(load_run(a).net.params(), load_run(b).net.params()))


def test_a_study_on_a_cluster_by_address_equals_the_local_clusters(cluster, study, tiny_data, tmp_path, monkeypatch):
    """The same study, on the cluster by address and on the study fixture's LocalCluster: the same networks. The
    client's data is a path only it has (relative to its own directory), so the workers take its copy."""
    (tmp_path / "client").mkdir()
    monkeypatch.chdir(tmp_path / "client")
    os.symlink(tiny_data, "mnist")
    found = run_study(StudyOptions(**TINY), tmp_path / "s", data="mnist", scheduler=cluster.address, progress=False)
    assert [r["accuracy"] for r in found.rows] == [r["accuracy"] for r in study.rows]
    assert found.summary["mcnemar"] == study.summary["mcnemar"]
    models = sorted(p.parent.relative_to(study.path) for p in study.path.glob("**/model.npz"))
    assert len(models) == 8 + 2 + 3  # the eight, the size curve, the reverse part's networks
    for model in models:
        assert same_weights(found.path / model, study.path / model), model
    for name in ("1layer", "3layers"):
        ours, theirs = (json.loads((p / "reverse" / name / "reverse.json").read_text())["summary"]
                        for p in (found.path, study.path))
        assert ours == theirs


def test_a_killed_worker_is_replaced_and_its_run_goes_on_from_its_checkpoint(cluster, tmp_path):
    """SIGKILL to the worker process training a run past its first epoch: Dask gives the run to a worker again,
    it continues from the run's checkpoint, and ends with the weights of a run never disturbed."""
    data = str(write_idx(tmp_path / "mnist", small(2000, 100, seed=3)))
    options = StudyOptions(epochs=10, sizes=(), hidden1=(150,), hidden3=(32, 16, 8))
    out = tmp_path / "s"
    killed = {}

    def kill_one():
        from distributed import Client
        client = Client(cluster.address, set_as_default=False, timeout=30)
        try:
            deadline = time.time() + 240
            while time.time() < deadline and not (out / "summary.json").exists():
                latest = {key: address for _, (key, _, _, address) in client.get_events(PROGRESS_TOPIC)}
                for key, address in latest.items():
                    checkpoint = Path(key) / CHECKPOINT
                    if Path(key).is_relative_to(out) and checkpoint.is_file():
                        epochs = read_checkpoint(checkpoint)[0].epochs_done
                        if 1 <= epochs <= options.epochs - 4 and not (Path(key) / "metrics.json").exists():
                            pid = client.run(os.getpid, workers=[address])[address]
                            os.kill(pid, signal.SIGKILL)
                            killed.update(run_dir=Path(key), epochs=epochs)
                            return
                time.sleep(0.02)
        finally:
            client.close()

    import threading
    killer = threading.Thread(target=kill_one)
    killer.start()
    found = run_study(options, out, data=data, scheduler=cluster.address, progress=False)
    killer.join()
    assert killed, "no run was caught in training"
    resumed = load_run(killed["run_dir"])
    assert resumed.config["resumed"] and resumed.config["resumed"][0]["epochs_done"] >= killed["epochs"]
    config = Config.from_dict(resumed.config["config"])
    with threadpool_limits(limits=1):  # as on the workers
        run(config, load_mnist(data, progress=False), out=tmp_path / "undisturbed", progress=False)
    assert same_weights(killed["run_dir"], tmp_path / "undisturbed")
    assert json.loads((killed["run_dir"] / "metrics.json").read_text())["test"] == \
        json.loads((tmp_path / "undisturbed" / "metrics.json").read_text())["test"]
    assert len(found.rows) == 8
    cluster.client.wait_for_workers(2, timeout=60)  # the nanny started a new worker process


@pytest.fixture(scope="module")
def seeded(tiny_data, tmp_path_factory):
    """A study of two seeds on a LocalCluster."""
    out = tmp_path_factory.mktemp("seeded") / "s"
    return run_study(StudyOptions(**{**TINY, "sizes": (), "seeds": 2}), out, data=str(tiny_data), jobs=2,
                     progress=False)


def test_every_seed_is_a_run_and_the_factorial_analysis_is_of_those_runs(seeded):
    out, summary = seeded.path, seeded.summary
    runs = read_csv_rows(out / "runs.csv")
    assert len(runs) == 16 and sorted({r["seed"] for r in runs}) == [0, 1]
    for r in runs:
        assert (out / r["run_dir"] / "model.npz").is_file()
        assert json.loads((out / r["run_dir"] / "config.json").read_text())["config"]["seed"] == r["seed"]
        assert json.loads((out / r["run_dir"] / "metrics.json").read_text())["test"]["accuracy"] == r["accuracy"]
    assert {r["run_dir"] for r in runs if r["seed"] == 0} == {f"runs/{row['name']}" for row in summary["configurations"]}
    for response in ("accuracy", "sensitivity", "specificity"):
        assert summary["factorial"][response] == factorial(runs, response)
    for c in summary["seeds"]["configurations"]:
        values = [r["accuracy"] for r in runs if r["number"] == c["number"]]
        assert c["accuracy"]["values"] == values and c["accuracy"]["mean"] == pytest.approx(np.mean(values))
    family = read_csv_rows(out / "mcnemar.csv")
    assert len(family) == 24 and [t["p_mid_holm"] for t in family] == pytest.approx(holm([t["p_mid"] for t in family]))
    for name in ("seeds.png", "effects.png", "seeds.csv", "effects.csv"):
        assert (out / name).is_file(), name


def test_the_report_and_terminal_state_the_effects(seeded):
    import io

    from rich.console import Console

    from mathdl.cli.study import show
    from mathdl.report import build_report
    markdown = build_report(seeded.path)["md"].read_text()
    effect = seeded.summary["factorial"]["accuracy"]["effects"][0]
    low, high = effect["ci95"]
    sentence = f"XE − TSE: {100 * effect['effect']:+.2f} points [{100 * low:+.2f}, {100 * high:+.2f}]"
    assert sentence in markdown
    assert "Holm" in markdown and "seeds.png" in markdown and "own tuned learning rate" in markdown
    terminal = io.StringIO()
    show(seeded, Console(file=terminal, width=200))
    printed = terminal.getvalue()
    assert f"accuracy: {sentence}" in printed and "over 2 seeds (0, 1)" in printed and "family of 24 tests" in printed


def test_more_seeds_later_keeps_the_finished_ones(seeded, tiny_data, tmp_path):
    import shutil
    out = tmp_path / "s"
    shutil.copytree(seeded.path, out)
    kept = {p: p.stat().st_mtime_ns for p in (out / "runs").glob("*/model.npz")}
    again = run_study(StudyOptions(**{**TINY, "sizes": (), "seeds": 3}), out, data=str(tiny_data), jobs=2,
                      resume=True, progress=False)
    assert {p: p.stat().st_mtime_ns for p in kept} == kept
    assert len(list((out / "runs").glob("*-seed2/model.npz"))) == 8 and len(read_csv_rows(out / "runs.csv")) == 24
    assert again.summary["seeds"]["seeds"] == [0, 1, 2]


def test_a_class_of_ids_gets_a_study_each_and_the_class_table(tiny_data, tmp_path):
    ids = tmp_path / "ids.txt"
    ids.write_text("# the class\n100384\n\n2468\n")
    out = tmp_path / "class"
    studies = class_studies(StudyOptions(**{**TINY, "sizes": ()}), read_ids(ids), out)
    assert [path.name for _, path in studies] == ["study-100384", "study-2468"]
    class_table(run_studies(studies, data=str(tiny_data), jobs=2, progress=False), out)
    with open(out / "class.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["id"] for r in rows] == ["100384", "2468"]
    for row in rows:
        summary = json.loads((out / f"study-{row['id']}" / "summary.json").read_text())
        assert summary["student_id"] == row["id"]
        accuracies = {c["number"]: c["accuracy"]["value"] for c in summary["configurations"]}
        assert [float(row[f"accuracy_{n}"]) for n in range(1, 9)] == [accuracies[n] for n in range(1, 9)]
        assert int(row["best"]) == max(accuracies, key=accuracies.get)
    assert "| 2468 |" in (out / "class.md").read_text()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("args, message", [
    (["--scheduler", "tcp://127.0.0.1:{port}"], "no Dask scheduler answers at tcp://127.0.0.1:"),
    (["--scheduler", "tcp://127.0.0.1"], "is not a scheduler address like tcp://HOST:PORT"),
    (["--seeds", "0"], "argument --seeds: must be a positive integer"),
    (["--seeds", "two"], "argument --seeds: must be a positive integer"),
    (["--ids", "{tmp}/missing.txt"], "cannot read it"),
    (["--ids", "{tmp}/bad.txt"], "bad.txt, line 3: '12a4' is not a student ID"),
    (["--ids", "{tmp}/twice.txt"], "line 2: ID 1234 already on line 1"),
    (["--ids", "{tmp}/empty.txt"], "no student ID in it"),
])
def test_bad_inputs_are_one_line_errors_and_write_nothing(args, message, tiny_data, tmp_path, capsys):
    (tmp_path / "bad.txt").write_text("100384\n\n12a4\n")
    (tmp_path / "twice.txt").write_text("1234\n1234\n")
    (tmp_path / "empty.txt").write_text("\n# nobody\n")
    before = sorted(tmp_path.iterdir())
    args = [a.format(port=free_port(), tmp=tmp_path) for a in args]
    try:
        code = main(["study", "--data", str(tiny_data), "--out", str(tmp_path / "out"), *args])
    except SystemExit as e:  # argparse's own errors
        code = e.code
    err = capsys.readouterr().err.strip()
    assert code == 2 and message in err and len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert sorted(tmp_path.iterdir()) == before


def test_the_benchmarks_previous_executor_trains_the_same_networks(study, tiny_data, tmp_path):
    """The Pool executor kept as the benchmark's baseline does the same work: the same networks."""
    from mathdl.bench.previous_executor import PoolExecutor
    found = run_study(StudyOptions(**TINY), tmp_path / "s", data=str(tiny_data), executor=PoolExecutor(2),
                      progress=False)
    for model in sorted(p.parent.relative_to(study.path) for p in study.path.glob("**/model.npz")):
        assert same_weights(found.path / model, study.path / model), model


EPOCHS = 10
SLOW_STUDY = ["--epochs", str(EPOCHS), "--hidden1", "150", "--hidden3", "32,16,8", "--sizes", "0"]  # runs of seconds


def study_process(data, out, *extra) -> subprocess.Popen:
    """``mathdl study`` in its own process, as a user starts it (progress display on), its stderr kept."""
    return subprocess.Popen([sys.executable, "-m", "mathdl", "study", "--data", str(data), "--out", str(out),
                             *SLOW_STUDY, *extra], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "MATHDL_CACHE": str(Path(out).parent / "cache")})


def worker_training(client, out: Path, not_on: set = frozenset()):
    """(run directory, worker address, worker process id) of a run in ``out`` past its first epoch and far from its
    last, on a worker not in ``not_on``, from the runs' progress events; None until there is one."""
    latest = {key: address for _, (key, _, _, address) in client.get_events(PROGRESS_TOPIC)}
    for key, address in latest.items():
        checkpoint = Path(key) / CHECKPOINT
        if address not in not_on and Path(key).is_relative_to(out) and checkpoint.is_file() \
                and 1 <= read_checkpoint(checkpoint)[0].epochs_done <= EPOCHS - 4:
            return Path(key), address, client.run(os.getpid, workers=[address])[address]
    return None


def wait_for(find, timeout: float = 240):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if (found := find()) is not None:
            return found
        time.sleep(0.05)
    raise AssertionError("not found in time")


def quiet_about_dask(stderr: str) -> None:
    """No Dask log lines, no tracebacks, no exception names in what the terminal showed."""
    assert "Traceback" not in stderr and "distributed." not in stderr and "Error:" not in stderr, stderr


def test_a_lost_scheduler_is_one_line_and_resume_finishes_the_study(tmp_path):
    """The scheduler killed mid-study: exit 1 and one line saying what is kept and how to go on; ``--resume`` (here
    on a local cluster) keeps the finished runs and continues the interrupted one from its checkpoint, to the
    weights of a run never disturbed."""
    data = write_idx(tmp_path / "mnist", small(3000, 100, seed=3))
    out = tmp_path / "s"
    with dask_cluster(tmp_path / "cluster") as cluster:
        process = study_process(data, out, "--scheduler", cluster.address)
        try:
            interrupted, _, _ = wait_for(lambda: worker_training(cluster.client, out))
            cluster.scheduler.kill()
            cluster.scheduler.wait()
            _, stderr = process.communicate(timeout=300)
        finally:
            _stop(process)
        # the workers lost their scheduler: their runs stop at a safe point with a checkpoint, none goes on alone
        time.sleep(3)
        files = {p: p.stat().st_mtime_ns for p in out.glob("runs/*/*")}
        time.sleep(5)
        assert {p: p.stat().st_mtime_ns for p in out.glob("runs/*/*")} == files
        assert (interrupted / CHECKPOINT).is_file() and not (interrupted / "metrics.json").exists()
    assert process.returncode == 1, stderr
    last = stderr.strip().splitlines()[-1]
    assert last.startswith(f"mathdl study: stopped: the scheduler at {cluster.address} stopped answering; "), last
    kept = re.search(r"; (\d) of 8 runs of the eight configurations are finished and kept, (\d) unfinished with a "
                     rf"checkpoint; continue with: mathdl study --resume --out {out} \(and the same options\)$", last)
    assert kept, last
    quiet_about_dask(stderr)
    finished = {p: p.stat().st_mtime_ns for p in out.glob("runs/*/model.npz") if not (p.parent / CHECKPOINT).exists()}
    assert len(finished) == int(kept.group(1))
    done = subprocess.run([sys.executable, "-m", "mathdl", "study", "--data", str(data), "--out", str(out),
                           *SLOW_STUDY, "--resume", "--jobs", "2", "--quiet"], capture_output=True, text=True,
                          timeout=600, env={**os.environ, "MATHDL_CACHE": str(tmp_path / "cache")})
    assert done.returncode == 0, done.stderr
    assert {p: p.stat().st_mtime_ns for p in finished} == finished
    resumed = load_run(interrupted)
    assert resumed.config["resumed"]
    with threadpool_limits(limits=1):  # as on the workers
        run(Config.from_dict(resumed.config["config"]), load_mnist(str(data), progress=False),
            out=tmp_path / "undisturbed", progress=False)
    assert same_weights(interrupted, tmp_path / "undisturbed")


def test_lost_workers_are_shown_and_a_run_that_kills_its_workers_stops_the_study(tmp_path):
    """One worker, given one run at a time, and a scheduler that gives a run out again once (allowed-failures 1). The
    worker training a run is killed: the display says so, that no worker is left, and when the nanny's new worker joins; killed again
    with the same run, the run is not given out again and the study stops in one line (exit 1)."""
    data = write_idx(tmp_path / "mnist", small(2000, 100, seed=3))
    out = tmp_path / "s"
    with dask_cluster(tmp_path / "cluster", workers=1,  # a worker given one run at a time, as the README says
                      scheduler_env={"DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "1",
                                     "DASK_DISTRIBUTED__SCHEDULER__WORKER_SATURATION": "1.0"}) as cluster:
        process = study_process(data, out, "--scheduler", cluster.address)
        try:
            run_dir, first, pid = wait_for(lambda: worker_training(cluster.client, out))
            os.kill(pid, signal.SIGKILL)
            again, second, pid = wait_for(lambda: worker_training(cluster.client, out, not_on={first}))
            assert again == run_dir  # the retried run comes first: it has the highest priority
            os.kill(pid, signal.SIGKILL)
            _, stderr = process.communicate(timeout=300)
        finally:
            _stop(process)
    assert process.returncode == 1, stderr
    name = run_dir.name
    lines = stderr.splitlines()
    lost = [line for line in lines if line.startswith(f"worker {first} lost; its run")]
    assert len(lost) == 1 and name in lost[0] and "given to a worker again" in lost[0], stderr
    assert f"no worker left in the scheduler at {cluster.address}: the study waits for one (start one with: dask " \
           "worker SCHEDULER_ADDRESS)" in lines, stderr
    assert f"worker {second} joined the scheduler at {cluster.address}: the study goes on" in lines, stderr
    assert lines[-1].startswith(f"mathdl study: stopped: {name}: the workers running it died 2 times (the scheduler "
                                "gives a run out again 1 time; out of memory?); "), lines[-1]
    assert "continue with: mathdl study --resume --out" in lines[-1]
    quiet_about_dask(stderr)
