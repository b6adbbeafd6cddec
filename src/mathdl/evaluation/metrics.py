"""Evaluation: confusion matrices, rates with 95% confidence intervals, and McNemar's test.

Orientation: ``confusion_matrix[i, j]`` counts samples of true class i predicted as class j (rows are
the true class). For a binary task the positive class is class 1; its 2×2 matrix is shown as
[[TP, FN], [FP, TN]] (positive first).

Intervals: Wilson score intervals for the proportions (accuracy, sensitivity, specificity,
precision); a percentile bootstrap (multinomial resampling of the confusion matrix, seeded) for F1
and MCC, which are not simple proportions. A rate whose denominator is 0 is undefined (None).
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from fractions import Fraction

import numpy as np

from ..base.numbers import interval

LEVEL = 0.95  # every interval's confidence level
Z95 = 1.959963984540054  # Φ⁻¹(0.975) = Φ⁻¹((1 + LEVEL) / 2)
BOOTSTRAP = 10_000


def confusion_matrix(true: np.ndarray, predicted: np.ndarray, k: int) -> np.ndarray:
    """(k, k) counts, rows = true class, columns = predicted class."""
    true, predicted = np.asarray(true, dtype=np.int64), np.asarray(predicted, dtype=np.int64)
    return np.bincount(true * k + predicted, minlength=k * k).reshape(k, k)


@dataclass(frozen=True)
class Rate:
    """A rate k/n with its 95% interval [low, high]; value, low and high are None when n = 0."""

    value: float | None
    low: float | None
    high: float | None
    k: int | None = None
    n: int | None = None

    def __str__(self) -> str:
        if self.value is None:
            return "undefined (0/0)"
        return interval(self.value, (self.low, self.high), unit="%")


def wilson(k: int, n: int, z: float = Z95) -> Rate:
    """p̂ = k/n with the Wilson score interval (p̂ + z²/2n ± z√(p̂(1−p̂)/n + z²/4n²)) / (1 + z²/n)."""
    if n == 0:
        return Rate(None, None, None, k, n)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    low = 0.0 if k == 0 else centre - half  # exactly 0 and 1 at the ends, where rounding would miss
    high = 1.0 if k == n else centre + half
    return Rate(p, low, high, int(k), int(n))


def f1_score(tp, fn, fp, tn):
    """F1 = 2TP / (2TP + FP + FN) (NaN where 0/0); works elementwise on arrays of counts."""
    tp, fn, fp = (np.asarray(v, dtype=np.float64) for v in (tp, fn, fp))
    denominator = 2 * tp + fp + fn
    return np.divide(2 * tp, denominator, out=np.full_like(denominator, np.nan), where=denominator > 0)


def mcc_score(tp, fn, fp, tn):
    """MCC = (TP·TN − FP·FN) / √((TP+FP)(TP+FN)(TN+FP)(TN+FN)) (NaN where 0/0)."""
    tp, fn, fp, tn = (np.asarray(v, dtype=np.float64) for v in (tp, fn, fp, tn))
    denominator = np.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    return np.divide(tp * tn - fp * fn, denominator, out=np.full_like(denominator, np.nan),
                     where=denominator > 0)


def bootstrap(score, counts, seed: int = 0, draws: int = BOOTSTRAP) -> Rate:
    """``score`` of the counts (TP, FN, FP, TN) with a 95% percentile interval from ``draws``
    multinomial resamples of the confusion matrix: the 2.5% and 97.5% quantiles of the resampled scores."""
    value = float(score(*counts))
    n = int(sum(counts))
    if math.isnan(value):
        return Rate(None, None, None)
    resampled = np.random.default_rng(seed).multinomial(n, np.asarray(counts) / n, size=draws).T
    values = score(*resampled)
    values = values[~np.isnan(values)]
    tail = (1 - LEVEL) / 2
    low, high = np.quantile(values, [tail, 1 - tail]) if values.size else (value, value)
    return Rate(value, float(low), float(high))


@dataclass(frozen=True)
class BinaryReport:
    """The 2×2 confusion matrix of a binary task and its rates."""

    tp: int
    fn: int
    fp: int
    tn: int
    accuracy: Rate
    sensitivity: Rate
    specificity: Rate
    precision: Rate
    npv: Rate
    f1: Rate
    mcc: Rate

    @property
    def matrix(self) -> list[list[int]]:
        """[[TP, FN], [FP, TN]]: rows true positive/negative, columns predicted positive/negative."""
        return [[self.tp, self.fn], [self.fp, self.tn]]

    def to_dict(self) -> dict:
        d = {"tp": self.tp, "fn": self.fn, "fp": self.fp, "tn": self.tn,
             "confusion_matrix": self.matrix,
             "confusion_matrix_layout": "rows: true positive, true negative; "
                                        "columns: predicted positive, predicted negative"}
        for name in ("accuracy", "sensitivity", "specificity", "precision", "npv", "f1", "mcc"):
            rate = getattr(self, name)
            d[name] = rate.value
            d[f"{name}_ci95"] = None if rate.value is None else [rate.low, rate.high]
        return d


def binary_report(cm: np.ndarray, positive: int = 1) -> BinaryReport:
    """Rates of a 2×2 matrix in class order (rows true); ``positive`` is the positive class index."""
    negative = 1 - positive
    tp, fn = int(cm[positive, positive]), int(cm[positive, negative])
    fp, tn = int(cm[negative, positive]), int(cm[negative, negative])
    counts = (tp, fn, fp, tn)
    return BinaryReport(
        tp, fn, fp, tn,
        accuracy=wilson(tp + tn, tp + fn + fp + tn),
        sensitivity=wilson(tp, tp + fn),  # TPR, recall
        specificity=wilson(tn, tn + fp),  # TNR
        precision=wilson(tp, tp + fp),  # PPV
        npv=wilson(tn, tn + fn),
        f1=bootstrap(f1_score, counts),
        mcc=bootstrap(mcc_score, counts),
    )


def multiclass_report(cm: np.ndarray, classes: list[str]) -> dict:
    """Accuracy and, per class c (one-vs-rest), sensitivity, specificity and precision with intervals."""
    n = int(cm.sum())
    per_class = {}
    for c, name in enumerate(classes):
        tp = int(cm[c, c])
        fn = int(cm[c].sum()) - tp
        fp = int(cm[:, c].sum()) - tp
        tn = n - tp - fn - fp
        per_class[name] = {key: _rate_dict(rate) for key, rate in (
            ("sensitivity", wilson(tp, tp + fn)), ("specificity", wilson(tn, tn + fp)),
            ("precision", wilson(tp, tp + fp)))}
        per_class[name]["support"] = tp + fn
    accuracy = wilson(int(np.trace(cm)), n)
    return {"accuracy": accuracy.value, "accuracy_ci95": [accuracy.low, accuracy.high],
            "confusion_matrix": cm.tolist(),
            "confusion_matrix_layout": "rows: true class, columns: predicted class", "classes": classes,
            "per_class": per_class}


def _rate_dict(rate: Rate) -> dict:
    return {"value": rate.value, "ci95": None if rate.value is None else [rate.low, rate.high]}


@dataclass(frozen=True)
class McNemar:
    """McNemar's test on paired predictions: b = A right & B wrong, c = A wrong & B right."""

    b: int
    c: int
    p_exact: float
    p_mid: float

    def to_dict(self) -> dict:
        return asdict(self)


def mcnemar(correct_a: np.ndarray, correct_b: np.ndarray) -> McNemar:
    """Exact two-sided p = min(1, 2 P(X ≤ k)) with X ~ Bin(b + c, ½), k = min(b, c), and the mid-p value
    min(1, 2 P(X ≤ k) − P(X = k)) (Fagerland, Lydersen & Laake 2013; 1 when b = c)."""
    correct_a, correct_b = np.asarray(correct_a, bool), np.asarray(correct_b, bool)
    b = int((correct_a & ~correct_b).sum())
    c = int((~correct_a & correct_b).sum())
    return mcnemar_counts(b, c)


def mcnemar_counts(b: int, c: int) -> McNemar:
    """McNemar's exact and mid-p tests from the discordant counts b and c (exact rational arithmetic)."""
    n, k = b + c, min(b, c)
    if n == 0:
        return McNemar(b, c, 1.0, 1.0)
    tail = Fraction(sum(math.comb(n, i) for i in range(k + 1)), 2 ** n)
    point = Fraction(math.comb(n, k), 2 ** n)
    return McNemar(b, c, float(min(Fraction(1), 2 * tail)), float(min(Fraction(1), 2 * tail - point)))


def holm(p_values) -> list[float]:
    """Holm's step-down adjustment (Holm 1979) of m p-values: with p₍₁₎ ≤ … ≤ p₍ₘ₎ sorted,
    p̃₍ᵢ₎ = max_{j≤i} min(1, (m − j + 1) p₍ⱼ₎), returned in the input's order. Rejecting where p̃ < α
    keeps the probability of any false rejection among the m tests at most α."""
    p = [float(v) for v in p_values]
    m = len(p)
    adjusted = [0.0] * m
    running = 0.0
    for rank, i in enumerate(sorted(range(m), key=lambda i: p[i])):
        running = max(running, min(1.0, (m - rank) * p[i]))
        adjusted[i] = running
    return adjusted
