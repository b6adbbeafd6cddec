"""Every formula of the report typeset as meant: each compiled by Typst alone and its structure read back
(fractions, attachments), so that ∂C/∂z⁽ᴸ⁾ cannot again come out as ∂ · (C over ∂) · z⁽ᴸ⁾; and the
LaTeX→Typst translation of the formulas written once in LaTeX."""
import json

import pytest
import typst

from mathdl.base.errors import MathdlError
from mathdl.nn.shapes import LATEX, Architecture, backward_steps, forward_steps
from mathdl.report.content import build, load_study
from mathdl.report.document import Bullets, Equation, Math, Paragraph, Table
from mathdl.report.latex import typst_math

OPERATORS = {"∂", "∑", "+", "−", "-", "=", "⋅", "⊙", "×", "<", ">", "≤", "≥", "←", "∈", "/", ",", "(", ")", "[", "]"}


def linear(node) -> str:
    """A Typst maths tree (the JSON ``typst.query`` returns) as a line of text: fractions as (n)/(d),
    attachments as base^(t)_(b), so that the structure can be compared with what was meant."""
    if node is None:
        return ""
    if isinstance(node, str):
        return node
    if isinstance(node, list):
        return "".join(linear(n) for n in node)
    func = node.get("func")
    if func == "frac":
        return f"({linear(node['num'])})/({linear(node['denom'])})"
    if func == "attach":
        out = linear(node["base"])
        for key, mark in (("t", "^"), ("b", "_"), ("tr", "^"), ("br", "_")):
            if node.get(key) is not None:
                out += f"{mark}({linear(node[key])})"
        return out
    if func in ("sequence",):
        return "".join(linear(c) for c in node["children"])
    if func == "space":
        return ""
    if func == "primes":
        return "'" * node["count"]
    if func == "lr":
        return linear(node["body"])
    if func == "root":
        return f"√({linear(node['radicand'])})"
    if func == "binom":
        return f"({linear(node['upper'])})({linear(node['lower'])})"
    if func == "accent":
        return linear(node["base"]) + node["accent"]
    if func in ("symbol", "text", "op"):
        return linear(node["text"])
    for key in ("body", "child", "base", "text"):
        if key in node:
            return linear(node[key])
    return ""


def fractions(node) -> list[tuple]:
    """Every fraction in a tree as (numerator, denominator) nodes."""
    found = []
    if isinstance(node, dict):
        if node.get("func") == "frac":
            found.append((node["num"], node["denom"]))
        for value in node.values():
            found += fractions(value)
    elif isinstance(node, list):
        for value in node:
            found += fractions(value)
    return found


def trees(formulas: list[str]) -> list[dict]:
    """Each Typst formula compiled alone (a syntax error names its formula), its body's tree."""
    out = []
    for formula in formulas:
        try:
            [equation] = json.loads(typst.query(f"$ {formula} $".encode(), "math.equation"))
        except (typst.TypstError, RuntimeError) as e:
            raise AssertionError(f"{formula!r} does not compile: {e}") from None
        out.append(equation["body"])
    return out


def document_maths(doc) -> list:
    """Every formula of the document (``Math`` or ``Equation``): display equations and inline maths in
    paragraphs, lists and table cells."""
    formulas = []

    def pieces(items):
        for item in items if isinstance(items, tuple) else (items,):
            if isinstance(item, Math):
                formulas.append(item)
    for block in doc.blocks:
        if isinstance(block, Equation):
            formulas.append(block)
        elif isinstance(block, Paragraph):
            pieces(block.pieces)
        elif isinstance(block, Bullets):
            for item in block.items:
                pieces(item)
        elif isinstance(block, Table):
            for row in (block.header, *block.rows):
                for cell in row:
                    pieces(cell)
    return formulas


@pytest.fixture(scope="module")
def maths(study):
    return document_maths(build(load_study(study.path)))


@pytest.fixture(scope="module")
def formulas(maths):
    """The Typst form of every formula of the report."""
    return [m.typst for m in maths]


def test_every_formula_is_written_once_in_latex(maths):
    """The report writes each formula once, in LaTeX (the Markdown's form); its Typst is the translation, never a
    second hand-written copy that could say something else."""
    twice = [m.latex for m in maths if m.typst != typst_math(m.latex)]
    assert not twice, f"{len(twice)} formulas written twice, e.g. {twice[:3]}"


def test_every_formula_compiles_alone_and_no_fraction_has_a_lone_operator(formulas):
    assert len(formulas) > 60
    for formula, tree in zip(formulas, trees(formulas)):
        for numerator, denominator in fractions(tree):
            for part in (linear(numerator), linear(denominator)):
                assert part and part not in OPERATORS, f"{formula!r}: a fraction of {part!r}"
                assert part[0] not in "+=⊙×<>≤≥←∈," and part[-1] not in "+−-=⊙×<>≤≥←∈,∂", \
                    f"{formula!r}: the fraction's operand {part!r} starts or ends with an operator"


def test_the_output_delta_and_the_gradients_are_the_fractions_meant(formulas):
    linears = [linear(t) for t in trees(formulas)]
    assert "δ^((L))=(∂C_(x))/(∂z^((L)))" in linears  # the formula of issue 21, item 1 (per sample x)
    assert "(∂C)/(∂W^((l)))=(1)/(N)∑_(x)(∂C_(x))/(∂W^((l)))" in linears  # the batch: the mean over samples
    joined = " ".join(linears)
    for l in (1, 2, 3, 4):
        assert f"(∂C)/(∂W^(({l})))" in joined and f"(∂C)/(∂b^(({l})))" in joined
    assert "σ(z)=(1)/(1+e^(−z))" in joined


def test_the_shapes_equations_translate_to_typst_with_their_structure():
    for cost in ("tse", "xe"):
        arch = Architecture((784, 128, 64, 32, 1), ("sigmoid",) * 4, cost)
        steps = forward_steps(arch, 16, LATEX) + backward_steps(arch, 16, LATEX)
        formulas = [typst_math(s.equation.strip("$")) for s in steps]
        linears = [linear(t) for t in trees(formulas)]
        assert "δ^((3))=(W^((4)))^(⊤)δ^((4))⊙σ^(')(z^((3)))" in linears  # the prime attached to σ
        assert "(∂C)/(∂W^((1)))=(1)/(N)δ^((1))(a^((0)))^(⊤)" in linears
        assert "(∂C)/(∂b^((2)))=(1)/(N)∑_(columns)δ^((2))" in linears


@pytest.mark.parametrize("latex, meant", [
    (r"\frac{\partial C}{\partial z^{(L)}}", "(∂C)/(∂z^((L)))"),
    (r"S_d(x) + a_j(x)", "S_(d)(x)+a_(j)(x)"),  # not S_{d(x)}: Typst would read d(x) as one subscript
    (r"\|W W^\top c - c\| / \|c\|", "‖WW^(⊤)c−c‖/‖c‖"),  # LaTeX's slash is a slash, not a fraction
    (r"\hat p \pm z\sqrt{\hat p(1-\hat p)/n}", "p̂±z√(p̂(1−p̂)/n)"),
    (r"\lambda_{\mathrm{TV}}\,\mathrm{TV}(x)", "λ_(TV)TV(x)"),
    (r"x\in\mathbb{R}^n,\ ab", "x∈ℝ^(n),ab"),  # two letters are two symbols, as in LaTeX
    (r"\binom{b+c}{k}2^{-(b+c)}", "(b+c)(k)2^(−(b+c))"),
    (r"a \mp b \le c", "a∓b≤c"),  # minus-plus, not plus-minus; ≤, not <
    (r"W \sim \widetilde{x} \in \mathbb{Z}", "W∼x̃∈ℤ"),  # the tilde operator and accent, the integers
    (r"\tfrac12 + \lvert a\rvert\lvert b\rvert", "(1)/(2)+|a||b|"),  # one digit per argument; |a||b|, not |a‖b|
    (r"\sqrt{x+1}", "√(x+1)"),  # no parentheses of the argument's under the root
])
def test_latex_translates_to_the_structure_meant(latex, meant):
    [tree] = trees([typst_math(latex)])
    assert linear(tree).replace("\u2009", "").replace(" ", "") == meant


def test_unsupported_latex_is_refused_by_name():
    with pytest.raises(MathdlError, match=r"\\begin is not supported"):
        typst_math(r"\begin{pmatrix} a \end{pmatrix}")
    with pytest.raises(MathdlError, match="unbalanced"):
        typst_math(r"a^{(l)")


def test_line_breaks_display_style_quotes_and_a_stray_brace():
    """What the tree of a compiled formula does not show, in the Typst text itself."""
    assert typst_math(r"a \\ b") == r"a \ b"  # a line break in a gathered block
    assert typst_math(r"\displaystyle \frac{a}{b}") == "display(a/b)"
    assert typst_math(r'\text{say "hi"}') == r'"say \"hi\""'  # a quote inside upright text is escaped
    assert typst_math("a # b") == r"a\#b"  # '#' would start Typst code
    with pytest.raises(MathdlError, match="unbalanced '}'"):
        typst_math("a}")
