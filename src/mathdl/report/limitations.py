"""The report's limitations, written from the study's own numbers: how many seeds, how wide the intervals
are beside the effects, how many tests were made and what survives a correction for them, which
settings the compared arms do not share, whether the run is a preview, and what the reverse part's
pictures can and cannot show."""
from __future__ import annotations

import statistics

from ..base.numbers import count
from ..evaluation.metrics import holm
from .content import QUESTIONS, RECIPE, also_differ, others_differing, preview, seeds
from .document import Bullets, Heading, Paragraph, Ref, Strong, text
from .format import join


def limitation_blocks(study: dict) -> list:
    s = study["summary"]
    rows = s["configurations"]
    by_number = {r["number"]: r for r in rows}
    n_test = sum(s["class_balance"]["test"].values())
    half = [(r["accuracy"]["ci95"][1] - r["accuracy"]["ci95"][0]) / 2 for r in rows]
    diffs = [abs(t["accuracy_b"] - t["accuracy_a"]) for t in s["mcnemar"]]
    inside = sum(d < statistics.median(half) for d in diffs)
    n_seeds = seeds(study)
    p_mid = [t["p_mid"] for t in s["mcnemar"]]
    adjusted = holm(p_mid)
    significant = sum(p < 0.05 for p in p_mid)
    surviving = [t for t, q in zip(s["mcnemar"], adjusted) if q < 0.05]
    items = []
    notice = preview(study)
    if notice:
        items.append(text(Strong("A preview. "), f"This is {notice}. Intervals are wider and the networks weaker than in "
                          "the full study; no finding here should be quoted as a result."))
    if n_seeds == 1:
        items.append(text(Strong("One seed. "), "Each configuration was trained once, from one seed, so each "
                          "comparison is between two trained networks: the difference mixes the effect of the choice "
                          "with the luck of one training run (the order of the images, the initial weights, the "
                          "shifts), which this study does not measure. A finding about the methods needs several "
                          "seeds per configuration and an analysis of the eight as a 2×2×2 design."))
    else:
        items.append(text(Strong(f"{n_seeds} seeds. "), f"Each configuration was trained from {n_seeds} seeds; the "
                          "tests above still compare the networks of one seed, and the spread over the seeds is "
                          "what a finding about the methods has to beat."))
    items.append(text(Strong("The test set's resolution. "), f"{count(n_test)} test images give accuracy intervals "
                      f"of ±{100 * min(half):.2f} to ±{100 * max(half):.2f} points (median ±{100 * statistics.median(half):.2f}); "
                      f"the twelve compared pairs differ by {100 * min(diffs):.2f} to {100 * max(diffs):.2f} points "
                      f"(median {100 * statistics.median(diffs):.2f}), and {inside} of the 12 differences are smaller "
                      "than the median half-width. McNemar's test, pairing the images, resolves more than the "
                      f"intervals suggest, but a difference of 0.1 points is {n_test / 1000:g} of the {count(n_test)} "
                      "test images."))
    survivors = join([f"{t['a']} vs {t['b']}" for t in surviving])
    items.append(text(Strong("Many tests. "), f"{len(p_mid)} McNemar tests were made (and {len(s.get('versus_best', []))} "
                      "more of the best observed configuration against each other one). At the 5% level each, "
                      f"about {0.05 * len(p_mid):.1f} of the twelve would come out significant by chance if no choice "
                      f"mattered; {significant} did. After Holm's correction, which keeps the chance of any false "
                      f"finding among the twelve at 5%, {len(surviving)} remain{'s' * (len(surviving) == 1)}"
                      + (f" ({survivors})" if surviving else "") + "."))
    unequal = {question: [t for t in s["mcnemar"] if t["question"] == question] for question in QUESTIONS}
    recipes = any(d.split(" (")[0] in RECIPE for t in s["mcnemar"] for d in others_differing(by_number, t["a"], t["b"]))
    if any(others_differing(by_number, t["a"], t["b"]) for t in s["mcnemar"]):
        pairs = "; ".join(f"{question}: {also_differ(by_number, tests)}" for question, tests in unequal.items())
        items.append(text(Strong("Arms not equalised. "), "The compared pairs differ in more than the choice named (",
                          Ref("tab-protocol"), f"). {pairs}" + (". Each method and cost runs with its own tuned recipe, "
                                                                "so an effect belongs to the recipe, not to the choice "
                                                                "alone." if recipes else ".")))
    items.append(text(Strong("The test set was looked at. "), "The learning curves show the test accuracy after "
                      "every epoch; no setting was chosen by it (the epochs were chosen on a validation split), but "
                      "a reader choosing a configuration by these curves would be choosing on the test set."))
    if study.get("reverse"):
        items.append(text(Strong("The reverse pictures. "), "Each reverse network is trained once; r, the "
                          "correlation with the digit's mean training image, is one measure of looking like a "
                          "digit, and a digit written in an unusual way scores low however recognisable. A digit "
                          "that occurs twice in the ID is the same query twice, so it shows the same image; every "
                          "row of pictures has its intensity scale beside it."))
    return [Heading("Limitations"),
            Paragraph(text("What the numbers above can and cannot carry, computed from them:")),
            Bullets(tuple(items))]
