"""The report: a PDF with its sections, numbers in the prose equal to summary.json, no machine path, every
caption's promise kept, a title page for a hand-in, no half-empty page, clear errors."""
import json
import re
import shutil
import statistics

import pypdf
import pytest

from mathdl.base.errors import MathdlError
from mathdl.cli import main
from mathdl.evaluation.metrics import holm
from mathdl.report import build_report
from mathdl.report.content import build, load_study, shared_dips
from mathdl.report.document import to_markdown
from mathdl.base.numbers import p_value
from mathdl.report.format import join, shown_command
from mathdl.report.references import cite, reference_blocks
from mathdl.report.reverse_section import _comparison_text

SECTIONS = ["The task, the data and the protocol", "The networks", "The five-layer network", "Costs and output deltas",
            "Backpropagation", "The two backpropagation methods", "Initialisation and training schedule",
            "Every matrix and vector, with its shape", "Results", "The eight confusion matrices",
            "Rates with confidence intervals", "McNemar's test", "Learning curves", "Training times", "Discussion",
            "Limitations", "Reverse: inside the mind of the network", "The network with one hidden layer",
            "The network with three hidden layers", "The control: the book's network", "Reproducibility",
            "References"]


@pytest.fixture(scope="module")
def report(study):
    return build_report(study.path, date="1 March 2025")


@pytest.fixture(scope="module")
def summary(study):
    return json.loads((study.path / "summary.json").read_text())


@pytest.fixture(scope="module")
def pages(report):
    reader = pypdf.PdfReader(report["pdf"])
    return [" ".join(page.extract_text().split()).replace("\u2019", "'") for page in reader.pages]


def test_report_files_exist(report):
    for path in report.values():
        assert path.is_file() and path.stat().st_size > 1000


def test_pdf_has_its_sections_and_pages(report, pages):
    assert len(pages) >= 10
    flat = " ".join(pages)
    for section in SECTIONS:
        assert section in flat, section
    reader = pypdf.PdfReader(report["pdf"])
    images = sum(len(page.images) for page in reader.pages)
    assert images >= 18  # architecture, eight matrices, two curves, mean images, ID and 0-9 pictures of three networks


def test_markdown_numbers_equal_the_summary(report, summary):
    md = report["md"].read_text()
    for row in summary["configurations"]:
        assert f"| {row['number']} | {row['tp']} | {row['fn']} | {row['fp']} | {row['tn']} |" in md
        for rate in ("accuracy", "sensitivity", "specificity", "precision", "npv", "f1"):
            r = row[rate]
            if r["value"] is not None:  # two decimals everywhere, with the interval (F1's bootstrap one too)
                assert f"{100 * r['value']:.2f} [{100 * r['ci95'][0]:.2f}, {100 * r['ci95'][1]:.2f}]" in md, rate
        mcc = row["mcc"]
        if mcc["value"] is not None:
            assert f"{mcc['value']:.3f} [{mcc['ci95'][0]:.3f}, {mcc['ci95'][1]:.3f}]" in md
    adjusted = holm([t["p_mid"] for t in summary["mcnemar"]])
    for t, q in zip(summary["mcnemar"], adjusted):
        assert (f"| {t['question']} | {t['a']} vs {t['b']} | {100 * t['accuracy_a']:.2f} | {100 * t['accuracy_b']:.2f} | "
                f"{t['a_right_b_wrong']} | {t['a_wrong_b_right']} | {p_value(t['p_exact'])} | {p_value(t['p_mid'])} | "
                f"{p_value(q)} |") in md
    balance = summary["class_balance"]["test"]
    assert f"{sum(balance.values())} images, {list(balance.values())[1]} positive" in md
    shapes = [int(n) for n in next(r for r in summary["configurations"] if r["hidden_layers"] == 3)["layers"].split("-")]
    assert f"{shapes[1]} × {shapes[0]}" in md  # W⁽¹⁾ of h1 × n with the real numbers


def test_best_observed_is_stated_with_its_ties(pages, summary):
    rows = {r["number"]: r for r in summary["configurations"]}
    best = rows[summary["best"]]
    tied = [t["b"] for t in summary["versus_best"] if t["p_mid"] >= 0.05]
    first = pages[0]
    assert f"Highest observed test accuracy: configuration {best['number']}, {100 * best['accuracy']['value']:.2f}%" in first
    if tied:
        assert "McNemar's test does not find it ahead of " + ", ".join(map(str, tied[:-1])) in first
    assert "Best configuration" not in " ".join(pages)


def test_the_prose_numbers_come_from_the_summary(report, summary):
    md = report["md"].read_text()
    rows = summary["configurations"]
    half = [(r["accuracy"]["ci95"][1] - r["accuracy"]["ci95"][0]) / 2 for r in rows]
    assert f"median ±{100 * statistics.median(half):.2f}" in md
    surviving = sum(q < 0.05 for q in holm([t["p_mid"] for t in summary["mcnemar"]]))
    assert f"{surviving} remain" in md
    significant = sum(t["p_mid"] < 0.05 for t in summary["mcnemar"])
    assert f"would come out significant by chance if no choice mattered; {significant} did" in md
    assert "each trained once, from one seed" in md  # one seed in the options: findings about these networks
    for question, a, b in (("TSE vs XE", 1, 2), ("online vs matrix", 1, 3)):
        ra, rb = rows[a - 1], rows[b - 1]
        assert f"η ({ra['eta']:g} vs {rb['eta']:g})" in md  # the pairs also differ in η, and it says so
    assert "differ little when the classes are balanced" not in md


def prose(loaded: dict) -> str:
    """The report's markdown built from a (changed) loaded study, its lines joined: nothing typeset."""
    return " ".join(to_markdown(build(loaded, date="1 March 2025")).split())


def test_the_discussion_and_limitations_follow_the_signs_and_counts_of_the_tests(study):
    """Verdicts set here so that a flipped sign, threshold or comparison in the text says something else: one
    choice raises the accuracy and two lower it; two of its pairs are significant at 5%, one after Holm's
    correction; every difference is smaller than the intervals' median half-width."""
    loaded = load_study(study.path)
    s = loaded["summary"]
    for t in s["mcnemar"]:
        t["p_mid"] = 0.3
        t["accuracy_a"], t["accuracy_b"] = (0.97, 0.98) if t["question"] == "TSE vs XE" else (0.98, 0.975)
    xe = [t for t in s["mcnemar"] if t["question"] == "TSE vs XE"]
    xe[0]["p_mid"], xe[1]["p_mid"] = 0.001, 0.01  # Holm: 12 × 0.001 < 0.05, kept; 11 × 0.01 > 0.05, not
    half = [(r["accuracy"]["ci95"][1] - r["accuracy"]["ci95"][0]) / 2 for r in s["configurations"]]
    assert statistics.median(half) > 0.01  # the tiny study's intervals are wider than every difference here
    md = prose(loaded)
    assert "**XE instead of TSE** raised the test accuracy by 1.00 percentage points on average" in md
    assert md.count("lowered the test accuracy by 0.50 percentage points on average") == 2
    assert "significant at 5% in 2 of 4 pairs, 1 after Holm's correction" in md
    assert md.count("significant at 5% in 0 of 4 pairs, 0 after Holm's correction") == 2
    assert "would come out significant by chance if no choice mattered; 2 did." in md
    assert f"1 remains ({xe[0]['a']} vs {xe[0]['b']})." in md
    assert "and 12 of the 12 differences are smaller than the median half-width" in md


def test_the_limitations_state_the_intervals_the_differences_and_the_tests_worked_out_by_hand(study):
    """Half-widths 0.4 to 1.4 points (median 0.9), differences 0.1 to 1.3 (median 0.7, seven below 0.9), and
    three p-values below 0.05 of which Holm keeps two (12 × 0.001 and 11 × 0.004 < 0.05, 10 × 0.03 > 0.05)."""
    loaded = load_study(study.path)
    s = loaded["summary"]
    assert sum(s["class_balance"]["test"].values()) == 80
    for r, h in zip(s["configurations"], (0.004, 0.005, 0.006, 0.008, 0.010, 0.011, 0.012, 0.014)):
        r["accuracy"]["ci95"] = [0.9 - h, 0.9 + h]
    differences = (0.001, 0.002, 0.003, 0.004, 0.005, 0.006, 0.008, 0.0095, 0.010, 0.011, 0.012, 0.013)
    for t, d, p in zip(s["mcnemar"], differences, (0.001, 0.004, 0.03, *[0.3] * 9), strict=True):
        t["accuracy_a"], t["accuracy_b"], t["p_mid"] = 0.9, 0.9 + d, p
    md = prose(loaded)
    assert ("80 test images give accuracy intervals of ±0.40 to ±1.40 points (median ±0.90); the twelve compared "
            "pairs differ by 0.10 to 1.30 points (median 0.70), and 7 of the 12 differences are smaller than the "
            "median half-width") in md
    assert "a difference of 0.1 points is 0.08 of the 80 test images" in md
    assert "about 0.6 of the twelve would come out significant by chance if no choice mattered; 3 did." in md
    first, second = s["mcnemar"][:2]
    assert f"2 remain ({first['a']} vs {first['b']} and {second['a']} vs {second['b']})." in md
    assert "Each method and cost runs with its own tuned recipe" in md  # the pairs differ in η
    assert "The reverse pictures." in md
    assert "The reverse pictures." not in prose({**loaded, "reverse": None})


def test_the_discussion_names_the_weakest_the_widest_gap_and_the_most_overfit(study):
    """Set so that each named configuration is another one: the weakest is 8, sensitivity exceeds specificity in
    3 with the widest gap in 2, and the training-test gap is largest in 5."""
    loaded = load_study(study.path)
    s = loaded["summary"]
    for r in s["configurations"]:
        k = r["number"]
        r["accuracy"]["value"] = 0.99 - 0.01 * k
        r["sensitivity"]["value"], r["specificity"]["value"] = (0.97 if k == 2 else 0.95, 0.9) if k <= 3 else (0.9, 0.91)
        last = loaded["runs"][k]["history"][-1]
        last["train_accuracy"], last["test_accuracy"] = 0.9 + (0.03 if k == 5 else 0.001 * k), 0.9
    s["best"] = 1
    for t in s["versus_best"]:
        t["p_mid"] = 0.001
    md = prose(loaded)
    assert "The weakest is configuration 8 (" in md
    assert "Sensitivity exceeds specificity in 3 of the 8 configurations; the widest gap is in configuration 2, " in md
    assert "test accuracy after the last epoch is largest for configuration 5 (3.00 points)" in md


def test_a_dip_is_shared_when_all_but_one_configuration_fell_after_that_epoch():
    """Epoch 3 lowered the test accuracy of seven of the eight configurations, epoch 2 and 4 raised all of it."""
    curves = [[0.90, 0.92, 0.91, 0.95]] * 7 + [[0.90, 0.92, 0.93, 0.95]]
    study = {"runs": {k: {"history": [{"test_accuracy": a} for a in curve]} for k, curve in enumerate(curves, 1)}}
    assert shared_dips(study) == [3]
    assert shared_dips(study, least=8) == []


def _reverse_entry(correct: int, hidden: float, hidden_width: int = 100) -> dict:
    """A reverse network's entry as the report reads it: backquery's count of the ten digits, and the share of
    saturated activations of its one hidden layer (0.3 in the output layer)."""
    return {"data": {"summary": {"backquery": {"correct": correct, "images": 10, "corr_mean": 0.5}},
                     "network": {"sizes": [784, hidden_width, 10]},
                     "facts": {"layers": [{"l": 1, "shape": [hidden_width, 784]}, {"l": 2, "shape": [10, hidden_width]}],
                               "saturated": {"1": hidden, "2": 0.3}}}}


@pytest.mark.parametrize("control,others,verdict", [
    ((9, 0.05), [(6, 0.20), (7, 0.25)], "Where backquery does worse, the hidden units sit more often in the flat tails"),
    ((9, 0.05), [(6, 0.20), (7, 0.06)], "The hidden layers' saturation does not explain the difference here"),
    ((5, 0.05), [(6, 0.20), (7, 0.25)], "Backquery does no better on the control here")])
def test_the_control_comparison_explains_only_what_the_saturation_explains(control, others, verdict):
    """Backquery does better on the control than on the study's networks, and each of those is clearly (2 points
    or more) more saturated: the saturation is offered as the reason; not when one of them is not, or when the
    control does no better."""
    reverse = {"book": _reverse_entry(*control, hidden_width=200)}
    reverse.update({f"net{i}": _reverse_entry(*o) for i, o in enumerate(others)})
    said = "".join(p for p in _comparison_text(reverse) if isinstance(p, str))
    assert verdict in said


def test_training_times_leave_the_compilation_apart(report, summary, study):
    md = report["md"].read_text()
    for row in summary["configurations"]:
        compiled = json.loads((study.path / row["run_dir"] / "metrics.json").read_text())["compile_seconds"]
        training = max(0.0, row["train_seconds"] - compiled)
        shown = f"{training:.1f} s" if training < 100 else f"{training:.0f} s"
        per_epoch = f"{training / row['epochs']:.2f} s"
        assert re.search(rf"\| {row['number']} \| [^|]+ \| {row['epochs']} \| {re.escape(shown)} \| [^|]+ \| "
                         rf"{re.escape(per_epoch)} \|", md), row["number"]


def test_no_machine_path_in_the_text(report, pages, study):
    md = report["md"].read_text()
    figures = re.findall(r"\]\(([^)]+)\)", md)
    prose = re.sub(r"\]\([^)]+\)", "]", md)  # the figures' relative paths are not prose
    for text in (prose, " ".join(pages)):
        assert str(study.path.resolve()) not in text and str(study.path.parent) not in text
        assert not re.search(r"(?<![\w.…])/(tmp|home|root|usr|var|work|Users)/", text), re.search(
            r".{40}(?<![\w.…])/(tmp|home|root|usr|var|work|Users)/.{40}", text)
        assert "cache of" not in text and "MATHDL_DATA /" not in text
        assert "MNIST database" in text and "checksum" in text
    assert all(not f.startswith("/") for f in figures)


def test_a_command_line_is_shown_without_its_paths():
    assert shown_command("mathdl study --quick --out /tmp/rq0 --data=/home/ann/mnist --id 42") == \
        "mathdl study --quick --out …/rq0 --data=…/mnist --id 42"
    assert shown_command(None) == "mathdl study"
    # a home directory, and a study run on Windows reported elsewhere: a path with either slash names no directory
    assert shown_command(r"mathdl study ~/studies/s1 --out C:\Users\ann\s1 --data=D:/data/mnist") == \
        "mathdl study …/s1 --out …/s1 --data=…/mnist"


def test_a_list_of_words_is_joined_with_its_last_word():
    assert join(["a", "b", "c"], "or") == "a, b or c" and join(["a", "b"]) == "a and b"
    assert join(["a"]) == "a" and join([]) == ""


def test_the_references_are_numbered_in_the_order_of_the_list():
    assert cite("rashid") == "[1]" and cite("lecun") == "[2]" and cite("matlab") == "[10]"
    assert cite("wilson", "mcnemar") == "[4, 5]"
    heading, bullets = reference_blocks()
    assert heading.text == "References" and bullets.numbered and len(bullets.items) == 10
    # each work's journal volume, pages and year, as published
    for i, where in enumerate(("2016", "86(11), 2278-2324, 1998", "14(5), 548-557, 1970", "22(158), 209-212, 1927",
                               "12(2), 153-157, 1947", "13, 91, 2013", "6(2), 65-70, 1979", "1993",
                               "405(2), 442-451, 1975", "testcholdout")):
        assert where in bullets.items[i][0], (i, where)


def test_every_captions_promise_is_kept(report, study, summary):
    md = report["md"].read_text()
    # Table 3's caption promises bootstrap intervals for F1 and MCC: every F1 and MCC cell has one
    rates = [line for line in md.splitlines() if re.match(r"\| \d \| \d+ \| \d+ \| \d+ \| \d+ \|", line)]
    assert len(rates) == 8
    for line in rates:
        cells = [c.strip() for c in line.strip("|").split("|")]
        assert all(re.fullmatch(r"-?\d+\.\d+ \[-?\d+\.\d+, -?\d+\.\d+\]|undefined", c) for c in cells[5:]), line
    # the confusion figures' explanation: layouts, the red numbers
    assert "confusionmat and confusionchart" in md and "plotconfusion transposes" in md
    assert "the red one its complement" in md and "testcholdout" in md
    # the architecture figure, both shape tables, the online update of b
    assert (study.path / "architecture.png").is_file() and "](architecture.png)" in md
    shallow = [int(n) for n in summary["configurations"][0]["layers"].split("-")]
    assert f"| $W^{{(2)}}$ | m × h | {shallow[2]} × {shallow[1]} |" in md
    assert r"b^{(l)} \leftarrow b^{(l)} - \eta\,\delta^{(l)}" in md
    # the backward pass written out with every gradient's shape (mathdl explain's table)
    assert r"\frac{\partial C}{\partial W^{(1)}}" in md and r"\frac{\partial C}{\partial b^{(4)}}" in md
    # the rates', Wilson's and McNemar's formulas; the references
    for formula in (r"\frac{\mathrm{TP}}{\mathrm{TP} + \mathrm{FN}}", r"\Phi^{-1}(0.975)", r"p_{\mathrm{mid}}"):
        assert formula in md
    for work in ("Make Your Own Neural Network", "McNemar", "1947", "Wilson", "1927", "LeCun", "Casey", "MATLAB",
                 "Holm"):
        assert work in md.split("## 8 References")[-1], work
    # the reverse part: mean images, digits 0-9, a control, a scale on the pictures
    for name in ("1layer", "3layers", "book"):
        assert f"](reverse/{name}/reverse-grid.png)" in md and f"](reverse/{name}/reverse-id.png)" in md
    assert "](reverse/1layer/reverse-means.png)" in md
    assert "its own intensity scale" in md and "is the same query each time" in md


def test_a_preview_says_so_on_its_first_page(pages, summary):
    n_train = sum(summary["class_balance"]["train"].values())
    assert "Preview." in pages[0] and f"{n_train:,} of the 60,000 training" in pages[0]


def test_the_title_page_has_the_author_the_date_and_the_id(study, tmp_path, capsys):
    copy = tmp_path / "copy"
    shutil.copytree(study.path, copy)
    assert main(["report", str(copy), "--author", "Ada Lovelace", "--title", "Coursework 2: digits"]) == 0
    first = pypdf.PdfReader(copy / "report.pdf").pages[0].extract_text()
    assert "Ada Lovelace" in first and "Coursework 2: digits" in first and "Student ID 100384" in first
    assert re.search(r"\d{1,2} [A-Z][a-z]+ \d{4}", first)  # the date
    assert json.loads((copy / "study.json").read_text())["report"] == {"title": "Coursework 2: digits",
                                                                       "author": "Ada Lovelace"}
    assert main(["report", str(copy)]) == 0  # rebuilt: the title page is kept
    assert "Ada Lovelace" in pypdf.PdfReader(copy / "report.pdf").pages[0].extract_text()
    assert main(["report", str(copy), "--title", " "]) == 2
    assert "title must not be empty" in capsys.readouterr().err


def _occupied(page) -> list[tuple[float, float]]:
    """The vertical extents (PDF points from the bottom) of the text lines and images on the page, but the
    page number."""
    spans = []

    def text(t, cm, tm, font, size):
        if t.strip() and not t.strip().isdigit():
            y = tm[5] * cm[3] + cm[5]
            spans.append((y, y + size * (tm[3] or 1) * (cm[3] or 1)))

    def operand(op, args, cm, tm):
        if op == b"Do":  # an image: the unit square mapped by cm
            spans.append((cm[5], cm[5] + cm[3]))

    page.extract_text(visitor_text=text, visitor_operand_before=operand)
    return sorted(spans)


def _emptiest(page, bottom: float, top: float) -> float:
    """The largest stretch of the page's body from ``bottom`` to ``top`` with nothing on it, as a share of
    the body (a gap between text and a float, or blank space at the end)."""
    edge, widest = bottom, 0.0
    for low, high in _occupied(page):
        widest = max(widest, low - edge)
        edge = max(edge, high)
    widest = max(widest, top - edge) if edge < top - 1 else widest
    return widest / (top - bottom)


def test_no_page_is_left_half_empty(report):
    """Figures and tables float and text flows around them: on every page but the title page and the last,
    no stretch of more than a fifth of the body is left empty (the margins are 2.2 cm)."""
    reader = pypdf.PdfReader(report["pdf"])
    height = float(reader.pages[0].mediabox.height)
    margin = 2.2 / 2.54 * 72
    for number, page in enumerate(reader.pages[1:-1], start=2):
        empty = _emptiest(page, margin, height - margin)
        assert empty < 0.2, f"page {number} has {100 * empty:.0f}% of its height empty"


def test_markdown_embeds_existing_figures(report, study):
    md = report["md"].read_text()
    figures = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md)
    assert len(figures) >= 18
    for figure in figures:
        assert (study.path / figure).is_file(), figure


def test_report_command_rebuilds_from_saved_results(study, tmp_path, capsys):
    copy = tmp_path / "copy"
    shutil.copytree(study.path, copy)
    (copy / "report.pdf").unlink(missing_ok=True)
    assert main(["report", str(copy)]) == 0
    assert (copy / "report.pdf").is_file() and "report:" in capsys.readouterr().out


def test_missing_or_incomplete_study_directory(study, tmp_path, capsys):
    assert main(["report", str(tmp_path / "nothing")]) == 2
    assert "no such study directory" in capsys.readouterr().err
    copy = tmp_path / "copy"
    shutil.copytree(study.path, copy)
    (copy / "summary.json").unlink()
    (copy / "learning_curves.png").unlink()
    assert main(["report", str(copy)]) == 2
    err = capsys.readouterr().err
    assert "incomplete study directory, missing summary.json, learning_curves.png" in err and err.count("\n") == 1
    shutil.rmtree(copy / "reverse" / "3layers")
    (copy / "summary.json").write_text((study.path / "summary.json").read_text())
    (copy / "learning_curves.png").write_bytes((study.path / "learning_curves.png").read_bytes())
    with pytest.raises(MathdlError, match="incomplete reverse part"):
        build_report(copy)


# ---- typography, wording derived from the configurations, a PDF every reader opens --------------------


def test_numbers_in_e_notation_are_typeset_as_powers_of_ten(pages):
    from mathdl.report.document import Document, Math, Paragraph, Table, powers_of_ten, text, to_markdown, to_typst
    assert powers_of_ten("error 9.7e-08 and 3.1e+05, not v1e-3 or x2.5e-4") == (
        "error ", Math.tex(r"9.7 \times 10^{-8}"), " and ", Math.tex(r"3.1 \times 10^{5}"), ", not v1e-3 or x2.5e-4")
    doc = Document("t", "s").add(Paragraph(text("largest error 9.7e-08.")), Table(("r",), (("8.0e-04",),), "c"))
    assert "e-08" not in to_typst(doc) and "#box($9.7 times 10^(- 8)$);." in to_typst(doc)
    assert r"$8.0 \times 10^{-4}$" in to_markdown(doc) and "e-04" not in to_markdown(doc)
    assert not re.search(r"\d\.\d+e[-+]\d", " ".join(pages))  # the whole report, whoever wrote its sentences


def test_inline_maths_relations_and_table_headers_are_not_broken():
    """Inline maths is boxed (Typst breaks it at a relation otherwise), a relation in the text is joined to both
    sides by no-break spaces, and a table's cells are ragged and unhyphenated (justified headers had wide gaps
    and a hyphenated 'me-dian')."""
    from mathdl.report.document import Document, Math, Paragraph, Table, text, to_typst
    doc = Document("t", "s").add(Paragraph(text(Math.tex("r"), " = 0.12 and a > 101; ", Math.tex("x = 1"), "(a).")),
                                 Table(("output a_d: median (min)",), (("0.11",),), "c"))
    typst = to_typst(doc)
    assert "#box($r$);\u00a0=\u00a00.12 and a\u00a0\\>\u00a0101; #box($x = 1$);(a)." in typst
    assert "text(size: 9pt, hyphenate: false)[#set par(justify: false)" in typst
    long = Math.tex(r"J(x) = S_d(x) - \tfrac{\lambda_2}{2}\|x - x_{\min}\|^2 - \lambda_{\mathrm{TV}}\,\mathrm{TV}(x)")
    assert f" ${long.typst}$ " in to_typst(Document("t", "s").add(Paragraph(text("for ", long, " with"))))
    # a long formula may break after a relation, as TeX's do: boxed, it left a line of wide gaps before it


def test_a_colon_stays_on_the_page_of_its_list(pages):
    from mathdl.report.document import Bullets, Document, Paragraph, text, to_typst
    typst = to_typst(Document("t", "s").add(Paragraph(text("judged by:")), Bullets((text("one"),)),
                                            Paragraph(text("no list follows:")), Paragraph(text("x"))))
    assert "#block(sticky: true, width: 100%)[judged by:]" in typst and "[no list follows:]" not in typst
    where = next(i for i, page in enumerate(pages) if "judged by the pairs of configurations" in page)
    assert "instead of" in pages[where].split("judged by the pairs of configurations")[1]  # the first item too


def test_the_pdf_opens_in_poppler_pypdf_and_a_browser_without_complaint(report, caplog):
    """Typst writes /MarkInfo << /Marked true /Suspects false >>, which poppler (up to 25.11) reports as "Syntax
    Error: Suspects object is wrong type (boolean)"; the report leaves out that default entry, in place."""
    import logging
    import subprocess
    from mathdl.report import SUSPECTS, without_default_suspects
    raw = report["pdf"].read_bytes()
    assert SUSPECTS not in raw
    with caplog.at_level(logging.WARNING, logger="pypdf"):
        reader = pypdf.PdfReader(report["pdf"], strict=True)
        assert reader.trailer["/Root"]["/MarkInfo"] == {"/Marked": True} and len(reader.pages) >= 10
        reader.pages[-1].extract_text()
    assert not caplog.records
    catalog = b"1 0 obj\n<</Type/Catalog/MarkInfo<</Marked true/Suspects false>>>>\nendobj\n"
    patched = without_default_suspects(catalog + b"xref")
    assert len(patched) == len(catalog) + 4 and patched.index(b"xref") == len(catalog)  # every offset kept
    assert b"/MarkInfo<</Marked true" + b" " * len(SUSPECTS) + b">>" in patched
    assert without_default_suspects(b"%PDF no MarkInfo") == b"%PDF no MarkInfo"
    if shutil.which("pdfinfo"):  # poppler, where it is installed
        shown = subprocess.run(["pdfinfo", str(report["pdf"])], capture_output=True, text=True)
        assert shown.returncode == 0 and shown.stderr == "" and "Tagged:          yes" in shown.stdout


def test_what_else_a_pair_differs_in_is_read_from_the_configurations(report, summary):
    """The sentences about what else the compared pairs differ in are generated from the configurations' fields:
    the depth pairs' widths and parameter counts, and per pair the η, epochs and batch size that differ."""
    from mathdl.report.content import also_differ, others_differing
    rows = {r["number"]: dict(r) for r in summary["configurations"]}
    tests = {q: [t for t in summary["mcnemar"] if t["question"] == q] for q in ("TSE vs XE", "1 vs 3 hidden layers")}
    md = report["md"].read_text()
    for question, pairs in tests.items():
        assert also_differ(rows, pairs) in md
    deep, shallow = rows[5], rows[1]
    assert others_differing(rows, 1, 5)[:2] == [
        f"widths ({', '.join(shallow['layers'].split('-')[1:-1])} vs {', '.join(deep['layers'].split('-')[1:-1])})",
        "number of parameters ({:,} vs {:,})".format(
            *(sum(b * (a + 1) for a, b in zip(sizes, sizes[1:])) for sizes in
              ([int(n) for n in r["layers"].split("-")] for r in (shallow, deep))))]
    same = {n: {**r, "eta": 0.1, "epochs": 15, "batch_size": 1} for n, r in rows.items()}
    assert also_differ(same, tests["TSE vs XE"]) == "the pairs differ in nothing else"
    same[3]["eta"] = 0.5
    assert also_differ(same, tests["TSE vs XE"]) == "pair 3 vs 4 also differs in η (0.5 vs 0.1), pairs 1 vs 2, 5 vs 6 " \
                                                    "and 7 vs 8 in nothing else"
    wide = {n: {**r, "eta": 0.1, "layers": "784-64-1" if r["hidden_layers"] == 1 else "784-64-64-64-1"}
            for n, r in same.items()}
    assert also_differ(wide, tests["1 vs 3 hidden layers"]) == \
        "these pairs also differ in number of parameters (50,305 vs 58,625)"  # one width: not named
    assert not re.search(r"\bties?\b", md) and "differ in nothing else" not in md.split("## 4 Discussion")[1].split("## 5")[0]


def test_one_rounding_rule_for_a_reverse_networks_accuracy(report, study):
    md = report["md"].read_text()
    for name in ("1layer", "3layers", "book"):
        accuracy = json.loads((study.path / "reverse" / name / "reverse.json").read_text())["network"]["test_accuracy"]
        shown = f"{100 * accuracy:.2f}%"
        assert f"| {shown} |" in md and f"It classifies {shown} of the test digits correctly" in md


def test_captions_say_what_the_columns_hold(pages):
    flat = " ".join(pages)
    assert "total of none" not in flat and "that compilation on its own (no other column includes it)" in flat
    assert "N_c" not in flat and "N / (k N_c)" not in flat  # typeset, not a literal underscore
