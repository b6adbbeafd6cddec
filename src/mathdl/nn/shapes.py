"""A network's forward and backward equations with the concrete shape of every matrix, and its
parameter count: the tutorial's shape table, for any architecture, as text and as Markdown.

For layer sizes n_0, n_1, …, n_L and a batch of N samples as columns:

    a⁽⁰⁾ = x                                  (n_0, N)
    z⁽ˡ⁾ = W⁽ˡ⁾ a⁽ˡ⁻¹⁾ + b⁽ˡ⁾                   (n_l, N) = (n_l, n_{l−1})(n_{l−1}, N) + (n_l, 1)
    a⁽ˡ⁾ = f_l(z⁽ˡ⁾)                            (n_l, N)
    δ⁽ᴸ⁾ = ∂C_x/∂z⁽ᴸ⁾ per column                 (n_L, N)
    ∂C/∂W⁽ˡ⁾ = (1/N) δ⁽ˡ⁾ (a⁽ˡ⁻¹⁾)ᵀ              (n_l, n_{l−1}) = (n_l, N)(N, n_{l−1})
    ∂C/∂b⁽ˡ⁾ = (1/N) Σ_columns δ⁽ˡ⁾              (n_l, 1)
    δ⁽ˡ⁻¹⁾ = (W⁽ˡ⁾)ᵀ δ⁽ˡ⁾ ⊙ f′_{l−1}(z⁽ˡ⁻¹⁾)       (n_{l−1}, N) = (n_{l−1}, n_l)(n_l, N) ⊙ (n_{l−1}, N)

The equations are written once, through a ``Notation`` (Unicode for the terminal, LaTeX for
Markdown), and the shapes come from ``shapes``, which the tests compare with a real forward and
backward pass. The tutorial's names (Z1, A1, dZ3, dW3, db3 …) are given beside mathdl's.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..base.errors import MathdlError
from .activations import get_activation
from .costs import get_cost
from .init import init_std

SUPERSCRIPTS = str.maketrans("0123456789Ll", "⁰¹²³⁴⁵⁶⁷⁸⁹ᴸˡ")
SYMBOLS = {  # activation name → (Unicode, LaTeX)
    "sigmoid": ("σ", r"\sigma"), "tanh": ("tanh", r"\tanh"), "relu": ("ReLU", r"\mathrm{ReLU}"),
    "leaky_relu": ("LeakyReLU", r"\mathrm{LeakyReLU}"), "swish": ("swish", r"\mathrm{swish}"),
    "linear": ("id", r"\mathrm{id}"), "softmax": ("softmax", r"\mathrm{softmax}"),
}


@dataclass(frozen=True)
class Architecture:
    """Layer sizes [n_0, …, n_L], activations [f_1, …, f_L], the cost, biases, initialisation, dtype."""

    sizes: tuple[int, ...]
    activations: tuple[str, ...]
    cost: str = "tse"
    bias: bool = True
    init: str = "normal"
    dtype: str = "float64"

    def __post_init__(self):
        object.__setattr__(self, "sizes", tuple(int(n) for n in self.sizes))
        object.__setattr__(self, "activations", tuple(get_activation(f).name for f in self.activations))
        object.__setattr__(self, "cost", get_cost(self.cost).name)
        if len(self.sizes) < 2 or min(self.sizes) < 1:
            raise MathdlError(f"layer sizes must be at least two positive integers, got {list(self.sizes)}")
        if len(self.activations) != self.L:
            raise MathdlError(f"{self.L} layers need {self.L} activations, got {len(self.activations)}")
        get_cost(self.cost).check_output(get_activation(self.activations[-1]))

    @classmethod
    def of(cls, net, cost: str = "tse") -> "Architecture":
        """The architecture of a ``Network`` (e.g. a trained one, for a report)."""
        return cls(tuple(net.sizes), tuple(net.activations), cost, net.bias, dtype=str(net.dtype))

    @property
    def L(self) -> int:
        return len(self.sizes) - 1

    def n_params(self, l: int | None = None) -> int:
        """n_l n_{l−1} (+ n_l biases) for layer l, or the sum over all layers."""
        if l is None:
            return sum(self.n_params(k) for k in range(1, self.L + 1))
        return self.sizes[l] * self.sizes[l - 1] + (self.sizes[l] if self.bias else 0)


def shapes(arch: Architecture, batch: int | str = "N") -> dict[str, list]:
    """The shape of every matrix for a batch of ``batch`` columns, in lists indexed by layer:
    a[0..L], z, delta, W, dW, b, db[1..L] (index 0 None; b and db None without biases)."""
    n, N = arch.sizes, batch
    layers = range(1, arch.L + 1)
    W = [None] + [(n[l], n[l - 1]) for l in layers]
    b = [None] + [(n[l], 1) if arch.bias else None for l in layers]
    z = [None] + [(n[l], N) for l in layers]
    return {"a": [(n[0], N)] + z[1:], "z": z, "delta": list(z), "W": W, "dW": list(W), "b": b, "db": list(b)}


@dataclass(frozen=True)
class Notation:
    """How equations are written: Unicode for the terminal, LaTeX (in $…$) for Markdown."""

    latex: bool

    def sup(self, symbol: str, l) -> str:
        """symbol⁽ˡ⁾."""
        return f"{symbol}^{{({l})}}" if self.latex else f"{symbol}⁽{str(l).translate(SUPERSCRIPTS)}⁾"

    def T(self, expr: str) -> str:
        return f"({expr})^\\top" if self.latex else f"({expr})ᵀ"

    def f(self, name: str) -> str:
        return SYMBOLS.get(name, (name, rf"\mathrm{{{name}}}"))[self.latex]

    def prime(self, name: str) -> str:
        return self.f(name) + ("'" if self.latex else "′")

    def d(self, expr: str) -> str:
        """∂C/∂expr."""
        return rf"\frac{{\partial C}}{{\partial {expr}}}" if self.latex else f"∂C/∂{expr}"

    @property
    def odot(self) -> str:
        return r"\odot" if self.latex else "⊙"

    @property
    def minus(self) -> str:
        return "-" if self.latex else "−"

    @property
    def mean(self) -> str:
        return r"\tfrac{1}{N}" if self.latex else "(1/N)"

    @property
    def sum_columns(self) -> str:
        return r"\textstyle\sum_{\text{columns}}" if self.latex else "Σ_columns"

    def math(self, text: str) -> str:
        return f"${text}$" if self.latex else text


UNICODE, LATEX = Notation(False), Notation(True)


@dataclass(frozen=True)
class Step:
    """One equation: what it computes, the tutorial's name, the result's shape, how it is computed."""

    equation: str
    tutorial: str
    shape: str
    detail: str


def forward_steps(arch: Architecture, batch: int | str = "N", notation: Notation = UNICODE) -> list[Step]:
    """a⁽⁰⁾ = x, then z⁽ˡ⁾ and a⁽ˡ⁾ for l = 1..L, and the cost C."""
    s, m = shapes(arch, batch), notation
    steps = [Step(m.math(f"{m.sup('a', 0)} = x"), "X", _shape(s["a"][0]), "N samples as columns")]
    for l in range(1, arch.L + 1):
        a_prev = "X" if l == 1 else f"A{l - 1}"
        bias = f" + {m.sup('b', l)}" if arch.bias else ""
        detail = f"{_shape(s['W'][l])} · {_shape(s['a'][l - 1])}"
        detail += f" + {_shape(s['b'][l])}" if arch.bias else ""  # b is added to every column
        steps.append(Step(m.math(f"{m.sup('z', l)} = {m.sup('W', l)} {m.sup('a', l - 1)}{bias}"),
                          f"Z{l} = W{l}·{a_prev}" + (f" + b{l}" if arch.bias else ""), _shape(s["z"][l]), detail))
        f = arch.activations[l - 1]
        how = "per column" if f == "softmax" else "elementwise"
        steps.append(Step(m.math(f"{m.sup('a', l)} = {m.f(f)}({m.sup('z', l)})"), f"A{l} = f(Z{l})",
                          _shape(s["a"][l]), f"{f}, {how}"))
    cost = get_cost(arch.cost)
    steps.append(Step(m.math(f"C = {m.mean} " + (r"\textstyle\sum_x C_x" if m.latex else "Σ_x C_x")), "cost",
                      "scalar", f"{cost.title}, mean over columns"))
    return steps


def backward_steps(arch: Architecture, batch: int | str = "N", notation: Notation = UNICODE) -> list[Step]:
    """δ⁽ᴸ⁾ from the cost, then for l = L..1: ∂C/∂W⁽ˡ⁾, ∂C/∂b⁽ˡ⁾ and δ⁽ˡ⁻¹⁾."""
    s, m, L = shapes(arch, batch), notation, arch.L
    steps = [Step(m.math(f"{m.sup(_delta(m), L)} = {_output_delta(arch, m)}"),
                  f"dZ{L} = A{L} − Y" if arch.cost == "xe" else f"dZ{L}", _shape(s["delta"][L]),
                  _output_delta_reason(arch))]
    for l in range(L, 0, -1):
        a_prev = "X" if l == 1 else f"A{l - 1}"
        steps.append(Step(m.math(f"{m.d(m.sup('W', l))} = {m.mean} {m.sup(_delta(m), l)} {m.T(m.sup('a', l - 1))}"),
                          f"dW{l} = dZ{l}·{a_prev}ᵀ/m", _shape(s["dW"][l]),
                          f"{_shape(s['delta'][l])} · {_shape(tuple(reversed(s['a'][l - 1])))}"))
        if arch.bias:
            steps.append(Step(m.math(f"{m.d(m.sup('b', l))} = {m.mean} {m.sum_columns} {m.sup(_delta(m), l)}"),
                              f"db{l} = Σ(dZ{l}, 1)/m", _shape(s["db"][l]), f"row sums of {_shape(s['delta'][l])}"))
        if l > 1:
            f = arch.activations[l - 2]
            steps.append(Step(
                m.math(f"{m.sup(_delta(m), l - 1)} = {m.T(m.sup('W', l))} {m.sup(_delta(m), l)} {m.odot} "
                       f"{m.prime(f)}({m.sup('z', l - 1)})"),
                f"dZ{l - 1} = W{l}ᵀ·dZ{l} ⊙ f′(Z{l - 1})", _shape(s["delta"][l - 1]),
                f"{_shape(tuple(reversed(s['W'][l])))} · {_shape(s['delta'][l])} ⊙ {_shape(s['z'][l - 1])}"))
    return steps


def _delta(m: Notation) -> str:
    return r"\delta" if m.latex else "δ"


def _output_delta(arch: Architecture, m: Notation) -> str:
    """δ⁽ᴸ⁾ = ∂C_x/∂z⁽ᴸ⁾ for the cost and output activation."""
    L, f = arch.L, arch.activations[-1]
    a, z, y = m.sup("a", L), m.sup("z", L), "y"
    error = f"{a} {m.minus} {y}"
    if arch.cost == "xe":
        return error
    if arch.cost == "mse":
        error = (rf"\tfrac{{2}}{{{arch.sizes[-1]}}}" if m.latex else f"(2/{arch.sizes[-1]})") + f"({error})"
    else:
        error = f"({error})"
    if f == "softmax":
        return f"J_{{\\mathrm{{softmax}}}}({z})^\\top {error}" if m.latex else f"J_softmax({z})ᵀ {error}"
    return f"{error} {m.odot} {m.prime(f)}({z})"


def _output_delta_reason(arch: Architecture) -> str:
    if arch.cost == "xe":
        return f"XE with {arch.activations[-1]}: f′ cancels"
    return f"{arch.cost.upper()}: ∂C_x/∂a ⊙ f′"


def parameter_rows(arch: Architecture) -> list[dict]:
    """Per layer: W and b shapes, parameter count, activation, σ of the initial weights; last row the total."""
    rows = []
    for l in range(1, arch.L + 1):
        n_in, n_out = arch.sizes[l - 1], arch.sizes[l]
        rows.append({"layer": str(l), "W": _shape((n_out, n_in)), "b": _shape((n_out, 1)) if arch.bias else "-",
                     "parameters": arch.n_params(l), "f": arch.activations[l - 1],
                     "init σ": f"{init_std(arch.init, n_in, n_out):.4g}"})
    nbytes = arch.n_params() * np.dtype(arch.dtype).itemsize
    rows.append({"layer": "total", "W": "", "b": "", "parameters": arch.n_params(), "f": "",
                 "init σ": f"{_size(nbytes)} as {arch.dtype}"})
    return rows


def summary(arch: Architecture, batch: int | str = "N") -> str:
    """One line: the layers, activations, cost and batch."""
    hidden = sorted(set(arch.activations[:-1]), key=arch.activations.index)
    acts = (f"{'/'.join(hidden)} hidden, " if hidden else "no hidden layer, ") + f"{arch.activations[-1]} output"
    batch_text = "N samples" if batch == "N" else f"N = {batch} samples"
    return (f"{' → '.join(map(str, arch.sizes))}: {acts}, cost {arch.cost.upper()}, "
            f"{'' if arch.bias else 'no biases, '}a batch of {batch_text} as columns")


def markdown(arch: Architecture, batch: int | str = "N", *, title: str | None = None, level: int = 2) -> str:
    """The forward and backward equations with shapes, and the parameter table, as Markdown (LaTeX maths)."""
    h = "#" * level
    lines = [f"{h} {title or 'Network ' + ' → '.join(map(str, arch.sizes))}", "", summary(arch, batch) + ".", ""]
    for name, steps in (("Forward pass", forward_steps(arch, batch, LATEX)),
                        ("Backward pass", backward_steps(arch, batch, LATEX))):
        lines += [f"{h}# {name}", "", "| equation | tutorial | shape | computed from |", "|---|---|---|---|"]
        lines += [f"| {s.equation} | `{s.tutorial}` | {s.shape} | {s.detail} |" for s in steps]
        lines.append("")
    lines += [note(arch, LATEX), "", f"{h}# Parameters", "", "| layer | W | b | parameters | f | init σ |", "|---|---|---|---:|---|---|"]
    lines += [f"| {r['layer']} | {r['W']} | {r['b']} | {r['parameters']:,} | {r['f']} | {r['init σ']} |"
              for r in parameter_rows(arch)]
    return "\n".join(lines) + "\n"


def note(arch: Architecture, notation: Notation = UNICODE) -> str:
    """How the two backpropagation methods use these equations, and the gradient-descent update."""
    m = notation
    eta = r"\eta" if m.latex else "η"
    arrow = r"\leftarrow" if m.latex else "←"
    updates = [f"{m.sup(p, 'l')} {arrow} {m.sup(p, 'l')} {m.minus} {eta} {m.d(m.sup(p, 'l'))}"
               for p in ("W", "b")[:1 + arch.bias]]
    return ("The online method runs the same equations with N = 1 (vectors) and updates after every sample; "
            "the matrix method uses the whole batch (the tutorial's m is N here). Gradient descent then "
            f"updates every layer l: {', '.join(m.math(u) for u in updates)}.")


def _shape(shape) -> str:
    return "(" + ", ".join(map(str, shape)) + ")"


def _size(nbytes: int) -> str:
    """1234 → '1.2 KiB'."""
    if nbytes < 1024:
        return f"{nbytes} bytes"
    power = min(int(np.log2(nbytes) // 10), 3)
    return f"{nbytes / 1024 ** power:.1f} {('KiB', 'MiB', 'GiB')[power - 1]}"
