"""The seeds' statistics against hand computations: t-intervals, the 2×2×2 factorial effects (built with
known effects), and the sentences the conclusions are written in."""
import itertools
import math

import numpy as np
import pytest
from scipy import stats

from mathdl.evaluation.factorial import TERMS, factorial, t_interval
from mathdl.report.document import Bullets, Paragraph, Table
from mathdl.report.factorial_section import _holm_blocks, _seed_blocks, conclusions, effect_sentence

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


def test_a_missing_configuration_is_refused():
    """Seven of the eight configurations, each with two runs: the saturated model cannot be fitted."""
    runs = [run for run in runs_with({}, [-0.001, 0.001])
            if (run["cost"], run["method"], run["depth"]) != ("xe", "matrix", 3)]
    with pytest.raises(ValueError, match="at least two runs of each"):
        factorial(runs, "accuracy")


def test_the_anova_table_by_hand():
    """Each term's sum of squares N β² = N (effect / 2^order)² on one df, the residual 8 Σ e² on 8(K − 1) df
    with no F or p, F = SS / σ², and nothing else (no intercept row)."""
    known = {"cost": 0.004, "depth": -0.002, "cost:method": 0.003, "cost:method:depth": -0.0016}
    noise = [-0.002, 0.0, 0.002]
    k, n = len(noise), 8 * len(noise)
    analysis = factorial(runs_with(known, noise), "accuracy")
    sigma2 = 8 * sum(e * e for e in noise) / (8 * (k - 1))
    anova = {row["term"]: row for row in analysis["anova"]}
    assert sorted(anova) == sorted((*TERMS, "Residual")) and len(analysis["anova"]) == 8
    for term in TERMS:
        ss = n * (known.get(term, 0.0) / 2 ** (term.count(":") + 1)) ** 2
        assert anova[term]["df"] == 1
        assert anova[term]["sum_sq"] == pytest.approx(ss, abs=1e-15)
        assert anova[term]["F"] == pytest.approx(ss / sigma2, abs=1e-9)
        assert anova[term]["p"] == pytest.approx(stats.f.sf(ss / sigma2, 1, 8 * (k - 1)))
    residual = anova["Residual"]
    assert residual["df"] == 8 * (k - 1) and residual["sum_sq"] == pytest.approx(8 * sum(e * e for e in noise))
    assert residual["F"] is None and residual["p"] is None


def test_the_grand_mean_is_the_mean_of_every_run_not_the_median():
    """One configuration raised by 0.008: the mean of the 8K runs rises by 0.008/8, their median (0.95) does not."""
    runs = runs_with({}, [-0.001, 0.0, 0.001])
    for run in runs:
        if (run["cost"], run["method"], run["depth"]) == ("xe", "matrix", 3):
            run["accuracy"] += 0.008
    analysis = factorial(runs, "accuracy")
    assert analysis["mean"] == pytest.approx(0.95 + 0.001) and analysis["mean"] == pytest.approx(np.mean(
        [run["accuracy"] for run in runs]))


def test_the_confidence_level_is_honoured():
    """At level 0.90 the intervals use t(df, 0.95), not the default's 0.975."""
    known = {"cost": 0.004, "method": -0.002}
    noise = [-0.0015, 0.0005, 0.001]
    k, n = len(noise), 8 * len(noise)
    analysis = factorial(runs_with(known, noise), "accuracy", level=0.90)
    t = stats.t.ppf(0.95, 8 * (k - 1))
    sigma = math.sqrt(sum(e * e for e in noise) / (k - 1))
    assert analysis["level"] == 0.90
    for e in analysis["effects"]:
        se = 2 ** (e["term"].count(":") + 1) * sigma / math.sqrt(n)
        effect = known.get(e["term"], 0.0)
        assert e["ci95"] == pytest.approx([effect - t * se, effect + t * se])
    values = [0.981, 0.985, 0.983, 0.979]
    half = stats.t.ppf(0.95, 3) * np.std(values, ddof=1) / 2
    assert t_interval(values, level=0.90)["ci95"] == pytest.approx([np.mean(values) - half, np.mean(values) + half])


def test_t_interval_of_one_or_no_value_and_with_signed_bounds():
    """One seed: its value is the mean, with no sd and no interval; no seeds: nothing. An MCC's interval is cut to
    [−1, 1], so a negative lower end stays (the rates' default [0, 1] would cut it to 0)."""
    assert t_interval([0.5]) == {"mean": 0.5, "sd": None, "ci95": None, "n": 1}
    assert t_interval([]) == {"mean": None, "sd": None, "ci95": None, "n": 0}
    values = [-0.3, -0.1, -0.2]  # mean −0.2, s = 0.1
    half = stats.t.ppf(0.975, 2) * 0.1 / math.sqrt(3)
    assert t_interval(values, bounds=(-1.0, 1.0))["ci95"] == pytest.approx([-0.2 - half, -0.2 + half])
    assert t_interval(values)["ci95"] == pytest.approx([0.0, -0.2 + half])


def test_unequal_replication_gives_type_two_sums_of_squares():
    """Cells with two, three and four runs: each term's sum of squares is the fall in the residual sum of squares
    when it joins every term that does not contain it (type II; types I and III differ here), by least squares."""
    runs = runs_with({"cost": 0.004, "method": 0.002, "cost:depth": 0.001}, [-0.001, 0.001])
    runs += [{"cost": "xe", "method": "matrix", "depth": d, "accuracy": 0.96 + e} for d in (1, 3) for e in (0, 1e-3)]
    runs += [{"cost": "tse", "method": "online", "depth": 1, "accuracy": 0.93}]
    y = np.array([run["accuracy"] for run in runs])
    x = dict(zip(("cost", "method", "depth"), np.array([code(r["cost"], r["method"], r["depth"]) for r in runs]).T))

    def rss(terms):
        X = np.column_stack([np.ones(len(y))] + [np.prod([x[f] for f in t.split(":")], axis=0) for t in terms])
        beta = np.linalg.lstsq(X, y, rcond=None)[0]
        return float(((y - X @ beta) ** 2).sum())

    anova = {row["term"]: row for row in factorial(runs, "accuracy")["anova"]}
    for term in TERMS:
        others = [t for t in TERMS if not set(term.split(":")) <= set(t.split(":"))]
        assert anova[term]["sum_sq"] == pytest.approx(rss(others) - rss(others + [term]), rel=1e-9)


def seeds_summary(etas=(0.2, 0.05, 0.1, 0.02)) -> dict:
    """A summary of three seeds (7, 8, 9) with numbers chosen by hand: every configuration's mean 91% [90, 92] with
    sd 1.23 points, its seed-7 network 90% [88, 92]; each cost and method its own η and 1 to 4 epochs; two
    effects on the accuracy, the main one significant, the interaction not."""
    rows, means = [], []
    for number, (cost, bp, depth) in enumerate(LEVELS, start=1):
        recipe = (number - 1) // 2  # TSE online, TSE matrix, XE online, XE matrix: both depths share it
        rows.append({"number": number, "cost": cost, "bp": bp, "hidden_layers": depth, "eta": etas[recipe],
                     "epochs": recipe + 1, "layers": "784-100-1" if depth == 1 else "784-64-32-16-1",
                     "accuracy": {"value": 0.9, "ci95": [0.88, 0.92]}})
        means.append({"number": number, "cost": cost, "bp": bp, "hidden_layers": depth,
                      "accuracy": {"mean": 0.91, "ci95": [0.90, 0.92], "sd": 0.0123},
                      "sensitivity": {"mean": 0.8, "ci95": [0.7, 0.9]}, "specificity": {"mean": 0.95, "ci95": [0.94, 0.96]}})
    effects = [{"term": "cost", "label": "cost", "contrast": "XE − TSE", "effect": 0.004, "ci95": [0.001, 0.007],
                "p": 0.0123},
               {"term": "cost:depth", "label": "cost × depth", "contrast": None, "effect": -0.002,
                "ci95": [-0.005, 0.001], "p": 0.31}]
    return {"options": {"seed": 7}, "configurations": rows,
            "seeds": {"seeds": [7, 8, 9], "interval": "95% t-interval", "configurations": means},
            "factorial": {"accuracy": {"response": "accuracy", "n": 24, "df_resid": 16, "effects": effects}}}


def test_the_seeds_section_states_its_numbers_worked_out_by_hand():
    blocks = _seed_blocks(seeds_summary())
    said = [" ".join(p for p in b.pieces if isinstance(p, str)) for b in blocks if isinstance(b, Paragraph)]
    assert "trained with 3 seeds (7, 8, 9), 24 networks in all" in said[0]
    assert "seed 7 shown in the confusion matrices" in said[0]
    seeds_table, effects_table = (b for b in blocks if isinstance(b, Table))
    assert seeds_table.rows[0] == ("1", "TSE", "online", "1", "91.00 [90.00, 92.00]", "1.23", "90.00 [88.00, 92.00]",
                                   "80.00 [70.00, 90.00]", "95.00 [94.00, 96.00]")
    assert effects_table.rows == (("XE − TSE", "+0.40 [+0.10, +0.70]", "0.012"),
                                  ("cost × depth", "-0.20 [-0.50, +0.10]", "0.31"))
    [bullets] = [b for b in blocks if isinstance(b, Bullets)]
    assert bullets.items == (("accuracy: XE − TSE: +0.40 points [+0.10, +0.70], p = 0.012, significant",),)
    assert said[-1].startswith(
        "Each cost and method trains with its own tuned learning rate and number of epochs (TSE online: η = 0.2, "
        "1 epoch; TSE matrix: η = 0.05, 2 epochs; XE online: η = 0.1, 3 epochs; XE matrix: η = 0.02, 4 epochs)")
    assert said[-1].endswith("The depth effect compares the network 784-100-1 with 784-64-32-16-1: the number of "
                             "layers together with their widths and number of weights.")
    same = _seed_blocks(seeds_summary(etas=(0.1,) * 4))[-1]
    assert same.pieces[0].startswith("All eight configurations share one learning rate")


def test_an_effect_at_exactly_the_level_is_not_significant():
    effect = {"term": "cost", "label": "cost", "contrast": "XE − TSE", "effect": 0.0005, "ci95": [-0.0004, 0.0014],
              "p": 0.05}
    assert effect_sentence(effect).endswith("p = 0.05, not significant")
