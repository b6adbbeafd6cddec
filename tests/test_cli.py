"""The command line: every bad input is one line and exit code 2; train writes a run directory."""
import dataclasses
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from mathdl.cli import main
from mathdl.runs.directory import load_run
from test_mnist import small, write_idx


@pytest.fixture
def data_dir(tmp_path):
    """A small MNIST-shaped data set (200 train, 60 test) in IDX files."""
    return write_idx(tmp_path / "mnist", small(200, 60))


BAD = [
    (["train", "--epochs", "0"], "argument --epochs: must be a positive integer, got '0'"),
    (["train", "--epochs", "2.5"], "argument --epochs: must be a positive integer"),
    (["train", "--lr", "-1"], "argument --lr: must be a positive number, got '-1'"),
    (["train", "--lr", "nan"], "argument --lr: must be a positive number"),
    (["train", "--lr", "0"], "argument --lr: must be a positive number"),
    (["train", "--hidden", "100,-3"], "argument --hidden: must be positive integers"),
    (["train", "--hidden", "abc"], "argument --hidden: must be positive integers"),
    (["train", "--cost", "3"], "argument --cost: unknown cost '3'; choose from tse, mse, xe"),
    (["train", "--bp", "batch"], "argument --bp: unknown bp method 'batch'; choose from online, matrix"),
    (["train", "--id", "12a"], "argument --id: the student ID must be made of digits 0-9"),
    (["train", "--id", "1234567890"], "contains every digit"),
    (["train", "--task", "letters"], "argument --task: invalid choice: 'letters'"),
    (["train", "--activation", "softmax"], "softmax is an output activation"),
    (["train", "--activation", "sigmoid,foo"], "unknown activation 'foo'"),
    (["train", "--batch-size", "0"], "argument --batch-size: must be a positive integer"),
    (["train", "--train-size", "x"], "argument --train-size: must be a positive integer"),
    (["train", "--seed", "-1"], "argument --seed: must be an integer >= 0"),
    (["train", "--decay", "-0.5"], "argument --decay: must be a number >= 0"),
    (["train", "--optimizer", "rmsprop"], "argument --optimizer: invalid choice"),
    (["train", "--dtype", "float16"], "argument --dtype: invalid choice"),
    (["train", "--engine", "gpu"], "argument --engine: invalid choice: 'gpu'"),
    (["study", "--engine", "gpu"], "argument --engine: invalid choice: 'gpu'"),
    (["train", "--bogus"], "unrecognized arguments: --bogus"),
    (["gradcheck", "--inputs", "0"], "argument --inputs: must be a positive integer"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
]


@pytest.mark.parametrize("argv,message", BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_input_is_one_line_and_exit_2(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_an_unknown_argument_is_named_with_its_command(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["present", "study-100384", "--out", "talk.mp4"])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err == ("mathdl present: error: unrecognized arguments: --out talk.mp4 "
                                       "(see mathdl present --help)\n")


BAD_AFTER_PARSING = [
    (["--task", "pair"], "the pair task needs --pair"),
    (["--task", "pair", "--pair", "3,3"], "the pair must be two different digits"),
    (["--cost", "xe", "--output-activation", "tanh"], "cost xe needs a sigmoid or softmax output layer, not tanh"),
    (["--activation", "relu,tanh", "--hidden", "10"], "2 hidden activations given for 1 hidden layers"),
    (["--train-size", "999"], "--train-size must be between 1 and 200, got 999"),
    (["--val-size", "200"], "--val-size must be smaller than the 200 training images"),
    (["--data", "/nonexistent/mnist"], "--data /nonexistent/mnist: no such file or directory"),
]


@pytest.mark.parametrize("extra,message", BAD_AFTER_PARSING, ids=[" ".join(a) for a, _ in BAD_AFTER_PARSING])
def test_bad_combinations_are_one_line_and_exit_2(extra, message, capsys, data_dir):
    argv = ["train", "--quiet", "--epochs", "1"] + (["--data", str(data_dir)] if "--data" not in extra else []) + extra
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


BEFORE_LOADING = [  # each checked before the data is loaded: --data names nothing, and that is not reached
    (["--train-size", "70000"], "--train-size must be between 1 and 60000, got 70000"),
    (["--test-size", "20000"], "--test-size must be between 1 and 10000, got 20000"),
    (["--val-size", "60000"], "--val-size must be smaller than the 60000 training images"),
    (["--train-size", "1000", "--val-size", "1000"], "--val-size must be smaller than the 1000 training images"),
    (["--hidden", "100000000"], "parameters and needs about"),
    (["--bp", "matrix", "--batch-size", "600", "--train-size", "500"],
     "--batch-size 600 is larger than the 500 training images"),
]


@pytest.mark.parametrize("extra,message", BEFORE_LOADING, ids=[" ".join(a) for a, _ in BEFORE_LOADING])
def test_sizes_are_checked_before_the_data_is_loaded(extra, message, capsys):
    assert main(["train", "--epochs", "1", "--data", "/nonexistent/mnist", *extra]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err, err


@pytest.mark.parametrize("extra,message", [
    (["--train-size", "999"], "--train-size must be between 1 and 200, got 999"),
    (["--bp", "matrix", "--batch-size", "300"], "--batch-size 300 is larger than the 200 training images"),
])
def test_sizes_beyond_the_data_found_are_one_line_without_the_data_lines(extra, message, capsys, data_dir):
    """A data set smaller than MNIST (200 training images here) is checked once loaded; the lines about the data
    come only after the task is made, so the error is the only line."""
    assert main(["train", "--epochs", "1", "--data", str(data_dir), *extra]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "data:" not in err, err


def test_divergence_is_reported_with_a_suggestion(capsys, data_dir):
    code = main(["train", "--quiet", "--data", str(data_dir), "--hidden", "20", "--activation", "relu",
                 "--output-activation", "linear", "--lr", "1e6", "--epochs", "2"])
    err = capsys.readouterr().err
    assert code == 2 and "training diverged in epoch 1" in err and "try a smaller learning rate than 1e+06" in err


@pytest.mark.parametrize("bp", ["online", "matrix"])
def test_train_writes_a_run_directory(tmp_path, data_dir, capsys, bp):
    out = tmp_path / "run"
    code = main(["train", "--quiet", "--data", str(data_dir), "--hidden", "16", "--epochs", "2", "--bp", bp,
                 "--out", str(out), "--val-size", "20"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "TP" in printed and "sensitivity" in printed and "specificity" in printed
    run = load_run(out)
    test = run.metrics["test"]
    assert {"accuracy", "confusion_matrix", "sensitivity", "specificity", "precision"} <= set(test)
    assert test["tp"] + test["fn"] + test["fp"] + test["tn"] == 60
    assert test["confusion_matrix"] == [[test["tp"], test["fn"]], [test["fp"], test["tn"]]]
    assert test["accuracy"] == pytest.approx((test["tp"] + test["tn"]) / 60)
    assert len(run.history) == 2 and {"cost", "train_accuracy", "val_accuracy", "test_accuracy"} <= set(run.history[0])
    assert run.history[-1]["test_accuracy"] == pytest.approx(test["accuracy"])
    assert run.config["config"]["method"] == bp and run.config["sizes"] == [784, 16, 1]
    assert run.net.sizes == [784, 16, 1]


@pytest.mark.parametrize("bp,optimizer", [("online", "sgd"), ("matrix", "sgd"), ("matrix", "adam")])
def test_the_reference_engine_trains_the_same_network(tmp_path, data_dir, bp, optimizer):
    """`mathdl train --engine reference` (backprop() and the optimiser's step only) gives the fast route's
    network, up to round-off, and says which engine in its label."""
    runs = {}
    for engine in ("fast", "reference"):
        out = tmp_path / engine
        assert main(["train", "--quiet", "--data", str(data_dir), "--hidden", "12", "--epochs", "2", "--bp", bp,
                     "--optimizer", optimizer, "--lr", "0.01" if optimizer == "adam" else "0.1",
                     "--engine", engine, "--out", str(out)]) == 0
        runs[engine] = load_run(out)
    assert runs["reference"].config["config"]["engine"] == "reference"
    assert "reference engine" in runs["reference"].config["label"]
    for a, b in zip(runs["fast"].net.params(), runs["reference"].net.params()):
        np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-13)


def test_train_digits_prints_per_class_rates(tmp_path, data_dir, capsys):
    code = main(["train", "--quiet", "--data", str(data_dir), "--task", "digits", "--hidden", "8",
                 "--epochs", "1", "--output-activation", "softmax", "--cost", "2", "--bp", "2",
                 "--out", str(tmp_path / "r")])
    assert code == 0
    out = capsys.readouterr().out
    assert "prec" in out and "sens" in out and "accuracy" in out and "…" not in out
    metrics = json.loads((tmp_path / "r" / "metrics.json").read_text())
    assert len(metrics["test"]["per_class"]) == 10 and len(metrics["test"]["confusion_matrix"]) == 10


def test_gradcheck_command(capsys):
    assert main(["gradcheck", "--hidden", "5,4,3", "--cost", "xe", "--output-activation", "softmax"]) == 0
    out = capsys.readouterr().out
    assert "agree" in out and out.count("5x12") == 2


@pytest.mark.parametrize("W_error, b_error", [(1e-3, 1e-9), (1e-9, 1e-3)])
def test_gradcheck_disagrees_and_exits_1_when_a_weight_or_a_bias_is_off(monkeypatch, capsys, W_error, b_error):
    """The verdict and the exit code follow the largest error of any W or b (one layer's set above the tolerance)."""
    module = sys.modules["mathdl.nn.gradcheck"]  # the package's name gradcheck is the function
    real = module.gradcheck

    def off(*args, **kwargs):
        checks = real(*args, **kwargs)
        return [dataclasses.replace(checks[0], W_error=W_error, b_error=b_error), *checks[1:]]
    monkeypatch.setattr(module, "gradcheck", off)
    assert main(["gradcheck", "--hidden", "5", "--bp", "matrix"]) == 1
    assert "largest relative error 1.00e-03: backprop and central differences DISAGREE (tolerance 1e-06)" in \
        " ".join(capsys.readouterr().out.split())


def test_gradcheck_says_its_default_network_and_how_to_check_the_studys(capsys):
    with pytest.raises(SystemExit) as done:
        main(["gradcheck", "--help"])
    assert done.value.code == 0
    shown = " ".join(capsys.readouterr().out.split())
    assert "by default a small one (12-16-8-3)" in shown and "--hidden alone keeps n = 12 and m = 3" in shown
    assert "input size n (default: 12, whatever --hidden is; MNIST's images: 784)" in shown
    recipe = "--inputs 784 --outputs 1 --hidden 128,64,32"
    assert f"The study's three-hidden-layer network is {recipe}" in shown
    assert main(["gradcheck", *recipe.split(), "--entries", "5", "--bp", "2"]) == 0
    assert "784-128-64-32-1" in capsys.readouterr().out


def test_output_that_is_not_a_terminal_is_not_wrapped(monkeypatch, capsys):
    """Piped or in a log, explain's tables keep each row on one line, however wide (a terminal wraps them)."""
    import mathdl.base.console as console
    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.setattr(console, "out", console.console())  # on the captured, not-a-terminal stdout
    assert main(["explain", "--hidden", "128,64,32"]) == 0
    lines = capsys.readouterr().out.splitlines()
    row = next(line for line in lines if "z⁽¹⁾ = W⁽¹⁾ a⁽⁰⁾ + b⁽¹⁾" in line)
    assert "(128, 784) · (784, N) + (128, 1)" in row
    assert any(len(line) > 120 for line in lines) and "…" not in "".join(lines)


def test_data_command(data_dir, capsys):
    assert main(["data", "--data", str(data_dir)]) == 0
    out = capsys.readouterr().out
    assert "custom data (200 train / 60 test images)" in out and "train:    200 images" in out


def malformed(folder, fault):
    """A small MNIST folder with one fault: a corrupt deflate stream, an .npz member declaring 10¹² values,
    or training images that are all black or all white."""
    from test_mnist import forged_npy
    parts = small(60, 20)
    if fault in ("black", "white"):
        parts["train_images"][:] = 0 if fault == "black" else 255
    write_idx(folder, parts)
    if fault == "deflate":
        raw = bytearray((folder / "train-images-idx3-ubyte.gz").read_bytes())
        raw[10] = 0xFF  # the first deflate block's header: block type 3, which does not exist
        (folder / "train-images-idx3-ubyte.gz").write_bytes(bytes(raw))
    if fault == "npz":
        for f in folder.iterdir():
            f.unlink()
        np.savez(folder / "mnist.npz", **parts)
        with zipfile.ZipFile(folder / "mnist.npz", "a") as z:
            z.writestr("x_train.npy", forged_npy((10**12,), b"\0" * 100))  # unread, but every member is checked
    return folder


@pytest.mark.parametrize("fault,message", [
    ("deflate", "train-images-idx3-ubyte.gz: truncated or corrupt gzip data (Error -3 while decompressing data"),
    ("npz", "mnist.npz: not a readable .npz file (x_train declares shape (1000000000000,) of uint8"),
    ("black", "every pixel of the 60 training images is 0 (all black): nothing to learn from, and the standard "
              "scale (x/255 − μ)/σ would divide by σ = 0"),
    ("white", "every pixel of the 60 training images is 255 (all white): nothing to learn from")])
def test_malformed_data_is_a_one_line_data_error(tmp_path, capsys, fault, message):
    folder = malformed(tmp_path / fault, fault)
    for command in (["data"], ["train", "--quiet", "--epochs", "1", "--hidden", "4"]):
        code = main([*command, "--data", str(folder)])
        err = capsys.readouterr().err
        if command == ["data"] and fault in ("black", "white"):  # well-formed files: only training refuses them
            assert code == 0
            continue
        assert code == 2 and message in err and err.count("\n") == 1, err
        assert str(folder) in err  # names the file (or the folder it was read from)


def one_line_error(argv, capsys) -> str:
    try:
        code = main(argv)
    except SystemExit as e:
        code = e.code
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err, err
    return err


@pytest.mark.parametrize("command", [["train", "--epochs", "1"], ["reverse", "--epochs", "1"],
                                     ["study", "--epochs", "1"]])
def test_an_output_directory_that_cannot_be_made_is_one_line_before_anything_else(tmp_path, capsys, data_dir,
                                                                                  command):
    (tmp_path / "file").write_text("the user's")
    err = one_line_error([*command, "--data", str(data_dir), "--out", str(tmp_path / "file")], capsys)
    assert f"{tmp_path / 'file'} is a file, not a directory" in err
    err = one_line_error([*command, "--data", str(data_dir), "--out", str(tmp_path / "file" / "x")], capsys)
    assert f"cannot create {tmp_path / 'file' / 'x'}: {tmp_path / 'file'} is a file, not a directory" in err
    if Path("/proc/self").is_dir():  # a file system where nothing can be created, even by root
        err = one_line_error([*command, "--data", str(data_dir), "--out", "/proc/mathdl-out"], capsys)
        assert "cannot create /proc/mathdl-out: nothing can be written in /proc" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "mnist"]  # no probe left behind


def test_a_refused_study_writes_nothing(tmp_path, capsys):
    """Everything is checked before anything is written, so the corrected command is not refused."""
    out = tmp_path / "s"
    err = one_line_error(["study", "--data", str(tmp_path / "nonexistent"), "--out", str(out)], capsys)
    assert f"--data {tmp_path / 'nonexistent'}: no such file or directory" in err
    assert not out.exists()


def test_python_dash_m_and_internal_errors_have_no_traceback(tmp_path):
    env = {**os.environ, "MATHDL_CACHE": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "mathdl", "train", "--epochs", "0"], capture_output=True,
                          text=True, env=env)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    done = subprocess.run([sys.executable, "-m", "mathdl", "--version"], capture_output=True, text=True, env=env)
    assert done.returncode == 0 and done.stdout.startswith("mathdl ")


def test_internal_error_is_one_line_with_a_hint(monkeypatch, capsys, data_dir):
    import mathdl.runs.experiment
    monkeypatch.setattr(mathdl.runs.experiment, "train", lambda *a, **k: 1 / 0)
    assert main(["train", "--quiet", "--data", str(data_dir)]) == 1
    err = capsys.readouterr().err
    assert "internal error: ZeroDivisionError" in err and "--debug" in err and err.count("\n") == 1


def test_a_progress_bar_without_a_terminal_is_one_plain_line(capsys):
    """In a log file or CI a bar is not drawn (a file would keep its last frame as cut text): one line says what
    was done, in how long, with the last of its fields."""
    from mathdl.base.console import progress_bar
    with progress_bar("narration", 18) as bar:
        for i in range(18):
            bar.advance(1, slide=i + 1)
    err = capsys.readouterr().err
    assert re.fullmatch(r"narration: 18 of 18 in \d+\.\d s, slide 18\n", err), err
