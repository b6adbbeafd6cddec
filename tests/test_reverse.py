"""Reverse: the chains are exact where the mathematics allows it (square, invertible layers, no
rescaling), the pseudo-inverse is the minimum-norm solution, the ascent ascends, ReLU is refused,
and the command writes its files and rejects bad input in one line."""
import itertools
import json

import numpy as np
import pytest

from conftest import random_net
from mathdl.cli import main
from mathdl.base.errors import MathdlError
from mathdl.nn import Network
from mathdl.nn.activations import logit, sigmoid
from mathdl.reverse import (METHODS, AscentSettings, backquery, explanation, mean_images, measure, method_names, optimize_input, pinv_query, rescale, reverse, reverse_digits, target, total_variation)
from test_mnist import small, write_idx


def square_net(n, hidden_layers, activation, output, *, bias, orthogonal, seed=0) -> Network:
    """A network whose layers are all n×n: orthogonal W (Wᵀ = W⁻¹) or random normal (invertible a.s.)."""
    rng = np.random.default_rng(seed)
    L = hidden_layers + 1
    W = [None] + [np.linalg.qr(rng.normal(size=(n, n)))[0] if orthogonal else rng.normal(size=(n, n))
                  for _ in range(L)]
    b = [None] + [rng.normal(0, 0.1, (n, 1)) if bias else None for _ in range(L)]
    net = Network.create([n] * (L + 1), [activation] * hidden_layers + [output], rng=rng, bias=bias)
    net.W, net.b = W, b
    return net


def forward_target(net, seed=1):
    """A pre-image x in (0.1, 0.9)ⁿ and its output y = a⁽ᴸ⁾(x), so y has an exact pre-image."""
    x = np.random.default_rng(seed).uniform(0.1, 0.9, net.sizes[0])
    return x, net(x[:, None])[:, 0]


# ---------------------------------------------------------------------------------------------------
# The inverse activations the chain uses


def test_logit_inverts_the_book_targets_exactly():
    """The book's levels 0.01/0.99 are where the chain starts: z = ±ln 99, and σ(logit y) = y."""
    y = target(3, 10)
    np.testing.assert_allclose(logit(y)[3], np.log(99), rtol=1e-15)
    np.testing.assert_allclose(logit(y)[0], -np.log(99), rtol=1e-15)
    np.testing.assert_allclose(sigmoid(logit(y)), y, rtol=1e-15)


def test_target_encodings():
    np.testing.assert_array_equal(target(2, 4), [0.01, 0.01, 0.99, 0.01])
    np.testing.assert_allclose(target(0, 3, output="softmax").sum(), 1.0)
    with pytest.raises(MathdlError, match="digit 10 is not an output of a network with 10 outputs"):
        target(10, 10)


def test_chain_refuses_values_outside_the_open_range_without_rescaling():
    net = random_net([5, 4, 3], ["sigmoid", "sigmoid"], seed=2)
    net.W[2] *= 50  # Wᵀ c far outside (0, 1)
    with pytest.raises(MathdlError, match=r"layer 1: .* outside \(0, 1\), the open range of sigmoid"):
        backquery(net, target(0, 3), rescaling=False)


# ---------------------------------------------------------------------------------------------------
# Exactness where an inverse exists


@pytest.mark.parametrize("hidden_layers", [1, 3])
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no bias"])
@pytest.mark.parametrize("activation,output", [("sigmoid", "sigmoid"), ("tanh", "sigmoid"), ("leaky_relu", "tanh"),
                                               ("linear", "softmax")])
def test_backquery_is_exact_for_orthogonal_square_layers(hidden_layers, bias, activation, output):
    """Wᵀ = W⁻¹ for orthogonal W: without rescaling, backquery returns the exact pre-image (for softmax,
    which is invariant to adding a constant to z, a pre-image: another x with the same output)."""
    net = square_net(6, hidden_layers, activation, output, bias=bias, orthogonal=True)
    x, y = forward_target(net)
    found = backquery(net, y, rescaling=False)
    np.testing.assert_allclose(net(found.x[:, None])[:, 0], y, atol=1e-13)
    if output != "softmax":
        np.testing.assert_allclose(found.x, x, atol=1e-12)
    assert all(step.residual < 1e-12 and step.scale == 1.0 for step in found.layers)
    assert [step.l for step in found.layers] == list(range(net.L, 0, -1))


@pytest.mark.parametrize("hidden_layers", [1, 3])
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no bias"])
def test_pinv_is_exact_for_invertible_square_layers(hidden_layers, bias):
    """W⁺ = W⁻¹ for any invertible W, orthogonal or not."""
    net = square_net(6, hidden_layers, "sigmoid", "sigmoid", bias=bias, orthogonal=False, seed=3)
    x, y = forward_target(net)
    found = pinv_query(net, y, rescaling=False)
    np.testing.assert_allclose(net(found.x[:, None])[:, 0], y, atol=1e-10)
    np.testing.assert_allclose(found.x, x, atol=1e-8)


def test_transpose_is_not_the_inverse_of_a_general_square_w():
    """For a non-orthogonal W, Wᵀ is only the adjoint: the output is not reproduced."""
    net = square_net(6, 0, None, "sigmoid", bias=True, orthogonal=False, seed=4)
    _, y = forward_target(net)
    found = backquery(net, y, rescaling=False)
    assert found.layers[0].residual > 0.1
    assert np.abs(net(found.x[:, None])[:, 0] - y).max() > 0.05


def test_rescaling_breaks_the_exact_chain_and_says_by_how_much():
    net = square_net(6, 1, "sigmoid", "sigmoid", bias=True, orthogonal=True)
    x, y = forward_target(net)
    found = backquery(net, y)  # the book's rescaling into [0.01, 0.99] at every layer
    assert found.x.min() == pytest.approx(0.01) and found.x.max() == pytest.approx(0.99)
    assert found.layers[0].residual < 1e-12 < found.layers[0].residual_rescaled
    assert found.layers[0].scale != 1.0


def test_rescale_is_the_books_affine_map():
    a = np.array([[-3.0], [1.0], [5.0]])
    scaled, s = rescale(a, (0.0, 1.0))
    np.testing.assert_allclose(scaled[:, 0], [0.01, 0.5, 0.99])
    assert s == pytest.approx(0.98 / 8)
    np.testing.assert_allclose(rescale(a, (-1.0, 1.0))[0][:, 0], [-0.98, 0.0, 0.98])
    unchanged, s = rescale(a, (-np.inf, np.inf))
    np.testing.assert_array_equal(unchanged, a)
    assert s == 1.0
    assert rescale(np.full((3, 1), 2.0), (0.0, 1.0))[0][0, 0] == 0.5


# ---------------------------------------------------------------------------------------------------
# The pseudo-inverse is the minimum-norm solution


def test_pinv_gives_the_minimum_norm_solution_of_a_wide_layer():
    net = random_net([5, 3], ["linear"], seed=5)
    y = np.array([0.3, -1.2, 0.7])
    x = pinv_query(net, y, rescaling=False).x
    W, b = net.W[1], net.b[1][:, 0]
    np.testing.assert_allclose(W @ x + b, y, atol=1e-12)  # a solution ...
    np.testing.assert_allclose(x, np.linalg.lstsq(W, y - b, rcond=None)[0], atol=1e-12)  # ... the minimum-norm one
    null = np.linalg.svd(W)[2][3:]  # a basis of the 2-dimensional null space of W
    np.testing.assert_allclose(null @ x, 0, atol=1e-12)  # orthogonal to it: no part the network cannot see
    other = x + null.T @ np.array([0.5, -0.2])
    np.testing.assert_allclose(W @ other + b, y, atol=1e-12)
    assert np.linalg.norm(other) > np.linalg.norm(x)
    assert np.abs(W @ backquery(net, y, rescaling=False).x + b - y).max() > 0.1  # Wᵀ gives no solution


def test_pinv_gives_the_least_squares_solution_of_a_tall_layer():
    net = random_net([3, 5], ["linear"], seed=6)
    y = np.random.default_rng(0).normal(size=5)
    found = pinv_query(net, y, rescaling=False)
    np.testing.assert_allclose(found.x, np.linalg.lstsq(net.W[1], y - net.b[1][:, 0], rcond=None)[0], atol=1e-12)
    assert found.layers[0].residual > 0.01  # five equations, three unknowns: no exact solution


# ---------------------------------------------------------------------------------------------------
# Optimisation: gradient ascent on the input


def test_total_variation_gradient_matches_central_differences():
    x = np.random.default_rng(0).uniform(0, 1, 12)
    value, grad = total_variation(x, (3, 4), 0.1)
    h = 1e-6
    numeric = [(total_variation(x + h * e, (3, 4), 0.1)[0] - total_variation(x - h * e, (3, 4), 0.1)[0]) / (2 * h)
               for e in np.eye(12)]
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-9)
    assert total_variation(np.full(12, 0.3), (3, 4), 0.1)[0] == 0.0
    assert value > 0


@pytest.mark.parametrize("hidden,output", [("sigmoid", "sigmoid"), ("relu", "softmax"), ("swish", "sigmoid")])
def test_ascent_increases_the_class_score_at_every_step(hidden, output):
    """Without penalties, J = S_d: with a small step the score rises at every step. (The output a_d rises
    overall; with sigmoid outputs S_d also pushes the other outputs down, so a_d alone need not rise at
    every step.)"""
    net = random_net([16, 8, 3], [hidden, output], seed=7)
    settings = AscentSettings(steps=100, eta=0.2, l2=0.0, tv=0.0)
    found = optimize_input(net, 1, settings=settings, rng=np.random.default_rng(0))
    score = found.history["score"]
    assert np.all(np.diff(score) >= 0) and score[-1] > score[0] + 0.05
    assert found.history["output"][-1] > found.history["output"][0]
    assert found.x.min() >= 0 and found.x.max() <= 1


def test_ascent_with_penalties_increases_the_objective_and_keeps_pixels_in_range():
    net = random_net([16, 8, 3], ["sigmoid", "sigmoid"], seed=8)
    settings = AscentSettings(steps=80, eta=0.1, l2=0.05, tv=0.02)
    found = optimize_input(net, 2, settings=settings, input_range=(0.01, 1.0), rng=np.random.default_rng(1))
    assert np.all(np.diff(found.history["objective"]) >= 0)
    assert found.x.min() >= 0.01 and found.x.max() <= 1.0
    again = optimize_input(net, 2, settings=settings, input_range=(0.01, 1.0), rng=np.random.default_rng(1))
    np.testing.assert_array_equal(found.x, again.x)  # seeded


def test_ascent_backtracks_a_step_that_is_too_large():
    """With η far too large, the step is halved until J rises: still a true ascent."""
    net = random_net([16, 8, 3], ["tanh", "sigmoid"], seed=10)
    found = optimize_input(net, 0, settings=AscentSettings(steps=30, eta=1000.0, l2=0.1, tv=0.05),
                           rng=np.random.default_rng(2))
    assert np.all(np.diff(found.history["objective"]) >= 0)
    assert found.history["eta"][-1] < 1000.0 and np.all(np.diff(found.history["eta"]) <= 0)


def test_ascent_reaches_every_class_of_a_relu_network():
    net = random_net([16, 10, 4], ["relu", "softmax"], seed=9)
    for d in range(4):
        found = optimize_input(net, d, settings=AscentSettings(steps=300, eta=0.5, l2=0.0, tv=0.0),
                               rng=np.random.default_rng(d))
        assert net(found.x[:, None])[:, 0].argmax() == d


def test_ascent_settings_are_checked():
    with pytest.raises(MathdlError, match="positive whole number of steps"):
        AscentSettings(steps=0)
    with pytest.raises(MathdlError, match="the l2 penalty must be a number >= 0"):
        AscentSettings(l2=-1)
    with pytest.raises(MathdlError, match="not a square image"):
        optimize_input(random_net([5, 3, 2], ["sigmoid"] * 2), 0, rng=np.random.default_rng(0))


# ---------------------------------------------------------------------------------------------------
# Refusals, measurements, explanation


@pytest.mark.parametrize("activation", ["relu", "swish"])
def test_backquery_refuses_activations_without_an_inverse(activation):
    net = random_net([9, 4, 3], [activation, "sigmoid"])
    message = (f"backquery needs an invertible activation on every layer, but layer 1 uses {activation}, which has "
               "no inverse (many z give the same a); use the optimize method for this network")
    with pytest.raises(MathdlError, match=r"layer 1 uses " + activation) as info:
        backquery(net, target(0, 3))
    assert str(info.value) == message
    with pytest.raises(MathdlError, match="pinv needs an invertible activation"):
        reverse_digits(net, [0], ["optimize", "pinv"], means=np.zeros((9, 3)))
    records = reverse_digits(net, [0, 2], ["optimize"], means=np.random.default_rng(0).uniform(size=(9, 3)))
    assert [r.digit for r in records] == [0, 2]


def test_method_names():
    assert method_names("optimize, backquery,optimize") == ["optimize", "backquery"]
    with pytest.raises(MathdlError, match="unknown reverse method 'inverse'; choose from backquery, pinv, optimize, prior"):
        method_names("inverse")


def tiny_problem(hidden=(6,), seed=0):
    """A 16-pixel (4×4) network with 10 outputs and 40 labelled images."""
    rng = np.random.default_rng(seed)
    net = random_net([16, *hidden, 10], ["sigmoid"] * (len(hidden) + 1), seed=seed)
    X = rng.uniform(0, 1, (16, 40))
    return net, X, np.arange(40) % 10


def test_measurements_of_every_method_and_digit():
    net, X, labels = tiny_problem(hidden=(8, 7, 6))
    result = reverse(net, X, labels, ascent=AscentSettings(steps=20))
    assert [(r.method, r.digit) for r in result.records] == [(m, d) for m in METHODS for d in range(10)]
    means = mean_images(X, labels)
    for r in result.records:
        m = r.measures
        out = net(r.x[:, None])[:, 0]
        assert m["predicted"] == out.argmax() and m["output"] == pytest.approx(out[r.digit])
        assert m["corr_mean"] == pytest.approx(np.corrcoef(r.x, means[:, r.digit])[0, 1])
        if r.method in ("backquery", "pinv"):
            assert m["max_error"] == pytest.approx(np.abs(out - target(r.digit, 10)).max())
            assert [s["l"] for s in m["layers"]] == [4, 3, 2, 1]
            assert all(s["range_before"][0] <= s["range_before"][1] for s in m["layers"])
    facts = result.facts
    assert [f["shape"] for f in facts["layers"]] == [[8, 16], [7, 8], [6, 7], [10, 6]]
    assert facts["layers"][0]["null_dim"] == 8 and facts["layers"][3]["rank"] == 6
    assert set(facts["saturated"]) == {"1", "2", "3", "4"} and facts["zero"] == {}
    json.dumps(result.to_dict(), allow_nan=False)


def test_explanation_is_written_from_the_numbers():
    net, X, labels = tiny_problem()
    result = reverse(net, X, labels, ascent=AscentSettings(steps=20))
    data = {"student_id": "100384", **result.to_dict()}
    text = explanation(data)
    s = data["summary"]["backquery"]
    assert f"| backquery (Wᵀ) | {s['correct']}/10 |" in text  # the methods' names as everywhere else
    assert "W⁽¹⁾ is 6×16 (rank 6)" in text and "dimension 10 for W⁽¹⁾" in text
    assert "Wᵀ is the adjoint" in text and "rescaling is a heuristic" in text and "Saturation" in text
    inv = data["facts"]["invisible"]["training_images"]
    assert f"energy Σ‖x‖², {100 * inv:.1f}% lies in that null space" in text
    data["summary"]["backquery"]["correct"] = 7 if s["correct"] != 7 else 6
    assert explanation(data) != text  # the numbers, not canned prose
    assert "singular values $d_i$" in text and "σᵢ" not in text  # σ is the sigmoid
    assert "ending with η from" not in text
    steps = data["settings"]["ascent"]["eta"]
    ends = {m["ascent"]["eta_end"] for m in data["images"] if m["method"] == "optimize"}
    assert ("η was never halved" in text) == (ends == {steps})
    for ascii_name in ("a_d", "λ_TV", "max abs"):  # typeset maths, not ASCII names
        assert f" {ascii_name}" not in text.replace("$a_d$", "").replace("$y_d$", "")


def test_explanation_of_a_network_whose_first_layer_sees_every_input_direction():
    net, X, labels = tiny_problem(hidden=(16,))
    text = explanation(reverse(net, X, labels, methods=["backquery"]).to_dict())
    assert "W⁽¹⁾ has rank 16 = $n_0$ = 16: no input direction is invisible" in text
    assert "Information is lost" not in text and "| pseudo-inverse (W⁺) |" not in text


def test_explanation_of_a_relu_network_with_the_ascent_only():
    rng = np.random.default_rng(0)
    net = random_net([16, 6, 10], ["relu", "softmax"])
    result = reverse(net, rng.uniform(0, 1, (16, 30)), np.arange(30) % 10, methods=["optimize"],
                     ascent=AscentSettings(steps=10))
    text = explanation(result.to_dict())
    assert "uses relu, which has no inverse" in text and "are exactly 0" in text
    assert "rescaling is a heuristic" not in text and "| optimisation |" in text


def test_id_figure_has_the_ids_digits_in_order():
    from mathdl.plots.reverse import reverse_images
    net, X, labels = tiny_problem()
    result = reverse(net, X, labels, ascent=AscentSettings(steps=5))
    fig = reverse_images(result.records, [1, 0, 0, 3, 8, 4], title="ID 100384")
    rows = len(METHODS)
    assert len(fig.axes) == rows * 6 + rows  # and a scale bar per method's row
    assert [ax.get_title() for ax in fig.axes[:6]] == ["1", "0", "0", "3", "8", "4"]
    assert [fig.axes[6 * i].get_ylabel().replace("\n", " ") for i in range(rows)] == list(METHODS.values())
    assert [ax.get_ylabel() for ax in fig.axes[6 * rows:]] == ["pixel value"] * rows
    row = [result.record("optimize", d).x for d in (1, 0, 3, 8, 4)]
    assert fig.axes[12].images[0].get_clim() == (min(x.min() for x in row), max(x.max() for x in row))
    first = result.record("backquery", 1).measures
    assert fig.axes[0].get_xlabel() == f"net: {first['predicted']}\na={first['output']:.2f}"
    judge = [t.get_text() for t in fig.texts][0]  # the judge's reading, two lines of their own under the image
    assert judge == f"judge: {first['judge_class']}\np̂={first['judge_probability']:.2f}"
    assert "the class the judge (10 nearest training images) reads" in fig._supxlabel.get_text().replace("\n", " ")
    with pytest.raises(MathdlError, match="no image for backquery 12"):
        reverse_images(result.records, [12])


def text_boxes(fig, dpi: float) -> list:
    """(text, window extent) of every visible text of ``fig`` drawn at ``dpi``, as matplotlib's renderer lays
    it out."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.text import Text
    fig.set_dpi(dpi)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    return [(t, t.get_window_extent(renderer)) for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]


@pytest.mark.parametrize("digits", [[1, 0, 0, 3, 8, 4], list(range(10)), [9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2], [4, 2]])
def test_reverse_figures_text_neither_overlaps_nor_is_below_7_points_in_the_report(digits):
    """Every text of a reverse figure has its own place (at the saved resolution and at the screen's), and at the
    report's text width (the figure's whole width) none is below 7 points: the ID's digits, the digits 0-9, an
    ID longer than ten digits (two blocks of rows), and the mean images."""
    from mathdl.plots import STYLE, style
    from mathdl.plots.reverse import mean_images_figure, reverse_images
    from mathdl.report.document import TEXT_WIDTH_IN
    net, X, labels = tiny_problem()
    result = reverse(net, X, labels, ascent=AscentSettings(steps=5))
    figures = [style()(reverse_images)(result.records, digits, title="three hidden layers — ID 100384: what the "
                                       "network sees for each digit", subtitle="784-128-64-32-10 sigmoid, XE, matrix "
                                       "bp, 10 ep, η=0.5, batch 16, decay 0.3, shift ±1px, deskewed, 60000 train"),
               mean_images_figure(result.means, input_range=(0.01, 1.0), title="one hidden layer — the mean "
                                  "training image of each digit")]
    for fig in figures:
        for dpi in (STYLE["savefig.dpi"], STYLE["figure.dpi"]):
            boxes = text_boxes(fig, dpi)
            crossing = [(a.get_text(), b.get_text()) for (a, box_a), (b, box_b) in itertools.combinations(boxes, 2)
                        if box_a.overlaps(box_b)]
            assert not crossing, (dpi, crossing[:3])
            inside = fig.bbox.padded(1)
            assert all(inside.x0 <= box.x0 and box.x1 <= inside.x1 and inside.y0 <= box.y0 and box.y1 <= inside.y1
                       for _, box in boxes), [t.get_text() for t, box in boxes if not fig.bbox.padded(1).contains(
                           box.x1, box.y1)]
        smallest = min(t.get_fontsize() for t, _ in boxes) * TEXT_WIDTH_IN / fig.get_figwidth()
        assert smallest >= 7, smallest
    title = figures[0].get_suptitle().splitlines()
    assert " ".join(title).count(":") == 1 and len(title[-1]) > 0.6 * len(title[-2])  # no word alone on a line


def test_reverse_figures_have_an_intensity_scale_and_say_why_a_digit_repeats():
    from mathdl.plots.reverse import reverse_images
    net, X, labels = tiny_problem()
    result = reverse(net, X, labels, ascent=AscentSettings(steps=5))
    scale = tuple(result.settings["input_range"])
    fig = reverse_images(result.records, [1, 0, 0, 3], input_range=scale, title="ID 1003",
                         subtitle="a long label " * 12)
    assert len(fig.axes) == len(METHODS) * 4 + 1 and fig.axes[-1].get_ylabel() == "pixel value"  # the scale bar
    assert all(ax.images[0].get_clim() == scale for ax in fig.axes[:-1])  # one scale for every image
    assert "a repeated digit is the same query, so the same image" in fig._supxlabel.get_text().replace("\n", " ")
    assert all(len(line) <= 80 for line in fig._suptitle.get_text().splitlines())  # a long subtitle wraps
    np.testing.assert_array_equal(fig.axes[1].images[0].get_array(), fig.axes[2].images[0].get_array())


# ---------------------------------------------------------------------------------------------------
# The command


@pytest.fixture
def data_dir(tmp_path):
    return write_idx(tmp_path / "mnist", small(200, 60))


def test_reverse_command_end_to_end(tmp_path, data_dir, capsys):
    out = tmp_path / "rev"
    code = main(["reverse", "--quiet", "--data", str(data_dir), "--hidden", "6,5,4", "--epochs", "1",
                 "--steps", "20", "--out", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "backquery" in printed and "optimize" in printed and "classified as intended" in printed
    assert "judge" in printed and "read as the digits by the judge" in printed and "prior: λ = " in printed
    data = json.loads((out / "reverse.json").read_text())
    assert data["id_digits"] == [1, 0, 0, 3, 8, 4] and data["network"]["sizes"] == [784, 6, 5, 4, 10]
    assert len(data["images"]) == 40 and data["settings"]["ascent"]["steps"] == 20
    assert data["judge"]["test_images"] > 0 and len(data["judge"]["copy_distance"]) == 10  # assessed on test images
    assert {"judge_correct", "near_copies", "read_as_digits"} <= set(data["summary"]["prior"])
    assert 0 < data["settings"]["prior"]["weight"] <= 1 and data["settings"]["prior"]["tried"][0] == 1
    assert data["network"]["scale"] == "book" and data["settings"]["input_range"][0] == pytest.approx(0.01)
    assert "Wᵀ is the adjoint" in (out / "reverse.md").read_text()
    assert explanation(data) == (out / "reverse.md").read_text()  # the report can rewrite it from reverse.json
    for name in ("reverse-id.png", "reverse-grid.png", "reverse-images.npz", "model/model.npz"):
        assert (out / name).is_file()
    with np.load(out / "reverse-images.npz") as images:
        assert images["optimize"].shape == (784, 10)
    # the saved network is reused with --model
    assert main(["reverse", "--quiet", "--data", str(data_dir), "--model", str(out / "model"), "--methods",
                 "optimize", "--steps", "5", "--out", str(tmp_path / "again")]) == 0
    assert len(json.loads((tmp_path / "again" / "reverse.json").read_text())["images"]) == 10


BAD = [
    (["--methods", "inverse"], "argument --methods: unknown reverse method 'inverse'"),
    (["--steps", "0"], "argument --steps: must be a positive integer"),
    (["--l2", "-1"], "argument --l2: must be a number >= 0"),
    (["--id", "12a"], "argument --id: the student ID must be made of digits 0-9"),
    (["--activation", "relu"], "backquery needs an invertible activation on every layer, but layer 1 uses relu"),
    (["--model", "/nonexistent/run"], "/nonexistent/run: not a run directory"),
]


@pytest.mark.parametrize("extra,message", BAD, ids=[" ".join(a) for a, _ in BAD])
def test_reverse_bad_input_is_one_line_and_exit_2(extra, message, data_dir, capsys):
    try:
        code = main(["reverse", "--quiet", "--data", str(data_dir), "--epochs", "1"] + extra)
    except SystemExit as e:
        code = e.code
    err = capsys.readouterr().err
    assert code == 2 and message in err and err.count("\n") == 1 and "Traceback" not in err


def test_reverse_refuses_a_binary_model(tmp_path, data_dir, capsys):
    run = tmp_path / "binary"
    assert main(["train", "--quiet", "--data", str(data_dir), "--hidden", "8", "--epochs", "1", "--out", str(run)]) == 0
    capsys.readouterr()
    assert main(["reverse", "--quiet", "--data", str(data_dir), "--model", str(run)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "needs a ten-output network trained on the digits task" in err
    assert "this run has 1 output (task id)" in err


def test_relu_network_with_the_ascent_only(tmp_path, data_dir, capsys):
    assert main(["reverse", "--quiet", "--data", str(data_dir), "--activation", "relu", "--epochs", "1",
                 "--methods", "optimize", "--steps", "10", "--out", str(tmp_path / "relu")]) == 0
    assert "uses relu, which has no inverse" in (tmp_path / "relu" / "reverse.md").read_text()


# ---------------------------------------------------------------------------------------------------
# Real MNIST


def test_ascent_images_are_classified_as_intended_on_real_mnist(mnist):
    """A quickly trained ten-output network: every digit's ascent image is its digit with a_d ≥ 0.9."""
    from mathdl.runs.experiment import Config, run
    config = Config(task="digits", hidden=(50,), scale="book", targets="book", train_size=5000, test_size=500)
    result = run(config, mnist, progress=False)
    found = reverse(result.net, result.task.train.X, result.task.train.labels, methods=["optimize"])
    for r in found.records:
        assert r.measures["correct"] and r.measures["output"] >= 0.9, r.measures


# ---------------------------------------------------------------------------------------------------
# The mutation sweep's tests: values by hand or by an independent route


def hand_tv(image: np.ndarray, eps: float) -> float:
    """Σ over horizontally and vertically adjacent pixel pairs of √(Δ² + ε²) − ε, pair by pair."""
    s, t = image.shape
    pairs = [(image[i, j + 1] - image[i, j]) for i in range(s) for j in range(t - 1)]
    pairs += [(image[i + 1, j] - image[i, j]) for i in range(s - 1) for j in range(t)]
    return sum(np.sqrt(d * d + eps * eps) - eps for d in pairs)


def test_ascent_objective_by_hand_and_its_gradient_by_central_differences():
    """J(x) = S_d(x) − (λ₂/2)‖x − lo‖² − λ_TV TV_ε(x), ε = tv_eps·(hi − lo), S_d = ln a_d + Σ_{j≠d} ln(1 − a_j) for
    sigmoid outputs; the ascent's ∇J against central differences of J, on a range [0.2, 0.7] (lo ≠ 0, hi − lo ≠ 1)."""
    from mathdl.reverse.ascent import _Projected
    net = random_net([16, 8, 3], ["sigmoid", "sigmoid"], seed=11)
    lo, hi = 0.2, 0.7
    settings = AscentSettings(l2=0.3, tv=0.2, tv_eps=0.05)
    X = np.random.default_rng(12).uniform(lo, hi, (16, 2))
    E = np.eye(3)[:, [0, 2]]
    problem = _Projected(net, E, X.copy(), settings, (lo, hi))
    a = net(X)
    for j, d in enumerate((0, 2)):
        S = np.log(a[d, j]) + sum(np.log(1 - a[i, j]) for i in range(3) if i != d)
        J = S - 0.15 * ((X[:, j] - lo) ** 2).sum() - 0.2 * hand_tv(X[:, j].reshape(4, 4), 0.05 * (hi - lo))
        assert problem.S0[j] == pytest.approx(S, rel=1e-12)
        assert problem.J0[j] == pytest.approx(J, rel=1e-12)
    h = 1e-6
    for j in range(2):
        numeric = [(problem.value(X[:, [j]] + h * e[:, None], np.array([j]))[0][0]
                    - problem.value(X[:, [j]] - h * e[:, None], np.array([j]))[0][0]) / (2 * h) for e in np.eye(16)]
        np.testing.assert_allclose(problem.G[:, j], numeric, rtol=1e-5, atol=1e-8)


def test_ascent_starts_from_the_seeded_draw_in_the_input_range():
    """x₀ = lo + (hi − lo)·u, u ~ U(0, start) from the digit's generator: the history's first score and output are
    those of x₀, and its last output is that of the image found."""
    net = random_net([16, 8, 3], ["sigmoid", "sigmoid"], seed=13)
    lo, hi = 0.2, 0.7
    settings = AscentSettings(steps=5, eta=0.1, l2=0.0, tv=0.0, start=0.5)
    found = optimize_input(net, 1, settings=settings, input_range=(lo, hi), rng=np.random.default_rng(14))
    x0 = lo + (hi - lo) * np.random.default_rng(14).uniform(0, 0.5, 16)
    a0 = net(x0[:, None])[:, 0]
    assert found.history["score"][0] == pytest.approx(np.log(a0[1]) + np.log(1 - a0[0]) + np.log(1 - a0[2]),
                                                       rel=1e-12)
    assert found.history["output"][0] == pytest.approx(a0[1], rel=1e-12)
    assert found.history["output"][1] == pytest.approx(net(found.x[:, None])[1, 0], rel=1e-12)
    assert found.history["output"][1] != pytest.approx(a0[1], rel=1e-6)  # the test can tell the two apart


def test_ascent_projects_onto_the_input_range():
    """Long steps drive pixels onto both ends of the input range [0.2, 0.7]: they stay there, exactly."""
    net = random_net([16, 8, 3], ["sigmoid", "sigmoid"], seed=13)
    found = optimize_input(net, 1, settings=AscentSettings(steps=30, eta=50.0, l2=0.0, tv=0.0),
                           input_range=(0.2, 0.7), rng=np.random.default_rng(14))
    assert found.x.min() == 0.2 and found.x.max() == 0.7


class Flat:
    """A problem whose every step leaves J as it is (J = 1 everywhere): the ascent must take each step."""

    def candidate(self, cols, eta):
        return np.ones(len(cols)), np.zeros(len(cols)), np.zeros((1, len(cols)))

    def move(self, cols, point):
        pass


def test_ascend_takes_a_step_that_does_not_lower_j_and_grows_eta_up_to_its_cap():
    from mathdl.reverse.ascent import ascend
    h = ascend(Flat(), np.ones(2), np.zeros(2), eta=1.0, steps=4, growth=2.0, eta_max=3.0)
    for column in h:
        np.testing.assert_array_equal(column["objective"], [1, 1, 1, 1, 1])  # every step taken: J not lowered
        np.testing.assert_array_equal(column["eta"], [1, 1, 2, 3, 3])  # η ← min(2η, 3) after each step taken


def test_ascent_refuses_digits_and_settings_out_of_range():
    net = random_net([16, 8, 3], ["sigmoid", "sigmoid"])
    for digit in (-1, 3):
        with pytest.raises(MathdlError, match=f"digit {digit} is not an output of a network with 3 outputs"):
            optimize_input(net, digit, rng=np.random.default_rng(0))
    with pytest.raises(MathdlError, match="the ascent's start must be in"):
        AscentSettings(start=1.5)
    for eta in (0.0, -1.0, np.nan):
        with pytest.raises(MathdlError, match="the ascent's eta must be a positive number"):
            AscentSettings(eta=eta)


def test_chain_refuses_a_target_on_the_boundary_of_the_open_range():
    """σ⁻¹(1) and σ⁻¹(0) are infinite: a target of exactly 0 or 1 is outside the open range (0, 1)."""
    net = random_net([5, 4, 3], ["sigmoid", "sigmoid"], seed=2)
    for y in ([1.0, 0.5, 0.5], [0.5, 0.0, 0.5]):
        with pytest.raises(MathdlError, match=r"layer 2: .* outside \(0, 1\), the open range of sigmoid"):
            backquery(net, y, rescaling=False)


def test_chain_refuses_an_output_activation_without_an_inverse():
    net = random_net([5, 4, 3], ["sigmoid", "relu"])
    with pytest.raises(MathdlError, match="backquery needs an invertible activation on every layer, but layer 2 "
                                          "uses relu"):
        backquery(net, [0.5, 0.5, 0.5])


def test_chain_steps_by_hand():
    """Two sigmoid layers: c = σ⁻¹(a) − b, M c = Wᵀ c, rescaled onto [lo + 0.01w, hi − 0.01w]; the steps'
    ranges, slopes and residuals, and what each layer was asked for, computed here."""
    net = random_net([5, 4, 3], ["sigmoid", "sigmoid"], seed=15)
    y = np.array([0.2, 0.9, 0.4])
    lo, hi = 0.2, 0.7
    found = backquery(net, y, input_range=(lo, hi))
    a, queried = y, [y]
    for l, (low, high) in ((2, (0.0, 1.0)), (1, (lo, hi))):
        c = np.log(a / (1 - a)) - net.b[l][:, 0]
        raw = net.W[l].T @ c
        w = high - low
        slope = 0.98 * w / (raw.max() - raw.min())
        a = low + 0.01 * w + slope * (raw - raw.min())
        step = found.layers[2 - l]
        assert step.l == l
        assert (step.low, step.high) == pytest.approx((raw.min(), raw.max()), rel=1e-12)
        assert step.scale == pytest.approx(slope, rel=1e-12)
        assert step.residual == pytest.approx(np.linalg.norm(net.W[l] @ raw - c) / np.linalg.norm(c), rel=1e-12)
        assert step.residual_rescaled == pytest.approx(np.linalg.norm(net.W[l] @ a - c) / np.linalg.norm(c),
                                                       rel=1e-12)
        queried.insert(0, a)
    np.testing.assert_allclose(found.x, a, rtol=1e-12)
    assert found.x.min() == pytest.approx(lo + 0.005) and found.x.max() == pytest.approx(hi - 0.005)
    for l in range(3):
        np.testing.assert_allclose(found.queried[l], queried[l], rtol=1e-12)


def test_measure_by_hand():
    """predicted, nearest_mean, corr_deviation r(x − μ, x̄_d − μ) and the ascent's numbers, of a made-up image."""
    from mathdl.reverse import Inversion
    net = random_net([16, 6, 3], ["sigmoid", "sigmoid"], seed=16)
    rng = np.random.default_rng(17)
    means = rng.uniform(0, 1, (16, 3))
    mu = means.mean(axis=1)
    x = 0.3 * means[:, 0] + 0.7 * means[:, 2] + rng.normal(0, 0.05, 16)
    history = {"objective": np.array([1.0, 1.0, 2.0]), "score": np.array([-3.0, -2.0, -1.5]),
               "eta": np.array([0.5, 0.25, 0.25])}
    m = measure(net, Inversion("optimize", x, np.eye(3)[1], history=history), 1, means, mu=mu)
    out = net(x[:, None])[:, 0]
    r = [np.corrcoef(x, means[:, c])[0, 1] for c in range(3)]
    assert m["predicted"] == int(np.argmax(out)) and m["output"] == pytest.approx(out[1])
    assert m["nearest_mean"] == int(np.argmax(r)) == 2 and m["corr_mean"] == pytest.approx(r[1])
    assert m["corr_deviation"] == pytest.approx(np.corrcoef(x - mu, means[:, 1] - mu)[0, 1], rel=1e-12)
    assert m["corr_deviation"] != pytest.approx(np.corrcoef(x, means[:, 1] - mu)[0, 1], rel=1e-3)
    assert m["ascent"] == {"steps": 2, "score_start": -3.0, "score_end": -1.5, "objective_start": 1.0,
                           "objective_end": 2.0, "eta_end": 0.25, "ascending": True}  # a step that kept J ascends


def test_judged_adds_the_judges_reading_of_the_intended_digit():
    from mathdl.reverse import Judge
    from mathdl.reverse.measure import judged
    judge = Judge(np.zeros((4, 2)), np.array([0, 1]), assessment={"copy_distance": [0.5, 2.0]})
    measures = [{"digit": 0}, {"digit": 1}]
    readings = [{"reading": 1, "shares": [0.3, 0.7], "class_distance": [1.0, 3.0], "class_nearest": [4, 5]},
                {"reading": 1, "shares": [0.4, 0.6], "class_distance": [0.1, 1.0], "class_nearest": [6, 7]}]
    judged(measures, readings, judge)
    assert measures[0] == {"digit": 0, "judge_class": 1, "judge_probability": 0.3, "judge_correct": False,
                           "nearest_distance": 1.0, "nearest_training_index": 4, "copy_distance": 0.5,
                           "near_copy": False}  # 1.0 from its nearest training 0: farther than 0.5
    assert measures[1]["near_copy"] is True and measures[1]["judge_correct"] is True  # 1.0 < 2.0
    assert measures[1]["nearest_distance"] == 1.0 and measures[1]["nearest_training_index"] == 7


def test_network_facts_by_hand_for_a_rank_deficient_layer_and_saturated_units():
    """W⁽¹⁾ of rank 3 (a row the sum of two others): σ_min is the smallest *non-zero* singular value; the invisible
    share of each mean image ‖x − P x‖²/‖x‖²; the share of sigmoid activations outside [0.01, 0.99], both tails."""
    from mathdl.reverse import moments, network_facts
    net = random_net([6, 4, 3], ["sigmoid", "sigmoid"], seed=18)
    net.W[1][3] = net.W[1][0] + net.W[1][1]
    net.W[1] *= 8  # saturate both tails
    net.W[2] *= 8
    rng = np.random.default_rng(19)
    X, labels = rng.uniform(-1, 1, (6, 30)), np.arange(30) % 3
    facts = network_facts(net, X, moments(X, labels, 3))
    s = np.linalg.svd(net.W[1], compute_uv=False)
    assert facts["layers"][0]["rank"] == 3 and facts["layers"][0]["null_dim"] == 3
    assert facts["layers"][0]["sigma_min"] == pytest.approx(s[2], rel=1e-12) and s[3] < 1e-12 * s[0]
    V = np.linalg.svd(net.W[1])[2][:3]
    means = np.column_stack([X[:, labels == c].mean(axis=1) for c in range(3)])
    invisible = [np.sum((x - V.T @ (V @ x)) ** 2) / np.sum(x * x) for x in means.T]
    np.testing.assert_allclose(facts["invisible"]["mean_images"], invisible, rtol=1e-10)
    sig = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    a1 = sig(net.W[1] @ X + net.b[1])
    a2 = sig(net.W[2] @ a1 + net.b[2])
    for l, a in (("1", a1), ("2", a2)):
        low, high = (a < 0.01).sum(), (a > 0.99).sum()
        assert facts["saturated"][l] == pytest.approx((low + high) / a.size, rel=1e-12)
    assert (a1 < 0.01).any() and (a1 > 0.99).any()  # the test can tell a tail left out
