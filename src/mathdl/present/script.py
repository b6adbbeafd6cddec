"""The presentation's slides and narration, written from the study directory's own numbers.

Every number said or shown comes from summary.json (or the reverse part's reverse.json), formatted by
the report's formatters, and the wording follows the report's rules: a comparison of two networks is a
finding about these networks, a test that is not significant says that the test cannot tell them apart
(not that they are equal), and a finding about methods needs several seeds. A quick or reduced study
makes a short preview: the same slides, each with its first sentence, and the title slide says so.

Each builder returns a ``Slide``; ``SLIDES`` lists them in the order of the talk.
"""
from __future__ import annotations

import datetime
import statistics

from ..base.numbers import count, p_text, pct
from ..evaluation.metrics import holm
from ..report.content import (
    DEFAULT_TITLE,
    QUESTIONS,
    effects,
    hidden_of,
    others_differing,
    preview,
    seeds,
    ties_with_best,
)
from ..report.format import join
from ..report.references import REFERENCES
from ..report.reverse_section import CONTROL, depth
from ..reverse import METHODS
from .slides import Slide, tex, text

INVERSIONS = tuple(m for m in METHODS if m not in ("backquery", "prior"))  # the methods of one slide and figure
EXAMPLES = "examples.npz"  # a few positive and negative test images, written by the study
DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def slides(study: dict, figures: dict[str, str], *, title: str = DEFAULT_TITLE, author: str = "",
           date: str | None = None, preview: bool | None = None) -> list[Slide]:
    """The talk's slides. ``figures``: name → path (relative to the study directory) of the figures drawn
    for the slides (``mathdl.present.figures``). A ``preview`` (default: when the study is quick or reduced)
    keeps the slides of ``PREVIEW``, each with its first sentence."""
    short = is_preview(study) if preview is None else preview
    made = [_title(study, title, author, date, short)]
    for builder in SLIDES:
        slide = builder(study, figures)
        if slide is not None and (not short or slide.key in PREVIEW):
            made.append(Slide(slide.key, slide.heading, slide.body, slide.sentences[:1]) if short else slide)
    return made


def is_preview(study: dict) -> bool:
    """Whether the study is quick or reduced (``mathdl.report.content.preview``)."""
    return preview(study) is not None


# ---------------------------------------------------------------------------------------------------
# Facts the slides share


def _rows(study: dict) -> dict[int, dict]:
    return {r["number"]: r for r in study["summary"]["configurations"]}


def _name(row: dict) -> str:
    """'300, XE, matrix' for a configuration."""
    return f"{hidden_of(row)}, {row['cost'].upper()}, {row['bp']}"


def _balance(study: dict, split: str) -> tuple[int, int]:
    """(positive, all) images of ``split``."""
    (_, negative), (_, positive) = study["summary"]["class_balance"][split].items()
    return positive, positive + negative


def _interval(rate: dict) -> str:
    """'99.02%, 95% interval 98.81–99.20%'."""
    low, high = rate["ci95"]
    return f"{pct(rate['value'])}, 95% interval {100 * low:.2f}–{100 * high:.2f}%"


# ---------------------------------------------------------------------------------------------------
# The slides, in the order of the talk


def _title(study: dict, title: str, author: str, date: str | None, short: bool) -> Slide:
    s = study["summary"]
    digits = ", ".join(map(str, s["positive_digits"]))
    date = date or datetime.date.today().strftime("%d %B %Y").lstrip("0")
    notice = (preview(study) or "the short version of a full study's presentation") if short else None
    body = [
        "#v(1fr)",
        f"#align(center, text(size: 84pt, weight: \"bold\", fill: accent)[{text(title)}])",
        "#v(30pt)",
        f"#align(center, text(size: 42pt)[Is a handwritten digit one of the digits of student ID "
        f"{text(s['student_id'])}? Eight neural networks built from their equations, compared on MNIST])",
        "#v(50pt)",
    ]
    if author:
        body.append(f"#align(center, text(size: 44pt)[{text(author)}])")
    body.append(f"#align(center, text(size: 36pt, fill: muted)[Student ID {text(s['student_id'])} · positive "
                f"class \\{{{digits}\\}} · {text(date)}])")
    if notice:
        body += ["#v(40pt)", f"#banner[*Preview.* This is {text(notice)}: its numbers show the method at work, "
                 "not results. The full study's presentation has every slide.]"]
    body.append("#v(1fr)")
    said = [f"{title}{f', by {author}' if author else ''}.",
            "Eight neural networks, built from their equations, learn to tell whether a handwritten digit is one "
            "of the digits of a student ID."]
    if notice:
        said.append("This short preview comes from a quick or reduced study: its numbers show the method at "
                    "work, not results.")
    return Slide("title", None, "\n".join(body), tuple(said))


def _task(study: dict, figures: dict) -> Slide:
    s = study["summary"]
    digits = s["positive_digits"]
    pos_train, n_train = _balance(study, "train")
    pos_test, n_test = _balance(study, "test")
    id_big = " ".join(s["student_id"])
    left = (f"#text(size: 40pt)[Student ID]\n\n#text(size: 96pt, weight: \"bold\", tracking: 6pt)[{id_big}]\n\n"
            f"positive: an image of #text(fill: accent, weight: \"bold\")[\\{{{', '.join(map(str, digits))}\\}}]\n\n"
            f"#table(columns: 3, align: (left, right, right), table.header([], [images], [positive]),\n"
            f"  [training], [{count(n_train)}], [{count(pos_train)} ({pct(pos_train / n_train, 1)})],\n"
            f"  [test], [{count(n_test)}], [{count(pos_test)} ({pct(pos_test / n_test, 1)})])")
    right = f"#fig(\"{figures['examples']}\")" if "examples" in figures else \
        "#note[(the study directory holds no example images)]"
    return Slide("task", "The task: is this digit one of the ID's digits?",
                 f"#two(ratio: (1fr, 1.1fr))[{left}][{right}]",
                 (f"The ID is {s['student_id']}, so an image of {join([str(d) for d in digits], 'or')} is "
                  "positive.",
                  f"Of the {count(n_train)} training images, {count(pos_train)} are positive: "
                  f"{pct(pos_train / n_train, 1)}."))


def _architectures(study: dict, figures: dict) -> Slide:
    rows = study["summary"]["configurations"]
    shallow = next(r for r in rows if r["hidden_layers"] == 1)
    deep = next(r for r in rows if r["hidden_layers"] == 3)
    h3 = deep["layers"].split("-")[1:-1]
    return Slide("architectures", "Two architectures, sigmoid on every layer",
                 f"#fig(\"{figures['architecture']}\")",
                 (f"Two architectures: one hidden layer of {hidden_of(shallow)} neurons, or three of {join(h3)}, "
                  "each ending in one sigmoid neuron that answers near one for an ID digit and near zero for the "
                  "others.",))


def _equations(study: dict, figures: dict) -> Slide:
    deep = next(r for r in study["summary"]["configurations"] if r["hidden_layers"] == 3)
    n = [int(v) for v in deep["layers"].split("-")]
    L = len(n) - 1
    shapes = ", ".join(f"W^{{({l})}} \\in \\mathbb{{R}}^{{{n[l]} \\times {n[l - 1]}}}" for l in range(1, L + 1))
    equations = [r"a^{(0)} = x \in \mathbb{R}^{%d \times N}" % n[0],
                 r"z^{(l)} = W^{(l)} a^{(l-1)} + b^{(l)}, \quad a^{(l)} = \sigma(z^{(l)}), \quad l = 1, \dots, %d" % L,
                 r"\sigma(z) = \frac{1}{1 + e^{-z}}, \quad \sigma'(z) = \sigma(z)(1 - \sigma(z))"]
    bias = tex(r"b^{(l)} \in \mathbb{R}^{n_l}")
    body = ("\n".join(tex(e, True) for e in equations)
            + f"\n#v(20pt)\n#align(center, text(size: 34pt)[{tex(shapes)}])\n"
            f"#v(1fr)\n#align(center, note[every matrix's columns are the N samples; {bias} is added to every "
            "column])")
    return Slide("equations", f"The {DIGIT_WORDS[L + 1]}-layer network, from its equations", body,
                 (f"The deeper network has {DIGIT_WORDS[L + 1]} layers: the {n[0]} pixels, {DIGIT_WORDS[L - 1]} hidden "
                  "layers and the output.",
                  "Each multiplies the previous activations by its weights, adds its bias and applies the sigmoid, "
                  "with the images of a batch as the columns of one matrix."))


def _backprop(study: dict, figures: dict) -> Slide:
    rows = study["summary"]["configurations"]
    batch = next((r["batch_size"] for r in rows if r["bp"] == "matrix"), None)
    g = study["summary"].get("gradcheck")
    equations = [r"\delta^{(L)} = (a^{(L)} - y) \odot \sigma'(z^{(L)}) \ \text{(TSE)}, \qquad "
                 r"\delta^{(L)} = a^{(L)} - y \ \text{(XE)}",
                 r"\delta^{(l)} = (W^{(l+1)})^\top \delta^{(l+1)} \odot \sigma'(z^{(l)})"]
    online = tex(r"\frac{\partial C_x}{\partial W^{(l)}} = \delta^{(l)} (a^{(l-1)})^\top", True)
    matrix = tex(r"\frac{\partial C}{\partial W^{(l)}} = \frac{1}{B}\, \delta^{(l)} (a^{(l-1)})^\top", True)
    body = ("\n".join(tex(e, True) for e in equations) + "\n#v(24pt)\n"
            f"#two[*online:* one image {tex('x')} at a time, a step after every image:\n\n{online}]"
            f"[*matrix:* {batch or 'B'} images as the columns of one matrix, one step with their mean gradient:"
            f"\n\n{matrix}]")
    said = ["Backpropagation sends the output error back through the transposed weights, times the sigmoid's "
            "slope, layer by layer."]
    said.append(f"The online method steps after every image, the matrix method once for {batch} images with their "
                "mean gradient" + (f"; both agree with central differences to {_scientific(max(g['online'], g['matrix']))}."
                                   if g else ".") if batch else "The online method steps after every image.")
    return Slide("backprop", "Backpropagation, two ways", body, tuple(said))


def _scientific(v: float) -> str:
    """9.66e-08 → '9.7×10⁻⁸', the way the slides and the voice give a small number."""
    mantissa, exponent = f"{v:.1e}".split("e")
    return f"{mantissa}×10{str(int(exponent)).translate(str.maketrans('-0123456789', '⁻⁰¹²³⁴⁵⁶⁷⁸⁹'))}"


def _recipe(study: dict, figures: dict) -> Slide:
    rows = study["summary"]["configurations"]
    cfg = study["runs"][rows[0]["number"]]["config"]["config"]
    table = ["#set text(size: 42pt)", "#align(center, table(columns: 7, align: (right, left, left, left, right, right, right),",
             "  table.header([*\\#*], [*hidden*], [*cost*], [*method*], [*epochs*], [*η*], [*batch*]),",
             "  table.hline(stroke: 2pt + accent),"]
    for r in rows:
        table.append(f"  [{r['number']}], [{hidden_of(r)}], [{r['cost'].upper()}], [{r['bp']}], [{r['epochs']}], "
                     f"[{r['eta']:g}], [{r['batch_size'] if r['bp'] == 'matrix' else 1}],")
    table.append("))")
    prepared = [w for w, on in (("deskewed", cfg.get("deskew")),
                                (f"shifted by up to {cfg.get('augment')} pixel each epoch", cfg.get("augment")))
                if on]
    epochs = {(r["bp"], r["cost"]): r["epochs"] for r in rows}
    body = "\n".join(table) + (f"\n#v(12pt)\n#align(center, note[images {text(join(prepared))}; learning rate "
                               f"η/(1 + {cfg.get('decay', 0):g}(epoch − 1))])" if prepared else "")
    said = [f"Every network sees the same images{', ' + join(prepared) if prepared else ''}, with a decaying "
            "learning rate."]
    if len(set(epochs.values())) > 1:
        said.append("The epochs were chosen on a validation split, not on the test set: " + join(
            [f"{e} for {m} {c.upper()}" for (m, c), e in epochs.items()]) + ".")
    return Slide("recipe", "The training recipe", body, tuple(said))


def _one_matrix(study: dict, figures: dict) -> Slide:
    s = study["summary"]
    best = _rows(study)[s["best"]]
    positives, negatives = best["tp"] + best["fn"], best["tn"] + best["fp"]
    sensitivity, specificity = tex(r"\frac{TP}{TP + FN}", True), tex(r"\frac{TN}{TN + FP}", True)
    right = (f"#text(size: 34pt)[rows: the true class · columns: the prediction]\n\n"
             f"#table(columns: 3, align: (left + horizon, center + horizon, right + horizon),\n"
             f"  [sensitivity], [{sensitivity}], [*{pct(best['sensitivity']['value'])}*],\n"
             f"  [specificity], [{specificity}], [*{pct(best['specificity']['value'])}*],\n"
             f"  [accuracy], [], [*{pct(best['accuracy']['value'])}*])\n\n"
             f"#note[configuration {best['number']}: {text(_name(best))}]")
    return Slide("one-matrix", f"Reading one confusion matrix: configuration {best['number']}",
                 f"#two(ratio: (1fr, 1fr))[#fig(\"confusion_{best['number']}.png\")][#v(1fr) {right} #v(1fr)]",
                 (f"Configuration {best['number']}, the most accurate observed, finds {count(best['tp'])} of the "
                  f"{count(positives)} positive test images, a sensitivity of {pct(best['sensitivity']['value'])}, "
                  f"and rejects {count(best['tn'])} of the {count(negatives)} negative ones, a specificity of "
                  f"{pct(best['specificity']['value'])}.",
                  f"Its accuracy is {_interval(best['accuracy'])}."))


def _eight_matrices(study: dict, figures: dict) -> Slide:
    rows = sorted(study["summary"]["configurations"], key=lambda r: r["number"])
    cells = []
    for r in rows:
        cells.append(
            "block(width: 100%)[#set text(size: 32pt)\n"
            "#table(columns: (1fr, 1fr), align: center, inset: (x: 8pt, y: 16pt), stroke: white + 3pt,"
            f" fill: (x, y) => if x == y {{ rgb(\"#c8e6c9\") }} else {{ rgb(\"#f8d0d0\") }},"
            f" [TP *{count(r['tp'])}*], [FN *{count(r['fn'])}*], [FP *{count(r['fp'])}*], [TN *{count(r['tn'])}*])\n"
            f"#align(center, text(size: 28pt)[*{r['number']}* · {text(_name(r))} #linebreak() "
            f"*{pct(r['accuracy']['value'])}*])]")
    body = f"#v(1fr)\n#grid(columns: 4, column-gutter: 40pt, row-gutter: 56pt, {', '.join(cells)})\n#v(1fr)"
    ranked = sorted(rows, key=lambda r: r["accuracy"]["value"])
    n_test = _balance(study, "test")[1]
    return Slide("eight-matrices", "All eight confusion matrices (test set)", body,
                 (f"All eight networks on the {count(n_test)} test images: accuracies from "
                  f"{pct(ranked[0]['accuracy']['value'])} for configuration {ranked[0]['number']} to "
                  f"{pct(ranked[-1]['accuracy']['value'])} for configuration {ranked[-1]['number']}.",))


def _rates(study: dict, figures: dict) -> Slide:
    rows = study["summary"]["configurations"]
    gaps = [(r, r["sensitivity"]["value"] - r["specificity"]["value"]) for r in rows
            if r["sensitivity"]["value"] is not None and r["specificity"]["value"] is not None]
    widest, gap = max(gaps, key=lambda g: abs(g[1]))
    higher = sum(g > 0 for _, g in gaps)
    return Slide("rates", "Sensitivity and specificity, side by side", f"#fig(\"{figures['rates']}\")",
                 (f"Sensitivity exceeds specificity in {higher} of the {len(gaps)} configurations; the widest gap "
                  f"is configuration {widest['number']}'s, {pct(widest['sensitivity']['value'])} against "
                  f"{pct(widest['specificity']['value'])}.",
                  "They measure errors on different images, so balanced classes do not make them equal."))


def _comparison(study: dict, figures: dict) -> Slide:
    s = study["summary"]
    tests = s["mcnemar"]
    adjusted = holm([t["p_mid"] for t in tests])
    rows = _rows(study)
    lines = ["#align(center, table(columns: 5, align: (left, center, right, right, right),",
             "  table.header([*named choice*], [*A vs B*], [*B − A, points*], [*mid-p*], [*Holm*]),",
             "  table.hline(stroke: 2pt + accent),"]
    for t, q in zip(tests, adjusted):
        style = "fill: good, weight: \"bold\"" if q < 0.05 else "weight: \"bold\"" if t["p_mid"] < 0.05 else ""
        mid, adj = (f"#text({style})[{text(_p(p))}]" if style else text(_p(p)) for p in (t["p_mid"], q))
        lines.append(f"  [{text(t['question'])}], [{t['a']} vs {t['b']}], "
                     f"[{100 * (t['accuracy_b'] - t['accuracy_a']):+.2f}], [{mid}], [{adj}],")
    lines.append("))")
    significant = [t for t in tests if t["p_mid"] < 0.05]
    surviving = [t for t, q in zip(tests, adjusted) if q < 0.05]
    said = [f"McNemar's test compares two networks on the images where they disagree: of the {len(tests)} pairs "
            f"that differ in one named choice, {len(significant)} differ{'s' * (len(significant) == 1)} at the 5% "
            "level"
            + (": " + join([f"{_winner(t)} ({p_text(t['p_mid'])})" for t in significant[:3]]) if significant else "")
            + "."]
    said.append(f"After Holm's correction for the {len(tests)} tests, "
                + (f"{len(surviving)} remain{'s' * (len(surviving) == 1)}." if surviving else "none remains."))
    also = sorted({d.split(" (")[0] for t in tests for d in others_differing(rows, t["a"], t["b"])})
    if also:
        said[-1] = said[-1][:-1] + f"; and the pairs also differ in {join(also)}, so they compare recipes."
    return Slide("comparison", "Are the differences real? McNemar's test, Holm's correction",
                 "#set text(size: 36pt)\n" + "\n".join(lines), tuple(said))


def _p(p: float) -> str:
    return p_text(p).removeprefix("p = ").removeprefix("p ")


def _winner(t: dict) -> str:
    """'3 ahead of 7' for a McNemar test between configurations a and b."""
    a, b = (t["a"], t["b"]) if t["accuracy_a"] >= t["accuracy_b"] else (t["b"], t["a"])
    return f"{a} ahead of {b}"


def _effects(study: dict, figures: dict) -> Slide | None:
    s = study["summary"]
    if "factorial" not in s:
        return None
    k = len(s["seeds"]["seeds"])
    accuracy = s["factorial"]["accuracy"]
    said = [f"With {k} seeds per configuration the eight form a two by two by two factorial design, and the "
            "effects of the choices can be estimated with intervals."]
    for e in accuracy["effects"]:
        if e["contrast"] is None:
            continue
        low, high = e["ci95"]
        verdict = "significant" if e["p"] < 0.05 else "not significant"
        said.append(f"{e['contrast']}: {100 * e['effect']:+.2f} points of accuracy, 95% interval "
                    f"{100 * low:+.2f}–{100 * high:+.2f}, {p_text(e['p'])}, {verdict}.")
    return Slide("effects", f"Effects of the choices over {k} seeds", "#fig(\"effects.png\")",
                 (said[0], " ".join(said[1:])))


def _curves(study: dict, figures: dict) -> Slide:
    curve = study["summary"].get("size_curve", [])
    histories = [run["history"] for run in study["runs"].values()]
    rose = sum(h[-1]["test_accuracy"] > h[0]["test_accuracy"] for h in histories)
    fell = sum(h[-1]["train_cost"] < h[0]["train_cost"] for h in histories)
    right = "[#fig(\"accuracy_vs_size.png\", height: 70%)]" if len(curve) > 1 else "[]"
    said = [f"From the first epoch to the last, the test accuracy rose in {_of(rose, len(histories))} "
            f"configurations and the training cost fell in {_of(fell, len(histories))}."]
    if len(curve) > 1:
        said.append(f"With fewer images the same network is weaker: {pct(curve[0]['accuracy'])} with "
                    f"{count(curve[0]['train_size'])} training images, {pct(curve[-1]['accuracy'])} with "
                    f"{count(curve[-1]['train_size'])}.")
    return Slide("curves", "Learning curves, and accuracy against training-set size",
                 f"#two(ratio: (1.6fr, 1fr), gap: 24pt)[#fig(\"learning_curves.png\")]{right}", tuple(said))


def _of(k: int, n: int) -> str:
    """'all 8', '7 of the 8', 'none of the 8'."""
    return f"all {n}" if k == n else f"none of the {n}" if k == 0 else f"{k} of the {n}"


def _study_networks(study: dict) -> dict:
    return {n: e for n, e in (study.get("reverse") or {}).items() if n != CONTROL}


def _counts(nets: dict, method: str, reader: str = "correct") -> str:
    """'4 and 5': how many of the 10 digits a method's images are read as intended, network by network, by the
    network itself (``"correct"``) or by the independent judge (``"judge_correct"``)."""
    return join([str(e["data"]["summary"][method][reader]) for e in nets.values()])


def _judged(nets: dict, method: str) -> str:
    """'4 and 5 of the 10': how many digits the independent judge reads as intended, network by network."""
    return _counts(nets, method, "judge_correct") + " of the 10"


def _judge(nets: dict) -> str:
    """The judge, said once: what it is and how often it reads a test image right."""
    judge = next(iter(nets.values()))["data"]["judge"]
    return (f"an independent judge, the vote of the {judge['k']} nearest training images, right on "
            f"{pct(judge['accuracy'])} of test digits")


def _backquery(study: dict, figures: dict) -> Slide | None:
    nets = _study_networks(study)
    if "backquery" not in figures or not nets:
        return None
    ids = study["summary"]["student_id"]
    said = ["Backquery runs a ten-digit network backwards: each digit's target goes through the inverse sigmoid "
            "and the transposed weights down to the pixels."]
    said.append(f"The networks, with {join([depth(e['data']['network']['sizes']) for e in nets.values()])}, read "
                f"{_counts(nets, 'backquery')} of the 10 digits as intended"
                + (f"; {_judge(nets)}, reads {_judged(nets, 'backquery')}." if _has_judge(nets) else "."))
    return Slide("backquery", f"Backquery: the digits of ID {ids}, pictured by the networks",
                 f"#fig(\"{figures['backquery']}\")", tuple(said))


def _has_judge(nets: dict) -> bool:
    return all("judge" in e["data"] for e in nets.values())


def _inversions(study: dict, figures: dict) -> Slide | None:
    nets = _study_networks(study)
    if "inversions" not in figures or not nets:
        return None
    said = ["The pseudo-inverse replaces the transpose; gradient ascent on the input raises the digit's score."]
    read = [f"{_counts(nets, method)} {METHODS[method].split(' (')[0]} images" for method in INVERSIONS
            if all(method in e["data"]["summary"] for e in nets.values())]
    said.append(f"The networks read {join(read)} as intended"
                + (f", but the judge reads only {_counts(nets, 'optimize', 'judge_correct')} optimised ones as the "
                   "digit." if _has_judge(nets) else "."))
    return Slide("inversions", "Better inversions: what the network and the judge read",
                 f"#fig(\"{figures['inversions']}\")", tuple(said))


def _prior(study: dict, figures: dict) -> Slide | None:
    nets = _study_networks(study)
    if "prior" not in figures or not nets or not _has_judge(nets):
        return None
    objective = tex(r"\max_x\; \log p(d \mid x) + \lambda \log \mathcal{N}(x;\, \mu, \Sigma)")
    weights = join([f"{e['data']['settings']['prior']['weight']:g}" for e in nets.values()])
    r = join([f"{e['data']['summary']['prior']['corr_mean']:.2f}" for e in nets.values()])
    said = ["With a Gaussian prior fitted to all training images, the ascent maximises the digit's log-probability "
            "plus lambda times the image's log-density.",
            f"The judge reads {_judged(nets, 'prior')} images as the intended digit, with correlations of {r} to the "
            "digit's mean image, and none is a copy of a training image."]
    body = (f"#align(center, text(size: 34pt)[{objective} #h(1em) λ = {weights}; μ, Σ: all training images])\n"
            f"#fig(\"{figures['prior']}\")")
    return Slide("prior", "Inversion with a prior over images", body, tuple(said))


def _weak(study: dict, figures: dict) -> Slide | None:
    nets = _study_networks(study)
    if not nets:
        return None
    name, entry = next(iter(nets.items()))
    facts = entry["data"]["facts"]
    first = facts["layers"][0]
    rows, cols = first["shape"]
    sigma = first["sigma_max"] / first["sigma_min"]
    W1, Wt, Wp, d, d2 = (tex(m) for m in ("W^{(1)}", r"W^\top", "W^+", "d_i", "d_i^2"))
    items = [f"*{W1} is {rows}×{cols}:* no inverse; a {first['null_dim']}-dimensional null space of "
             "images the network cannot see",
             f"*{Wt} is the adjoint, not the inverse:* it stretches the singular directions by {d2}",
             f"*{Wp} divides by {d}:* it magnifies the weakest directions by up to {sigma:.1f}×",
             "*the rescaling into (0.01, 0.99) is a heuristic*, and saturated sigmoids lose what they clip"]
    said = [f"Backquery's mathematics is weak: the {rows} by {cols} first weight matrix has no inverse, its "
            f"{first['null_dim']}-dimensional null space is invisible to the network, and the pseudo-inverse "
            f"magnifies the weakest directions up to {sigma:.1f} times."]
    return Slide("weak", "Where backquery's mathematics is weak",
                 "#set text(size: 44pt)\n" + "\n".join(f"- {i}" for i in items), tuple(said))


def _conclusions(study: dict, figures: dict) -> Slide:
    s = study["summary"]
    rows = _rows(study)
    best = rows[s["best"]]
    ties = ties_with_best(s)
    first = (f"The highest observed accuracy is configuration {best['number']}'s, {pct(best['accuracy']['value'])}"
             + (f", but McNemar's test cannot tell it from {join([str(t['row']['number']) for t in ties])}, so there "
                "is no single best configuration." if ties else "."))
    items = [first]
    for e in sorted(effects(s), key=lambda e: abs(e["mean"]), reverse=True):
        _, phrase = QUESTIONS[e["question"]]
        change = (f"{'raised' if e['mean'] > 0 else 'lowered'} the accuracy by {100 * abs(e['mean']):.2f} points on "
                  "average" if round(100 * abs(e["mean"]), 2) > 0 else "left the accuracy unchanged on average")
        items.append(f"{phrase[0].upper() + phrase[1:]} {change}; {_of(e['surviving'], e['n'])} pairs differ after "
                     "Holm's correction.")
    n = seeds(study)
    said = [first, items[1],
            "These are findings about these trained networks" + (
                ", from one seed each; a finding about the methods needs several seeds." if n == 1 else
                f", over {n} seeds per configuration.")]
    body = "#set text(size: 44pt)\n" + "\n".join(f"- {text(i)}" for i in items)
    return Slide("conclusions", "Conclusions, at the level the numbers allow", body, tuple(said))


def _limitations(study: dict, figures: dict) -> Slide:
    s = study["summary"]
    n_test = _balance(study, "test")[1]
    half = sorted((r["accuracy"]["ci95"][1] - r["accuracy"]["ci95"][0]) / 2 for r in s["configurations"])
    n = seeds(study)
    items = [f"{'One seed' if n == 1 else f'{n} seeds'} per configuration: "
             + ("a comparison mixes the choice with the luck of one training run" if n == 1 else
                "the seed-to-seed spread is what a finding must beat"),
             f"{count(n_test)} test images: accuracy intervals of ±{100 * half[0]:.2f} to ±{100 * half[-1]:.2f} "
             "points",
             f"{len(s['mcnemar'])} tests: at 5% each, about {0.05 * len(s['mcnemar']):.1f} significant by chance",
             "the compared pairs differ in their recipes (η, epochs), not in one choice alone",
             "another machine's arithmetic trains other, equally good networks"]
    median = statistics.median(half)
    inside = sum(abs(t["accuracy_b"] - t["accuracy_a"]) < median for t in s["mcnemar"])
    said = [f"With {count(n_test)} test images the accuracy intervals are ±{100 * half[0]:.2f} to "
            f"±{100 * half[-1]:.2f} points wide, and {inside} of the {len(s['mcnemar'])} compared differences are "
            "smaller than the median half-width.",
            f"{len(s['mcnemar'])} tests at 5% each would give about {0.05 * len(s['mcnemar']):.1f} significant "
            "results by chance alone, which is why Holm's correction matters."]
    return Slide("limitations", "Limitations", "#set text(size: 44pt)\n" + "\n".join(f"- {text(i)}" for i in items),
                 tuple(said))


def _references(study: dict, figures: dict) -> Slide:
    keys = ("rashid", "lecun", "mcnemar", "holm", "wilson", "fagerland")
    body = "#set text(size: 28pt)\n" + "\n".join(f"+ {text(REFERENCES[k])}" for k in keys)
    return Slide("references", "References", body,
                 ("Everything in this presentation was generated by mathdl from the study directory; the sources "
                  "are on the slide.",))


PREVIEW = {"task", "eight-matrices", "comparison", "curves", "backquery", "prior", "conclusions"}  # the short version's
SLIDES = (_task, _architectures, _equations, _backprop, _recipe, _one_matrix, _eight_matrices, _rates, _comparison,
          _effects, _curves, _backquery, _inversions, _prior, _weak, _conclusions, _limitations, _references)


def markdown(slides: list[Slide], starts: list[float], ends: list[float], *, title: str) -> str:
    """presentation.md: the script, slide by slide, with each slide's start and end time."""
    lines = [f"# {title}: the presentation's script", "",
             "What is said over each slide, with its times in presentation.mp4. To narrate it in your own voice, "
             "record one WAV file a slide (01.wav, 02.wav, …) and run `mathdl present STUDY_DIR --voice-dir DIR`.",
             ""]
    for i, (s, start, end) in enumerate(zip(slides, starts, ends), 1):
        lines += [f"## {i:02d}. {s.heading or 'Title'} ({clock(start)}–{clock(end)})", "",
                  f"![slide {i}](slides/{i:02d}.png)", "", s.narration, ""]
    return "\n".join(lines)


def clock(t: float) -> str:
    """Seconds as m:ss.s (rounded to the tenth first, so that 59.97 s is 1:00.0, not 0:60.0)."""
    minutes, tenths = divmod(round(t * 10), 600)
    return f"{minutes}:{tenths / 10:04.1f}"
