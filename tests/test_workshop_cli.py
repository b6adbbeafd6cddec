"""The workshop commands: dots, activations, descend, explain; bad input is one line and exit code 2."""
import re

import numpy as np
import pytest
from PIL import Image

from mathdl.cli import main


def exit_code(argv) -> int:
    try:
        return main(argv)
    except SystemExit as e:
        return e.code


def test_descend_prints_the_iterates_of_the_closed_form(tmp_path, capsys):
    assert main(["descend", "--x0", "3", "--lr", "0.1,0.9,1,1.1", "--steps", "10", "--surface", "none",
                 "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    rows = [line.split() for line in out.splitlines() if re.match(r"^\s+\d+\s+-?\d", line)]
    assert [int(r[0]) for r in rows] == list(range(11))
    x = np.array([float(r[1]) for r in rows])  # the η = 0.1 column
    np.testing.assert_allclose(x, 1 + (3 - 1) * (1 - 2 * 0.1) ** np.arange(11), rtol=1e-9)
    assert "η = 0.1: r = 0.8, converges to 1" in out and "η = 1: r = -1, oscillates for ever" in out
    assert "η = 1.1: r = -1.2, diverges" in out and "η = 0.9: r = -0.8, converges to 1, oscillating" in out
    assert "closed form x_k = 1 + (x0 − 1)(1 − 2η)^k: largest relative difference" in out
    assert (tmp_path / "descend-parabola.png").is_file()


def test_descend_says_when_the_iterates_overflow(tmp_path, capsys):
    assert main(["descend", "--lr", "1e308,1.1", "--steps", "3", "--surface", "none", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    rows = [line.split() for line in out.splitlines() if re.match(r"^\s+\d+\s+\S", line)]
    assert [r[:2] for r in rows] == [["0", "3"], ["1", "overflow"], ["2", "overflow"], ["3", "overflow"]]
    assert ("η = 1e+308: r = 1 − 2η beyond float64 (±1.8e308), diverges to infinity: x_1 is beyond float64, the path "
            "stops at k = 0") in " ".join(out.split())
    assert "η = 1.1: r = -1.2, diverges\n" in out  # finite all the way: no overflow to report


def test_descend_on_the_neuron_surface(tmp_path, capsys):
    assert main(["descend", "--steps", "3", "--surface-steps", "5", "--out", str(tmp_path)]) == 0
    assert "in 5 steps of η = 2" in capsys.readouterr().out
    assert (tmp_path / "descend-neuron.png").is_file()


def test_explain_prints_shapes_and_writes_markdown(tmp_path, capsys):
    md = tmp_path / "net.md"
    assert main(["explain", "--hidden", "128,64,32", "--batch", "64", "--markdown", str(md)]) == 0
    out = capsys.readouterr().out
    for text in ("z⁽¹⁾ = W⁽¹⁾ a⁽⁰⁾ + b⁽¹⁾", "(128, 784)", "(784, 64)", "110,849", "∂C/∂W⁽⁴⁾", "dZ1·Xᵀ/m"):
        assert text in out
    assert md.read_text().startswith("## Network 784 → 128 → 64 → 32 → 1")


def test_dots_compare_prints_both_networks_and_writes_the_figure(tmp_path, capsys):
    assert main(["dots", "--dataset", "xor", "--compare", "--quiet", "--out", str(tmp_path / "xor.png")]) == 0
    out = capsys.readouterr().out
    assert re.search(r"perceptron 2-1: train \d+\.\d%, test \d+\.\d%", out)
    assert re.search(r"MLP 2-16-1, tanh: train 9\d\.\d%, test (9\d\.\d|100\.0)%", out)
    assert "boundary: the line" in out
    assert (tmp_path / "xor.png").is_file()


def test_dots_on_a_csv_with_three_classes_and_a_gif(tmp_path, capsys):
    rng = np.random.default_rng(0)
    rows = ["x,y,label"] + [f"{x:.3f},{y:.3f},{name}" for name, c in (("a", 0), ("b", 3), ("c", 6))
                             for x, y in rng.normal(c, 0.5, (10, 2))]
    (tmp_path / "mine.csv").write_text("\n".join(rows) + "\n")
    assert main(["dots", "--csv", str(tmp_path / "mine.csv"), "--epochs", "5", "--animate", "--frames", "2", "--fps", "2",
                 "--quiet", "--out", str(tmp_path / "pictures")]) == 0
    out = capsys.readouterr().out
    assert "3 classes" in out and "MLP 2-16-16-3" in out
    assert (tmp_path / "pictures" / "dots-mine.png").is_file()
    with Image.open(tmp_path / "pictures" / "dots-mine.gif") as gif:
        assert gif.n_frames > 1


def test_a_perceptrons_boundary_names_the_class_on_its_positive_side(tmp_path, capsys):
    """Class 1 (the second, "right") where w·x + c > 0: the points right of x = 0 are on the line's positive side."""
    rows = ["x,y,label"] + [f"{x},{y},{'right' if x > 0 else 'left'}" for x in (-3, -2, -1, 1, 2, 3) for y in range(5)]
    (tmp_path / "sides.csv").write_text("\n".join(rows) + "\n")
    assert main(["dots", "--csv", str(tmp_path / "sides.csv"), "--hidden", "0", "--quiet",
                 "--out", str(tmp_path / "sides.png")]) == 0
    out = capsys.readouterr().out
    assert "classes left, right" in out and "(class right where > 0)" in out and "test 100.0%" in out


def test_descend_takes_at_most_its_step_limit(tmp_path, capsys):
    from mathdl.cli.descend import MAX_STEPS
    assert main(["descend", "--steps", str(MAX_STEPS), "--surface", "none", "--out", str(tmp_path)]) == 0
    assert re.search(rf"^ *{MAX_STEPS} ", capsys.readouterr().out, re.M)  # the last iterate's row
    with pytest.raises(SystemExit) as done:
        main(["descend", "--steps", str(MAX_STEPS + 1), "--surface", "none", "--out", str(tmp_path)])
    assert done.value.code == 2 and f"must be at most {MAX_STEPS:,}" in capsys.readouterr().err


def test_activations_writes_the_figure(tmp_path):
    assert main(["activations", "--only", "sigmoid,relu", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "activations.png").is_file()


BAD = [
    (["dots", "--dataset", "squares"], "argument --dataset: invalid choice: 'squares'"),
    (["dots", "--hidden", "a"], "argument --hidden: must be positive integers"),
    (["dots", "--epochs", "0"], "argument --epochs: must be a positive integer"),
    (["dots", "--lr", "-1"], "argument --lr: must be a positive number"),
    (["dots", "--activation", "softmax"], "softmax is an output activation"),
    (["dots", "--csv", "p.csv", "--dataset", "xor"], "argument --dataset: not allowed with argument --csv"),
    (["dots", "--compare", "--hidden", "0"], "--compare draws a perceptron beside an MLP"),
    (["dots", "--test-fraction", "1.5", "--quiet"], "the test fraction must be between 0 and 1, got 1.5"),
    (["dots", "--csv", "{tmp}/absent.csv"], "absent.csv: no such file"),
    (["dots", "--csv", "{tmp}/bad.csv"], "bad.csv line 3: x 'one' is not a number"),
    (["dots", "--csv", "{tmp}/short.csv"], "short.csv line 2: expected 3 values (x, y, label), got 2"),
    (["dots", "--csv", "{tmp}/bad.csv", "--points", "10"], "--points and --noise shape generated dots"),
    (["activations", "--only", "softmax"], "softmax is an output activation"),
    (["activations", "--only", "cosine"], "unknown activation 'cosine'"),
    (["activations", "--range", "0"], "argument --range: must be a positive number"),
    (["descend", "--lr", "0.1,-2"], "argument --lr: must be positive numbers separated by commas"),
    (["descend", "--steps", "0"], "argument --steps: must be a positive integer"),
    (["descend", "--steps", "100000000"], "argument --steps: must be at most 1,000 (each step is a printed row)"),
    (["descend", "--surface-steps", "100000000"], "argument --surface-steps: must be at most 100,000"),
    (["activations", "--only", ""], "--only needs at least one activation; choose from sigmoid, tanh"),
    (["activations", "--only", " "], "--only needs at least one activation"),
    (["descend", "--surface", "bowl"], "argument --surface: invalid choice: 'bowl'"),
    (["descend", "--start", "1"], "argument --start: must be two numbers like 4.5,-5"),
    (["descend", "--x0", "nan"], "x0 must be a finite number"),
    (["descend", "--out", "x.png"], "descend draws two figures; --out is the directory for them"),
    (["explain", "--hidden", "0,3"], "argument --hidden: must be positive integers"),
    (["explain", "--batch", "0"], "argument --batch: must be a positive integer"),
    (["explain", "--cost", "xe", "--output-activation", "tanh"], "cost xe needs a sigmoid or softmax output layer"),
    (["explain", "--markdown", "/proc/nope/x.md"], "cannot write /proc/nope/x.md"),
]


@pytest.mark.parametrize("argv,message", BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_input_is_one_line_and_exit_2(argv, message, tmp_path, capsys):
    (tmp_path / "bad.csv").write_text("x,y,label\n1,2,0\none,2,1\n")
    (tmp_path / "short.csv").write_text("1,2,0\n3,4\n")
    argv = [arg.replace("{tmp}", str(tmp_path)) for arg in argv]
    assert exit_code(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err
