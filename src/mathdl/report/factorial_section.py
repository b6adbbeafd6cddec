"""The report's conclusions about methods, for a study of several seeds: each configuration's rates over the
seeds, the 2×2×2 factorial analysis with its intervals and p-values, what the effects do and do not
measure, and the McNemar tests of every seed with Holm's correction over all of them. (A study of one seed
has none of this: its McNemar table, Holm-adjusted over its twelve tests, is in the results.)"""
from __future__ import annotations

from ..base.numbers import ci, effect, mean_ci, p_text, p_value
from ..evaluation.factorial import CONTRASTS
from .document import Bullets, Figure, Heading, Paragraph, Table, text


def factorial_blocks(study: dict) -> list:
    """The blocks of this section, from the study's summary.json."""
    s = study["summary"]
    return _seed_blocks(s) + _holm_blocks(s) if "seeds" in s else []


def effect_sentence(e: dict, alpha: float = 0.05, digits: int = 2) -> str:
    """'XE − TSE: +0.05 points [−0.04, +0.14], p = 0.27, not significant' (an interaction by its label)."""
    name = e["contrast"] or f"interaction {e['label']}"
    verdict = "significant" if e["p"] < alpha else "not significant"
    value, _, bounds = effect(e, digits).partition(" ")
    return f"{name}: {value} points {bounds}, {p_text(e['p'])}, {verdict}"


def conclusions(analyses: dict, alpha: float = 0.05) -> list[str]:
    """The findings about methods, one sentence each: the three main effects on every response
    (``analyses``: response → ``evaluation.factorial.factorial`` result), then each interaction that is
    significant. The report, the terminal and the README's table of seeds say them in these words."""
    lines = []
    for response, analysis in analyses.items():
        for e in analysis["effects"]:
            if e["contrast"] is not None or e["p"] < alpha:
                lines.append(f"{response}: {effect_sentence(e, alpha)}")
    return lines


def _seed_blocks(s: dict) -> list:
    seeds, analyses = s["seeds"], s["factorial"]
    k = len(seeds["seeds"])
    first = s["options"]["seed"]
    networks = {r["number"]: r for r in s["configurations"]}
    accuracy = analyses["accuracy"]
    blocks = [
        Heading("Conclusions about methods: the eight configurations over several seeds"),
        Paragraph(text(
            f"One network per configuration answers questions about networks, not methods: another seed (other "
            f"initial weights, another order of the training images, other random shifts) gives another network "
            f"and can move its accuracy by as much as the configurations differ. So every configuration was "
            f"trained with {k} seeds ({', '.join(map(str, seeds['seeds']))}), {8 * k} networks in all. The table "
            f"below gives the mean of each rate over the seeds with its {seeds['interval']}; beside it, the "
            f"95% Wilson interval of the single network of seed {first} shown in the confusion matrices, which "
            f"measures the test set's sampling error only, not the seed-to-seed variation.")),
        Table(("#", "cost", "bp", "hidden", "accuracy % (mean [t-interval])", "sd", f"seed {first}: Wilson",
               "sensitivity %", "specificity %"),
              tuple((str(c["number"]), c["cost"].upper(), c["bp"], str(c["hidden_layers"]), mean_ci(c["accuracy"]),
                     "" if c["accuracy"]["sd"] is None else f"{100 * c['accuracy']['sd']:.2f}",
                     ci(networks[c["number"]]["accuracy"]), mean_ci(c["sensitivity"]),
                     mean_ci(c["specificity"])) for c in seeds["configurations"]),
              f"Test rates of the eight configurations over {k} seeds: mean [95% t-interval] and standard "
              f"deviation (percentage points); the Wilson interval of the network of seed {first}.",
              align="rllrrrrrr", size="7.5pt", label="tab-seeds"),
        Figure("seeds.png", f"Test accuracy of each configuration: every seed a dot, the mean with its 95% "
               f"t-interval over the {k} seeds."),
        Heading("The factorial analysis", 2),
        Paragraph(text(
            "The eight configurations cross three factors at two levels: cost (TSE or XE), backpropagation "
            "method (online or matrix) and depth (one or three hidden layers). Coding each factor −1/+1, an "
            f"ordinary least-squares fit (statsmodels) of every run's rate on the three factors and all their "
            f"interactions leaves the seed-to-seed variation as the residual ({accuracy['df_resid']:.0f} degrees "
            "of freedom). A main effect is the difference between the means at the factor's two levels (e.g. XE "
            "− TSE over all four pairs of methods and depths); a two-way interaction A × B is the difference "
            "between A's effect at B's two levels, and the three-way interaction the difference between two "
            "two-way interactions. Each comes with its 95% t-interval and the p-value of its t-test (the same as "
            "the ANOVA's F-test in this balanced design), in percentage points.")),
        Table(("effect", *(f"{response} (points)" for response in analyses), *(f"p ({response})" for response in analyses)),
              tuple((e["contrast"] or e["label"],
                     *(effect(analyses[r]["effects"][i]) for r in analyses),
                     *(p_value(analyses[r]["effects"][i]["p"]) for r in analyses))
                    for i, e in enumerate(accuracy["effects"])),
              f"Effects on the test rates over {accuracy['n']} runs, with 95% intervals and p-values.",
              align="l" + "r" * 2 * len(analyses), size="7.5pt", label="tab-effects"),
        Figure("effects.png", "The factorial effects with their 95% intervals, on test accuracy, sensitivity and "
               "specificity.", width="85%"),
        Paragraph(text("What the seeds say about the methods, at the 5% level (every main effect; an interaction "
                       "only where it is significant):")),
        Bullets(tuple(text(line) for line in conclusions(analyses))),
        Paragraph(text(_confound(s))),
    ]
    return blocks


def _confound(s: dict) -> str:
    """What the effects measure: each cost and method trained with its own tuned η and epochs."""
    rows = s["configurations"]
    recipes = {}
    for r in rows:
        recipes.setdefault((r["cost"], r["bp"]), (r["eta"], r["epochs"]))
    same_eta = len({eta for eta, _ in recipes.values()}) == 1
    recipe = "; ".join(f"{cost.upper()} {bp}: η = {eta:g}, {epochs} epoch{'s' if epochs != 1 else ''}" for (cost, bp), (eta, epochs)
                       in recipes.items())
    if same_eta:
        eta = "All eight configurations share one learning rate, so the cost and method effects are not those of a "
        eta += "learning rate tuned to each: a configuration far from its own best η is handicapped. "
    else:
        eta = (f"Each cost and method trains with its own tuned learning rate and number of epochs ({recipe}), so "
               f"the effect {CONTRASTS['cost']} is the effect of XE with its η against TSE with its η, not of the "
               f"cost alone, and {CONTRASTS['method']} likewise. That is the comparison a user faces (each method as "
               f"it trains best); one learning rate for all (--lr) removes this confound at the price of configurations "
               f"trained far from their best η. ")
    depth = {r["hidden_layers"]: r["layers"] for r in rows}
    return (eta + f"The depth effect compares the network {depth.get(1, '?')} with {depth.get(3, '?')}: the number "
            "of layers together with their widths and number of weights.")


def _holm_blocks(s: dict) -> list:
    family = s["mcnemar_family"]
    seeds = sorted({t["seed"] for t in family})
    raw = sum(t["p_mid"] < 0.05 for t in family)
    held = sum(t["p_mid_holm"] < 0.05 for t in family)
    blocks = [Heading("Many tests at once: Holm's correction", 2),
              Paragraph(text(
                  f"Every McNemar test at the 5% level has a 5% chance of a false alarm, and this study makes "
                  f"{len(family)} of them ({len(family) // len(seeds)} comparisons for each of {len(seeds)} seeds). "
                  "Holm's step-down method "
                  "adjusts the p-values so that the chance of any false alarm in the whole family stays at most 5%: "
                  f"{raw} of the {len(family)} mid-p values are below 0.05, {held} remain{'s' * (held == 1)} so after the "
                  "adjustment."))]
    rows = []
    for question, a, b in dict.fromkeys((t["question"], t["a"], t["b"]) for t in family):
        tests = [t for t in family if (t["question"], t["a"], t["b"]) == (question, a, b)]
        rows.append((question, str(a), str(b), f"{sum(t['p_mid'] < 0.05 for t in tests)} of {len(tests)}",
                     f"{sum(t['p_mid_holm'] < 0.05 for t in tests)} of {len(tests)}",
                     p_value(min(t["p_mid"] for t in tests)), p_value(min(t["p_mid_holm"] for t in tests))))
    blocks.append(Table(("comparison", "A", "B", "seeds p < 0.05", "after Holm", "smallest p", "smallest adjusted"),
                        tuple(rows), "McNemar's test of each pair in every seed (mid-p), and after Holm's adjustment "
                        f"over all {len(family)} tests; every test is in mcnemar.csv.", align="lrrrrrr", size="8pt"))
    return blocks
