"""Model files (npz + JSON, no pickle), atomic writes, and run directories loaded back."""
import dataclasses
import json

import numpy as np
import pytest

from conftest import random_net
from test_mnist import small
from mathdl.base.errors import MathdlError
from mathdl.base.files import atomic_path, read_csv_rows, write_json
from mathdl.base.seeding import rng
from mathdl.data.mnist import MNIST
from mathdl.data.tasks import make_task
from mathdl.nn.model_file import load_model, save_model
from mathdl.nn.network import Network
from mathdl.runs.directory import load_run, runs_under, write_run
from mathdl.runs.experiment import (FINISHED_FILES, RUN_FILES, Config, build_network, build_task, config_differences,
                                    finished_config, prediction_rows, remove_run, run, task_options)
from mathdl.training.checkpoint import CHECKPOINT
from mathdl.training.evaluate import Evaluation, evaluate
from mathdl.training.loop import Settings


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_model_roundtrip(tmp_path, bias, dtype):
    net = random_net([5, 4, 3, 2], ["tanh", "relu", "softmax"], bias=bias, dtype=dtype)
    save_model(tmp_path / "model.npz", net)
    with np.load(tmp_path / "model.npz", allow_pickle=False) as npz:  # plain arrays, no pickled objects
        meta = json.loads(str(npz["meta"]))
        assert meta["version"] == 1 and meta["sizes"] == [5, 4, 3, 2]
    back = load_model(tmp_path / "model.npz")
    assert back.sizes == net.sizes and back.activations == net.activations and back.bias == bias
    for a, b in zip(back.params(), net.params()):
        np.testing.assert_array_equal(a, b)
        assert a.dtype == dtype
    X = np.random.default_rng(0).uniform(size=(5, 3)).astype(dtype)
    np.testing.assert_array_equal(back(X), net(X))


def test_model_file_faults(tmp_path):
    with pytest.raises(MathdlError, match="no such model file"):
        load_model(tmp_path / "none.npz")
    (tmp_path / "bad.npz").write_bytes(b"junk")
    with pytest.raises(MathdlError, match="not a readable model file"):
        load_model(tmp_path / "bad.npz")
    net = random_net([3, 2], ["sigmoid"])
    save_model(tmp_path / "m.npz", net)
    with np.load(tmp_path / "m.npz") as npz:
        arrays = dict(npz)
    meta = json.loads(str(arrays["meta"]))
    meta["version"] = 99
    np.savez(tmp_path / "future.npz", **{**arrays, "meta": np.array(json.dumps(meta))})
    with pytest.raises(MathdlError, match="model format version 99 is not supported"):
        load_model(tmp_path / "future.npz")
    np.savez(tmp_path / "shape.npz", **{**arrays, "W1": np.zeros((3, 3))})
    with pytest.raises(MathdlError, match=r"layer 1 has shape \(3, 3\), expected \(2, 3\)"):
        load_model(tmp_path / "shape.npz")
    np.savez(tmp_path / "other.npz", x=np.zeros(2))
    with pytest.raises(MathdlError, match="not a readable model file"):
        load_model(tmp_path / "other.npz")


def test_atomic_write_leaves_the_old_file_when_interrupted(tmp_path):
    target = tmp_path / "metrics.json"
    write_json(target, {"a": 1})
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text('{"a": ')  # half written…
            raise RuntimeError("killed")
    assert json.loads(target.read_text()) == {"a": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.json"]  # no temporary left behind


def test_json_refuses_nan(tmp_path):
    with pytest.raises(ValueError):
        write_json(tmp_path / "x.json", {"a": float("nan")})


def test_incomplete_run_directory(tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "config.json").write_text("{}")
    with pytest.raises(MathdlError, match="incomplete run directory, missing metrics.json, history.csv, model.npz"):
        load_run(tmp_path / "run")
    with pytest.raises(MathdlError, match="not a run directory"):
        load_run(tmp_path / "nothing")


def test_atomic_files_get_ordinary_permissions(tmp_path):
    import os
    write_json(tmp_path / "a.json", {})
    umask = os.umask(0)
    os.umask(umask)
    assert (tmp_path / "a.json").stat().st_mode & 0o777 == 0o666 & ~umask


# ---- a configuration end to end: every option reaches the task, the network and the settings ----------------

def tiny_mnist(n_train: int = 200, n_test: int = 60) -> MNIST:
    """Random 0-255 images whose digits take turns 0, 1, …, 9 (so every digit is a tenth of each set)."""
    return MNIST(**small(n_train, n_test), source="test", checksum="custom")


def test_every_training_option_of_a_config_reaches_its_settings():
    """Each option set to something other than ``Settings``' default arrives in ``settings()`` as given."""
    given = {"cost": "xe", "method": "matrix", "epochs": 2, "eta": 0.25, "batch_size": 7, "optimizer": "adam",
             "seed": 5, "class_weight": "balanced", "decay": 0.5, "augment": 2, "engine": "reference"}
    assert all(getattr(Settings(), key) != value for key, value in given.items())  # a dropped option shows
    assert dataclasses.asdict(Config(**given).settings()) == given


def test_a_config_makes_its_task_and_network_with_every_option():
    """ID 7 on 100 of the 200 images (20 of them for validation), 30 of the 60 test images drawn by seed 4,
    unit scale without deskewing, book targets, float32, no biases, He's init: the task's inputs are x/255 of
    stored images, the subsets are seed 4's (not seed 0's), and the network is the one ``Network.create`` draws
    from seed 4's "init" stream."""
    mnist = tiny_mnist()
    options = {"scale": "unit", "targets": "book", "train_size": 100, "test_size": 30, "val_size": 20}
    config = Config(task="id", student_id="7", hidden=(5,), deskew=False, dtype="float32", seed=4, bias=False,
                    init="he", **options)
    task = build_task(config, mnist)
    assert (task.train.N, task.val.N, task.test.N) == (80, 20, 30) and task.n_outputs == 1
    assert task.targets == (0.01, 0.99)
    assert set(np.unique(task.train.Y)) == {np.float32(0.01), np.float32(0.99)}
    X = np.asarray(task.train.X)
    assert X.dtype == np.float32
    stored = {image.tobytes() for image in mnist.train_images}
    assert all(np.rint(x * 255).astype(np.uint8).tobytes() in stored for x in X.T)  # x/255, neither deskewed
    columns = {x.tobytes() for x in X.T}                                                 # nor standardised

    def drawn(seed):
        return {x.tobytes() for x in np.asarray(make_task(mnist, "id", student_id="7", seed=seed, dtype=np.float32,
                                                          **options).train.X).T}
    assert columns == drawn(4) and columns != drawn(0)

    net = build_network(config, task)
    expected = Network.create([784, 5, 1], ["sigmoid", "sigmoid"], rng=rng(4, "init"), init="he", bias=False,
                              dtype=np.float32)
    assert net.b[1] is None and len(net.params()) == len(expected.params()) == 2
    for W, V in zip(net.params(), expected.params()):
        assert W.dtype == np.float32
        np.testing.assert_array_equal(W, V)


def test_a_runs_files_count_its_own_predictions(tmp_path):
    """A run of ID 7 (digit 7 positive: 18 of the 60 test images, 18 + 2 of the 180 + 20 training and validation
    images, so the test accuracy cannot stand in for the training one): metrics.json's TP, FN, FP, TN count
    predictions.csv's rows, its class names and balance are the task's, its train, validation and test
    accuracy and cost are the final network's on each split, and config.json's "inputs" say how the pixels
    were scaled (book, not deskewed)."""
    mnist = tiny_mnist()
    digits = [7 if i % 5 == 0 else i % 10 for i in range(60)]  # 0 and 5 become 7s: 18 of 60
    mnist = dataclasses.replace(mnist, test_labels=np.array(digits, np.uint8))
    config = Config(task="id", student_id="7", hidden=(4,), epochs=2, val_size=20, deskew=False, scale="book",
                    targets="book")
    result = run(config, mnist, out=tmp_path / "run", progress=False)
    saved = load_run(tmp_path / "run")
    rows = read_csv_rows(tmp_path / "run" / "predictions.csv")
    assert [row["digit"] for row in rows] == digits
    true = np.array([row["digit"] == 7 for row in rows])
    assert [row["true"] for row in rows] == list(true.astype(int))
    predicted = np.array([row["predicted"] == 1 for row in rows])
    test = saved.metrics["test"]
    assert (test["tp"], test["fn"], test["fp"], test["tn"]) == (
        (true & predicted).sum(), (true & ~predicted).sum(), (~true & predicted).sum(), (~true & ~predicted).sum())
    assert test["tp"] + test["fn"] == 18
    other, seven = "other digits {0,1,2,3,4,5,6,8,9}", "ID digits {7}"
    assert test["classes"] == {"positive": seven, "negative": other} and saved.config["classes"] == [other, seven]
    assert saved.metrics["class_balance"] == {"train": {other: 162, seven: 18}, "val": {other: 18, seven: 2},
                                              "test": {other: 42, seven: 18}}
    task, net = result.task, result.net
    for name, split in (("train", task.train), ("val", task.val), ("test", task.test)):
        final = evaluate(net, split, task, "tse")
        assert saved.metrics[name]["accuracy"] == final.accuracy and saved.metrics[name]["cost"] == final.cost, name
    assert saved.metrics["train"]["accuracy"] != saved.metrics["test"]["accuracy"]  # the two told apart
    np.testing.assert_array_equal(predicted, evaluate(net, task.test, task, "tse").predicted == 1)
    assert [row["output"] for row in rows] == list(result.test.outputs[0])  # one output: a itself
    assert saved.config["inputs"] == {"deskew": False, "scale": "book", "mean": 0.0, "std": 1.0,
                                      "targets": [0.01, 0.99]}


def test_a_prediction_row_holds_the_output_of_the_predicted_class():
    """Ten outputs: the row's "output" is a⁽ᴸ⁾ of the predicted class, the largest, not another."""
    task = make_task(tiny_mnist(20, 3), "digits")
    outputs = np.full((10, 3), 0.05)
    outputs[[2, 7, 9], [0, 1, 2]] = 0.6, 0.9, 0.7
    outputs[0, 1] = 0.01
    evaluation = Evaluation(cost=0.0, accuracy=0.0, predicted=outputs.argmax(axis=0), outputs=outputs)
    assert prediction_rows(task, evaluation) == [
        {"index": 0, "digit": 0, "true": 0, "predicted": 2, "output": 0.6},
        {"index": 1, "digit": 1, "true": 1, "predicted": 7, "output": 0.9},
        {"index": 2, "digit": 2, "true": 2, "predicted": 9, "output": 0.7}]


def test_a_failed_write_leaves_the_run_directory_as_it_was(tmp_path):
    """config.json is written atomically: a configuration that cannot be written (NaN is not JSON) leaves the
    previous config.json whole and no temporary file beside it."""
    net = random_net([3, 2], ["sigmoid"])
    write_run(tmp_path / "run", config={"eta": 0.5}, metrics={}, history=[{"epoch": 1}], net=net)
    before = {p.name: p.read_bytes() for p in (tmp_path / "run").iterdir()}
    with pytest.raises(ValueError):
        write_run(tmp_path / "run", config={"eta": float("nan")}, metrics={}, history=[{"epoch": 1}], net=net)
    assert {p.name: p.read_bytes() for p in (tmp_path / "run").iterdir()} == before


def test_remove_run_deletes_every_file_of_a_run_and_nothing_else(tmp_path):
    for name in (*RUN_FILES, "notes.txt"):
        (tmp_path / name).write_text("x")
    remove_run(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_a_finished_run_has_every_file_and_no_checkpoint(tmp_path):
    for name in FINISHED_FILES:
        (tmp_path / name).write_text("x")
    (tmp_path / "config.json").write_text(json.dumps({"config": {"epochs": 3}}))
    assert finished_config(tmp_path) == {"epochs": 3}
    (tmp_path / CHECKPOINT).write_text("x")
    assert finished_config(tmp_path) is None


def test_saved_configs_differ_in_their_options_or_their_resolved_defaults():
    """A saved configuration equal in every option still differs when the defaults it resolved to do (the
    defaults table changed since), and says so."""
    config = Config(epochs=3)
    assert config_differences(config.saved(), config) == ""
    assert config_differences({**config.saved(), "epochs": 2}, config) == "epochs 3 instead of 2"
    saved = config.saved()
    saved["resolved"] = {**saved["resolved"], "eta": 9.0}
    assert config_differences(saved, config).startswith("default settings ")


def test_options_a_run_predates_and_the_task_a_config_shares():
    """A run saved before deskewing existed was not deskewed; deskewing makes another task."""
    assert Config.from_dict({"epochs": 2}).deskew is False
    assert Config.from_dict({"epochs": 2, "deskew": True}).deskew is True
    assert task_options(Config(deskew=True)) != task_options(Config(deskew=False))


def test_runs_are_found_up_to_three_levels_down_except_size_curves_and_hidden_folders(tmp_path):
    """A run directory holds config.json and model.npz; a folder of them names them when given as a run."""
    net = random_net([3, 2], ["sigmoid"])
    for folder in ("a", "b/c/d", "sizes/e", ".hidden/f", "g/h/i/j", "a/inner"):
        write_run(tmp_path / folder, config={}, metrics={}, history=[{"epoch": 1}], net=net)
    (tmp_path / "half").mkdir()
    (tmp_path / "half" / "config.json").write_text("{}")  # no model.npz: not a run
    assert runs_under(tmp_path) == [tmp_path / "a", tmp_path / "b" / "c" / "d"]
    with pytest.raises(MathdlError, match="a folder of run directories, not a run directory; give one of its 2 "
                                          r"runs: a, b/c/d \(e.g. "):
        load_run(tmp_path)
