"""The report: a PDF with its sections, numbers in report.md equal to summary.json, clear errors."""
import json
import shutil

import pypdf
import pytest

from mathdl.cli import main
from mathdl.base.errors import MathdlError
from mathdl.report import build_report

SECTIONS = ["The task, the data and the protocol", "The networks", "The five-layer network", "Costs and output deltas",
            "Backpropagation", "The two backpropagation methods", "Every matrix and vector, with its shape",
            "Results", "The eight confusion matrices", "Rates with confidence intervals",
            "McNemar's test", "Learning curves", "Discussion", "Reverse: inside the mind of the network",
            "The network with one hidden layer", "The network with three hidden layers", "Reproducibility"]


@pytest.fixture(scope="module")
def report(study):
    return build_report(study.path)


def test_report_files_exist(report):
    for path in report.values():
        assert path.is_file() and path.stat().st_size > 1000


def test_pdf_has_its_sections_and_pages(report):
    reader = pypdf.PdfReader(report["pdf"])
    assert len(reader.pages) >= 8
    text = " ".join(page.extract_text() for page in reader.pages)
    flat = " ".join(text.split()).replace("\u2019", "'")  # Typst sets typographic apostrophes
    for section in SECTIONS:
        assert section in flat, section
    images = sum(len(page.images) for page in reader.pages)
    assert images >= 12  # eight matrices, two curves, two reverse pictures


def test_markdown_numbers_equal_the_summary(report, study):
    md = report["md"].read_text()
    summary = json.loads((study.path / "summary.json").read_text())
    for row in summary["configurations"]:
        counts = f"| {row['number']} | {row['tp']} | {row['fn']} | {row['fp']} | {row['tn']} |"
        assert counts in md
        acc = row["accuracy"]
        assert f"{100 * acc['value']:.2f} [{100 * acc['ci95'][0]:.2f}, {100 * acc['ci95'][1]:.2f}]" in md
        for rate in ("sensitivity", "specificity", "precision"):
            r = row[rate]
            if r["value"] is not None:
                assert f"{100 * r['value']:.1f} [{100 * r['ci95'][0]:.1f}, {100 * r['ci95'][1]:.1f}]" in md, rate
        assert row["label"] in md
    for t in summary["mcnemar"]:
        assert f"| {t['question']} | {t['a']} | {t['b']} | {100 * t['accuracy_a']:.2f} | " \
               f"{100 * t['accuracy_b']:.2f} | {t['a_right_b_wrong']} | {t['a_wrong_b_right']} | " \
               f"{t['p_exact']:.3g} | {t['p_mid']:.3g} |" in md
    balance = summary["class_balance"]["test"]
    assert f"{sum(balance.values())} images, {list(balance.values())[1]} positive" in md
    shapes = [int(n) for n in next(r for r in summary["configurations"] if r["hidden_layers"] == 3)["layers"].split("-")]
    assert f"{shapes[1]} × {shapes[0]}" in md  # W⁽¹⁾ of h1 × n with the real numbers


def test_markdown_embeds_existing_figures(report, study):
    import re
    md = report["md"].read_text()
    figures = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md)
    assert len(figures) >= 12
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
