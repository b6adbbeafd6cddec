"""Model files (npz + JSON, no pickle), atomic writes, and run directories loaded back."""
import json

import numpy as np
import pytest

from conftest import random_net
from mathdl.base.errors import MathdlError
from mathdl.base.files import atomic_path, write_json
from mathdl.nn.model_file import load_model, save_model
from mathdl.runs.directory import load_run


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
