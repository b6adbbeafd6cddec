"""The seeds' statistics against hand computations: t-intervals, the 2×2×2 factorial effects (built with
known effects), and the sentences the conclusions are written in."""
import itertools
import math

import numpy as np
import pytest
from scipy import stats

from mathdl.evaluation.factorial import TERMS, factorial, t_interval
from mathdl.report.factorial_section import _holm_blocks, conclusions, effect_sentence

LEVELS = list(itertools.product(("tse", "xe"), ("online", "matrix"), (1, 3)))


def code(cost, method, depth):
    return (1 if cost == "xe" else -1), (1 if method == "matrix" else -1), (1 if depth == 3 else -1)


def runs_with(effects: dict, noise: list[float], base=0.95):
    """Runs whose cell means have exactly the given effects (differences of means, as defined), each cell
    with the same replicate deviations ``noise`` (mean zero)."""
    runs = []
    for cost, method, depth in LEVELS:
        c, m, d = code(cost, method, depth)
        x = {"cost": c, "method": m, "depth": d, "cost:method": c * m, "cost:depth": c * d, "method:depth": m * d,
             "cost:method:depth": c * m * d}
        mean = base + sum(effects.get(t, 0.0) / 2 ** (t.count(":") + 1) * x[t] for t in TERMS)
        runs += [{"cost": cost, "method": method, "depth": depth, "accuracy": mean + e} for e in noise]
    return runs


def test_effects_are_the_differences_of_means_with_hand_computed_intervals():
    known = {"cost": 0.004, "method": -0.002, "depth": -0.006, "cost:depth": 0.003, "method:depth": 0.0,
             "cost:method": -0.001, "cost:method:depth": 0.0005}
    noise = [-0.0015, 0.0005, 0.001]
    analysis = factorial(runs_with(known, noise), "accuracy")
    k, n = len(noise), 8 * len(noise)
    sigma2 = sum(e * e for e in noise) * 8 / (8 * (k - 1))  # within-cell variance, pooled: df = 8(K − 1)
    t = stats.t.ppf(0.975, 8 * (k - 1))
    assert analysis["df_resid"] == 8 * (k - 1) and analysis["n"] == n
    assert analysis["sigma"] == pytest.approx(math.sqrt(sigma2))
    for e in analysis["effects"]:
        order = e["term"].count(":") + 1
        se = 2 ** order * math.sqrt(sigma2 / n)  # 2^order · β's standard error σ/√N
        assert e["effect"] == pytest.approx(known[e["term"]], abs=1e-12)
        assert e["se"] == pytest.approx(se)
        assert e["ci95"] == pytest.approx([known[e["term"]] - t * se, known[e["term"]] + t * se])
        assert e["p"] == pytest.approx(2 * stats.t.sf(abs(known[e["term"]]) / se, 8 * (k - 1)))


def test_an_effect_by_hand_from_the_cell_means():
    """Accuracy of one configuration raised: every effect is ± that rise over the number of cells it spans."""
    runs = runs_with({}, [-0.001, 0.001])
    for run in runs:
        if (run["cost"], run["method"], run["depth"]) == ("xe", "matrix", 3):
            run["accuracy"] += 0.008
    effects = {e["term"]: e["effect"] for e in factorial(runs, "accuracy")["effects"]}
    # mean(XE) − mean(TSE) = 0.008/4; cost × depth = (XE − TSE at 3 layers) − (at 1 layer) = 0.008/2 − 0
    assert effects["cost"] == pytest.approx(0.002) and effects["depth"] == pytest.approx(0.002)
    assert effects["cost:depth"] == pytest.approx(0.004) and effects["method:depth"] == pytest.approx(0.004)
    assert effects["cost:method:depth"] == pytest.approx(0.008)


def test_the_anova_agrees_with_the_t_tests_in_a_balanced_design():
    runs = runs_with({"cost": 0.004, "depth": 0.002}, [-0.002, 0.0, 0.002])
    analysis = factorial(runs, "accuracy")
    anova = {row["term"]: row for row in analysis["anova"]}
    for e in analysis["effects"]:
        assert anova[e["term"]]["F"] == pytest.approx(e["t"] ** 2)
        assert anova[e["term"]]["p"] == pytest.approx(e["p"])


def test_one_run_per_configuration_is_refused():
    with pytest.raises(ValueError, match="at least two runs of each"):
        factorial(runs_with({}, [0.0]), "accuracy")
    with pytest.raises(ValueError, match="cost must be"):
        factorial([{"cost": "mse", "method": "online", "depth": 1, "accuracy": 0.9}], "accuracy")


def test_t_interval_by_hand_and_cut_to_the_rate_range():
    values = [0.981, 0.985, 0.983, 0.979]
    found = t_interval(values)
    mean, sd = np.mean(values), np.std(values, ddof=1)
    half = stats.t.ppf(0.975, 3) * sd / 2
    assert found["mean"] == pytest.approx(mean) and found["sd"] == pytest.approx(sd)
    assert found["ci95"] == pytest.approx([mean - half, mean + half])
    assert t_interval([0.2, 0.99])["ci95"] == [0.0, 1.0]  # two seeds: t(1) = 12.7, cut to [0, 1]
    assert t_interval([0.5])["ci95"] is None and t_interval([0.5, 0.5])["ci95"] == [0.5, 0.5]


def test_sentences_state_effect_interval_p_and_verdict():
    effect = {"term": "cost", "label": "cost", "contrast": "XE − TSE", "effect": 0.0005, "ci95": [-0.0004, 0.0014],
              "p": 0.27}
    assert effect_sentence(effect) == "XE − TSE: +0.05 points [-0.04, +0.14], p = 0.27, not significant"
    interaction = {**effect, "term": "cost:depth", "label": "cost × depth", "contrast": None, "p": 0.0004}
    assert effect_sentence(interaction).endswith("p < 0.001, significant")
    analysis = factorial(runs_with({"cost:depth": 0.01}, [-0.001, 0.001]), "accuracy")
    lines = conclusions({"accuracy": analysis})
    assert len(lines) == 4 and lines[0].startswith("accuracy: XE − TSE: ")  # three main effects, one interaction
    assert lines[3].startswith("accuracy: interaction cost × depth: +1.00 points")


def test_the_holm_paragraph_and_table_count_the_raw_and_the_adjusted_p_values():
    """Three seeds of one pair: 2 of 3 mid-p values below 0.05, 1 after Holm's adjustment (given here), said in the
    paragraph and in the pair's row of the table."""
    family = [{"seed": seed, "question": "TSE vs XE", "a": 1, "b": 2, "p_mid": p, "p_mid_holm": q}
              for seed, (p, q) in enumerate([(0.001, 0.003), (0.02, 0.08), (0.3, 0.6)])]
    _, paragraph, table = _holm_blocks({"mcnemar_family": family})
    said = "".join(piece for piece in paragraph.pieces if isinstance(piece, str))
    assert "this study makes 3 of them (1 comparisons for each of 3 seeds)" in said
    assert said.endswith("2 of the 3 mid-p values are below 0.05, 1 remains so after the adjustment.")
    assert table.rows == (("TSE vs XE", "1", "2", "2 of 3", "1 of 3", "0.001", "0.003"),)
