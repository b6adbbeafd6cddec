"""Confusion matrices, rates and intervals against hand-computed values; McNemar on known tables."""
import math

import numpy as np
import pytest

from mathdl.evaluation.metrics import (binary_report, confusion_matrix, f1_score, mcc_score, mcnemar, mcnemar_counts, multiclass_report, wilson)


def test_confusion_matrix_orientation():
    true = np.array([1, 1, 1, 0, 0, 2])
    pred = np.array([1, 0, 1, 0, 2, 2])
    cm = confusion_matrix(true, pred, 3)
    assert cm.tolist() == [[1, 0, 1], [1, 2, 0], [0, 0, 1]]  # rows true, columns predicted


def test_binary_report_hand_computed():
    # positive class 1: TP 40, FN 10, FP 5, TN 45
    true = np.array([1] * 50 + [0] * 50)
    pred = np.array([1] * 40 + [0] * 10 + [1] * 5 + [0] * 45)
    r = binary_report(confusion_matrix(true, pred, 2))
    assert (r.tp, r.fn, r.fp, r.tn) == (40, 10, 5, 45)
    assert r.matrix == [[40, 10], [5, 45]]
    assert r.accuracy.value == 0.85 and r.sensitivity.value == 0.8 and r.specificity.value == 0.9
    assert r.precision.value == pytest.approx(40 / 45) and r.npv.value == pytest.approx(45 / 55)
    assert r.f1.value == pytest.approx(80 / 95)
    assert r.mcc.value == pytest.approx((40 * 45 - 5 * 10) / math.sqrt(45 * 50 * 50 * 55))
    for rate in (r.f1, r.mcc):
        assert rate.low < rate.value < rate.high


def test_wilson_interval_known_values():
    # 81 successes of 263 (Wilson 1927 style check against the closed form, and Newcombe 1998 table: 0/10)
    r = wilson(81, 263)
    assert (r.low, r.high) == pytest.approx((0.2553, 0.3662), abs=1e-4)
    zero = wilson(0, 10)
    assert zero.value == 0 and zero.low == 0 and zero.high == pytest.approx(0.2775, abs=1e-4)
    one = wilson(1, 10)  # Newcombe's table: 1/10 → (0.0179, 0.4042); only k = 0 is pinned to 0
    assert (one.low, one.high) == pytest.approx((0.0179, 0.4042), abs=1e-4)
    full = wilson(10, 10)
    assert full.high == 1 and full.low == pytest.approx(0.7225, abs=1e-4)
    assert wilson(0, 0).value is None and str(wilson(0, 0)) == "undefined (0/0)"


def test_edge_case_class_never_predicted():
    true = np.array([1, 1, 0, 0])
    pred = np.array([0, 0, 0, 0])  # the positive class is never predicted
    r = binary_report(confusion_matrix(true, pred, 2))
    assert r.sensitivity.value == 0 and r.precision.value is None and r.specificity.value == 1
    assert r.f1.value == 0 and r.mcc.value is None
    d = r.to_dict()
    assert d["precision"] is None and d["precision_ci95"] is None and d["mcc"] is None


def test_edge_case_zero_positives():
    true = np.zeros(5, int)
    pred = np.array([0, 0, 1, 0, 0])
    r = binary_report(confusion_matrix(true, pred, 2))
    assert r.sensitivity.value is None and r.specificity.value == 0.8 and r.precision.value == 0
    assert r.f1.value == 0 and r.mcc.value is None and r.accuracy.value == 0.8


def test_f1_and_mcc_vectorised_with_undefined_cases():
    assert np.isnan(f1_score(0, 0, 0, 5)) and np.isnan(mcc_score(5, 0, 0, 0))
    assert mcc_score(10, 0, 0, 10) == 1 and mcc_score(0, 10, 10, 0) == -1


def test_multiclass_report():
    cm = np.array([[5, 1, 0], [0, 3, 1], [0, 0, 0]])
    r = multiclass_report(cm, ["a", "b", "c"])
    assert r["accuracy"] == 0.8
    assert r["per_class"]["a"]["sensitivity"]["value"] == pytest.approx(5 / 6)
    assert r["per_class"]["a"]["specificity"]["value"] == 1.0
    assert r["per_class"]["b"]["precision"]["value"] == 0.75
    assert r["per_class"]["c"]["sensitivity"]["value"] is None  # class c never occurs
    assert r["per_class"]["c"]["precision"]["value"] == 0.0
    assert r["per_class"]["c"]["support"] == 0


def test_mcnemar_known_values():
    # b = 1, c = 6: exact two-sided p = 2 (C(7,0) + C(7,1)) / 2^7 = 16/128 = 0.125; mid-p = 0.125 − 7/128
    t = mcnemar_counts(1, 6)
    assert t.p_exact == pytest.approx(0.125) and t.p_mid == pytest.approx(0.125 - 7 / 128)
    # Fagerland, Lydersen & Laake (2013), b = 2, c = 13: exact p 0.0074, mid-p 0.0042 (as printed there);
    # exactly 2 (1 + 15 + 105) / 2^15 and that minus C(15, 2) / 2^15
    t = mcnemar_counts(2, 13)
    assert t.p_exact == 242 / 2**15 and t.p_mid == 137 / 2**15
    assert round(t.p_exact, 4) == 0.0074 and round(t.p_mid, 4) == 0.0042
    assert mcnemar_counts(5, 5).p_exact == 1 and mcnemar_counts(5, 5).p_mid == 1
    assert mcnemar_counts(0, 0).p_exact == 1


def test_mcnemar_from_predictions():
    a = np.array([1, 1, 1, 0, 0, 1, 1], bool)
    b = np.array([1, 0, 0, 0, 1, 1, 1], bool)
    t = mcnemar(a, b)
    assert (t.b, t.c) == (2, 1)  # a right and b wrong: 2 (both right: 3, both wrong: 1)
    assert mcnemar(b, a).p_exact == t.p_exact


def test_holm_adjusts_step_down_and_keeps_the_order():
    from mathdl.evaluation.metrics import holm
    p = [0.01, 0.04, 0.03, 0.005]
    # sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1 = 0.02, 0.03, 0.06, 0.04 → made monotone: 0.06 for the last
    assert holm(p) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert holm([0.5, 0.9]) == [1.0, 1.0] and holm([]) == []
    many = list(np.random.default_rng(0).uniform(0, 1, 12))
    adjusted = holm(many)
    assert all(q >= p for p, q in zip(many, adjusted)) and max(adjusted) <= 1


def test_the_bootstrap_interval_is_the_95_percent_one():
    """A score whose resampled distribution is known: (TP + TN)/n of a multinomial resample is Binomial(n, p)/n
    with p the observed accuracy, so the percentile interval is its 2.5% and 97.5% quantiles. With n = 10,000 and
    p = 0.5 those are 4,902 and 5,098 correct (a 90% interval would be 4,918 and 5,082); 10,000 draws put the
    empirical quantiles within a few counts of them."""
    from scipy import stats

    from mathdl.evaluation.metrics import bootstrap

    n, counts = 10_000, (2_500, 2_500, 2_500, 2_500)
    rate = bootstrap(lambda tp, fn, fp, tn: (tp + tn) / (tp + fn + fp + tn), counts)
    low, high = stats.binom.ppf([0.025, 0.975], n, 0.5) / n
    assert rate.value == 0.5
    assert rate.low == pytest.approx(low, abs=5 / n) and rate.high == pytest.approx(high, abs=5 / n)


def test_the_bootstrap_leaves_out_the_resamples_where_the_score_is_undefined():
    """One true positive, no errors: a resample without the positive has F1 = 0/0, undefined, and is left out;
    every other resample has F1 = 1, so the interval is [1, 1] (counting the undefined ones as 0 would not be)."""
    from mathdl.evaluation.metrics import bootstrap

    rate = bootstrap(f1_score, (1, 0, 0, 99))
    assert (rate.value, rate.low, rate.high) == (1.0, 1.0, 1.0)
