"""explain: the shapes it prints are the shapes of a real forward and backward pass."""
import pytest

from conftest import random_batch, random_net
from mathdl.base.errors import MathdlError
from mathdl.nn.shapes import Architecture, backward_steps, forward_steps, markdown, parameter_rows, shapes
from mathdl.nn import backprop

ARCHITECTURES = [
    ([784, 128, 64, 32, 1], ["sigmoid"] * 4, "tse", True),
    ([12, 7, 5, 3], ["relu", "tanh", "softmax"], "xe", True),
    ([6, 4, 2], ["swish", "sigmoid"], "mse", False),
    ([2, 1], ["sigmoid"], "xe", True),
]


def text(shape) -> str:
    return "(" + ", ".join(map(str, shape)) + ")"


@pytest.mark.parametrize("sizes,activations,cost,bias", ARCHITECTURES)
def test_explained_shapes_are_those_of_a_forward_and_backward_pass(sizes, activations, cost, bias):
    N = 64 if sizes[0] < 100 else 5
    net = random_net(sizes, activations, bias=bias)
    X, Y = random_batch(sizes[0], sizes[-1], N, output=activations[-1])
    z, a = net.forward(X)
    _, grads = backprop(net, X, Y, cost)
    arch = Architecture.of(net, cost)
    s = shapes(arch, N)
    L = net.L
    assert [s["z"][l] for l in range(1, L + 1)] == [z[l].shape for l in range(1, L + 1)]
    assert s["a"] == [a[l].shape for l in range(L + 1)]
    assert [s["W"][l] for l in range(1, L + 1)] == [net.W[l].shape for l in range(1, L + 1)]
    assert [s["dW"][l] for l in range(1, L + 1)] == [grads.dW[l].shape for l in range(1, L + 1)]
    assert [s["db"][l] for l in range(1, L + 1)] == [None if g is None else g.shape for g in grads.db[1:]]
    # what is printed: the forward steps' z and a rows, the backward steps' dZ, dW and db rows
    forward = forward_steps(arch, N)
    assert [f.shape for f in forward if f.tutorial.startswith("Z")] == [text(z[l].shape) for l in range(1, L + 1)]
    assert [f.shape for f in forward if f.tutorial.startswith(("A", "X"))] == [text(a[l].shape) for l in range(L + 1)]
    backward = backward_steps(arch, N)
    assert [b.shape for b in backward if b.tutorial.startswith("dW")] == [text(grads.dW[l].shape) for l in range(L, 0, -1)]
    assert [b.shape for b in backward if b.tutorial.startswith("dZ")] == [text(z[l].shape) for l in range(L, 0, -1)]
    assert [b.shape for b in backward if b.tutorial.startswith("db")] == (
        [text(grads.db[l].shape) for l in range(L, 0, -1)] if bias else [])
    assert arch.n_params() == net.n_params == parameter_rows(arch)[-1]["parameters"]


def test_markdown_has_the_tutorial_table_for_the_three_hidden_layer_network():
    arch = Architecture((784, 128, 64, 32, 1), ("sigmoid",) * 4, "xe")
    md = markdown(arch, 64)
    assert md.startswith("## Network 784 → 128 → 64 → 32 → 1\n")
    assert "| $z^{(1)} = W^{(1)} a^{(0)} + b^{(1)}$ | `Z1 = W1·X + b1` | (128, 64) | (128, 784) · (784, 64) + (128, 1) |" in md
    assert r"| $\delta^{(4)} = a^{(4)} - y$ | `dZ4 = A4 − Y` | (1, 64) |" in md
    assert r"$\delta^{(3)} = (W^{(4)})^\top \delta^{(4)} \odot \sigma'(z^{(3)})$" in md
    assert "| total |  |  | 110,849 |" in md
    assert "### Forward pass" in md and "### Backward pass" in md and "### Parameters" in md
    assert "(128, N)" in markdown(arch)  # without a batch size, N stays a symbol


def test_output_delta_depends_on_cost_and_output():
    tse_softmax = backward_steps(Architecture((4, 3), ("softmax",), "tse"))[0].equation
    assert tse_softmax == "δ⁽¹⁾ = J_softmax(z⁽¹⁾)ᵀ (a⁽¹⁾ − y)"
    assert backward_steps(Architecture((4, 2, 1), ("tanh", "sigmoid"), "tse"))[0].equation == "δ⁽²⁾ = (a⁽²⁾ − y) ⊙ σ′(z⁽²⁾)"
    assert backward_steps(Architecture((4, 3), ("softmax",), "xe"))[0].equation == "δ⁽¹⁾ = a⁽¹⁾ − y"


@pytest.mark.parametrize("args,message", [
    (((4, 3), ("tanh",), "xe"), "cost xe needs a sigmoid or softmax output layer"),
    (((4, 3, 2), ("tanh",), "tse"), "2 layers need 2 activations"),
    (((4,), (), "tse"), "at least two positive integers"),
    (((4, 3), ("cosine",), "tse"), "unknown activation 'cosine'"),
])
def test_bad_architectures_are_clear_errors(args, message):
    with pytest.raises(MathdlError, match=message):
        Architecture(*args)
