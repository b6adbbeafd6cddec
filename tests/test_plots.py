"""The study's and the report's figures: confusion matrices in MATLAB's two layouts, learning curves as small
multiples, the architecture, the mean digit images."""
import numpy as np
import pytest
from matplotlib.figure import Figure

from mathdl.plots import BLUE, RED
from mathdl.plots.confusion import confusion_figure
from mathdl.plots.curves import study_curves
from mathdl.plots.network import architecture
from mathdl.plots.reverse import mean_images_figure

CLASSES = ["other digits {2,5,6,7,9}", "ID digits {0,1,3,4,8}"]
CM = np.array([[470, 22], [24, 484]])  # class order, rows true: TN FP / FN TP


def texts(fig: Figure) -> list[str]:
    return [t.get_text() for ax in fig.axes for t in ax.texts]


def test_confusion_figure_in_confusionchart_layout_rows_are_the_true_class():
    fig = confusion_figure(CM, CLASSES, positive=1, title="1: a label")
    ax = fig.axes[0]
    assert ax.get_ylabel() == "true class (MATLAB: target)" and ax.get_xlabel() == "predicted class (MATLAB: output)"
    cells = texts(fig)
    # row by row: TP, FN, sensitivity, then FP, TN, specificity; rates with two decimals, complements in red
    assert cells[:6] == ["TP", "484", "48.40%", "FN", "24", "2.40%"]
    assert "95.28%" in cells and "4.72%" in cells and "95.40%" in cells  # sensitivity 484/508, its complement, accuracy
    i = cells.index("sensitivity")
    assert cells[i + 1:i + 3] == ["95.28%", "4.72%"]


def test_confusion_figure_in_plotconfusion_layout_is_transposed():
    fig = confusion_figure(CM, CLASSES, positive=1, layout="plotconfusion")
    ax = fig.axes[0]
    assert ax.get_ylabel() == "output class (predicted)" and ax.get_xlabel() == "target class (true)"
    cells = texts(fig)
    assert cells[:6] == ["TP", "484", "48.40%", "FP", "22", "2.20%"]  # the first row: predicted positive
    i = cells.index("precision")
    assert cells[i + 1] == "95.65%"  # the row rate of predicted positives: 484/506
    with pytest.raises(ValueError, match="layout"):
        confusion_figure(CM, CLASSES, positive=1, layout="sideways")


def _history(epochs: int, start: float) -> list[dict]:
    return [{"epoch": e, "test_accuracy": start + 0.01 * e, "train_cost": 1 / e} for e in range(1, epochs + 1)]


def test_learning_curves_are_coloured_by_architecture_with_a_line_style_per_method():
    runs = [{"number": n, "architecture": arch, "cost": cost, "method": method, "rows": _history(3, 0.9)}
            for n, (arch, method, cost) in enumerate(
                [(a, m, c) for a in ("1 hidden layer of 300", "3 hidden layers of 128, 64, 32")
                 for m in ("online", "matrix") for c in ("tse", "xe")], start=1)]
    fig = study_curves(runs)
    panels = fig.axes
    assert [ax.get_title() for ax in panels] == ["TSE: test accuracy", "XE: test accuracy",
                                                 "TSE: training cost (relative)", "XE: training cost (relative)"]
    tse = panels[0].get_lines()
    assert len(tse) == 4  # the four TSE configurations, one panel per cost
    colours = {(line.get_color(), line.get_linestyle()) for line in tse}
    assert colours == {(BLUE, "-"), (BLUE, "--"), (RED, "-"), (RED, "--")}
    assert sorted(t.get_text() for t in panels[0].texts) == ["1", "3", "5", "7"]  # each line ends in its number
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == ["1 hidden layer of 300", "3 hidden layers of 128, 64, 32", "online backpropagation",
                      "matrix backpropagation"]


def test_architecture_figure_shows_every_layer_and_weight_shape():
    fig = architecture([("one hidden layer", [784, 300, 1], ["sigmoid"] * 2),
                        ("three hidden layers", [784, 128, 64, 32, 1], ["sigmoid"] * 4)])
    words = " ".join(texts(fig))
    for shape in ("300×784", "1×300", "128×784", "64×128", "32×64", "1×32"):
        assert shape in words
    assert "$n_0$ = 784" in words and "$n_3$ = 32" in words and "⋮" in words  # big layers drawn in part


def test_mean_images_have_a_scale_bar():
    means = np.random.default_rng(0).uniform(0.01, 1, (784, 10))
    fig = mean_images_figure(means, input_range=(0.01, 1.0), title="means")
    images = [ax for ax in fig.axes if ax.images]
    assert [ax.get_title() for ax in images][:10] == [str(d) for d in range(10)]
    bar = fig.axes[-1]
    assert bar.get_ylabel() == "pixel value"
    np.testing.assert_array_equal(images[3].images[0].get_array(), means[:, 3].reshape(28, 28))
