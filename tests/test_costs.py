"""Each cost's output delta against central differences of the cost; stability at outputs 0 and 1."""
import numpy as np
import pytest

from mathdl.base.errors import MathdlError
from mathdl.nn.activations import ACTIVATIONS
from mathdl.nn.costs import COSTS, get_cost

H = 1e-6
PAIRS = [(c, f) for c in ("tse", "mse") for f in ("sigmoid", "tanh", "linear", "softmax", "swish")] + \
        [("xe", "sigmoid"), ("xe", "softmax")]


def case(f_name, seed=0):
    rng = np.random.default_rng(seed)
    z = rng.normal(0, 2, (4, 3))
    if f_name == "softmax":
        y = np.eye(4)[:, rng.integers(0, 4, 3)]
    else:
        y = rng.uniform(0, 1, (4, 3))
    return z, y


@pytest.mark.parametrize("cost_name,f_name", PAIRS)
def test_delta_is_the_derivative_of_the_cost_wrt_z(cost_name, f_name):
    cost, f = COSTS[cost_name], ACTIVATIONS[f_name]
    z, y = case(f_name)
    delta = cost.delta(z, f(z), y, f)
    numeric = np.empty_like(z)
    for idx in np.ndindex(z.shape):
        e = np.zeros_like(z)
        e[idx] = H
        plus, minus = cost.value(z + e, f(z + e), y, f), cost.value(z - e, f(z - e), y, f)
        numeric[idx] = (plus[idx[1]] - minus[idx[1]]) / (2 * H)
    np.testing.assert_allclose(delta, numeric, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("cost_name,f_name", PAIRS)
def test_grad_a_is_the_derivative_of_the_cost_wrt_a(cost_name, f_name):
    """∂C/∂a by central differences in a (a kept inside (0, 1) where the cost needs it)."""
    cost, f = COSTS[cost_name], ACTIVATIONS[f_name]
    z, y = case(f_name)
    a = f(z)
    if cost_name == "xe":  # value is computed from z; check the binary/categorical formula directly
        value = (lambda a: -(y * np.log(a)).sum(0)) if f_name == "softmax" else \
            (lambda a: -(y * np.log(a) + (1 - y) * np.log(1 - a)).sum(0))
        np.testing.assert_allclose(value(a), cost.value(z, a, y, f), rtol=1e-12)
    else:
        value = lambda a: cost.value(z, a, y, f)  # noqa: E731
    numeric = np.empty_like(a)
    for idx in np.ndindex(a.shape):
        e = np.zeros_like(a)
        e[idx] = H
        numeric[idx] = (value(a + e)[idx[1]] - value(a - e)[idx[1]]) / (2 * H)
    np.testing.assert_allclose(cost.grad_a(a, y, f), numeric, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("cost_name,f_name", PAIRS)
def test_fused_delta_equals_the_chain_rule(cost_name, f_name):
    """δ⁽ᴸ⁾ = Jᵀ ∂C/∂a: the sigmoid/softmax + XE cancellation a − y is the chain rule, simplified."""
    cost, f = COSTS[cost_name], ACTIVATIONS[f_name]
    z, y = case(f_name, seed=3)
    a = f(z)
    np.testing.assert_allclose(cost.delta(z, a, y, f), f.backward(z, a, cost.grad_a(a, y, f)), rtol=1e-9)


def test_hand_computed_values():
    f = ACTIVATIONS["linear"]
    a, y = np.array([[0.2], [0.9]]), np.array([[0.0], [1.0]])
    assert COSTS["tse"].value(a, a, y, f)[0] == pytest.approx(0.5 * (0.04 + 0.01))
    assert COSTS["mse"].value(a, a, y, f)[0] == pytest.approx((0.04 + 0.01) / 2)
    s = ACTIVATIONS["sigmoid"]
    z = np.array([[0.0]])
    assert COSTS["xe"].value(z, s(z), np.array([[1.0]]), s)[0] == pytest.approx(np.log(2))


@pytest.mark.parametrize("f_name", ["sigmoid", "softmax"])
def test_cross_entropy_is_finite_at_saturated_outputs(f_name):
    """Outputs of exactly 0 or 1 (|z| in the hundreds) give a finite cost and delta, no warnings."""
    f = ACTIVATIONS[f_name]
    z = np.array([[800.0, -800.0], [-800.0, 800.0]])
    y = np.array([[0.0, 1.0], [1.0, 0.0]])  # both samples confidently wrong
    a = f(z)
    assert set(np.unique(a)) <= {0.0, 1.0}
    value = COSTS["xe"].value(z, a, y, f)
    assert np.all(np.isfinite(value)) and np.all(value >= 799)
    assert np.all(np.isfinite(COSTS["xe"].delta(z, a, y, f)))
    right = COSTS["xe"].value(z, a, 1 - y if f_name == "sigmoid" else y[::-1], f)
    np.testing.assert_allclose(right, 0.0, atol=1e-300)


def test_cross_entropy_needs_sigmoid_or_softmax_output():
    with pytest.raises(MathdlError, match="sigmoid or softmax"):
        COSTS["xe"].check_output(ACTIVATIONS["tanh"])


def test_cost_names_and_the_assignment_numbers():
    assert get_cost("1").name == "tse" and get_cost("2").name == "xe" and get_cost("XE").name == "xe"
    with pytest.raises(MathdlError, match="choose from tse, mse, xe"):
        get_cost("3")
