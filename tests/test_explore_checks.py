"""mathdl explore's conditions at their edges: every playground parameter at its bound accepted and one step past
it refused in one line naming it, values quoted to 40 characters, the table cells' formats, links only to files
that are there, the binary network's bars, when a playground session is freed, the playground's grid, class map and
neuron maps against values known by hand, and the body and pixel limits to the byte and the pixel (also for a body
sent without its length). Each test fails when one comparison or number of the explorer's code is changed (a
mutation sweep found them untested)."""
import base64
import dataclasses
import io
import json
import time

import numpy as np
import pytest

pytest.importorskip("starlette")

from mathdl.explore import digit, frame, playground
from mathdl.explore.app import create_app
from mathdl.explore.checks import ApiError
from mathdl.explore.routes import REVERSE
from mathdl.explore.study import cell, tables
from mathdl.runs.directory import write_run
from mathdl.workshop.boundary import dots_fit

from conftest import random_net
from explore_support import Served, drawn, zero_stroke
from test_explore_api import CSV, JSON_TYPE, PNG, error_of, local


@pytest.fixture
def lab(tmp_path):
    """The explorer without networks (its own untrained, never trained here): the playground alone."""
    with local(create_app([], default_folder=tmp_path / "own", compile_loops=False)) as c:
        yield c


def created(c, **params):
    response = c.post("/api/playground", json=params)
    assert response.status_code == 201, response.text
    return response.json()


# ---- the playground's parameters: each bound is inside the range, the next value outside -----------------


@pytest.mark.parametrize("name,inside,outside,message", [
    ("points", 20, 19, "points must be between 20 and 2000, got 19"),
    ("points", 2000, 2001, "points must be between 20 and 2000, got 2001"),
    ("test_fraction", 0.1, 0.09, "test_fraction must be between 0.1 and 0.9, got 0.09"),
    ("test_fraction", 0.9, 0.91, "test_fraction must be between 0.1 and 0.9, got 0.91"),
    ("noise", 0.0, -0.01, "noise must be between 0 and 1, got -0.01"),
    ("noise", 1.0, 1.01, "noise must be between 0 and 1, got 1.01"),
    ("eta", 1e-4, 9e-5, "eta must be between 0.0001 and 10, got 9e-05"),
    ("eta", 10.0, 10.5, "eta must be between 0.0001 and 10, got 10.5"),
    ("batch_size", 1, 0, "batch_size must be between 1 and 256, got 0"),
    ("batch_size", 256, 257, "batch_size must be between 1 and 256, got 257"),
    ("seed", 0, -1, "seed must be between 0 and 2147483647, got -1"),
    ("seed", 2**31 - 1, 2**31, "seed must be between 0 and 2147483647, got 2147483648"),
    ("rate", 1, 0, "rate must be between 1 and 1000, got 0"),
    ("rate", 1000, 1001, "rate must be between 1 and 1000, got 1001"),
    ("hidden", [1], [0], "hidden[0] must be between 1 and 32, got 0"),
    ("hidden", [32], [33], "hidden[0] must be between 1 and 32, got 33"),
    ("hidden", [], None, "hidden must be a list of 0 to 6 layer sizes, got null"),
    ("hidden", [2] * 6, [2] * 7, "hidden must be a list of 0 to 6 layer sizes, got [2, 2, 2, 2, 2, 2, 2]"),
])
def test_each_bound_of_a_playground_parameter_is_accepted_and_the_next_value_refused(lab, name, inside, outside,
                                                                                     message):
    state = created(lab, **{name: inside})
    assert state["params"][name] == inside
    if name == "hidden":
        assert state["network"]["sizes"] == [2, *inside, 1]
    if name == "points":
        assert len(state["points"]["train"]) + len(state["points"]["test"]) == inside
    assert error_of(lab.post("/api/playground", json={name: outside}), 422) == message
    assert error_of(lab.post(f"/api/playground/{state['id']}/config", json={name: outside}), 422) == message


@pytest.mark.parametrize("params,message", [
    ({"points": True}, "points must be an integer, got true"),
    ({"batch_size": False}, "batch_size must be an integer, got false"),
    ({"eta": True}, "eta must be a number, got true"),
    ({"hidden": [4, True]}, "hidden[1] must be an integer, got true"),
    ({"eta": None}, "eta must be a number, got null"),
    ({"points": None}, "points must be an integer, got null"),
])
def test_true_false_and_null_are_not_numbers(lab, params, message):
    """JSON's true is Python's 1, and only noise may be null."""
    assert error_of(lab.post("/api/playground", json=params), 422) == message


def test_noise_null_is_the_datasets_own(lab):
    state = created(lab, dataset="moons", noise=0.5)
    again = lab.post(f"/api/playground/{state['id']}/config", json={"noise": None})
    assert again.status_code == 200 and again.json()["params"]["noise"] == 0.15


def test_a_value_is_quoted_whole_up_to_40_characters_and_cut_with_an_ellipsis_after(lab):
    choices = "moons, circles, xor, spirals, blobs, linear, csv"
    fits = "x" * 38  # '…' with its quotes: 40 characters
    assert error_of(lab.post("/api/playground", json={"dataset": fits}), 422) == \
        f"dataset must be one of {choices}, got '{fits}'"
    longer = "x" * 39  # 41 with its quotes: the first 37 and …
    assert error_of(lab.post("/api/playground", json={"dataset": longer}), 422) == \
        f"dataset must be one of {choices}, got '{'x' * 36}…"
    assert error_of(lab.post("/api/playground", json={"hidden": [1] * 20}), 422) == \
        "hidden must be a list of 0 to 6 layer sizes, got [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, …"


def test_a_method_named_twice_is_computed_once():
    methods = REVERSE["methods"]
    assert methods.check("methods", ["pinv", "backquery", "pinv"]) == ["pinv", "backquery"]
    assert methods.check("methods", ["prior"]) == ["prior"]


def test_a_body_of_exactly_the_json_limit_is_read_and_one_byte_more_refused(lab):
    from mathdl.explore.checks import JSON_LIMIT
    body = b"{}" + b" " * (JSON_LIMIT - 2)
    assert lab.post("/api/playground", content=body, headers=JSON_TYPE).status_code == 201
    assert error_of(lab.post("/api/playground", content=body + b" ", headers=JSON_TYPE), 413) == \
        "JSON body of 65,537 bytes is larger than the limit of 65,536 bytes"


# ---- uploaded points: at most MAX_POINTS, each within COORDINATE_LIMIT -----------------------------------


def test_exactly_the_most_points_are_taken_and_one_more_refused(lab):
    sid = created(lab)["id"]
    rows = [f"{i % 37},{i % 11},{i % 2}" for i in range(playground.MAX_POINTS)]
    state = lab.post(f"/api/playground/{sid}/points", content="\n".join(rows), headers=CSV).json()
    assert len(state["points"]["train"]) + len(state["points"]["test"]) == 2000
    assert error_of(lab.post(f"/api/playground/{sid}/points", content="\n".join(rows + ["1,1,0"]), headers=CSV),
                    413) == "the CSV has 2,001 points; the playground takes at most 2,000"


def test_a_point_on_the_coordinate_limit_is_taken_and_one_past_it_refused(lab):
    sid = created(lab)["id"]
    rows = "\n".join(f"{i % 5},{i % 3},{i % 2}" for i in range(30))
    state = lab.post(f"/api/playground/{sid}/points", content=rows + "\n1000000,-1000000,1\n", headers=CSV).json()
    assert len(state["points"]["train"]) + len(state["points"]["test"]) == 31
    assert state["extent"][1] > 1e6 and state["extent"][2] < -1e6  # the plane reaches the far point
    assert error_of(lab.post(f"/api/playground/{sid}/points", content=rows + "\n0,-1000000.5,1\n", headers=CSV),
                    422) == "the CSV's point 31 (0, -1e+06) lies outside the playground's plane: coordinates must " \
                            "be within ±1,000,000"


def test_a_perceptrons_line_names_the_second_class_as_its_positive_side(lab):
    sid = created(lab, hidden=[])["id"]
    rows = "\n".join(f"{x},{y},{'right' if x > 0 else 'left'}" for x, y in [(-2, 0), (-1, 1), (1, 0), (2, 1)] * 6)
    state = lab.post(f"/api/playground/{sid}/points", content=rows, headers=CSV).json()
    assert state["classes"] == ["left", "right"] and state["frame"]["line"]["positive"] == "right"
    line = lab.post(f"/api/playground/{sid}/config", json={"dataset": "linear"}).json()["frame"]["line"]
    assert line["positive"] == "1"


# ---- sessions: freed after the timeout unasked, kept by any request ----------------------------------------


def test_a_session_unasked_for_longer_than_the_timeout_is_freed_and_one_asked_about_is_kept():
    sessions = playground.Sessions(timeout=60)
    old, asked, recent = (sessions.create({}) for _ in range(3))
    for session in (old, asked):
        session.last_seen = time.monotonic() - 61
    recent.last_seen = time.monotonic() - 30
    assert sessions.get(asked.id) is asked  # a request: its clock starts again
    assert sessions.reap() == [old.id] and set(sessions.open) == {asked.id, recent.id}
    assert old.status == "closed" and recent.status == "ready"
    sessions.close_all()


# ---- the study view: cells, nested tables, links to files that are there and inside the study ---------------


def test_cells_show_yes_no_thousands_and_four_significant_digits():
    assert (cell(True), cell(False)) == ("yes", "no")
    assert (cell(9_999), cell(10_000), cell(-10_000), cell(1_234_567)) == ("9999", "10,000", "-10,000", "1,234,567")
    assert (cell(0.123456), cell(1234.5678), cell(float("nan"))) == ("0.1235", "1235", "—")
    assert cell({"value": 0.98765, "ci95": [0.97, 1.0]}) == "0.9877 [0.97, 1]" and cell([True, 12_000]) == "[yes, 12,000]"


def test_tables_go_two_levels_deep():
    nested = {"x": 1, "deeper": {"y": 2, "deepest": {"z": 3, "bottom": {"w": 4}}}}
    found = tables("t", nested)
    assert [t["title"] for t in found] == ["t", "t › deeper"]
    assert found[1]["rows"] == [["y", "2"]]


def a_study(root, *, files=(), summary=None):
    """A study directory of one configuration (run runs/1-one, with its history.csv) and a reverse part
    (reverse/book), with ``files`` (paths relative to it) written as well."""
    root.mkdir(parents=True)
    summary = summary or {"configurations": [{"number": 1, "label": "one", "run_dir": "runs/1-one"}],
                          "reverse": {"book": {"dir": "reverse/book", "network": {"label": "784-10"},
                                               "summary": {"pinv": {"accuracy": 0.5}}}}}
    (root / "summary.json").write_text(json.dumps(summary))
    for name in ("runs/1-one/history.csv", *files):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("epoch,cost,train_accuracy,test_accuracy,test_cost\n1,0.5,0.8,0.75,0.6\n")
    (root / "reverse" / "book").mkdir(parents=True, exist_ok=True)
    return root


def view_of(study):
    with local(create_app([study])) as c:
        view = c.get("/api/studies/0").json()
        for link in view["files"]:
            assert c.get(link["url"]).status_code == 200
        return view


def test_links_are_made_only_to_files_that_are_there(tmp_path):
    bare = view_of(a_study(tmp_path / "bare"))
    assert bare["reverse"][0]["figure"] is None and bare["presentation"] is None and bare["report"] is None
    assert [f["name"] for f in bare["files"]] == ["summary.json", "history.csv"]
    video = view_of(a_study(tmp_path / "video", files=["presentation.mp4", "reverse/book/reverse-id.png"]))
    assert list(video["presentation"]) == ["video"] and video["presentation"]["video"]["name"] == "presentation.mp4"
    figure = video["reverse"][0]["figure"]
    assert (figure["folder"], figure["name"]) == ("reverse/book", "reverse-id.png")
    whole = view_of(a_study(tmp_path / "whole", files=["presentation.mp4", "presentation.vtt", "presentation.md",
                                                       "report.pdf"]))
    assert [whole["presentation"][k]["name"] for k in ("video", "subtitles", "script")] == \
        ["presentation.mp4", "presentation.vtt", "presentation.md"] and whole["report"]["name"] == "report.pdf"


def test_hidden_files_are_not_listed(tmp_path):
    study = a_study(tmp_path / "s", files=[".notes", "runs/1-one/.lock", "table.csv"])
    assert [(f["folder"], f["name"]) for f in view_of(study)["files"]] == \
        [(".", "summary.json"), (".", "table.csv"), ("runs/1-one", "history.csv")]


def test_a_curve_outside_the_study_directory_is_not_read(tmp_path):
    a_study(tmp_path / "elsewhere")  # its runs/1-one/history.csv lies beside the study, not in it
    summary = {"configurations": [{"number": 1, "label": "in", "run_dir": "runs/1-one"},
                                  {"number": 2, "label": "out", "run_dir": "../elsewhere/runs/1-one"}]}
    curves = view_of(a_study(tmp_path / "s", summary=summary))["curves"]
    assert curves[0]["rows"] == [{"epoch": 1.0, "cost": 0.5, "train_accuracy": 0.8, "test_accuracy": 0.75,
                                  "test_cost": 0.6}]
    assert curves[1]["rows"] == []


# ---- the digit view of a network of one output --------------------------------------------------------------


def binary_run(folder, bias: float):
    """A run of a 784-6-1 sigmoid network for the classes 3 and 8 whose output is pushed by ``bias``."""
    net = random_net([784, 6, 1], ["sigmoid", "sigmoid"], seed=2)
    net.b[2][0, 0] = bias
    return write_run(folder, config={"classes": ["3", "8"], "config": {"scale": "unit"}},
                     metrics={"test": {"accuracy": 0.5}}, history=[{"epoch": 1, "cost": 0.5}], net=net)


@pytest.mark.parametrize("bias,label", [(4.0, "8"), (-4.0, "3")])
def test_a_network_of_one_output_shows_one_minus_a_for_its_first_class_and_a_for_its_second(tmp_path, bias, label):
    with local(create_app([binary_run(tmp_path / "binary", bias)])) as c:
        result = c.post("/api/networks/0/predict", content=drawn([zero_stroke()]), headers=PNG).json()
    [a] = result["outputs"]
    assert result["label"] == label and result["predicted"] == int(a >= 0.5)
    assert result["bars"] == pytest.approx([1 - a, a], abs=1e-4) and abs(result["bars"][1] - 0.5) > 0.3
    assert len(result["units"]) == 6 and all(len(base64.b64decode(u["weights"])) == 784 for u in result["units"])


@pytest.mark.parametrize("k", [0, 1])
def test_with_one_output_the_units_push_towards_the_class_read(k):
    """Class 1 is decided by a high z⁽ᴸ⁾, class 0 by a low one: the shares sum to +z or −z (less the bias)."""
    x = np.random.default_rng(5).uniform(0, 1, (784, 1))
    net = random_net([784, 6, 1], ["sigmoid", "sigmoid"], seed=3)
    z, a = net.forward(x)
    sign = 1 if k == 1 else -1
    units = digit.pushed(net, z, a, k, top=6)
    assert sum(u["contribution"] for u in units) == pytest.approx(sign * (z[2][0, 0] - net.b[2][0, 0]), abs=1e-3)
    assert [u["contribution"] for u in units] == sorted((u["contribution"] for u in units), reverse=True)


# ---- the playground's pictures: the grid over the points, the class map, the neurons' maps ---------------------

def test_the_grid_spans_the_points_and_a_margin_with_rows_from_the_bottom_y_up():
    """Points over x ∈ [0, 10], y ∈ [−2, 2]: a margin of 10 % of the range, at least ½, so x ∈ [−1, 11] and
    y ∈ [−2.5, 2.5]; x changes along a row, y from one row to the next."""
    grid = frame.Grid.over(np.array([[0.0, 10.0, 4.0], [-2.0, 2.0, 0.0]]))
    assert grid.extent == pytest.approx([-1.0, 11.0, -2.5, 2.5])
    assert grid.G.shape == (2, 100 * 100) and grid.coarse.shape == (2, 25 * 25)
    for G, R in ((grid.G, 100), (grid.coarse, 25)):
        assert G[:, 0] == pytest.approx([-1.0, -2.5]) and G[:, R - 1] == pytest.approx([11.0, -2.5])
        assert G[:, R] == pytest.approx([-1.0, -2.5 + 5 / (R - 1)]) and G[:, -1] == pytest.approx([11.0, 2.5])


def test_uploaded_points_come_back_as_sent_and_the_plane_spans_them(lab):
    sid = created(lab)["id"]
    sent = [(i % 11, i % 5 - 2, i % 2) for i in range(30)]
    state = lab.post(f"/api/playground/{sid}/points", content="\n".join("%d,%d,%d" % p for p in sent),
                     headers=CSV).json()
    assert sorted(map(tuple, state["points"]["train"] + state["points"]["test"])) == sorted(sent)
    assert state["extent"] == pytest.approx([-1.0, 11.0, -2.5, 2.5])


def pictured(net, mean=(0.0, 0.0), std=(1.0, 1.0)):
    """An untrained fit of a few points whose network is ``net`` and whose scaling is (x − μ) / s, μ = ``mean``,
    s = ``std``; and the grid over x ∈ [−1, 11], y ∈ [−2.5, 2.5]."""
    X = np.array([[0.0, 10.0, 4.0, 6.0, 1.0, 9.0], [-2.0, 2.0, 0.0, 1.0, -1.0, 0.5]])
    fit = dots_fit(X, np.array([0, 1, 0, 1, 0, 1]), classes=["0", "1"], hidden=(2,), test_fraction=0.5)
    fit = dataclasses.replace(fit, net=net, mean=np.array(mean)[:, None], std=np.array(std)[:, None])
    return fit, frame.Grid.over(X)


def cells(encoded: str, side: int) -> np.ndarray:
    return np.frombuffer(base64.b64decode(encoded), dtype=np.uint8).reshape(side, side)


def test_the_class_map_is_the_argmax_and_the_confidence_its_margin_over_chance():
    """Softmax of three classes: P = (½, ¼, ¼) everywhere is class 0 with confidence (½ − ⅓) / (1 − ⅓) = ¼, 255 ¼ =
    63.75 → 64; z = (−1000 y, 1000 y, −1000) is class 0 below y = 0 (the lower 50 rows) and 1 above, certain."""
    net = random_net([2, 3], ["softmax"])
    net.W[1][:] = 0.0
    net.b[1][:, 0] = np.log([0.5, 0.25, 0.25])
    fit, grid = pictured(net)
    flat = frame.boundary(fit, grid)
    assert (cells(flat["class"], 100) == 0).all() and (cells(flat["confidence"], 100) == 64).all()
    net.W[1][:] = [[0.0, -1000.0], [0.0, 1000.0], [0.0, 0.0]]
    net.b[1][:, 0] = [0.0, 0.0, -1000.0]
    split = frame.boundary(fit, grid)
    assert (cells(split["class"], 100)[:50] == 0).all() and (cells(split["class"], 100)[50:] == 1).all()
    assert (cells(split["confidence"], 100) == 255).all()


def test_each_neurons_map_is_its_activation_over_the_coarse_grid_scaled_by_its_range():
    """2-2-2-1, ReLU then tanh, identity first weights, μ = (5, 0), s = (2, 1): unit 1 of layer 1 is max(0, x̃),
    x̃ = (x − 5) / 2 = −3 … 3 over the columns, scaled by ±3 (ReLU is unbounded: ± the largest |a|); unit 2 is
    max(0, y) over the rows, scaled by ±2.5; layer 2 is tanh of those (the second negated), scaled by [−1, 1]."""
    net = random_net([2, 2, 2, 1], ["relu", "tanh", "sigmoid"])
    net.W[1][:], net.W[2][:] = np.eye(2), np.diag([1.0, -1.0])
    net.b[1][:], net.b[2][:] = 0.0, 0.0
    fit, grid = pictured(net, mean=(5.0, 0.0), std=(2.0, 1.0))
    x_, y = np.broadcast_arrays((np.linspace(-1, 11, 25) - 5) / 2, np.linspace(-2.5, 2.5, 25)[:, None])
    scaled = lambda a, lo, hi: np.rint(255 * (a - lo) / (hi - lo))  # noqa: E731
    expected = [[scaled(np.maximum(x_, 0), -3, 3), scaled(np.maximum(y, 0), -2.5, 2.5)],
                [scaled(np.tanh(np.maximum(x_, 0)), -1, 1), scaled(np.tanh(-np.maximum(y, 0)), -1, 1)]]
    maps = frame.neurons(fit, grid)
    assert [len(layer) for layer in maps] == [2, 2]
    for layer, wanted in zip(maps, expected):
        for encoded, a in zip(layer, wanted):
            np.testing.assert_array_equal(cells(encoded, 25), a)
    assert cells(maps[0][0], 25)[0, 12] == 128 and cells(maps[0][0], 25)[0, 24] == 255  # a = 0, 3: ½ and 1


# ---- request bodies: counted as they arrive, the limits exact -------------------------------------------------

def test_a_body_sent_in_chunks_without_a_length_is_counted_as_it_arrives(tmp_path):
    """Transfer-Encoding: chunked through a real server: JSON_LIMIT bytes in 1 KiB chunks are read, one byte more
    is refused while it arrives (no Content-Length to refuse it by)."""
    import httpx
    from mathdl.explore.checks import JSON_LIMIT

    def chunks(size):
        body = b"{}" + b" " * (size - 2)
        for i in range(0, size, 1024):
            yield body[i:i + 1024]

    with Served(create_app([], default_folder=tmp_path / "own", compile_loops=False)) as served:
        with httpx.Client(base_url=served.url, headers=JSON_TYPE, timeout=30) as http:
            fits = http.post("/api/playground", content=chunks(JSON_LIMIT))
            assert "content-length" not in fits.request.headers and fits.status_code == 201, fits.text
            refused = http.post("/api/playground", content=chunks(JSON_LIMIT + 1))
    assert "content-length" not in refused.request.headers
    assert error_of(refused, 413) == "JSON body is larger than the limit of 65,536 bytes"


def test_an_image_of_exactly_the_limit_is_read_and_one_byte_more_refused_with_or_without_its_length(tmp_path):
    png = drawn([zero_stroke()])
    exact = png + bytes(digit.IMAGE_LIMIT - len(png))  # Pillow stops at the PNG's end
    with local(create_app([binary_run(tmp_path / "binary", 4.0)])) as c:
        assert c.post("/api/networks/0/predict", content=exact, headers=PNG).status_code == 200
        assert error_of(c.post("/api/networks/0/predict", content=exact + b"\0", headers=PNG), 413) == \
            "image of 4,194,305 bytes is larger than the limit of 4,194,304 bytes"
        assert error_of(c.post("/api/networks/0/predict", content=iter([exact, b"\0"]), headers=PNG), 413) == \
            "image is larger than the limit of 4,194,304 bytes"


def test_a_csv_of_exactly_the_limit_is_read_and_one_byte_more_refused(lab):
    sid = created(lab)["id"]
    rows = "\n".join(f"{i % 5},{i % 3},{i % 2}" for i in range(30)).encode()
    exact = rows + b"\n" * (playground.CSV_LIMIT - len(rows))  # blank lines are skipped
    state = lab.post(f"/api/playground/{sid}/points", content=exact, headers=CSV).json()
    assert len(state["points"]["train"]) + len(state["points"]["test"]) == 30
    assert error_of(lab.post(f"/api/playground/{sid}/points", content=exact + b"\n", headers=CSV), 413) == \
        "CSV of 262,145 bytes is larger than the limit of 262,144 bytes"


def test_an_image_of_4000_by_4000_pixels_is_decoded_and_one_row_more_refused():
    from PIL import Image, ImageDraw

    def png(height):
        image = Image.new("1", (4000, height), 1)
        ImageDraw.Draw(image).line((2000, 500, 2000, 3500), fill=0, width=200)
        buffer = io.BytesIO()
        image.save(buffer, "PNG")
        return buffer.getvalue()

    assert digit.digit_of(png(4000)).shape == (28, 28)
    with pytest.raises(ApiError) as refused:
        digit.digit_of(png(4001))
    assert refused.value.status == 413 and "4000 × 4001 pixels to decode, more than the limit of 16,000,000" in \
        refused.value.message
