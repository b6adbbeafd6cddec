"""Workshop figures: returned as Figures, drawn from the library's own numbers; the GIF has frames."""
import numpy as np
import pytest
from matplotlib.figure import Figure
from PIL import Image

from mathdl.workshop.boundary import fit_dataset
from mathdl.workshop.descent import QUADRATIC, descend, make_surface
from mathdl.nn.activations import ACTIVATIONS
from mathdl.plots import save
from mathdl.plots.workshop import (WORKSHOP_ACTIVATIONS, activation_functions, boundary_animation, decision_boundary, descent_on_parabola, descent_on_surface)


@pytest.fixture(scope="module")
def fits():
    """A perceptron and an MLP on the same XOR dots, with a few snapshots."""
    return (fit_dataset("xor", hidden=(), epochs=30, frames=3, points=120),
            fit_dataset("xor", epochs=30, frames=3, points=120))


def test_activation_figure_draws_the_networks_own_functions():
    fig = activation_functions()
    assert isinstance(fig, Figure)
    panels = fig.axes[:len(WORKSHOP_ACTIVATIONS)]
    for ax, name in zip(panels, WORKSHOP_ACTIVATIONS):
        f, df = ax.get_lines()[:2]
        z = f.get_xdata()
        activation = ACTIVATIONS[name]
        np.testing.assert_array_equal(f.get_ydata(), activation.f(z))
        drawn = df.get_ydata()
        expected = activation.df(z, activation.f(z))
        assert np.isnan(drawn).sum() <= 1  # only ReLU's jump at 0 is left out
        np.testing.assert_array_equal(drawn[~np.isnan(drawn)], expected[~np.isnan(drawn)])
        assert ax.get_title().startswith(name)
    assert fig.axes[len(WORKSHOP_ACTIVATIONS)].get_legend() is not None


def test_decision_boundary_panels_have_accuracies_in_their_titles(fits, tmp_path):
    perceptron, mlp = fits
    fig = decision_boundary(perceptron, mlp, resolution=60)
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[0].startswith("perceptron 2-1") and titles[1].startswith("MLP 2-16-1, tanh")
    assert f"test {100 * mlp.test_accuracy:.1f}%" in titles[1]
    assert all(ax.get_xlabel() == "x₁" and ax.get_ylabel() == "x₂" for ax in fig.axes)
    assert fig.legends and "decision boundary" in [t.get_text() for t in fig.legends[0].get_texts()]
    assert save(fig, tmp_path / "xor.png").stat().st_size > 10_000


def test_the_animation_is_a_readable_gif_with_frames(fits, tmp_path):
    path = tmp_path / "xor.gif"
    boundary_animation(*fits, path=path, fps=4, resolution=40, dpi=40, hold=0.5)
    with Image.open(path) as gif:
        assert gif.format == "GIF" and gif.n_frames > 1
        gif.seek(gif.n_frames - 1)
        assert gif.size[0] > 100
    assert sorted(p.name for p in tmp_path.iterdir()) == ["xor.gif"]  # no temporary file left


def test_animation_needs_snapshots():
    with pytest.raises(ValueError, match="snapshots"):
        boundary_animation(fit_dataset("xor", epochs=2, points=40), path="never.gif")


def test_descent_figures():
    runs = [descend(QUADRATIC.df, 3.0, eta, 6) for eta in (0.1, 1.1)]
    fig = descent_on_parabola(runs, QUADRATIC)
    assert isinstance(fig, Figure) and len(fig.axes) == 3
    assert [ax.get_title() for ax in fig.axes[:2]] == ["η = 0.1\nconverges to 1", "η = 1.1\ndiverges"]
    surface = make_surface("himmelblau")
    fig = descent_on_surface(surface, descend(surface.grad, surface.start, surface.eta, 5), resolution=30)
    assert isinstance(fig, Figure) and fig.axes[0].name == "3d"
    assert fig.axes[1].get_xlabel() == "θ₁" and fig.axes[1].get_legend() is not None


def test_a_walk_beyond_float64_is_drawn_without_a_warning(tmp_path):
    """η = 10¹⁵⁵ from 3: x₁ = −4·10¹⁵⁵, where f is beyond float64; the curve is drawn only where |f| ≤ 10³⁰⁰,
    and drawing it warns of nothing (matplotlib's margins overflowed on f values near the largest float)."""
    import warnings
    run = descend(QUADRATIC.df, 3.0, 1e155, 5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = descent_on_parabola([run], QUADRATIC)
        save(fig, tmp_path / "parabola")
    curve = fig.axes[0].get_lines()[0].get_ydata()
    assert np.isfinite(fig.axes[0].get_ylim()).all() and not (np.abs(curve) > 1e300).any()
    assert fig.axes[0].get_xlim()[0] < -4e155  # the panel spans the walk


def test_softmax_has_no_elementwise_derivative_to_draw():
    from mathdl.base.errors import MathdlError
    with pytest.raises(MathdlError, match="softmax is an output activation"):
        activation_functions(["sigmoid", "softmax"])


def test_the_derivatives_together_hide_none_and_none_takes_fs_colour():
    from mathdl.plots import BLUE
    fig = activation_functions()
    together = fig.axes[len(WORKSHOP_ACTIVATIONS)]
    lines = {line.get_label(): line for line in together.get_lines() if not line.get_label().startswith("_")}
    assert all(line.get_color() != BLUE for line in lines.values())  # BLUE is f in the other panels
    relu, leaky = lines["relu"], lines["leaky_relu"]
    assert relu.get_linestyle() == "-" and leaky.get_linestyle() == "--"  # dashed on top: relu shows between
    assert relu.get_linewidth() > leaky.get_linewidth() and relu.get_color() != leaky.get_color()


def test_the_animation_spends_its_frames_where_the_boundary_moves():
    from mathdl.plots.workshop import moving_frames
    fit = fit_dataset("moons", epochs=120, frames=10, points=120)
    frames = moving_frames([fit], 10)
    assert frames[0] == 0 and frames[-1] == len(fit.snapshots) - 1 and frames == sorted(set(frames))
    assert 3 <= len(frames) <= 10
    epochs = [fit.snapshots[i][0] for i in frames]
    assert sum(e <= 30 for e in epochs) > sum(e > 60 for e in epochs)  # more frames early, where it moves
    still = fit_dataset("moons", epochs=3, frames=5, points=60)
    still.snapshots[:] = [still.snapshots[0]] * 6  # a boundary that never moves: first and last only
    assert moving_frames([still], 5) == [0, 5]
