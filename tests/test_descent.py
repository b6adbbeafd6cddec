"""Gradient descent: the parabola's iterates against their closed form, and the loss surfaces."""
import numpy as np
import pytest

from mathdl.workshop.descent import QUADRATIC, Descent, Parabola, SURFACES, descend, make_surface
from mathdl.base.errors import MathdlError


@pytest.mark.parametrize("eta", [0.1, 0.25, 0.9, 1.0, 1.1])
def test_iterates_match_the_closed_form(eta):
    """x_k = 1 + (x0 − 1)(1 − 2η)^k for f(x) = x² − 2x + 1."""
    run = descend(QUADRATIC.df, 3.0, eta, 10)
    k = np.arange(11)
    np.testing.assert_allclose(run.path[:, 0], 1 + (3.0 - 1) * (1 - 2 * eta) ** k, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(run.path[:, 0], QUADRATIC.closed_form(3.0, eta, k), rtol=1e-12, atol=1e-12)


def test_step_size_decides_what_happens():
    assert QUADRATIC.behaviour(0.1) == "converges to 1"
    assert QUADRATIC.behaviour(0.5) == "reaches 1 in one step"
    assert QUADRATIC.behaviour(0.9) == "converges to 1, oscillating"
    assert QUADRATIC.behaviour(1.0) == "oscillates for ever"
    assert QUADRATIC.behaviour(1.1) == "diverges"
    assert descend(QUADRATIC.df, 3.0, 0.5, 1).path[-1, 0] == 1.0
    assert abs(descend(QUADRATIC.df, 3.0, 0.1, 200).path[-1, 0] - 1) < 1e-12
    assert abs(descend(QUADRATIC.df, 3.0, 1.1, 20).path[-1, 0]) > 50


def test_a_diverging_run_stops_before_overflow_without_warnings():
    run = descend(QUADRATIC.df, 3.0, 100.0, 1000)
    assert 10 < run.steps < 1000 and np.isfinite(run.path).all()


def test_parabola_formula_and_minimum():
    assert QUADRATIC.formula == "x² − 2x + 1" and QUADRATIC.minimum == 1
    assert Parabola(2, 0, -3).formula == "2x² − 3" and Parabola(1, 4, 0).minimum == -2
    assert QUADRATIC.closed_form_formula == "x_k = 1 + (x0 − 1)(1 − 2η)^k"
    assert Parabola(2, 0, -3).rate_formula == "1 − 4η" and Parabola(2, 0, -3).rate(0.1) == 1 - 4 * 0.1


@pytest.mark.parametrize("name", list(SURFACES))
def test_surface_gradients_match_central_differences_of_the_cost(name):
    surface = make_surface(name)
    h = 1e-6
    for theta in (np.array(surface.start), np.array([0.3, -1.2])):
        numeric = [(surface.cost((theta + h * e)[:, None]) - surface.cost((theta - h * e)[:, None]))[0] / (2 * h)
                   for e in np.eye(2)]
        np.testing.assert_allclose(surface.grad(theta), numeric, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("name", list(SURFACES))
def test_the_default_walk_goes_downhill(name):
    surface = make_surface(name)
    run = descend(surface.grad, surface.start, surface.eta, surface.steps)
    C = surface.cost(run.path.T)
    assert C[-1] < 0.1 * C[0]
    assert np.all(np.diff(C) <= 1e-12)  # small enough steps: every step goes down


def test_bad_step_sizes_are_errors():
    with pytest.raises(MathdlError, match="step size"):
        descend(QUADRATIC.df, 3.0, -0.1, 5)
    with pytest.raises(MathdlError, match="steps"):
        descend(QUADRATIC.df, 3.0, 0.1, 0)
    with pytest.raises(MathdlError, match="unknown surface 'bowl'"):
        make_surface("bowl")


def test_a_zero_step_size_is_an_error():
    with pytest.raises(MathdlError, match="step size"):
        descend(QUADRATIC.df, 3.0, 0.0, 5)


def test_steps_count_the_steps_taken_and_an_overflow_keeps_only_the_finite_start():
    run = descend(QUADRATIC.df, 3.0, 0.1, 7)
    assert run.steps == 7 and run.path.shape == (8, 1) and not run.overflowed
    run = descend(QUADRATIC.df, 3.0, 1e308, 3)  # x₁ = 3 − 10³⁰⁸ · 4: beyond float64
    assert run.steps == 0 and run.overflowed and run.path.tolist() == [[3.0]]


def test_parabola_minimum_and_values_with_a_not_one():
    p = Parabola(2, 4, 0)  # 2x² + 4x = 2(x + 1)² − 2
    assert p.minimum == -1 and Parabola(0.5, 3, 0).minimum == -3
    np.testing.assert_array_equal(p.f(np.array([0.0, 1.0, -1.0, -2.0])), [0, 6, -2, 0])
    np.testing.assert_array_equal(p.df(np.array([0.0, -1.0])), [4, 0])


def test_closed_form_error_is_the_largest_relative_difference():
    """For x² − 2x + 1 from x₀ = 3: η = 0.25 gives x_k = 1 + 2 · 0.5^k = 3, 2, 1.5; η = 0.75 gives x₁ = 0."""
    off = Descent(0.25, np.array([[3.0], [2.0], [1.6]]))  # 0.1 off 1.5: relative 0.1 / 1.5
    near_zero = Descent(0.75, np.array([[3.0], [0.2]]))  # 0.2 off 0: divided by max(1, 0) = 1
    exact = descend(QUADRATIC.df, 3.0, 0.25, 2)
    assert QUADRATIC.closed_form_error([exact]) == 0
    assert QUADRATIC.closed_form_error([off]) == pytest.approx(0.1 / 1.5, rel=1e-12)
    assert QUADRATIC.closed_form_error([near_zero]) == pytest.approx(0.2, rel=1e-12)
    assert QUADRATIC.closed_form_error([exact, off, near_zero]) == pytest.approx(0.2, rel=1e-12)


def test_the_closed_form_stays_finite_where_only_r_to_the_k_overflows():
    """x₀ = 1 + 2⁻⁴⁹ and η = 10¹⁶⁰: r² ≈ 4·10³²⁰ is beyond float64, but x₂ − 1 = 2⁻⁴⁹ r² ≈ 7·10³⁰⁵ is not."""
    run = descend(QUADRATIC.df, 1 + 2 ** -49, 1e160, 2)
    assert run.steps == 2 and not run.overflowed
    r = 1 - 2e160
    expected = [1 + 2 ** -49, 1 + 2 ** -49 * r, 1 + (2 ** -49 * r) * r]  # multiplied in this order, no overflow
    np.testing.assert_allclose(QUADRATIC.closed_form(1 + 2 ** -49, 1e160, np.arange(3)), expected, rtol=1e-12)
    assert QUADRATIC.closed_form_error([run]) < 1e-12


def test_the_parabola_far_out_on_a_diverging_walk_is_infinite_without_warnings():
    assert QUADRATIC.f(np.float64(-4e155)) == np.inf and QUADRATIC.f(np.array([1e200, 3.0])).tolist() == [np.inf, 4.0]
