"""The terminal's tables say what the numbers are: each cell checked against numbers chosen so that a swapped
count, a flipped threshold or the wrong row marked would show."""
import numpy as np
from rich.console import Console

from mathdl.cli.tables import binary_table, effects_table, mcnemar_table, rates_table, study_tables
from mathdl.evaluation.metrics import binary_report


def cells(table, column: str) -> list:
    """The cells of a column, by its header."""
    return list(next(c for c in table.columns if c.header == column).cells)


def shown(table) -> str:
    console = Console(record=True, width=200, color_system=None)
    console.print(table)
    return console.export_text()


def rate(value: float, half: float = 0.01) -> dict:
    return {"value": value, "ci95": [value - half, value + half]}


def test_the_matrix_shows_each_count_in_its_place():
    report = binary_report(np.array([[50, 3], [7, 40]]), positive=1)  # rows true: negative, positive
    text = shown(binary_table(report, ["other", "ID digit"], "matrix"))
    positive = next(line for line in text.splitlines() if line.strip().startswith("positive") and "TP" in line)
    negative = next(line for line in text.splitlines() if line.strip().startswith("negative") and "FP" in line)
    assert "TP 40 (40.0%)" in positive and "FN 7 (7.0%)" in positive
    assert "FP 3 (3.0%)" in negative and "TN 50 (50.0%)" in negative


def test_the_rates_say_how_their_intervals_are_made():
    report = binary_report(np.array([[50, 3], [7, 40]]), positive=1)
    table = rates_table(report)
    methods = dict(zip(cells(table, "rate"), cells(table, "interval")))
    assert methods == {"accuracy": "Wilson", "sensitivity": "Wilson", "specificity": "Wilson", "precision": "Wilson",
                       "NPV": "Wilson", "F1": "bootstrap", "MCC": "bootstrap"}


def test_the_study_table_marks_the_best_and_leaves_the_compilation_out_of_the_time():
    rows = [{"number": k, "layers": "784-30-1", "cost": "xe", "bp": "matrix", "tp": 1, "fn": 2, "fp": 3, "tn": 4,
             "accuracy": rate(0.97 - 0.01 * abs(k - 2)), "train_seconds": 30.0 + k, "compile_seconds": 5.0,
             "sensitivity": rate(0.9), "specificity": rate(0.9), "precision": rate(0.9), "f1": {"value": 0.9}}
            for k in (1, 2, 3)]
    counts, _ = study_tables(rows, "study")
    bold = [cell.style == "bold" for cell in cells(counts, "accuracy % [95% CI]")]
    assert bold == [False, True, False]  # configuration 2, at 97%
    assert cells(counts, "time") == ["26 s", "27 s", "28 s"]  # 30 + k seconds, 5 of them compiling


def test_the_mcnemar_table_stars_only_what_is_below_five_percent():
    tests = [{"question": "TSE vs XE", "a": 1, "b": 2, "accuracy_a": 0.97, "accuracy_b": 0.98, "a_right_b_wrong": 3,
              "a_wrong_b_right": 13, "p_exact": p, "p_mid": p, "p_mid_holm": q} for p, q in ((0.01, 0.03), (0.3, 0.6))]
    table = mcnemar_table(tests)
    assert [c.endswith("*") for c in cells(table, "mid-p")] == [True, False]
    assert [c.endswith("*") for c in cells(table, "Holm")] == [True, False]


def test_the_effects_table_says_yes_only_below_five_percent():
    analysis = {"response": "accuracy", "n": 24, "df_resid": 16, "effects": [
        {"contrast": "XE − TSE", "label": "cost", "effect": 0.004, "ci95": [0.001, 0.007], "p": 0.01},
        {"contrast": None, "label": "cost × depth", "effect": 0.001, "ci95": [-0.002, 0.004], "p": 0.3}]}
    table = effects_table(analysis)
    assert cells(table, "effect") == ["XE − TSE", "cost × depth"]
    assert cells(table, "p<0.05") == ["yes", "no"]
