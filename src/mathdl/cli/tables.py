"""The tables the commands print: confusion matrices and rates, gradient checks, the study's comparison
and McNemar tables, the reverse part's measurements.
"""
from __future__ import annotations

from rich import box
from rich.table import Table
from rich.text import Text

from ..base.console import out
from ..base.numbers import ci, interval, mean_ci, p_value, pct, points


def _pct(count: int, total: int) -> str:
    return pct(count / total, 1) if total else "-"


def binary_table(report, classes: list[str], title: str) -> Table:
    """The 2×2 matrix as [[TP, FN], [FP, TN]] (rows true class, columns predicted) with its rates."""
    n = report.tp + report.fn + report.fp + report.tn
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, caption_justify="left",
                  caption=f"positive = {classes[1]}, negative = {classes[0]}")
    table.add_column("true \\ predicted")
    table.add_column("positive", justify="right")
    table.add_column("negative", justify="right")
    table.add_column("")
    table.add_row("positive", f"TP {report.tp} ({_pct(report.tp, n)})", f"FN {report.fn} ({_pct(report.fn, n)})",
                  f"sensitivity {_value(report.sensitivity)}")
    table.add_row("negative", f"FP {report.fp} ({_pct(report.fp, n)})", f"TN {report.tn} ({_pct(report.tn, n)})",
                  f"specificity {_value(report.specificity)}")
    table.add_section()
    table.add_row("", f"precision {_value(report.precision)}", f"NPV {_value(report.npv)}",
                  Text(f"accuracy {_value(report.accuracy)}", style="bold"))
    return table


def rates_table(report) -> Table:
    """Every rate of a binary report with its 95% interval and how the interval is computed."""
    table = Table(box=None, show_header=True, padding=(0, 2, 0, 0))
    for column in ("rate", "value [95% CI]", "interval"):
        table.add_column(column)
    for name in ("accuracy", "sensitivity", "specificity", "precision", "npv", "f1", "mcc"):
        method = "bootstrap" if name in ("f1", "mcc") else "Wilson"
        rate = getattr(report, name)
        text = (interval(rate.value, (rate.low, rate.high), 4, scale=1) if name == "mcc" and rate.value is not None
                else str(rate))  # MCC lies in [−1, 1]; the others are proportions
        table.add_row(name.upper() if name in ("npv", "f1", "mcc") else name, text, method)
    return table


def _value(rate) -> str:
    return pct(rate.value)


def multiclass_table(cm, classes: list[str], report: dict, title: str) -> Table:
    """A k×k matrix (rows true class, columns predicted), per-class sensitivity in the last column,
    precision and specificity in the last rows."""
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, padding=(0, 1), collapse_padding=True,
                  pad_edge=False, caption="rows: true class, columns: predicted class; rates in %, — undefined (0/0)",
                  caption_justify="left")
    table.add_column("")
    for name in classes:
        table.add_column(name, justify="right")
    table.add_column("sens", justify="right")
    for i, name in enumerate(classes):
        cells = [Text(str(v), style="bold" if i == j else ("red" if v else "dim")) for j, v in enumerate(cm[i])]
        table.add_row(name, *cells, _rate(report["per_class"][name]["sensitivity"]))
    table.add_section()
    for key, label in (("precision", "prec"), ("specificity", "spec")):
        table.add_row(label, *[_rate(report["per_class"][name][key]) for name in classes], "")
    return table


def _rate(rate: dict) -> str:
    if rate["value"] is None:
        return "—"
    return "100" if rate["value"] == 1 else f"{100 * rate['value']:.1f}"  # at most four characters


def show_result(result) -> None:
    """Print a trained configuration's test confusion matrix and rates."""
    import numpy as np

    from ..evaluation.metrics import binary_report, confusion_matrix
    task, m = result.task, result.metrics
    cm = confusion_matrix(task.test.labels, result.test.predicted, len(task.classes))
    title = (f"test confusion matrix, {task.test.N} images — "
             f"{result.config.label(result.net.sizes, task.train.N)}")
    if task.binary:
        report = binary_report(cm)
        out.print(binary_table(report, task.classes, title))
        out.print(rates_table(report))
        for name, split in (("train", task.train), ("test", task.test)):
            counts = np.bincount(split.labels, minlength=2)
            out.print(f"class balance ({name}): {counts[1]} positive ({_pct(counts[1], counts.sum())}), "
                      f"{counts[0]} negative")
    else:
        out.print(multiclass_table(cm, task.classes, m["test"], title))
        out.print(f"accuracy {interval(m['test']['accuracy'], m['test']['accuracy_ci95'], unit='%')} (95% CI); "
                  "sens = sensitivity, prec = precision, spec = specificity")
    out.print(f"training: {result.history.seconds:.1f} s; train accuracy {100 * m['train']['accuracy']:.2f}%")


def gradcheck_table(checks, net, title: str) -> Table:
    """Per layer: the shapes of W⁽ˡ⁾ and b⁽ˡ⁾ and the relative errors of their gradients."""
    table = Table(title=title, title_justify="left")
    for column in ("layer l", "W shape", "rel. error dC/dW", "b shape", "rel. error dC/db"):
        table.add_column(column, justify="right")
    for c in checks:
        b_shape = "-" if net.b[c.l] is None else "x".join(map(str, net.b[c.l].shape))
        table.add_row(str(c.l), "x".join(map(str, net.W[c.l].shape)), f"{c.W_error:.2e}", b_shape,
                      "-" if c.b_error is None else f"{c.b_error:.2e}")
    return table


def study_tables(rows: list[dict], title: str) -> tuple[Table, Table]:
    """The eight configurations side by side: choices, TP/FN/FP/TN and accuracy; then the rates."""
    compact = {"box": box.SIMPLE_HEAD, "padding": (0, 1), "pad_edge": False, "collapse_padding": True}
    counts = Table(title=title, title_justify="left", caption="time: training, without the compiled loops' "
                   "first-use compilation", caption_justify="left", **compact)
    for column in ("#", "hidden", "cost", "bp", "TP", "FN", "FP", "TN", "accuracy % [95% CI]", "time"):
        counts.add_column(column, justify="left" if column in ("hidden", "cost", "bp") else "right")
    best = max(r["accuracy"]["value"] for r in rows)
    for r in rows:
        hidden = ",".join(r["layers"].split("-")[1:-1])
        counts.add_row(str(r["number"]), hidden, r["cost"].upper(), r["bp"], str(r["tp"]), str(r["fn"]),
                       str(r["fp"]), str(r["tn"]),
                       Text(ci(r["accuracy"]), style="bold" if r["accuracy"]["value"] == best else ""),
                       f"{r['train_seconds'] - r.get('compile_seconds', 0.0):.0f} s")
    rates = Table(caption="95% intervals: Wilson score; F1: bootstrap", caption_justify="left", **compact)
    for column in ("#", "sensitivity % [CI]", "specificity % [CI]", "precision % [CI]", "F1 %"):
        rates.add_column(column, justify="right")
    for r in rows:
        f1 = r["f1"]["value"]
        rates.add_row(str(r["number"]), ci(r["sensitivity"], 1), ci(r["specificity"], 1),
                      ci(r["precision"], 1), interval(f1, None))
    return counts, rates


def mcnemar_table(tests: list[dict], family: int | None = None) -> Table:
    """McNemar's test for each pair of configurations that differ in one named choice (and, with the defaults,
    in η, epochs or batch size: each method and cost has its own recipe), with the mid-p value Holm-adjusted
    over the family of ``family`` tests (all comparisons of all seeds)."""
    family = family or len(tests)
    table = Table(title="McNemar's test, same test images (b: only A right, c: only B right)",
                  title_justify="left", box=box.SIMPLE_HEAD, padding=(0, 1), pad_edge=False, caption_justify="left",
                  caption="A %, B %: test accuracy; p exact: two-sided binomial test of b vs c; mid-p: its mid-p "
                          f"version; Holm: the mid-p adjusted by Holm's method for the family of {family} tests; "
                          "*: below 0.05")
    for column in ("comparison", "A-B", "A %", "B %", "b", "c", "p exact", "mid-p", "Holm"):
        table.add_column(column, justify="left" if column == "comparison" else "right")
    star = lambda p: p_value(p) + ("*" if p < 0.05 else " ")  # noqa: E731
    for t in tests:
        table.add_row(t["question"].replace(" hidden layers", " layers").replace(" vs ", "/"), f"{t['a']}-{t['b']}",
                      f"{100 * t['accuracy_a']:.2f}", f"{100 * t['accuracy_b']:.2f}", str(t["a_right_b_wrong"]),
                      str(t["a_wrong_b_right"]), p_value(t["p_exact"]), star(t["p_mid"]), star(t["p_mid_holm"]))
    return table


def seeds_table(summary: dict) -> Table:
    """Each configuration's test accuracy, sensitivity and specificity over the seeds: mean [t-interval], sd."""
    seeds = summary["seeds"]
    table = Table(title=f"the eight configurations over {len(seeds['seeds'])} seeds ({', '.join(map(str, seeds['seeds']))})",
                  title_justify="left", box=box.SIMPLE_HEAD, padding=(0, 1), pad_edge=False, caption_justify="left",
                  caption=f"mean [{seeds['interval']}], sd: the seeds' standard deviation (percentage points)")
    for column in ("#", "hidden", "cost", "bp", "accuracy %", "sd", "sensitivity %", "specificity %"):
        table.add_column(column, justify="left" if column in ("hidden", "cost", "bp") else "right")
    for c in seeds["configurations"]:
        table.add_row(str(c["number"]), str(c["hidden_layers"]), c["cost"].upper(), c["bp"], mean_ci(c["accuracy"]),
                      "" if c["accuracy"]["sd"] is None else f"{100 * c['accuracy']['sd']:.2f}",
                      mean_ci(c["sensitivity"]), mean_ci(c["specificity"]))
    return table


def effects_table(analysis: dict) -> Table:
    """The factorial effects on one response: effect [95% interval] in percentage points, p."""
    table = Table(title=f"factorial effects on test {analysis['response']} ({analysis['n']} runs, "
                        f"{analysis['df_resid']:.0f} residual df)", title_justify="left", box=box.SIMPLE_HEAD,
                  padding=(0, 1), pad_edge=False, caption_justify="left",
                  caption="OLS on ±1 codes, every interaction; main effect = difference of the means; A × B = "
                          "difference of A's effect between B's levels; points = percentage points")
    for column in ("effect", "points", "95% interval", "p", "p<0.05"):
        table.add_column(column, justify="left" if column == "effect" else "right")
    for e in analysis["effects"]:
        table.add_row(e["contrast"] or e["label"], points(e["effect"], 3),
                      f"[{points(e['ci95'][0], 3)}, {points(e['ci95'][1], 3)}]", p_value(e["p"]),
                      "yes" if e["p"] < 0.05 else "no")
    return table


def reverse_table(result, student_id: str) -> Table:
    """Per method and digit: the network's class for the image, its output a_d, the judge's class and its share
    p̂ of votes for d, the distance to the nearest training image of d, r with the digit's mean image, the
    best-correlated mean image and, for the chains, max|a(x) − y| and each layer's range before rescaling (from
    the top layer down)."""
    id_digits = {int(c) for c in student_id}
    judged = all("judge_class" in r.measures for r in result.records)
    table = Table(title=f"reverse images (bold: digits of ID {student_id})", title_justify="left",
                  box=box.SIMPLE_HEAD, padding=(0, 1, 0, 0), pad_edge=False, caption_justify="left",
                  caption="class: the network's; a_d: its output for digit d; "
                          + ("judge: the class the judge (k nearest training images) reads, p: its share of votes for "
                             "d; dist: to the nearest training image of d (*: a near-copy); " if judged else "")
                          + "r: correlation with the mean training image of d; near: the best-correlated mean image; "
                          "max|a-y|: forward pass against the queried output")
    columns = ("method", "d", "class", "a_d", *(("judge", "p", "dist") if judged else ()), "r", "near", "max|a-y|")
    for column in columns:
        table.add_column(column, justify="left" if column == "method" else "right", no_wrap=True)
    table.add_column("range before rescaling")  # the one column that wraps, for deep networks
    for method in result.methods:
        for i, record in enumerate(r for r in result.records if r.method == method):
            m = record.measures
            ranges = ", ".join(f"{_short(s['range_before'][0])}…{_short(s['range_before'][1])}"
                               for s in m.get("layers", []))
            judge = (Text(str(m["judge_class"]), style="" if m["judge_correct"] else "red"),
                     f"{m['judge_probability']:.1f}", f"{m['nearest_distance']:.2f}" + ("*" if m["near_copy"] else ""))
            table.add_row(method if i == 0 else "", Text(str(record.digit), style="bold" if record.digit in id_digits
                                                         else ""),
                          Text(str(m["predicted"]), style="" if m["correct"] else "red"), f"{m['output']:.3f}",
                          *(judge if judged else ()),
                          "-" if m["corr_mean"] is None else f"{m['corr_mean']:.2f}", str(m["nearest_mean"]),
                          f"{m['max_error']:.3f}" if "max_error" in m else "-", ranges or "-")
        table.add_section()
    return table


def _short(v: float) -> str:
    """A range end in at most five characters: -13.3 → -13, 0.47 → 0.5."""
    return f"{v:.0f}" if abs(v) >= 9.95 else f"{v:.1f}"


def reverse_summary(result) -> str:
    """One line per method: images the network and the judge read as intended, median a_d, mean r; then the
    judge's own test accuracy, the λ of the prior and which methods the judge reads as the digits."""
    lines = []
    for method, s in result.summary().items():
        r = "-" if s["corr_mean"] is None else f"{s['corr_mean']:.2f}"
        line = (f"{method}: {s['correct']}/{s['images']} classified as intended, a_d median "
                f"{s['output_median']:.3f} (min {s['output_min']:.3f}), mean r with the mean image {r}")
        if "judge_correct" in s:
            line += (f"; judge: {s['judge_correct']}/{s['images']} read as intended (mean p {s['judge_probability_mean']:.2f}),"
                     f" nearest training image {s['nearest_distance_min']:.2f} away")
        lines.append(line)
    judge, prior = result.judge, result.settings.get("prior")
    if judge.get("accuracy") is not None:
        lines.append(f"the judge ({judge['k']} nearest of {judge['training_images']:,} training images) reads "
                     f"{100 * judge['accuracy']:.1f}% of {judge['test_images']} test images right")
    if prior:
        lines.append(f"prior: λ = {prior['weight']:g} (tried {', '.join(f'{w:g}' for w in prior['tried'])})")
    if judge:
        good = [m for m, s in result.summary().items() if s.get("read_as_digits")]
        bar = result.settings["read_as_digits"]
        lines.append(f"read as the digits by the judge (at least {100 * bar['judge_share']:g}% of the images, mean r at "
                     f"least {bar['corr_mean']:g}, no near-copy): " + (", ".join(good) if good else "no method"))
    return "\n".join(lines)


def iterates_table(runs, parabola):
    """x_k for k = 0..K, one column per step size."""
    table = Table(title=f"x_(k+1) = x_k − η f′(x_k), f(x) = {parabola.formula}", title_justify="left",
                  box=box.SIMPLE_HEAD)
    table.add_column("k", justify="right")
    for run in runs:
        table.add_column(f"η = {run.eta:g}", justify="right")
    for k in range(max(len(run.path) + run.overflowed for run in runs)):  # with the row where one overflowed
        table.add_row(str(k), *[f"{run.path[k, 0]:.10g}" if k < len(run.path) else "overflow" if run.overflowed
                                else "" for run in runs])
    return table
