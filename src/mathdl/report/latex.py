"""LaTeX maths (the subset mathdl writes) as Typst maths, so that an equation written once in LaTeX — by
``mathdl.nn.shapes`` for ``mathdl explain``, or in reverse.md — is typeset in the PDF too.

The subset: ``\\frac``/``\\tfrac``/``\\dfrac``, ``\\sqrt``, ``\\binom``, ``^`` and ``_`` with single tokens or ``{…}``
groups, ``\\text``/``\\mathrm``/``\\operatorname`` (upright text), ``\\mathbf``, ``\\mathbb``, ``\\mathcal``,
accents (``\\hat``, ``\\bar``, ``\\tilde``), ``\\left``/``\\right``, Greek letters and the operators and
relations below, ``\\\\`` as a line break (inside ``gathered``, whose ``\\begin``/``\\end`` Typst does not need),
``\\displaystyle`` (Typst's ``display`` around the rest of the group). Anything else is refused with the
command's name, so a formula is never silently typeset wrong.

Typst differs from LaTeX where it matters: ``/`` is a fraction (LaTeX's slash becomes ``\\/``), several
letters in a row are one identifier (``ab`` becomes ``a b``), and ``<-``, ``->``, ``<=`` … are
shorthands (operators are spaced apart so that they never merge).
"""
from __future__ import annotations

import re

from ..base.errors import MathdlError

GREEK = ("alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi pi rho "
         "sigma tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Phi Psi Omega").split()
SYMBOLS = {
    **{g: g for g in GREEK}, "varepsilon": "epsilon.alt", "varphi": "phi.alt", "vartheta": "theta.alt",
    "epsilon": "epsilon", "ell": "ell", "partial": "partial", "nabla": "nabla", "infty": "infinity",
    "odot": "dot.o", "cdot": "dot.c", "times": "times", "pm": "plus.minus", "mp": "minus.plus", "ast": "ast",
    "circ": "compose", "le": "<=", "leq": "<=", "ge": ">=", "geq": ">=", "ne": "!=", "neq": "!=",
    "approx": "approx", "sim": "tilde.op", "equiv": "equiv", "propto": "prop", "in": "in", "notin": "in.not",
    "subset": "subset", "to": "->", "rightarrow": "->", "leftarrow": "<-", "mapsto": "|->", "Rightarrow": "=>",
    "sum": "sum", "prod": "product", "int": "integral", "ln": "ln", "log": "log", "exp": "exp", "max": "max",
    "min": "min", "arg": "arg", "argmax": "arg max", "sup": "sup", "inf": "inf", "tanh": "tanh", "sinh": "sinh",
    "cosh": "cosh", "sin": "sin", "cos": "cos", "det": "det", "top": "top", "dots": "dots", "ldots": "dots",
    "cdots": "dots.c", "quad": "quad", "qquad": "wide", ",": "thin", ";": "med", ":": "med", "!": "",
    " ": "space", "|": "‖", "lVert": "‖", "rVert": "‖", "Vert": "‖", "lvert": "|", "rvert": "|", "mid": "|",
    "{": "{", "}": "}", "langle": "angle.l", "rangle": "angle.r", "lfloor": "floor.l", "rfloor": "floor.r",
    "lceil": "ceil.l", "rceil": "ceil.r", "prime": "'", "textstyle": "", "forall": "forall",
    "exists": "exists", "cup": "union", "cap": "sect", "emptyset": "emptyset",
}
TEXT = {"text", "mathrm", "operatorname", "textrm", "mathit"}
STYLES = {"mathbf": "bold", "boldsymbol": "bold", "mathcal": "cal", "mathsf": "sans", "mathtt": "mono"}
ACCENTS = {"hat": "hat", "widehat": "hat", "bar": "macron", "overline": "overline", "tilde": "tilde",
           "widetilde": "tilde", "vec": "arrow", "dot": "dot", "ddot": "dot.double"}
BLACKBOARD = {"R": "RR", "N": "NN", "Z": "ZZ", "Q": "QQ", "C": "CC"}
FRACTIONS = {"frac", "tfrac", "dfrac"}
ENVIRONMENTS = {"gathered"}  # lines broken by \\, centred: Typst's own display maths
SPACED = set("<>=-+!:~[]")  # operator characters that Typst would merge into shorthands: kept apart
TOKEN = re.compile(r"\\[A-Za-z]+|\\.|[A-Za-z]|[0-9]+(?:\.[0-9]+)?|\s+|.", re.S)


def typst_math(latex: str) -> str:
    """The Typst form of a LaTeX formula (without the dollars)."""
    tokens = [t for t in TOKEN.findall(latex)]
    parser = _Parser(tokens, latex)
    out = parser.sequence()
    if parser.i < len(tokens):
        raise MathdlError(f"unbalanced '}}' in the formula {latex!r}")
    return re.sub(r" {2,}", " ", out).strip()


def _operand(typst: str) -> str:
    """One token as it is, anything longer in parentheses (which Typst does not print around an operand)."""
    typst = typst.strip()
    return typst if re.fullmatch(r"[A-Za-z]|[0-9.]+|[A-Za-z.]+", typst) else f"({typst})"


def _inner(operand: str) -> str:
    """An operand without the parentheses ``_operand`` put around it (for a function's argument)."""
    return operand[1:-1] if operand.startswith("(") and operand.endswith(")") else operand


class _Parser:
    def __init__(self, tokens: list[str], latex: str):
        self.tokens, self.latex, self.i = tokens, latex, 0

    def peek(self) -> str | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> str:
        token = self.peek()
        if token is None:
            raise MathdlError(f"the formula {self.latex!r} ends where an argument was expected")
        self.i += 1
        return token

    def skip_space(self) -> None:
        while (token := self.peek()) is not None and token.isspace():
            self.i += 1

    def sequence(self) -> str:
        """Atoms up to a closing brace or the end."""
        parts: list[str] = []
        previous = ""
        while (token := self.peek()) is not None and token != "}":
            atom = self.atom()
            if not atom:
                continue
            if atom[0] in "^_'" and parts:  # attached to what precedes it, with no space between
                parts[-1] = parts[-1].rstrip()
            elif atom[0] == "(" and previous[:1] in ("^", "_"):  # S_d (x), not S_{d(x)}: Typst would call d
                parts.append(" ")
            elif atom[0] in "|‖" and previous.endswith(("|", "‖")):  # || would be Typst's ‖
                parts.append(" ")
            # letters and digits side by side are separate atoms in LaTeX, one identifier in Typst
            elif previous and (previous[-1].isalnum() or previous[-1] in "\"'") and atom[0].isalnum():
                parts.append(" ")
            parts.append(atom)
            previous = atom
        return "".join(parts)

    def argument(self) -> str:
        """A command's argument, a group or a single token, as Typst (parenthesised when it is more than
        one token, which Typst strips again around fractions and attachments)."""
        self.skip_space()
        if self.peek() == "{":
            self.take()
            inner = self.sequence()
            if self.peek() != "}":
                raise MathdlError(f"unbalanced '{{' in the formula {self.latex!r}")
            self.take()
            return _operand(inner)
        token = self.peek()
        if token is not None and token[0].isdigit() and len(token) > 1:  # \tfrac12: one digit per argument
            self.tokens[self.i:self.i + 1] = [token[0], token[1:]]
        return _operand(self.atom())

    def raw_group(self) -> str:
        """The text of a {…} group, verbatim (for \\text)."""
        self.skip_space()
        if self.peek() != "{":
            return self.take()
        self.take()
        depth, out = 1, []
        while True:
            token = self.take()
            depth += {"{": 1, "}": -1}.get(token, 0)
            if depth == 0:
                return "".join(out)
            out.append(token)

    def atom(self) -> str:
        token = self.take()
        if token.isspace():  # insignificant in LaTeX; what Typst must keep apart is spaced where emitted
            return ""
        if token in ("^", "_"):
            return f"{token}{self.argument()}"
        if token == "{":
            inner = self.sequence()
            self.take()
            return inner
        if token == "/":
            return "\\/"
        if token == "|":
            return "|"
        if token == "'":
            return "'"
        if token in SPACED:
            return f" {token} " if token != "~" else " space "
        if token in ('"', "#", "$", "@"):
            return f"\\{token}"
        if not token.startswith("\\"):
            return token
        name = token[1:]
        if name in FRACTIONS:
            numerator, denominator = self.argument(), self.argument()
            return f"{numerator}/{denominator}"
        if name == "sqrt":
            return f"sqrt({_inner(self.argument())})"
        if name == "binom":
            top, bottom = self.argument(), self.argument()
            return f"binom({_inner(top)}, {_inner(bottom)})"
        if name in TEXT:
            return '"' + self.raw_group().replace("\\", "").replace('"', '\\"') + '"'
        if name in STYLES:
            return f"{STYLES[name]}({self.argument()})"
        if name == "mathbb":
            letter = self.raw_group().strip()
            if letter not in BLACKBOARD:
                raise MathdlError(f"\\mathbb{{{letter}}} is not supported in the formula {self.latex!r}")
            return BLACKBOARD[letter]
        if name in ACCENTS:
            return f"{ACCENTS[name]}({self.argument()})"
        if name in ("begin", "end"):
            environment = self.raw_group().strip()
            if environment not in ENVIRONMENTS:
                raise MathdlError(f"the LaTeX command {token} is not supported for {environment!r} (formula "
                                  f"{self.latex!r})")
            return ""
        if name == "displaystyle":  # the rest of the group in display style
            return f"display({self.sequence()})"
        if name in ("left", "right", "big", "Big", "bigl", "bigr", "Bigl", "Bigr"):
            return ""  # Typst sizes matched delimiters itself
        if name == "\\":
            return " \\ "
        if name in SYMBOLS:
            symbol = SYMBOLS[name]
            if symbol in ("‖", "|"):  # fences hug what they enclose
                return symbol
            return f" {symbol} " if symbol else ""
        raise MathdlError(f"the LaTeX command {token} is not supported (formula {self.latex!r})")
