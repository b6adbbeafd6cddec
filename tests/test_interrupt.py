"""Interruption and resume: signals held to a safe point, checkpoints, and runs continued exactly.

The subprocess tests send real SIGINT and SIGTERM to a real ``mathdl train``; the in-process tests stop
training at chosen samples (mid-epoch and at an epoch's end) by signalling the test process itself. Every
test sets up the signal state it needs (``default_signals``), so they pass in a terminal and in the
background of a script alike, where SIGINT starts ignored.
"""
import csv
import dataclasses
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from mathdl.cli import main
from mathdl.data.mnist import load_mnist
from mathdl.base.errors import MathdlError
from mathdl.runs.experiment import RUN_FILES, Config, build_network, build_task
from mathdl.base.interrupt import Interrupted, held_signals
from mathdl.nn import Network
from mathdl.nn.fast.sgd import FastSGD
from mathdl.training.checkpoint import CHECKPOINT, load_checkpoint, read_checkpoint, save_checkpoint
from mathdl.runs.directory import load_run
from mathdl.base.console import Bar
from mathdl.training.loop import train
from conftest import signal_handlers
from test_mnist import small, write_idx

pytestmark = pytest.mark.usefixtures("default_signals")

SRC = Path(__file__).resolve().parents[1] / "src"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return write_idx(tmp_path_factory.mktemp("data") / "mnist", small(600, 100))


@pytest.fixture(scope="module")
def mnist(data_dir):
    return load_mnist(data_dir, progress=False)


def signal_after(monkeypatch, samples: int, signum=signal.SIGINT):
    """Send this process ``signum`` once training has gone through ``samples`` samples (over all epochs)."""
    advance, seen = Bar.advance, [0]

    def counting(self, n=1, **fields):
        before, seen[0] = seen[0], seen[0] + n
        if before < samples <= seen[0]:
            os.kill(os.getpid(), signum)
        return advance(self, n, **fields)
    monkeypatch.setattr(Bar, "advance", counting)


def same_params(a, b) -> bool:
    return all(p.dtype == q.dtype and np.array_equal(p, q) for p, q in zip(a.params(), b.params()))


def without_seconds(rows):
    return [{k: v for k, v in row.items() if k != "seconds"} for row in rows]


# --- safe points ------------------------------------------------------------------------------------

@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_signals_are_held_until_the_block_ends(signum):
    with pytest.raises(KeyboardInterrupt):
        with held_signals() as held:
            os.kill(os.getpid(), signum)
            time.sleep(0.01)
            assert held.requested and held.signum == signum  # still running: the signal was only noted
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_an_ignored_signal_stays_ignored():
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with held_signals() as held:
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.01)
        assert not held.requested and signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, previous)


# --- resume in process: every optimiser, both methods, mid-epoch and at an epoch's end ------------------

@pytest.mark.parametrize("method,optimizer", [("online", "sgd"), ("online", "adam"), ("matrix", "sgd"),
                                              ("matrix", "momentum"), ("matrix", "adam")])
@pytest.mark.parametrize("stop", [600 + 304, 2 * 600])  # samples: in epoch 2; at the end of epoch 2
def test_resumed_training_equals_uninterrupted(mnist, tmp_path, monkeypatch, method, optimizer, stop):
    config = Config(method=method, optimizer=optimizer, hidden=(12,), epochs=3, batch_size=8, augment=2)
    task, settings = build_task(config, mnist), config.settings()
    reference = build_network(config, task)
    expected = train(reference, task, settings, progress=False)

    net, path = build_network(config, task), tmp_path / CHECKPOINT
    signal_after(monkeypatch, stop)
    with pytest.raises(Interrupted) as stopped:
        train(net, task, settings, progress=False, on_checkpoint=lambda c: save_checkpoint(path, net, c, {}))
    monkeypatch.undo()
    kept = stopped.value.checkpoint
    assert kept.epochs_done * 600 + kept.samples_done >= stop and len(kept.history) == kept.epochs_done
    if method == "matrix":  # a safe point after every mini-batch of 8; plain SGD's after every block of them
        step = FastSGD.block_for(8) if optimizer == "sgd" else 8
        epochs_done, samples_done = divmod(stop, 600)
        assert (kept.epochs_done, kept.samples_done) == (epochs_done, min(600, -(-samples_done // step) * step))

    net, checkpoint, _ = load_checkpoint(path)  # continued from the file, as mathdl train --resume does
    assert checkpoint.samples_done == kept.samples_done and checkpoint.rng == kept.rng
    history = train(net, task, settings, progress=False, resume=checkpoint)
    assert same_params(net, reference)
    assert without_seconds(history.rows) == without_seconds(expected.rows)
    assert history.warnings == expected.warnings and history.diagnostics == expected.diagnostics


def test_a_checkpoint_resumes_only_the_same_settings(mnist, tmp_path, monkeypatch):
    config = Config(hidden=(6,), epochs=2, augment=0)
    task = build_task(config, mnist)
    net = build_network(config, task)
    signal_after(monkeypatch, 100)
    with pytest.raises(Interrupted) as stopped:
        train(net, task, config.settings(), progress=False)
    monkeypatch.undo()
    other = Config(hidden=(6,), epochs=2, augment=0, eta=0.01).settings()
    with pytest.raises(MathdlError, match="other training settings"):
        train(net, task, other, progress=False, resume=stopped.value.checkpoint)


# --- the run directory and the command's checks ---------------------------------------------------------

ARGS = ["--hidden", "6", "--quiet"]


def interrupted_run(data_dir, out, monkeypatch, capsys, extra=()) -> str:
    """``mathdl train`` in this process, stopped by SIGINT in its second epoch; returns its stderr."""
    signal_after(monkeypatch, 700)
    code = main(["train", "--data", str(data_dir), "--epochs", "3", "--out", str(out), *ARGS, *extra])
    monkeypatch.undo()
    assert code == 130
    return capsys.readouterr().err


def exit_code(argv, capsys) -> tuple[int, str]:
    try:
        code = main(argv)
    except SystemExit as e:
        code = e.code
    return code, capsys.readouterr().err


def test_the_run_directory_of_an_interrupted_run(data_dir, tmp_path, monkeypatch, capsys):
    out = tmp_path / "run"
    err = interrupted_run(data_dir, out, monkeypatch, capsys)
    checkpoint, state = read_checkpoint(out / CHECKPOINT)
    assert checkpoint.epochs_done == 1 and 0 < checkpoint.samples_done < 600  # in epoch 2
    assert err.count("\n") == 1 and err.startswith(f"mathdl train: interrupted: {checkpoint.describe()} kept in")
    assert checkpoint.describe().startswith("1 of 3 epochs and ") and checkpoint.describe().endswith(
        " of the 600 samples of epoch 2")
    assert "continue with: mathdl " in err and err.rstrip().endswith("--resume")
    assert sorted(p.name for p in out.iterdir()) == ["checkpoint.npz", "history.csv"]  # no temporary files
    with open(out / "history.csv") as fh:
        assert [row["epoch"] for row in csv.DictReader(fh)] == ["1"]
    assert state["config"]["epochs"] == 3 and len(state["data"]) == 64
    assert set(checkpoint.rng) == {"shuffle", "augment"} and checkpoint.rng["shuffle"]["bit_generator"] == "PCG64"
    with pytest.raises(MathdlError, match="an unfinished run .*continue it with --resume"):
        load_run(out)

    base = ["train", "--data", str(data_dir), "--out", str(out), *ARGS]
    code, err = exit_code(base + ["--epochs", "3"], capsys)
    assert code == 2 and f"holds an interrupted run ({checkpoint.describe()} done); continue it with --resume" in err
    code, err = exit_code(base + ["--epochs", "4", "--resume"], capsys)
    assert code == 2 and "interrupted with other options (epochs 4 instead of 3)" in err and err.count("\n") == 1
    code, err = exit_code(["train", "--data", str(data_dir), "--epochs", "3", *ARGS, "--resume"], capsys)
    assert code == 2 and "--resume needs --out DIR" in err
    other = write_idx(tmp_path / "other", small(600, 100, seed=1))
    code, err = exit_code(["train", "--data", str(other), "--out", str(out), "--epochs", "3", *ARGS, "--resume"],
                          capsys)
    assert code == 2 and "interrupted while training on other data" in err

    code, err = exit_code(base + ["--epochs", "3", "--resume"], capsys)
    assert code == 0 and not (out / CHECKPOINT).exists()
    assert load_run(out).config["resumed"] == [{"epochs_done": 1, "samples_done": checkpoint.samples_done}]
    code, err = exit_code(base + ["--epochs", "3", "--resume"], capsys)
    assert code == 0 and "holds a finished run of these options: nothing to resume" in err
    code, err = exit_code(base + ["--epochs", "2", "--resume"], capsys)
    assert code == 2 and "finished with other options (epochs 2 instead of 3)" in err


def test_resume_removes_the_temporary_files_a_killed_run_left(data_dir, tmp_path, monkeypatch, capsys):
    """SIGKILL during the final writes leaves atomic_path's hidden temporaries (made here by the same
    mkstemp call); the successful --resume removes them, and only them."""
    import tempfile
    out = tmp_path / "run"
    interrupted_run(data_dir, out, monkeypatch, capsys)
    left = [Path(tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=out)[1])
            for name in ("config.json", "model.npz", "confusion.png")]
    mine = [out / ".notes.tmp", out / "notes.abcdefgh.tmp", out / ".draft.txt"]  # not mathdl's names
    for path in mine:
        path.write_text("the user's")
    code, _ = exit_code(["train", "--data", str(data_dir), "--epochs", "3", "--out", str(out), *ARGS, "--resume"],
                        capsys)
    assert code == 0 and not any(path.exists() for path in left) and all(path.exists() for path in mine)


def test_a_finished_run_is_not_overwritten_without_force(data_dir, tmp_path, capsys):
    out = tmp_path / "run"
    base = ["train", "--data", str(data_dir), "--out", str(out), *ARGS]
    assert exit_code(base + ["--epochs", "1"], capsys)[0] == 0
    model = (out / "model.npz").read_bytes()
    code, err = exit_code(base + ["--epochs", "2"], capsys)
    assert code == 2 and err.count("\n") == 1
    assert f"{out} already holds a finished run (see {out / 'metrics.json'}); choose another --out, or add " \
           "--force to replace it" in err
    assert (out / "model.npz").read_bytes() == model
    (out / "confusion.png").unlink()  # a run's files, not all of them: still refused
    code, err = exit_code(base + ["--epochs", "2"], capsys)
    assert code == 2 and "already holds a run's files (config.json, " in err
    (out / "notes.txt").write_text("the user's")
    assert exit_code(base + ["--epochs", "2", "--force"], capsys)[0] == 0
    assert load_run(out).config["config"]["epochs"] == 2 and (out / "notes.txt").read_text() == "the user's"
    assert {p.name for p in out.iterdir()} == {*RUN_FILES, "notes.txt"}  # every file of a run is in RUN_FILES
    code, err = exit_code(base + ["--epochs", "2", "--force", "--resume"], capsys)
    assert code == 2 and "not allowed with argument" in err


def test_resume_without_a_checkpoint_starts_from_the_beginning(data_dir, tmp_path, capsys):
    code, err = exit_code(["train", "--data", str(data_dir), "--epochs", "1", "--out", str(tmp_path / "new"),
                           "--hidden", "6", "--resume"], capsys)
    assert code == 0 and "no checkpoint: training from the start" in err


def test_an_interruption_without_a_run_directory_keeps_nothing(data_dir, monkeypatch, capsys):
    signal_after(monkeypatch, 700)
    code = main(["train", "--data", str(data_dir), "--epochs", "3", *ARGS])
    assert code == 130
    assert capsys.readouterr().err == "mathdl train: interrupted: nothing kept (give --out DIR to keep a checkpoint)\n"


# --- real signals to a real process -----------------------------------------------------------------------

def mathdl(*args) -> list[str]:
    return [sys.executable, "-m", "mathdl", *map(str, args)]


def child_env(tmp_path) -> dict:
    """The environment of a child ``mathdl``: this tree's sources first, one BLAS thread, a private cache."""
    path = os.pathsep.join(filter(None, [str(SRC), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path, "OPENBLAS_NUM_THREADS": "1", "MATHDL_CACHE": str(tmp_path / "cache")}


def read_model(path) -> dict:
    with np.load(path, allow_pickle=False) as npz:
        return {name: npz[name] for name in npz.files}


def read_history(path) -> list[dict]:
    with open(path) as fh:
        return without_seconds(list(csv.DictReader(fh)))


def start(argv, env) -> subprocess.Popen:
    return subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def wait_for_checkpoint(process, out: Path) -> None:
    """Until ``out`` holds a checkpoint (at least one epoch done), while ``process`` still runs."""
    deadline = time.time() + 120
    while not (out / CHECKPOINT).exists() and process.poll() is None and time.time() < deadline:
        time.sleep(0.01)
    assert process.poll() is None, f"finished before it could be interrupted: {process.communicate()}"


def assert_same_run(reference, out: Path) -> None:
    """``out`` holds the model and history (but the seconds) of the finished ``reference`` process's run."""
    _, reference_err = reference.communicate(timeout=120)
    assert reference.returncode == 0, reference_err
    expected, got = read_model(Path(reference.args[-1]) / "model.npz"), read_model(out / "model.npz")
    assert expected.keys() == got.keys()
    for name in expected:
        assert expected[name].dtype == got[name].dtype and np.array_equal(expected[name], got[name]), name
    assert read_history(out / "history.csv") == read_history(Path(reference.args[-1]) / "history.csv")
    assert not (out / CHECKPOINT).exists()


@pytest.mark.parametrize("signum,options", [
    (signal.SIGINT, ["--bp", "online"]),
    (signal.SIGTERM, ["--bp", "matrix", "--optimizer", "momentum", "--batch-size", "4", "--lr", "0.05"]),
], ids=["SIGINT-online", "SIGTERM-matrix-momentum"])
def test_a_signal_stops_train_and_resume_gives_the_uninterrupted_result(data_dir, tmp_path, signum, options):
    env = child_env(tmp_path)
    argv = mathdl("train", "--data", data_dir, "--hidden", 100, "--epochs", 20, "--augment", 2, "--quiet", *options)
    reference = start(argv + ["--out", tmp_path / "reference"], env)
    out = tmp_path / "run"
    process = start(argv + ["--out", out], env)
    wait_for_checkpoint(process, out)
    process.send_signal(signum)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert err.count("\n") == 1 and err.startswith("mathdl train: interrupted: ") and "Traceback" not in err
    assert f"kept in {out / CHECKPOINT}; continue with: mathdl train " in err and err.rstrip().endswith("--resume")
    kept, _ = read_checkpoint(out / CHECKPOINT)
    assert 1 <= kept.epochs_done < 20 and len(read_history(out / "history.csv")) == kept.epochs_done
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary file left behind

    resumed = subprocess.run(argv + ["--out", out, "--resume"], env=env, capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    assert_same_run(reference, out)


def test_started_with_sigint_ignored_train_keeps_ignoring_it_and_sigterm_stops_it(data_dir, tmp_path):
    """As under ``nohup`` or ``cmd &`` in a script: SIGINT stays ignored (training goes on), SIGTERM stops the
    run at a safe point with a checkpoint and exit code 130."""
    out = tmp_path / "run"
    argv = mathdl("train", "--data", data_dir, "--hidden", 100, "--epochs", 1000, "--quiet", "--out", out)
    with signal_handlers({signal.SIGINT: signal.SIG_IGN}):  # what the child inherits
        process = start(argv, child_env(tmp_path))
    wait_for_checkpoint(process, out)
    process.send_signal(signal.SIGINT)
    epochs = lambda: read_checkpoint(out / CHECKPOINT)[0].epochs_done  # noqa: E731
    seen, deadline = epochs(), time.time() + 60
    while epochs() <= seen and process.poll() is None and time.time() < deadline:
        time.sleep(0.01)
    assert process.poll() is None and epochs() > seen  # still training, epochs after the SIGINT
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert err.count("\n") == 1 and err.startswith("mathdl train: interrupted: ") and err.rstrip().endswith("--resume")
    kept, _ = read_checkpoint(out / CHECKPOINT)
    assert seen < kept.epochs_done < 1000 and len(read_history(out / "history.csv")) == kept.epochs_done


def test_a_killed_train_leaves_only_whole_files_and_resumes_from_its_last_checkpoint(data_dir, tmp_path):
    """SIGKILL cannot be caught: what is on disk is what the atomic writes had finished."""
    env = child_env(tmp_path)
    argv = mathdl("train", "--data", data_dir, "--hidden", 100, "--epochs", 20, "--quiet")
    reference = start(argv + ["--out", tmp_path / "reference"], env)
    out = tmp_path / "run"
    process = start(argv + ["--out", out], env)
    wait_for_checkpoint(process, out)
    time.sleep(0.3)
    process.kill()
    process.communicate(timeout=60)
    net, kept, _ = load_checkpoint(out / CHECKPOINT)
    assert kept.epochs_done >= 1 and net.sizes == [784, 100, 1]
    assert len(read_history(out / "history.csv")) in (kept.epochs_done - 1, kept.epochs_done)
    resumed = subprocess.run(argv + ["--out", out, "--resume"], env=env, capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    assert_same_run(reference, out)


def test_an_unreadable_checkpoint_is_one_line(data_dir, tmp_path, capsys):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / CHECKPOINT).write_bytes(b"PK\x03\x04 half a file")
    code, err = exit_code(["train", "--data", str(data_dir), "--out", str(tmp_path / "run"), *ARGS, "--resume"],
                          capsys)
    assert code == 2 and "not a readable checkpoint" in err and "delete it to train from the start" in err


# --- the checkpoint file ---------------------------------------------------------------------------------

def small_checkpoint(tmp_path):
    """A network, a ``Checkpoint`` with Adam's buffers and t, and the path it is saved to."""
    from mathdl.training.checkpoint import Checkpoint
    net = Network.create([3, 2], ["sigmoid"], rng=np.random.default_rng(0))
    optimizer = {"t": 7, "m": [np.full((2, 3), 0.5), np.full((2, 1), 0.25)], "v": [np.ones((2, 3)), np.ones((2, 1))]}
    kept = Checkpoint({"epochs": 3}, 600, 1, 304, 12.5, 0.25, 1.0, {"shuffle": {"state": 1}}, optimizer,
                      [{"epoch": 1, "cost": 0.5}], [], [1.0, 2.0], False)
    return net, kept, tmp_path / CHECKPOINT


def test_a_checkpoint_file_reads_back_whole(tmp_path):
    net, kept, path = small_checkpoint(tmp_path)
    save_checkpoint(path, net, kept, {"config": {"epochs": 3}})
    back, read, run = load_checkpoint(path)
    assert same_params(back, net) and run == {"config": {"epochs": 3}}
    assert {k: v for k, v in vars(read).items() if k != "optimizer"} == {k: v for k, v in vars(kept).items()
                                                                         if k != "optimizer"}
    assert read.optimizer.keys() == kept.optimizer.keys() and read.optimizer["t"] == 7
    for key in ("m", "v"):
        assert all(np.array_equal(a, b) for a, b in zip(read.optimizer[key], kept.optimizer[key], strict=True))


def test_a_checkpoint_of_another_version_or_format_is_refused(tmp_path):
    import json
    net, kept, path = small_checkpoint(tmp_path)
    save_checkpoint(path, net, kept, {})
    with np.load(path) as npz:
        arrays = dict(npz)
    header = json.loads(str(arrays["checkpoint"]))
    for name, change, message in (("future.npz", {"version": 2}, "checkpoint format version 2 is not supported"),
                                  ("model.npz", {"format": "mathdl-model"}, "not a readable checkpoint")):
        np.savez(tmp_path / name, **{**arrays, "checkpoint": np.array(json.dumps({**header, **change}))})
        with pytest.raises(MathdlError, match=message):
            read_checkpoint(tmp_path / name)


def test_a_checkpoint_write_that_fails_leaves_the_previous_checkpoint(tmp_path):
    """The file is replaced only once the new one is whole: a save that fails half-way (here an optimiser
    buffer that cannot become an array, after others were written) leaves the old checkpoint readable and
    no temporary file."""
    net, kept, path = small_checkpoint(tmp_path)
    save_checkpoint(path, net, kept, {"n": 1})

    class Unwritable:
        def __array__(self, dtype=None, copy=None):
            raise OSError("disk full")

    broken = dataclasses.replace(kept, epochs_done=2, optimizer={**kept.optimizer, "v": [np.ones((2, 3)), Unwritable()]})
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(path, net, broken, {"n": 2})
    read, run = read_checkpoint(path)
    assert read.epochs_done == 1 and run == {"n": 1}
    assert [p.name for p in tmp_path.iterdir()] == [CHECKPOINT]
