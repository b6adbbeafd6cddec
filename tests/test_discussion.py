"""The reverse part's verdicts in words (``reverse.discussion``) and the summary they rest on
(``Reverse.summary``): each set from chosen numbers, so that every sentence that compares, counts or names
must come out one way — a flipped comparison, a wrong count or the wrong layer named fails here."""
import copy

import pytest

from mathdl.reverse import METHODS, READ_AS_DIGITS, AscentSettings, explanation, reverse
from mathdl.reverse.judge import needed
from mathdl.reverse.discussion import judge_text, summary_table, verdict_text, weaknesses
from test_reverse import tiny_problem


@pytest.fixture(scope="module")
def found():
    """A reverse run of every method on the tiny 16-6-10 sigmoid network, with the judge assessed."""
    net, X, labels = tiny_problem()
    return reverse(net, X, labels, ascent=AscentSettings(steps=20), test=(X, labels))


@pytest.fixture
def data(found):
    """Its reverse.json content, a fresh copy for each test to set numbers in."""
    return copy.deepcopy(found.to_dict())


def layer(l, rows, columns, sigma=(0.5, 2.0)):
    return {"l": l, "shape": [rows, columns], "activation": "sigmoid", "rank": min(rows, columns),
            "null_dim": max(columns - rows, 0), "sigma_min": sigma[0], "sigma_max": sigma[1]}


def images(data, method):
    return [m for m in data["images"] if m["method"] == method]


def test_a_layer_is_called_wide_tall_or_square_by_its_shape(data):
    data["facts"]["layers"] = [layer(1, 6, 16), layer(2, 6, 6), layer(3, 10, 6)]
    data["facts"]["saturated"] = {}
    text = weaknesses(data)
    assert "a whole affine space of solutions a, of dimension 10 for W⁽¹⁾; a chain" in text  # W⁽²⁾ is not wide
    assert "more rows than columns (W⁽³⁾), W a = c has" in text  # nor tall
    assert "Every W is square" not in text
    data["facts"]["layers"] = [layer(1, 6, 6), layer(2, 6, 6)]
    text = weaknesses(data)
    assert "Every W is square here" in text and "affine space" not in text and "more rows than" not in text


def test_the_pseudo_inverse_is_compared_with_backquery_the_right_way_round(data):
    data["facts"]["layers"][0].update(sigma_min=0.5, sigma_max=2.0)
    data["facts"]["layers"][1].update(sigma_min=1.0, sigma_max=3.0)
    s = data["summary"]
    s["pinv"]["corr_mean"], s["backquery"]["corr_mean"] = 0.5, 0.3
    text = weaknesses(data)
    assert "by up to 4.0× relative to the strongest" in text  # W⁽¹⁾'s σ_max / σ_min, not the output layer's
    assert "$r$ = 0.50 on average (more than backquery's 0.30)" in text
    s["pinv"]["corr_mean"], s["backquery"]["corr_mean"] = 0.3, 0.5
    assert "$r$ = 0.30 on average (less than backquery's 0.50)" in weaknesses(data)


def test_the_layers_numbers_are_medians_listed_from_the_top_down(data):
    for i, m in enumerate(images(data, "backquery")):  # residuals 0.1 … 1.0 at W⁽²⁾, one outlier at W⁽¹⁾
        top, first = m["layers"]
        top["residual"], first["residual"] = 0.1 * (i + 1), 0.2 if i else 9.0
        top["range_before"], first["range_before"] = [-1.0 - i, 1.0], [-2.0, 3.0 + i]
        top["scale"], first["scale"] = 0.01 * (i + 1), 0.5
    text = weaknesses(data)
    assert "$\\|W W^\\top c - c\\| / \\|c\\|$ of backquery is 0.55 for W⁽²⁾, 0.20 for W⁽¹⁾ (median" in text
    assert "span [-10.00, 1.00] into layer 1, [-2.00, 12.00] into the input (over the ten digits)" in text
    assert "with slopes 0.010 to 0.500 and a shift" in text


def test_the_energy_in_the_null_space_is_given_for_the_lowest_and_highest_mean_image(data):
    data["facts"]["invisible"]["mean_images"] = [0.4, 0.1, 0.7] + [0.5] * 7
    assert "(10.0% to 70.0% for the mean images of the digits)" in weaknesses(data)


def test_saturation_names_the_output_layer_and_the_slope_of_the_inverse(data):
    data["facts"]["saturated"] = {"1": 0.2, "2": 0.5}
    text = weaknesses(data)
    assert "is 20.0% at layer 1, 50.0% at the output layer." in text
    assert "\\frac{1}{a(1-a)}$ > 101)" in text  # 1 / (0.01 · 0.99) = 101.01


def test_the_ascent_says_how_often_eta_was_halved_and_j_rose(data):
    runs = [m["ascent"] for m in images(data, "optimize")]
    eta = data["settings"]["ascent"]["eta"]
    for i, r in enumerate(runs):
        r.update(eta_end=eta, ascending=i < 7, steps=12 if i == 3 else 20)
    text = weaknesses(data)
    assert "It took 12 to 20 steps; η was never halved, and $J$ rose at every step for 7 of 10 digits." in text
    for r in runs:
        r["eta_end"] = eta / 4
    assert f"η ended at {eta / 4:.3g} for every digit" in weaknesses(data)
    runs[0]["eta_end"] = eta
    assert f"η ended between {eta / 4:.3g} and {eta:.3g}" in weaknesses(data)


def test_the_ascent_is_compared_with_both_chains(data):
    s = data["summary"]
    s["backquery"]["corr_mean"], s["pinv"]["corr_mean"] = 0.25, 0.125
    assert "(backquery (Wᵀ): 0.25, pseudo-inverse (W⁺): 0.12)." in weaknesses(data)


def test_the_table_counts_near_copies_only_where_there_are_some(data):
    s = data["summary"]
    s["backquery"]["near_copies"], s["pinv"]["near_copies"], s["optimize"]["near_copies"] = 0, 1, 2
    rows = {row.split(" | ")[0][2:]: row for row in summary_table(data)[2:]}
    assert "near-cop" not in rows[METHODS["backquery"]]
    assert "(1 near-copy)" in rows[METHODS["pinv"]] and "(2 near-copies)" in rows[METHODS["optimize"]]


def test_the_judge_paragraph_gives_its_sample_its_quantile_and_the_range_of_distances(data):
    judge = data["judge"]
    judge.update(test_images=40, quantile=0.05, copy_distance=[2.0, 1.0, 3.0] + [2.5] * 7)
    text = judge_text(data)
    assert "On 40 test images (4 of each digit)" in text
    assert "closer to a training image of its digit than 95% of new handwritten digits are (the 0.05 quantile" in text
    assert "their digit: 1.00 to 3.00 over the digits" in text


def test_the_judge_is_written_about_only_when_it_read_every_method(data):
    assert "An independent judge" in explanation(data)
    del data["summary"]["pinv"]["judge_correct"]
    assert "An independent judge" not in explanation(data)


def test_the_verdict_names_the_methods_read_as_digits_and_only_the_others_after(data):
    s = data["summary"]
    for method in s:
        s[method]["read_as_digits"] = method == "prior"
    text = verdict_text(data)
    assert "read at least 9 of the 10 images as intended, with a mean $r$ of at least 0.7" in text
    assert f"no near-copy: {METHODS['prior']} does." in text
    after = text.split("far less often: ")[1]
    assert METHODS["prior"] not in after and all(METHODS[m] in after for m in ("backquery", "pinv", "optimize"))
    s["optimize"]["read_as_digits"] = True
    assert f"no near-copy: {METHODS['optimize']} and {METHODS['prior']} do." in verdict_text(data)
    for method in s:
        s[method]["read_as_digits"] = False
    assert "no near-copy: no method does." in verdict_text(data)


def set_measures(found, method, **columns):
    """Give the method's ten images the measures ``columns`` (a list of ten values each)."""
    for r in (r for r in found.records if r.method == method):
        for key, values in columns.items():
            r.measures[key] = values[r.digit]


def test_the_summary_takes_medians_means_and_minima_of_the_measures(found):
    found = copy.deepcopy(found)
    set_measures(found, "prior", output=[0.9] * 6 + [0.1] * 4, judge_probability=[1.0] * 6 + [0.0] * 4,
                 nearest_distance=[3.0, 1.5] + [2.0] * 8)
    s = found.summary()["prior"]
    assert s["output_median"] == pytest.approx(0.9) and s["output_min"] == pytest.approx(0.1)
    assert s["judge_probability_mean"] == pytest.approx(0.6) and s["nearest_distance_min"] == 1.5


@pytest.mark.parametrize("judge_correct, corr, copies, read", [
    (9, 0.7, 0, True),   # exactly at each bar
    (8, 0.9, 0, False),  # the judge reads too few
    (10, 0.69, 0, False),  # r too low
    (10, 0.9, 1, False),  # one near-copy
])
def test_read_as_digits_is_each_bar_met(found, judge_correct, corr, copies, read):
    found = copy.deepcopy(found)
    set_measures(found, "prior", judge_correct=[d < judge_correct for d in range(10)], corr_mean=[corr] * 10,
                 near_copy=[d < copies for d in range(10)])
    s = found.summary()["prior"]
    assert s["near_copies"] == copies and s["read_as_digits"] is read


def test_the_rule_and_the_words_count_the_same_images_for_the_judges_share(found, monkeypatch):
    assert [needed(share, n) for share, n in ((0.56, 50), (0.7, 10), (0.9, 10), (0.91, 10), (1.0, 10))] == \
        [28, 7, 9, 10, 10]  # 0.56 · 50 = 28.000000000000004
    monkeypatch.setitem(READ_AS_DIGITS, "judge_share", 0.7)
    found = copy.deepcopy(found)
    set_measures(found, "prior", judge_correct=[d < 7 for d in range(10)], corr_mean=[0.9] * 10, near_copy=[False] * 10)
    found.settings["read_as_digits"]["judge_share"] = 0.7
    data = found.to_dict()
    assert data["summary"]["prior"]["read_as_digits"]
    assert "read at least 7 of the 10 images as intended" in verdict_text(data)


def test_prose_numbers_have_two_decimals_unless_tiny_or_huge(data):
    data["facts"]["layers"][0].update(sigma_min=0.004, sigma_max=12345.678)
    data["facts"]["layers"][1].update(sigma_min=0.0, sigma_max=123456.0)
    assert ("the singular values $d_i$ run from 4.0e-03 to 12345.68 for W⁽¹⁾, 0.00 to 1.2e+05 for W⁽²⁾."
            in weaknesses(data))
