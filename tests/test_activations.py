"""Each activation's derivative against central differences; stability; inverses."""
import numpy as np
import pytest

from mathdl.base.errors import MathdlError
from mathdl.nn.activations import ACTIVATIONS, get_activation, hidden_activation, logit, sigmoid

ELEMENTWISE = [name for name, f in ACTIVATIONS.items() if f.jvp is None]
H = 1e-6


def z_grid():
    z = np.linspace(-6, 6, 97).reshape(1, -1)
    return z[np.abs(z) > 1e-3].reshape(1, -1)  # away from the kinks of ReLU and leaky ReLU


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_derivative_matches_central_differences(name):
    f = ACTIVATIONS[name]
    z = z_grid()
    numeric = (f(z + H) - f(z - H)) / (2 * H)
    np.testing.assert_allclose(f.df(z, f(z)), numeric, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_backward_is_chain_rule(name):
    f = ACTIVATIONS[name]
    z = z_grid()
    g = np.random.default_rng(0).normal(size=z.shape)
    np.testing.assert_allclose(f.backward(z, f(z), g), g * f.df(z, f(z)))


def test_softmax_backward_is_the_transposed_jacobian():
    f = ACTIVATIONS["softmax"]
    rng = np.random.default_rng(0)
    z, g = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    for col in range(3):
        J = np.empty((5, 5))
        for k in range(5):
            e = np.zeros((5, 1))
            e[k] = H
            J[:, k] = ((f(z[:, [col]] + e) - f(z[:, [col]] - e)) / (2 * H))[:, 0]
        expected = J.T @ g[:, col]
        got = f.backward(z[:, [col]], f(z[:, [col]]), g[:, [col]])[:, 0]
        np.testing.assert_allclose(got, expected, rtol=1e-7, atol=1e-10)


@pytest.mark.parametrize("name", list(ACTIVATIONS))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_stable_for_large_inputs(name, dtype):
    """No overflow (the suite turns warnings into errors), finite values, dtype preserved."""
    f = ACTIVATIONS[name]
    z = np.array([[-1e4, -800.0, -50.0, 0.0, 50.0, 800.0, 1e4]], dtype=dtype).T
    a = f(z)
    assert a.dtype == dtype
    assert np.all(np.isfinite(a))
    if f.df is not None:
        assert np.all(np.isfinite(f.df(z, a)))


def test_sigmoid_limits_and_symmetry():
    z = np.array([-1000.0, -40.0, 0.0, 40.0, 1000.0])
    np.testing.assert_allclose(sigmoid(z), [0.0, np.exp(-40), 0.5, 1.0, 1.0], rtol=1e-15, atol=0)
    x = np.linspace(-30, 30, 61)
    np.testing.assert_allclose(sigmoid(x) + sigmoid(-x), 1.0, rtol=1e-15)


def test_logit_is_the_exact_inverse_of_sigmoid():
    """Exact up to rounding where σ(z) is representable apart from 1: for z > 0, a = 1 − e⁻ᶻ keeps only
    about e^z · 2⁻⁵³ of relative precision in 1 − a, so the round trip error grows like e^z · eps."""
    z = np.linspace(-30, 30, 121)
    error = np.abs(logit(sigmoid(z)) - z)
    assert np.all(error <= 4 * np.finfo(float).eps * np.maximum(1, np.exp(z)) * np.maximum(1, np.abs(z)))
    assert np.all(error[z <= 10] < 1e-10)
    a = np.linspace(0.001, 0.999, 99)
    np.testing.assert_allclose(sigmoid(logit(a)), a, rtol=1e-14)


@pytest.mark.parametrize("name", ["tanh", "leaky_relu", "linear"])
def test_inverse(name):
    f = ACTIVATIONS[name]
    z = np.linspace(-3, 3, 31)
    np.testing.assert_allclose(f.inverse(f(z)), z, rtol=1e-12, atol=1e-12)


def test_softmax_inverse_up_to_a_constant():
    f = ACTIVATIONS["softmax"]
    z = np.random.default_rng(2).normal(size=(6, 4))
    recovered = f.inverse(f(z))
    np.testing.assert_allclose(recovered, z - z.mean(axis=0), atol=1e-12)
    np.testing.assert_allclose(f(recovered), f(z), atol=1e-15)


def test_softmax_columns_sum_to_one_even_for_huge_inputs():
    z = np.array([[1000.0, -1000.0], [999.0, -1001.0], [0.0, 5000.0]])
    a = ACTIVATIONS["softmax"](z)
    np.testing.assert_allclose(a.sum(axis=0), 1.0)
    assert a[2, 1] == 1.0


def test_no_inverse_for_relu_and_swish():
    assert ACTIVATIONS["relu"].inverse is None and ACTIVATIONS["swish"].inverse is None


def test_unknown_and_misplaced_activations():
    with pytest.raises(MathdlError, match="choose from sigmoid, tanh, relu"):
        get_activation("sigmoidd")
    with pytest.raises(MathdlError, match="output activation"):
        hidden_activation("softmax")
