"""Bad input never ends in a traceback: files where directories belong, unreadable and malformed run
directories and model files, impossible sizes — each one line on stderr and exit code 2."""
import json
import os

import numpy as np
import pytest

from conftest import random_net
from mathdl.cli import main
from mathdl.nn.model_file import save_model
from mathdl.runs.directory import write_run
from test_mnist import small, write_idx


@pytest.fixture
def data_dir(tmp_path):
    return write_idx(tmp_path / "mnist", small(100, 30))


def one_line_exit_2(argv, message, capsys):
    try:
        code = main(argv)
    except SystemExit as e:
        code = e.code
    err = capsys.readouterr().err
    assert code == 2, (argv, err)
    assert message in err and err.count("\n") == 1 and "Traceback" not in err, err


def test_train_output_directory_faults(tmp_path, data_dir, capsys):
    train = ["train", "--quiet", "--epochs", "1", "--hidden", "4", "--data", str(data_dir), "--out"]
    (tmp_path / "file").write_text("")
    one_line_exit_2(train + [str(tmp_path / "file")], "is a file, not a directory", capsys)
    one_line_exit_2(train + [str(tmp_path / "file" / "run")], "is a file, not a directory", capsys)
    (tmp_path / "run" / "config.json").mkdir(parents=True)  # a directory where a file must go
    one_line_exit_2(train + [str(tmp_path / "run")], "cannot write the run directory", capsys)


def test_permission_denied_when_writing(tmp_path, data_dir, capsys, monkeypatch):
    """Tests run as root, who may write anywhere: the refusal is simulated where files are renamed into place."""
    def refuse(src, dst):
        raise PermissionError(13, "Permission denied")
    monkeypatch.setattr(os, "replace", refuse)
    one_line_exit_2(["train", "--quiet", "--epochs", "1", "--hidden", "4", "--data", str(data_dir), "--out",
                     str(tmp_path / "run")], "cannot write the run directory", capsys)


@pytest.mark.parametrize("command", ["train", "data"])
def test_unreadable_data(tmp_path, data_dir, capsys, monkeypatch, command):
    import pathlib
    real = pathlib.Path.read_bytes

    def refuse(self):
        if self.parent == data_dir:
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)
    monkeypatch.setattr(pathlib.Path, "read_bytes", refuse)
    one_line_exit_2([command, "--data", str(data_dir)], "cannot read (Permission denied)", capsys)
    (tmp_path / "file.txt").write_text("hello")
    one_line_exit_2([command, "--data", str(tmp_path / "file.txt")], "give a directory holding", capsys)
    one_line_exit_2([command, "--data", str(tmp_path / "file.txt" / "x")], "no such file or directory", capsys)


def test_impossible_network_sizes(capsys, data_dir):
    one_line_exit_2(["train", "--quiet", "--data", str(data_dir), "--hidden", "100000000"],
                    "more than this machine's", capsys)
    one_line_exit_2(["gradcheck", "--inputs", "100000", "--hidden", "100000"], "more than this machine's", capsys)
    one_line_exit_2(["gradcheck", "--dtype", "float32"], "gradcheck runs in float64", capsys)


def model_arrays(tmp_path):
    save_model(tmp_path / "m.npz", random_net([784, 3, 10], ["sigmoid", "softmax"]))
    with np.load(tmp_path / "m.npz") as npz:
        arrays = dict(npz)
    return arrays, json.loads(str(arrays["meta"]))


def broken_runs(tmp_path):
    """(run directory, expected message) for each way a run directory can be broken."""
    config = {"classes": list("0123456789"), "inputs": {"scale": "unit", "mean": 0, "std": 1, "targets": [0, 1]}}
    arrays, meta = model_arrays(tmp_path)
    cases = []

    def make(name, message, *, model=None, files=None):
        folder = write_run(tmp_path / name, config=config, metrics={}, history=[{"epoch": 1}],
                           net=random_net([784, 3, 10], ["sigmoid", "softmax"]))
        if model is not None:
            np.savez(folder / "model.npz", **model)
        for file, content in (files or {}).items():
            (folder / file).write_bytes(content)
        cases.append((folder, message))

    make("version", "model format version 7 is not supported", model={**arrays, "meta": np.array(json.dumps(
        {**meta, "version": 7}))})
    make("meta-list", "not a mathdl model file", model={**arrays, "meta": np.array("[1, 2]")})
    make("sizes", "not a readable model file", model={**arrays, "meta": np.array(json.dumps(
        {**meta, "sizes": "784-3-10"}))})
    make("nan", "W1 must hold finite float32/float64 numbers", model={**arrays, "W1": np.full((3, 784), np.nan)})
    make("ints", "W2 must hold finite float32/float64 numbers", model={**arrays, "W2": np.zeros((10, 3), int)})
    make("shape", "layer 2 has shape (10, 4), expected (10, 3)", model={**arrays, "W2": np.zeros((10, 4))})
    make("history", "unreadable run files", files={"history.csv": b"\xff\xfe\x00garbage"})
    make("config", "unreadable run files", files={"config.json": b"{not json"})
    make("config-list", "config.json lists no classes", files={"config.json": b"[]"})
    make("inputs", "malformed \"inputs\"", files={"config.json": json.dumps(
        {**config, "inputs": {"scale": "standard", "mean": 0.1, "std": 0, "targets": [0, 1]}}).encode()})
    return cases


def test_broken_run_directories(tmp_path, capsys):
    from PIL import Image
    image = tmp_path / "digit.png"
    Image.fromarray(np.pad(np.full((20, 8), 255, np.uint8), 4)).save(image)
    for folder, message in broken_runs(tmp_path):
        one_line_exit_2(["predict", str(image), "--model", str(folder)], message, capsys)
