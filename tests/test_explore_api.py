"""mathdl explore's JSON API through Starlette's test client: every endpoint, and every kind of bad request
(malformed JSON, unknown or out-of-range parameters → 422, too large → 413, unknown ids → 404)."""
import base64
import os
import io
import json
import shutil
import signal
import subprocess
import sys
import time
import warnings

import numpy as np
import pytest

pytest.importorskip("starlette")
with warnings.catch_warnings():  # Starlette 1.x asks for httpx2 and warns when it finds httpx (Python 3.10)
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient

from mathdl.base.errors import MathdlError
from mathdl.explore import digit, playground
from mathdl.explore.app import STATIC, create_app
from mathdl.explore.server import loopback, url_of
from mathdl.explore.study import cell, tables
from mathdl.reverse import METHODS
from mathdl.runs.directory import load_run
from mathdl.runs.predict import predict_images
from mathdl.workshop.boundary import linear_boundary

from conftest import random_net
from explore_support import Served, digits_run, drawn, one_stroke, zero_stroke  # noqa: F401

PNG = {"content-type": "image/png"}
CSV = {"content-type": "text/csv"}
JSON_TYPE = {"content-type": "application/json"}


def local(app, **options):
    """Starlette's test client on the address the explorer serves (its default name, testserver, is refused)."""
    return TestClient(app, base_url="http://127.0.0.1", **options)


@pytest.fixture
def client(digits_run, study):
    run_dir, data, _ = digits_run
    with local(create_app([run_dir, study.path], data=data)) as c:
        yield c


def error_of(response, status):
    assert response.status_code == status, response.text
    message = response.json()["error"]
    assert message and "\n" not in message and "Traceback" not in message
    return message


# ---- the page ------------------------------------------------------------------------------------


def test_the_page_and_its_files_are_served_and_need_nothing_from_elsewhere(client):
    page = client.get("/")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "mathdl" in page.text and 'id="pad"' in page.text and 'id="plane"' in page.text
    for name in ("style.css", "common.js", "digit.js", "playground.js", "study.js", "main.js", "icon.svg"):
        assert f"/static/{name}" in page.text
        response = client.get(f"/static/{name}")
        assert response.status_code == 200 and response.content == (STATIC / name).read_bytes()
    for path in STATIC.iterdir():  # offline: no CDN, no web font, no address outside this server
        text = path.read_text(encoding="utf-8")
        assert "http://" not in text.replace("http://www.w3.org/2000/svg", "") and "https://" not in text, path.name
    assert client.get("/static/../app.py").status_code == 404


def test_api_index_lists_every_endpoint(client):
    listing = client.get("/api").json()
    paths = {(e["method"], e["path"]) for e in listing["endpoints"]}
    assert ("POST", "/api/networks/{id}/predict") in paths and ("GET", "/api/playground/{sid}/stream") in paths
    assert set(listing["playground_parameters"]) == set(playground.PARAMS)
    assert error_of(client.get("/api/nothing"), 404).startswith("no such page or endpoint")
    assert "not allowed" in error_of(client.delete("/api/networks"), 405)


# ---- networks and the digit view -----------------------------------------------------------------


def test_networks_are_the_runs_given_and_those_inside_the_study(client, digits_run, study):
    found = client.get("/api/networks").json()
    assert found["default"] is None
    names = [n["name"] for n in found["networks"]]
    assert names[0] == digits_run[0].name
    assert sum("/runs/" in n for n in names) == 8 and sum("/reverse/" in n for n in names) == 3  # 1layer, 3layers, book
    first = client.get("/api/networks/0").json()
    assert first["sizes"][-1] == 10 and first["classes"] == [str(d) for d in range(10)]
    assert all(why is None for why in first["reverse"].values())  # sigmoid everywhere: every method applies
    binary = next(n for n in found["networks"] if "/runs/1-" in n["name"])
    assert binary["sizes"][-1] == 1 and all(binary["reverse"].values())  # one output: no reverse image
    assert "no network '99'" in error_of(client.get("/api/networks/99"), 404)


def test_a_prediction_is_what_mathdl_predict_makes_of_the_same_image(client, digits_run, tmp_path):
    run_dir, _, real = digits_run
    png = drawn([zero_stroke()])
    result = client.post("/api/networks/0/predict", content=png, headers=PNG).json()
    (tmp_path / "zero.png").write_bytes(png)
    [expected] = predict_images(load_run(run_dir), [tmp_path / "zero.png"])
    assert result["seen"] == expected.image.ravel().tolist()
    np.testing.assert_allclose(result["outputs"], expected.outputs, atol=1e-4)
    assert result["predicted"] == expected.index and result["label"] == expected.label
    assert len(result["bars"]) == 10 and [l["size"] for l in result["layers"]] == load_run(run_dir).net.sizes[1:-1]
    assert len(result["units"]) == digit.TOP_UNITS and all(len(base64.b64decode(u["weights"])) == 784 for u in result["units"])
    contributions = [u["contribution"] for u in result["units"]]
    assert contributions == sorted(contributions, reverse=True)
    if real:  # a network trained on MNIST reads a drawn 0 and a drawn 1
        assert result["label"] == "0"
        assert client.post("/api/networks/0/predict", content=drawn([one_stroke()]), headers=PNG).json()["label"] == "1"


def test_the_units_that_pushed_sum_to_the_score_with_one_hidden_layer_and_are_its_gradient_with_more():
    rng = np.random.default_rng(3)
    x = rng.uniform(0, 1, (784, 1))
    net = random_net([784, 20, 10], ["sigmoid", "sigmoid"])
    z, a = net.forward(x)
    units = digit.pushed(net, z, a, 4, top=20)
    assert sum(u["contribution"] for u in units) + net.b[2][4, 0] == pytest.approx(z[2][4, 0], abs=1e-3)
    deep = random_net([784, 16, 12, 8, 10], ["tanh", "sigmoid", "relu", "sigmoid"], seed=1)
    z, a = deep.forward(x)
    units = {u["unit"] - 1: u["contribution"] for u in digit.pushed(deep, z, a, 7, top=16)}

    def score(a1):  # z⁽ᴸ⁾_7 as a function of a⁽¹⁾
        h = a1
        for l in range(2, deep.L + 1):
            zl = deep.W[l] @ h + deep.b[l]
            h = deep.f[l](zl) if l < deep.L else zl
        return float(h[7, 0])

    for j, c in units.items():
        e = np.zeros_like(a[1])
        e[j] = 1e-6
        gradient = (score(a[1] + e) - score(a[1] - e)) / 2e-6
        assert c == pytest.approx(a[1][j, 0] * gradient, abs=2e-4)


def test_bad_images_are_refused_in_one_line(client):
    assert "empty request" in error_of(client.post("/api/networks/0/predict", content=b"", headers=PNG), 422)
    assert "not an image" in error_of(client.post("/api/networks/0/predict", content=b"GIF89a-no", headers=PNG), 422)
    from PIL import Image
    blank = io.BytesIO()
    Image.new("L", (280, 280), 255).save(blank, "PNG")
    assert "no digit found" in error_of(client.post("/api/networks/0/predict", content=blank.getvalue(), headers=PNG), 422)
    big = np.random.default_rng(0).integers(0, 256, digit.IMAGE_LIMIT + 1, dtype=np.uint8).tobytes()
    assert "larger than the limit" in error_of(client.post("/api/networks/0/predict", content=big, headers=PNG), 413)
    huge = io.BytesIO()  # few bytes, many pixels: refused before it is decoded
    Image.new("1", (6000, 6000), 1).save(huge, "PNG")
    assert len(huge.getvalue()) < digit.IMAGE_LIMIT
    assert "pixels" in error_of(client.post("/api/networks/0/predict", content=huge.getvalue(), headers=PNG), 413)
    assert error_of(client.post("/api/networks/42/predict", content=drawn([zero_stroke()]), headers=PNG), 404)


def test_reverse_images_carry_the_networks_own_reading(client, digits_run):
    run = load_run(digits_run[0])
    response = client.post("/api/networks/0/reverse", json={"class": 3, "methods": ["backquery", "optimize"]})
    mean, *images = response.json()["images"]
    assert mean["method"] == "mean" and [i["method"] for i in images] == ["backquery", "optimize"]
    refs = client.app.state.catalog.network("0").cache["references"]
    lo, hi = refs.input_range
    for image in [mean, *images]:
        x = np.array(image["pixels"]) * (hi - lo) + lo
        a = run.net(x[:, None])[:, 0]
        assert len(image["pixels"]) == 784 and image["output"] == pytest.approx(a[3], abs=0.02)
        assert image["correct"] == (image["predicted"] == 3) and image["predicted_label"] == str(image["predicted"])
        judge = refs.judge.read(x[:, None])[0]  # the independent judge's reading, beside the network's
        assert image["judge_class"] == judge["reading"] and image["judge_label"] == str(judge["reading"])
        assert image["judge_probability"] == pytest.approx(judge["shares"][3], abs=1e-3)
        assert image["judge_correct"] == (judge["reading"] == 3)
    every = client.post("/api/networks/0/reverse", json={"class": 0}).json()["images"]
    assert [i["method"] for i in every] == ["mean", "backquery", "pinv", "optimize", "prior"]  # the mean, all methods
    named = client.post("/api/networks/0/reverse", json={"class": 0, "methods": list(METHODS)})  # as the page asks
    assert named.status_code == 200 and [i["method"] for i in named.json()["images"]] == ["mean", *METHODS]


def test_bad_reverse_requests_are_refused(client):
    url = "/api/networks/0/reverse"
    assert error_of(client.post(url, content=b"{class: 3}", headers=JSON_TYPE), 422).startswith("malformed JSON")
    assert "empty request" in error_of(client.post(url), 422)
    assert "needs the class" in error_of(client.post(url, json={"methods": ["pinv"]}), 422)
    assert "between 0 and 9" in error_of(client.post(url, json={"class": 10}), 422)
    assert "must be an integer" in error_of(client.post(url, json={"class": "3"}), 422)
    assert "methods must be a list" in error_of(client.post(url, json={"class": 1, "methods": ["inverse"]}), 422)
    assert "unknown parameter 'digit'" in error_of(client.post(url, json={"class": 1, "digit": 1}), 422)
    assert "must be a JSON object" in error_of(client.post(url, json=[1]), 422)
    binary = next(n["id"] for n in client.get("/api/networks").json()["networks"] if "/runs/1-" in n["name"])
    assert "one output per class" in error_of(client.post(f"/api/networks/{binary}/reverse", json={"class": 0}), 422)


def test_equations_are_the_shape_tables_of_the_network(client, digits_run):
    from mathdl.nn.shapes import Architecture, backward_steps, forward_steps
    r = client.get("/api/networks/0/equations").json()
    arch = Architecture.of(load_run(digits_run[0]).net, "xe")
    assert [row[0] for row in r["forward"]] == [s.equation for s in forward_steps(arch)]
    assert [row[2] for row in r["backward"]] == [s.shape for s in backward_steps(arch)]
    assert r["parameters"][-1]["parameters"] == arch.n_params() and "784 → " in r["summary"]


def test_the_explorers_own_network_is_trained_on_first_use_and_kept(digits_run, tmp_path):
    data, folder = digits_run[1], tmp_path / "own"
    from mathdl.explore import default_net
    subset = {"train_size": 600, "test_size": 200} if digits_run[2] else {}  # the tiny MNIST is smaller whole
    small = dataclass_replace(default_net.CONFIG, epochs=1, deskew=False, **subset)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(default_net, "CONFIG", small)
        with local(create_app([], data=data, default_folder=folder)) as c:
            state = c.get("/api/networks").json()
            assert state["networks"] == [] and state["default"]["state"] == "absent"
            assert "POST /api/networks/default/train" in error_of(
                c.post("/api/networks/default/predict", content=drawn([zero_stroke()]), headers=PNG), 409)
            assert c.post("/api/networks/default/train").status_code == 202
            deadline = time.monotonic() + 120
            while c.get("/api/networks").json()["default"]["state"] == "training" and time.monotonic() < deadline:
                time.sleep(0.2)
            listed = c.get("/api/networks").json()
            assert listed["default"]["state"] == "ready", listed["default"]
            assert [n["id"] for n in listed["networks"]] == ["default"]
            assert c.post("/api/networks/default/predict", content=drawn([zero_stroke()]), headers=PNG).status_code == 200
        with local(create_app([], data=data, default_folder=folder)) as c:  # a later server finds it
            assert c.get("/api/networks").json()["default"]["state"] == "ready"
    with local(create_app([digits_run[0]])) as c:
        assert error_of(c.post("/api/networks/default/train"), 404)


def dataclass_replace(config, **changes):
    import dataclasses
    return dataclasses.replace(config, **changes)


def test_only_run_and_study_directories_are_accepted(tmp_path, digits_run):
    with pytest.raises(MathdlError, match="no such directory"):
        create_app([tmp_path / "missing"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(MathdlError, match="neither a run directory"):
        create_app([tmp_path / "empty"])
    shutil.copytree(digits_run[0], tmp_path / "many" / "a" / "run")  # a folder of runs is searched
    assert [e.name for e in create_app([tmp_path / "many"]).state.catalog.networks.values()] == ["many/a/run"]


# ---- the playground -------------------------------------------------------------------------------


@pytest.fixture
def lab(digits_run):
    with local(create_app([digits_run[0]], session_timeout=60)) as c:
        yield c


def new_session(c, **params):
    response = c.post("/api/playground", json=params)
    assert response.status_code == 201, response.text
    return response.json()


def test_a_session_starts_untrained_with_its_points_and_pictures(lab):
    state = new_session(lab)
    assert state["params"]["dataset"] == "xor" and state["params"]["noise"] == 0.25  # the dataset's own noise
    assert len(state["points"]["train"]) + len(state["points"]["test"]) == 400
    assert state["status"] == "ready" and state["epoch"] == 0 and state["rows"] == []
    frame = state["frame"]
    assert len(base64.b64decode(frame["boundary"]["class"])) == 100 * 100
    assert [len(layer) for layer in frame["neurons"]] == [8] and len(base64.b64decode(frame["neurons"][0][0])) == 25 * 25
    assert frame["line"] is None and state["network"]["sizes"] == [2, 8, 1]


def test_step_start_pause_and_reset(lab):
    sid = new_session(lab, rate=200)["id"]
    stepped = lab.post(f"/api/playground/{sid}/step").json()
    assert stepped["epoch"] == 1 and stepped["status"] == "paused" and len(stepped["rows"]) == 1
    assert set(stepped["rows"][0]) == set(playground.ROW_KEYS)
    lab.post(f"/api/playground/{sid}/start")
    deadline = time.monotonic() + 30
    while lab.get(f"/api/playground/{sid}").json()["epoch"] < 20 and time.monotonic() < deadline:
        time.sleep(0.05)
    paused = lab.post(f"/api/playground/{sid}/pause").json()
    time.sleep(0.3)
    later = lab.get(f"/api/playground/{sid}").json()
    assert paused["status"] == later["status"] == "paused" and later["epoch"] == paused["epoch"] >= 20
    assert [r["epoch"] for r in later["rows"]] == list(range(1, later["epoch"] + 1))
    assert later["rows"][-1]["test_accuracy"] >= 0.9  # xor with 8 tanh units, trained by mathdl's loop
    assert lab.post(f"/api/playground/{sid}/config", json={"rate": 5}).json()["epoch"] == later["epoch"]  # the pace only
    reset = lab.post(f"/api/playground/{sid}/reset").json()
    assert reset["epoch"] == 0 and reset["rows"] == [] and reset["status"] == "ready"


def test_a_perceptron_shows_its_line(lab):
    sid = new_session(lab, dataset="linear", hidden=[])["id"]
    for _ in range(5):
        state = lab.post(f"/api/playground/{sid}/step").json()
    line, fit = state["frame"]["line"], lab.app.state.sessions.get(sid).fit
    w, c = linear_boundary(fit)
    assert line["w"] == pytest.approx(list(w)) and line["c"] == pytest.approx(c)
    assert line["equation"].endswith("= 0") and "x₁" in line["equation"]
    assert state["frame"]["neurons"] == [] and state["network"]["sizes"] == [2, 1]


def test_sessions_are_separate_and_abandoned_ones_are_freed(digits_run):
    with local(create_app([digits_run[0]], session_timeout=0.4, max_sessions=2)) as c:
        a, b = new_session(c)["id"], new_session(c, dataset="moons")["id"]
        assert a != b
        c.post(f"/api/playground/{a}/step")
        assert c.get(f"/api/playground/{b}").json()["epoch"] == 0
        assert c.get(f"/api/playground/{b}").json()["params"]["dataset"] == "moons"
        assert "sessions are open" in error_of(c.post("/api/playground", json={}), 429)
        time.sleep(1.2)  # nobody asks: the reaper frees both
        assert "reload the page" in error_of(c.get(f"/api/playground/{a}"), 404)
        assert new_session(c)["id"]
    with local(create_app([digits_run[0]])) as c:
        sid = new_session(c)["id"]
        assert c.delete(f"/api/playground/{sid}").status_code == 204
        assert error_of(c.post(f"/api/playground/{sid}/start"), 404)
        sid = new_session(c)["id"]
        assert c.post(f"/api/playground/{sid}/close").status_code == 204
        assert error_of(c.get(f"/api/playground/{sid}"), 404)


def test_a_finished_session_must_be_reset(lab, monkeypatch):
    monkeypatch.setattr(playground, "MAX_EPOCHS", 3)
    sid = new_session(lab, rate=1000)["id"]
    lab.post(f"/api/playground/{sid}/start")
    deadline = time.monotonic() + 30
    while lab.get(f"/api/playground/{sid}").json()["status"] != "finished" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert lab.get(f"/api/playground/{sid}").json()["epoch"] == 3
    assert "reset" in error_of(lab.post(f"/api/playground/{sid}/start"), 409)


@pytest.mark.parametrize("params,message", [
    ({"eta": 0}, "eta must be between"),
    ({"eta": "fast"}, "eta must be a number"),
    ({"points": 5}, "points must be between 20"),
    ({"points": 2.5}, "points must be an integer"),
    ({"hidden": [0]}, "hidden[0] must be between 1 and 32"),
    ({"hidden": [4] * 7}, "hidden must be a list of 0 to 6"),
    ({"hidden": 8}, "hidden must be a list"),
    ({"activation": "softmax"}, "activation must be one of"),
    ({"cost": "mae"}, "cost must be one of tse, xe"),
    ({"bp": True}, "bp must be one of"),
    ({"dataset": "csv"}, "needs an uploaded CSV"),
    ({"noise": 2}, "noise must be between 0 and 1"),
    ({"layers": 2}, "unknown parameter 'layers'"),
])
def test_bad_playground_parameters_are_refused(lab, params, message):
    assert message in error_of(lab.post("/api/playground", json=params), 422)
    sid = new_session(lab)["id"]
    assert message in error_of(lab.post(f"/api/playground/{sid}/config", json=params), 422)
    assert lab.get(f"/api/playground/{sid}").json()["params"]["dataset"] == "xor"  # unchanged


def test_bad_playground_requests_are_refused(lab):
    assert error_of(lab.post("/api/playground", content=b'{"eta": 0.1', headers=JSON_TYPE), 422).startswith("malformed JSON")
    assert "not a number JSON allows" in error_of(lab.post("/api/playground", content=b'{"eta": NaN}', headers=JSON_TYPE), 422)
    assert "JSON object" in error_of(lab.post("/api/playground", content=b'"xor"', headers=JSON_TYPE), 422)
    sid = new_session(lab)["id"]
    assert "no playground action 'jump'" in error_of(lab.post(f"/api/playground/{sid}/jump"), 404)
    assert "takes no parameters" in error_of(lab.post(f"/api/playground/{sid}/step", json={"eta": 1}), 422)
    assert "empty request" in error_of(lab.post(f"/api/playground/{sid}/config"), 422)
    assert "no playground session" in error_of(lab.get("/api/playground/nope"), 404)
    assert "larger than the limit" in error_of(lab.post(f"/api/playground/{sid}/config",
                                                        content=b"{" + b" " * 70_000 + b"}", headers=JSON_TYPE), 413)


def test_uploaded_points_are_checked_and_trained_on(lab):
    sid = new_session(lab)["id"]
    rng = np.random.default_rng(0)
    rows = "\n".join(f"{x:.3f},{y:.3f},{'left' if x < 0 else 'right'}" for x, y in rng.normal(0, 1, (60, 2)))
    state = lab.post(f"/api/playground/{sid}/points", content="x,y,label\n-1,0,left\n1,0,right\n" + rows, headers={"content-type": "text/csv"}).json()
    assert state["params"]["dataset"] == "csv" and state["classes"] == ["left", "right"]
    assert len(state["points"]["train"]) + len(state["points"]["test"]) == 62
    assert lab.post(f"/api/playground/{sid}/step").json()["epoch"] == 1
    assert lab.post(f"/api/playground/{sid}/config", json={"hidden": [3]}).json()["params"]["dataset"] == "csv"
    assert "the CSV line 2: y 'abc' is not a number" in error_of(
        lab.post(f"/api/playground/{sid}/points", content=b"1,2,a\n3,abc,b\n", headers=CSV), 422)
    assert "not UTF-8" in error_of(lab.post(f"/api/playground/{sid}/points", content=b"\xff\xfe1,2", headers=CSV), 422)
    too_many = "\n".join(f"{i},{i % 7},{i % 2}" for i in range(playground.MAX_POINTS + 1)).encode()
    assert len(too_many) < playground.CSV_LIMIT
    assert f"at most {playground.MAX_POINTS:,}" in error_of(lab.post(f"/api/playground/{sid}/points", content=too_many, headers=CSV), 413)
    too_big = b"1,2,a\n" * (playground.CSV_LIMIT // 6 + 1)
    assert "larger than the limit" in error_of(lab.post(f"/api/playground/{sid}/points", content=too_big), 413)
    assert lab.get(f"/api/playground/{sid}").json()["classes"] == ["left", "right"]  # the good points are kept


def test_the_stream_sends_the_state_then_each_epoch(digits_run):
    import httpx
    app = create_app([digits_run[0]])
    with Served(app) as served, httpx.Client(base_url=served.url, timeout=10) as http:
        sid = http.post("/api/playground", json={"rate": 100}).json()["id"]
        messages = []
        with http.stream("GET", f"/api/playground/{sid}/stream") as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            for line in stream.iter_lines():
                if line.startswith("data: "):
                    messages.append(json.loads(line[6:]))
                    if len(messages) == 1:
                        http.post(f"/api/playground/{sid}/start")
                    if sum(len(m.get("rows", [])) for m in messages) >= 10:
                        break
        assert messages[0]["state"]["id"] == sid and messages[0]["state"]["epoch"] == 0
        epochs = [r["epoch"] for m in messages[1:] for r in m["rows"]]
        assert epochs == list(range(1, len(epochs) + 1))  # every epoch's row, once, in order
        assert any(m.get("frame") for m in messages[1:])
        http.post(f"/api/playground/{sid}/pause")


# ---- the study view -------------------------------------------------------------------------------


def test_the_study_view_is_the_summary_with_its_curves_and_files(client, study):
    assert client.get("/api/studies").json()["studies"] == [{"id": "0", "name": study.path.name}]
    view = client.get("/api/studies/0").json()
    summary = json.loads((study.path / "summary.json").read_text())
    assert [c["number"] for c in view["configurations"]] == list(range(1, 9))
    assert [(c["tp"], c["fn"], c["fp"], c["tn"]) for c in view["configurations"]] == \
        [(c["tp"], c["fn"], c["fp"], c["tn"]) for c in summary["configurations"]]
    assert view["classes"] == list(summary["configurations"][0]["class_balance"]["test"])
    assert all(len(c["rows"]) == summary["configurations"][0]["epochs"] for c in view["curves"])
    assert len(view["mcnemar"]["rows"]) == len(summary["mcnemar"]) == 12
    assert {r["name"] for r in view["reverse"]} == {"1layer", "3layers", "book"}
    names = {(f["folder"], f["name"]) for f in view["files"]}
    assert (".", "summary.json") in names and ("runs/1-1layer-tse-online", "model.npz") in names
    target = next(f for f in view["files"] if f["name"] == "summary.csv")
    assert client.get(target["url"]).content == (study.path / "summary.csv").read_bytes()


def test_the_study_view_plays_the_presentation_with_its_subtitles(client, presented, digits_run):
    assert client.get("/api/studies/0").json()["presentation"] is None  # a study without one
    presentation, paths = presented
    with local(create_app([presentation.dir], data=digits_run[1])) as c:
        shown = c.get("/api/studies/0").json()["presentation"]
        assert [shown[k]["name"] for k in ("video", "subtitles", "script")] == \
            ["presentation.mp4", "presentation.vtt", "presentation.md"]
        track = c.get(shown["subtitles"]["url"])
        assert track.headers["content-type"].startswith("text/vtt") and track.text == paths["vtt"].read_text()
        part = c.get(shown["video"]["url"], headers={"Range": "bytes=1000-1999"})  # how a video seeks
        assert part.status_code == 206 and part.headers["content-type"] == "video/mp4"
        assert part.content == paths["video"].read_bytes()[1000:2000]


def test_study_files_are_reached_by_index_only(client):
    listing = client.get("/api/studies/0").json()["files"]
    assert error_of(client.get(f"/api/studies/0/files/0/{listing[1]['name']}"), 404)  # index and name disagree
    assert error_of(client.get(f"/api/studies/0/files/{len(listing)}/x"), 404)
    assert error_of(client.get("/api/studies/0/files/0/..%2F..%2F..%2Fetc%2Fpasswd"), 404)
    assert error_of(client.get("/api/studies/0/files/-1/x"), 404)
    assert error_of(client.get("/api/studies/7"), 404)


def test_other_tables_of_the_summary_are_rendered_whatever_their_keys(study, tmp_path, digits_run):
    copy = shutil.copytree(study.path, tmp_path / "study")
    summary = json.loads((copy / "summary.json").read_text())
    summary["factorial"] = {"effects": [{"factor": "cost", "effect": 0.0123, "ci95": [0.001, 0.02]}],
                            "seeds": 5, "model": "accuracy ~ depth * cost * bp"}
    summary["mcnemar_family"] = {"method": "Holm", "tests": 12}
    (copy / "summary.json").write_text(json.dumps(summary))
    with local(create_app([copy])) as c:
        rendered = {t["title"]: t for t in c.get("/api/studies/0").json()["tables"]}
    assert rendered["factorial"]["rows"] == [["seeds", "5"], ["model", "accuracy ~ depth * cost * bp"]]
    effects = rendered["factorial › effects"]
    assert effects["columns"] == ["factor", "effect", "ci95"] and effects["rows"] == [["cost", "0.0123", "[0.001, 0.02]"]]
    assert rendered["mcnemar family"]["rows"] == [["method", "Holm"], ["tests", "12"]]
    assert cell({"value": 0.98, "ci95": [0.97, 0.99]}) == "0.98 [0.97, 0.99]" and cell(None) == "—"
    assert tables("x", "text") == [] and tables("x", {"a": {"b": 1, "c": 2}})[0]["rows"] == [["a", "1", "2"]]


# ---- the command ---------------------------------------------------------------------------------


def test_addresses():
    assert loopback("127.0.0.1") and loopback("::1") and loopback("localhost")
    assert not loopback("0.0.0.0") and not loopback("192.168.1.5")
    assert url_of("127.0.0.1", 8765) == "http://127.0.0.1:8765/" and url_of("::1", 80) == "http://[::1]:80/"
    assert url_of("0.0.0.0", 9000) == "http://127.0.0.1:9000/"


def test_a_non_loopback_address_is_warned_about(monkeypatch, digits_run):
    import uvicorn
    from mathdl.explore import server
    said = []
    monkeypatch.setattr(server, "check_port", lambda host, port: None)  # nothing is bound in this test
    monkeypatch.setattr(uvicorn.Server, "run", lambda self, sockets=None: None)
    server.serve(create_app([digits_run[0]]), host="0.0.0.0", port=8765, browser=False, say=said.append)
    assert said[0].startswith("warning: listening on 0.0.0.0") and "http://127.0.0.1:8765/" in said[1]
    said.clear()
    server.serve(create_app([digits_run[0]]), host="127.0.0.1", port=8765, browser=False, say=said.append)
    assert len(said) == 1 and not said[0].startswith("warning")


def test_the_command_refuses_bad_input_in_one_line(tmp_path):
    from mathdl.cli import main
    for argv, message in ((["explore", str(tmp_path / "nope"), "--no-browser"], "no such directory"),
                          (["explore", "--port", "70000"], "port number from 1 to 65535")):
        done = subprocess.run([sys.executable, "-m", "mathdl", *argv], capture_output=True, text=True, timeout=60)
        assert done.returncode == 2 and message in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert main(["explore", str(tmp_path / "nope")]) == 2


def test_the_command_serves_until_interrupted_even_with_a_stream_open(digits_run):
    import httpx
    with socket_port() as port:
        pass
    process = subprocess.Popen([sys.executable, "-m", "mathdl", "explore", str(digits_run[0]), "--no-browser",
                                "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline, listed = time.monotonic() + 60, None
        while time.monotonic() < deadline:
            try:
                listed = httpx.get(f"http://127.0.0.1:{port}/api/networks", timeout=1).json()
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        assert listed["networks"][0]["name"] == digits_run[0].name
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
            sid = http.post("/api/playground", json={}).json()["id"]
            with http.stream("GET", f"/api/playground/{sid}/stream") as stream:
                next(stream.iter_lines())
                t0 = time.monotonic()
                process.send_signal(signal.SIGINT)
                out, err = process.communicate(timeout=30)
        assert time.monotonic() - t0 < 10
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    assert f"http://127.0.0.1:{port}/" in err and "stopped" in err and "Traceback" not in err


def socket_port():
    import contextlib
    import socket

    @contextlib.contextmanager
    def free():
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            yield s.getsockname()[1]
    return free()


# ---- attacks and malformed input: each a 4xx with one line, the server and the session left working ----


def test_a_request_naming_another_host_is_refused(client):
    """DNS rebinding: a page on evil.example.com whose name resolves to 127.0.0.1 reaches the server with its own
    name as Host."""
    for host in ("evil.example.com", "evil.example.com:8765", "127.0.0.1.evil.example.com"):
        assert "answers requests to" in error_of(client.get("/api/studies", headers={"host": host}), 403)
    evil = local(client.app)
    evil.base_url = evil.base_url.copy_with(host="evil.example.com")
    assert error_of(evil.post("/api/playground", json={}), 403)
    for host in ("127.0.0.1:8765", "localhost:8765", "[::1]:8765", "LOCALHOST"):
        assert client.get("/api/studies", headers={"host": host}).status_code == 200, host


def test_only_the_pages_own_origin_may_change_state(client):
    before = len(client.app.state.sessions.open)
    cross = {"origin": "https://evil.example.com", "content-type": "text/plain"}
    assert "another page" in error_of(client.post("/api/playground", content=b"{}", headers=cross), 403)
    assert error_of(client.post("/api/networks/0/predict", content=drawn([zero_stroke()]),
                                headers={**cross, "content-type": "image/png"}), 403)
    assert error_of(client.post("/api/playground", json={}, headers={"sec-fetch-site": "cross-site"}), 403)
    assert len(client.app.state.sessions.open) == before  # no session was made
    # without an Origin (curl), or from the page itself: answered; a text/plain body (a form's) is not JSON
    assert "Content-Type application/json" in error_of(
        client.post("/api/playground", content=b"{}", headers={"content-type": "text/plain"}), 415)
    own = {"origin": "http://127.0.0.1", "sec-fetch-site": "same-origin"}
    assert client.post("/api/playground", json={}, headers=own).status_code == 201
    assert "Content-Type image/" in error_of(
        client.post("/api/networks/0/predict", content=drawn([zero_stroke()]), headers={"content-type": "text/plain"}), 415)


@pytest.mark.parametrize("body", [b'{"hidden": [' + b"1" + b"0" * 400 + b"]}", b'{"points": -' + b"9" * 500 + b"}",
                                  b'{"eta": ' + b"1" + b"0" * 400 + b"}"])
def test_numbers_too_large_for_a_float_are_refused(lab, body):
    assert "must be" in error_of(lab.post("/api/playground", content=body, headers=JSON_TYPE), 422)


def test_a_huge_class_and_deeply_nested_json_are_refused(client, lab):
    url = "/api/networks/0/reverse"
    assert "between 0 and 1000" in error_of(client.post(url, content=b'{"class": 1' + b"0" * 400 + b"}",
                                                         headers=JSON_TYPE), 422)
    for depth in (10_000, 30_000):
        nested = b'{"hidden": ' + b"[" * depth + b"]" * depth + b"}"
        assert "nested too deeply" in error_of(lab.post("/api/playground", content=nested, headers=JSON_TYPE), 422)
        assert "nested too deeply" in error_of(client.post(url, content=nested, headers=JSON_TYPE), 422)
    shallow = b'{"hidden": ' + b"[" * 500 + b"]" * 500 + b"}"  # parsed, then refused as not a list of sizes
    assert "hidden[0] must be an integer" in error_of(lab.post("/api/playground", content=shallow, headers=JSON_TYPE), 422)


@pytest.mark.parametrize("far", ["1e200", "1e308", "-2e6"])
def test_points_too_far_out_are_refused_and_the_session_keeps_working(lab, far):
    sid = new_session(lab)["id"]
    rows = "\n".join(f"{i % 5},{i % 3},{i % 2}" for i in range(30)) + f"\n{far},0,1\n"
    assert "outside the playground's plane" in error_of(
        lab.post(f"/api/playground/{sid}/points", content=rows, headers=CSV), 422)
    assert lab.get(f"/api/playground/{sid}").status_code == 200
    assert lab.post(f"/api/playground/{sid}/step").json()["epoch"] == 1


def test_a_body_that_does_not_arrive_is_answered_408_and_its_connection_closed(digits_run, monkeypatch):
    import socket
    from mathdl.explore import checks
    monkeypatch.setattr(checks, "BODY_SECONDS", 0.5, raising=False)
    with Served(create_app([digits_run[0]])) as served:
        port = int(served.url.rsplit(":", 1)[1])
        for path in ("/api/playground", "/api/networks/0/predict"):
            with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
                s.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
                          "Content-Length: 1000\r\n\r\n{}".encode())
                t0, answer = time.monotonic(), b""
                while chunk := s.recv(65536):  # until the server closes the connection
                    answer += chunk
                assert time.monotonic() - t0 < 5
            head, _, body = answer.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 408"), answer
            assert "did not arrive within 0.5 s" in json.loads(body)["error"]


def test_images_are_decoded_within_the_pixel_limit_and_at_reduced_size(client):
    from PIL import Image, ImageDraw
    from mathdl.data.handwriting import read_image
    big = Image.new("L", (5000, 5000), 255)
    ImageDraw.Draw(big).ellipse((1500, 700, 3500, 4300), outline=0, width=320)
    png, jpeg = io.BytesIO(), io.BytesIO()
    big.save(png, "PNG")
    big.save(jpeg, "JPEG", quality=90)
    assert len(png.getvalue()) < digit.IMAGE_LIMIT and len(jpeg.getvalue()) < digit.IMAGE_LIMIT
    assert "5000 × 5000 pixels to decode" in error_of(
        client.post("/api/networks/0/predict", content=png.getvalue(), headers=PNG), 413)
    read = read_image(io.BytesIO(jpeg.getvalue()), max_side=digit.SIDE, max_pixels=digit.PIXEL_LIMIT)
    assert max(read.size) <= digit.SIDE  # decoded at 1/8 (625 pixels a side), never at 5000
    result = client.post("/api/networks/0/predict", content=jpeg.getvalue(), headers={"content-type": "image/jpeg"})
    assert result.status_code == 200 and result.json()["label"] in [str(d) for d in range(10)]


def test_the_server_logs_its_own_faults_in_one_line(client, monkeypatch):
    import logging
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logging.getLogger("mathdl.explore").addHandler(handler)
    monkeypatch.setattr(digit, "equations", lambda run: 1 / 0)
    try:
        assert "ZeroDivisionError" in error_of(client.get("/api/networks/0/equations"), 500)
    finally:
        logging.getLogger("mathdl.explore").removeHandler(handler)
    [record] = [r for r in records if r.levelname == "ERROR"]
    assert record.getMessage() == "internal error on GET /api/networks/0/equations: ZeroDivisionError: division by zero"
    assert record.exc_info is None  # no traceback


# ---- the code: one route table, atomic sessions, streams woken by the session --------------------------


def test_api_index_is_the_route_table_itself(client):
    listed = {(e["method"], e["path"]) for e in client.get("/api").json()["endpoints"]}
    served = {(method, route.path.replace(":int", "")) for route in client.app.routes
              if route.path.startswith("/api") for method in route.methods - {"HEAD"}}
    assert listed == served and len(listed) == 17
    assert all(e["what"] for e in client.get("/api").json()["endpoints"])


def test_the_session_limit_holds_when_tabs_open_at_once(digits_run):
    import threading
    with local(create_app([digits_run[0]], max_sessions=3, compile_loops=False)) as c:
        go, answers = threading.Barrier(8), []

        def open_one():
            go.wait()
            answers.append(c.post("/api/playground", json={}).status_code)
        threads = [threading.Thread(target=open_one) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(answers) == [201] * 3 + [429] * 5 and len(c.app.state.sessions.open) == 3


def test_an_idle_stream_waits_for_news_instead_of_polling(digits_run, monkeypatch):
    import httpx
    looks = []
    update = playground.Session.update
    monkeypatch.setattr(playground.Session, "update", lambda self, *a: looks.append(1) or update(self, *a))
    with Served(create_app([digits_run[0]], compile_loops=False)) as served, \
            httpx.Client(base_url=served.url, timeout=10) as http:
        sid = http.post("/api/playground", json={}).json()["id"]
        with http.stream("GET", f"/api/playground/{sid}/stream") as stream:
            lines = stream.iter_lines()
            assert next(lines).startswith("data: ")  # the state
            time.sleep(1.0)
            idle = len(looks)
            assert http.post(f"/api/playground/{sid}/step").json()["epoch"] == 1
            rows = []
            while not rows:  # woken by the step: its status, its row
                line = next(lines)
                rows = json.loads(line[6:])["rows"] if line.startswith("data: ") else []
            assert rows[0]["epoch"] == 1
    assert idle <= 3  # not 200 looks a second


# ---- first use: the compiled loops, and controls that answer at once -----------------------------------


def never_ready():
    """A compilation that takes as long as the test wants (until ``finish``)."""
    class NeverReady(playground.Compiler):
        def start(self):
            self.started = self.started or time.monotonic()
            return self

        def finish(self):
            self.ready.set()
            for wake in self.waiting:
                wake()
    return NeverReady()


def timed(call):
    t0 = time.perf_counter()
    result = call()
    return result, time.perf_counter() - t0


def test_while_the_loops_compile_start_says_so_and_every_control_answers_at_once():
    compiler = never_ready()
    session = playground.Session("s", compiler)
    _, took = timed(session.start)
    state = session.state()
    assert took < 0.2 and state["status"] == "compiling" and state["compiling"] is not None
    _, took = timed(session.pause)
    assert took < 0.2 and session.state()["status"] == "paused" and session.state()["compiling"] is not None
    _, took = timed(session.step)
    assert took < 0.2 and session.state()["status"] == "compiling" and session.state()["want"] == "step"
    _, took = timed(lambda: session.configure({"hidden": [4, 4]}))
    assert took < 0.2 and session.state()["status"] == "ready"
    session.start()
    _, took = timed(session.reset)
    assert took < 0.2 and session.state()["status"] == "ready" and session.state()["epoch"] == 0
    session.step()
    compiler.finish()  # the loops are there: the step asked for is taken, then it pauses
    deadline = time.monotonic() + 30
    while session.state()["status"] != "paused" and time.monotonic() < deadline:
        time.sleep(0.02)
    assert session.state()["epoch"] == 1 and session.state()["compiling"] is None
    session.close()


def test_pause_answers_at_once_during_a_slow_epoch_and_the_loop_pauses_after_it(monkeypatch):
    real = playground.train

    def slow(net, task, settings, progress, on_epoch):  # every epoch takes a second (as one that compiles)
        return real(net, task, settings, progress=progress, on_epoch=lambda row: time.sleep(1.0) or on_epoch(row))
    monkeypatch.setattr(playground, "train", slow)
    session = playground.Session("s")
    session.start()
    time.sleep(0.3)  # inside the first epoch
    _, took = timed(session.pause)
    state = session.state()
    assert took < 0.2 and state["status"] == "running" and state["want"] == "pause"  # the page says "pausing"
    deadline = time.monotonic() + 10
    while session.state()["status"] != "paused" and time.monotonic() < deadline:
        time.sleep(0.02)
    assert session.state()["epoch"] == 1
    _, took = timed(session.reset)
    assert took < 0.2 and session.state()["epoch"] == 0
    session.close()


def test_a_cold_cache_first_start_shows_compiling_and_pause_answers_within_200_ms(digits_run, tmp_path):
    """A fresh install: Numba's cache empty. The server starts compiling at once; a Start meanwhile says so, Pause
    answers within 200 ms; once compiled, a network of another depth and the online method train at once."""
    import httpx
    with socket_port() as port:
        pass
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "numba")}
    process = subprocess.Popen([sys.executable, "-m", "mathdl", "explore", str(digits_run[0]), "--no-browser",
                                "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               stdin=subprocess.DEVNULL, start_new_session=True, env=env)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
            deadline = time.monotonic() + 60
            while True:
                try:
                    sid = http.post("/api/playground", json={"rate": 1000}).json()["id"]
                    break
                except httpx.HTTPError:
                    assert time.monotonic() < deadline
                    time.sleep(0.1)
            started = http.post(f"/api/playground/{sid}/start").json()
            assert started["status"] == "compiling" and started["compiling"] >= 0
            paused, took = timed(lambda: http.post(f"/api/playground/{sid}/pause"))
            assert took < 0.2 and paused.json()["status"] == "paused"
            http.post(f"/api/playground/{sid}/start")
            deadline = time.monotonic() + 240
            while http.get(f"/api/playground/{sid}").json()["epoch"] < 5:
                assert time.monotonic() < deadline
                time.sleep(0.2)
            for changes in ({"hidden": [8, 8, 8]}, {"hidden": [6], "bp": "online"}, {"hidden": []}):
                assert http.post(f"/api/playground/{sid}/config", json=changes).json()["epoch"] == 0
                stepped, took = timed(lambda: http.post(f"/api/playground/{sid}/step").json())
                assert stepped["epoch"] == 1 and took < 3, (changes, took)  # compiled already: no new signature
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()


def test_the_mcnemar_tests_are_shown_once_and_tables_by_name(client, study, tmp_path):
    view = client.get("/api/studies/0").json()
    titles = [t["title"] for t in view["tables"]]
    assert view["mcnemar_others"]["rows"] == [] and "mcnemar family" not in titles  # one seed: no repeat
    assert "The best observed configuration against each other one (McNemar's test)" in titles
    assert "a right, b wrong" in view["mcnemar"]["columns"]
    copy = shutil.copytree(study.path, tmp_path / "study")
    summary = json.loads((copy / "summary.json").read_text())
    summary["mcnemar_family"] += [{**t, "seed": 1} for t in summary["mcnemar"]]  # a second seed's tests
    (copy / "summary.json").write_text(json.dumps(summary))
    with local(create_app([copy])) as c:
        view = c.get("/api/studies/0").json()
    assert [row[0] for row in view["mcnemar_others"]["rows"]] == ["1"] * 12 and len(view["mcnemar"]["rows"]) == 12
