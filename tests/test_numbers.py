"""Numbers as mathdl writes them (``mathdl.base.numbers``): one format per kind, and the terminal, the report and
the README's tables of seeds writing each number alike."""
import pytest

from mathdl.base.numbers import ci, count, effect, interval, mean_ci, p_text, p_value, pct, points, seconds
from mathdl.evaluation.metrics import Rate


def test_p_values_have_one_format():
    assert [p_value(p) for p in (1, 0.0636, 0.0414, 0.0092, 1.51e-05, 0.001, 0.000999)] == \
        ["1", "0.064", "0.041", "0.0092", "< 0.001", "0.001", "< 0.001"]
    assert (p_text(0.27), p_text(0.0004)) == ("p = 0.27", "p < 0.001")


def test_intervals_percentages_and_differences():
    assert ci({"value": 0.94, "ci95": [0.92354, 0.95308]}) == "94.00 [92.35, 95.31]"
    assert ci({"value": 0.5, "ci95": [0.1, 0.9]}, 3, scale=1) == "0.500 [0.100, 0.900]"  # MCC
    assert ci({"value": None, "ci95": None}) == "undefined"
    assert mean_ci({"mean": 0.9883, "ci95": None}) == "98.83" and mean_ci({"mean": None, "ci95": None}) == "undefined"
    assert effect({"effect": 0.0012, "ci95": [0.0007, 0.0016]}) == "+0.12 [+0.07, +0.16]"
    assert interval(0.9883, (0.9848, 0.9892), unit="%") == str(Rate(0.9883, 0.9848, 0.9892)) == "98.83% [98.48, 98.92]"
    assert (pct(0.98834), pct(None), points(-0.0005)) == ("98.83%", "undefined", "-0.05")
    assert (seconds(12.34), seconds(123.4), count(60000)) == ("12.3 s", "123 s", "60,000")


def test_the_terminal_and_the_report_write_the_same_numbers(study):
    """The McNemar table in the terminal and in the report, and the conclusions' sentences: each p-value and
    interval the same text in both (there were two p-value formats, one in each)."""
    from mathdl.cli.tables import mcnemar_table, study_tables
    from mathdl.evaluation.metrics import holm
    from mathdl.report.content import _mcnemar_table, _rates_table

    summary = study.summary
    terminal = mcnemar_table(study.tests)
    report = _mcnemar_table(summary)
    cells = {name: [str(c) for c in column._cells] for name, column in
             ((column.header, column) for column in terminal.columns)}
    assert cells["p exact"] == [row[6] for row in report.rows]
    assert [c.rstrip("* ") for c in cells["mid-p"]] == [row[7] for row in report.rows]
    assert [p_value(q) for q in holm([t["p_mid"] for t in summary["mcnemar"]])] == [row[8] for row in report.rows]
    counts, _ = study_tables(study.rows, "")
    accuracy = [str(c) for c in counts.columns[8]._cells]
    shown = [" ".join(p for p in row[5] if isinstance(p, str)) for row in _rates_table(summary).rows]
    assert accuracy == shown


@pytest.mark.parametrize("module", ["mathdl.evaluation.factorial", "mathdl.evaluation.metrics"])
def test_the_evaluation_stage_computes_and_does_not_write_sentences(module):
    import importlib
    found = importlib.import_module(module)
    assert not {"p_value", "p_text", "effect_sentence", "conclusions", "points"} & set(vars(found))
