"""Conclusions about methods, not single networks: replicated seeds and the 2×2×2 factorial design (the
McNemar tests of every seed are corrected as one family by ``metrics.holm``).

Over K seeds a configuration's rate has the mean x̄ and the sample standard deviation s, and the
95% t-interval x̄ ± t_{K−1, 0.975} s/√K (Student's t, SciPy).

The eight configurations cross three factors at two levels each, coded x = −1 / +1:
cost (TSE / XE), method (online / matrix), depth (one / three hidden layers). Fitted by ordinary least
squares (statsmodels) on the 8K runs, with every interaction (the saturated model, so the residual is
the seed-to-seed variation alone, with 8(K − 1) degrees of freedom):

    y = β₀ + β_c x_c + β_m x_m + β_d x_d + β_cm x_c x_m + β_cd x_c x_d + β_md x_m x_d + β_cmd x_c x_m x_d + ε

Effects as differences of means, each with the t-interval and p-value of its coefficient:

    main effect        = mean(y | x = +1) − mean(y | x = −1)                              = 2 β
    two-way A×B        = (effect of A at B = +1) − (effect of A at B = −1)                 = 4 β_AB
    three-way A×B×C    = (A×B at C = +1) − (A×B at C = −1)                                 = 8 β_ABC
"""
from __future__ import annotations

import math

import numpy as np

from .metrics import LEVEL  # one confidence level for every interval

FACTORS = {  # name: (low level, high level), coded −1 and +1
    "cost": ("tse", "xe"),
    "method": ("online", "matrix"),
    "depth": (1, 3),
}
TERMS = ("cost", "method", "depth", "cost:method", "cost:depth", "method:depth", "cost:method:depth")
CONTRASTS = {"cost": "XE − TSE", "method": "matrix − online", "depth": "3 − 1 hidden layers"}
T_INTERVAL = ("95% t-interval over the seeds: mean ± t(K−1, 0.975)·s/√K, s the sample standard deviation, "
              "cut to the rate's range")


def t_interval(values, level: float = LEVEL, bounds: tuple[float, float] = (0.0, 1.0)) -> dict:
    """The mean, sample standard deviation and t-interval of ``values`` (one per seed), the interval cut to
    ``bounds`` (a rate's range: a few seeds give wide intervals); sd and interval are None for a single
    value, and the interval is the mean itself when every value is the same."""
    from scipy import stats

    x = np.asarray([v for v in values], dtype=np.float64)
    n = len(x)
    mean = float(x.mean()) if n else None
    if n < 2:
        return {"mean": mean, "sd": None, "ci95": None, "n": n}
    sd = float(x.std(ddof=1))
    if sd == 0:
        return {"mean": mean, "sd": 0.0, "ci95": [mean, mean], "n": n}
    low, high = stats.t.interval(level, n - 1, loc=mean, scale=sd / math.sqrt(n))
    return {"mean": mean, "sd": sd, "ci95": [max(float(low), bounds[0]), min(float(high), bounds[1])], "n": n}


def coded(run: dict) -> dict:
    """A run's factor levels as −1/+1 codes, from its ``cost``, ``method`` and ``depth`` (hidden layers)."""
    codes = {}
    for factor, (low, high) in FACTORS.items():
        value = run[factor]
        if value not in (low, high):
            raise ValueError(f"{factor} must be {low!r} or {high!r}, got {value!r}")
        codes[factor] = 1.0 if value == high else -1.0
    return codes


def term_label(term: str) -> str:
    """'cost:depth' → 'cost × depth'."""
    return " × ".join(term.split(":"))


def factorial(runs: list[dict], response: str, level: float = LEVEL) -> dict:
    """The factorial analysis of ``response`` over ``runs`` (dicts with cost, method, depth and the
    response): each effect of ``TERMS`` with its interval and p-value, the ANOVA table (type II sums
    of squares; in this balanced design type I, II and III agree) and the residual degrees of freedom.

    Needs at least two runs of each of the eight configurations."""
    import pandas as pd
    import statsmodels.formula.api as smf
    from statsmodels.stats.anova import anova_lm

    frame = pd.DataFrame([{**coded(run), "y": float(run[response])} for run in runs])
    cells = frame.groupby(list(FACTORS)).size()
    if len(cells) < 8 or cells.min() < 2:
        raise ValueError("the factorial analysis needs at least two runs of each of the eight configurations")
    fit = smf.ols("y ~ cost * method * depth", data=frame).fit()
    interval = fit.conf_int(alpha=1 - level)
    effects = []
    for term in TERMS:
        scale = 2.0 ** (term.count(":") + 1)  # 2β, 4β, 8β: the differences of means defined above
        low, high = interval.loc[term]
        effects.append({"term": term, "label": term_label(term), "contrast": CONTRASTS.get(term),
                        "effect": scale * float(fit.params[term]), "ci95": [scale * float(low), scale * float(high)],
                        "se": scale * float(fit.bse[term]), "t": float(fit.tvalues[term]),
                        "p": float(fit.pvalues[term])})
    table = anova_lm(fit, typ=2)
    anova = [{"term": term, "df": float(row["df"]), "sum_sq": float(row["sum_sq"]),
              "F": None if math.isnan(row["F"]) else float(row["F"]),
              "p": None if math.isnan(row["PR(>F)"]) else float(row["PR(>F)"])}
             for term, row in table.iterrows()]
    return {"response": response, "effects": effects, "anova": anova, "df_resid": float(fit.df_resid),
            "sigma": float(math.sqrt(fit.scale)), "n": int(fit.nobs), "mean": float(frame["y"].mean()),
            "level": level}
