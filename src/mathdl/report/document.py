"""A small document model written once and rendered twice: Typst (for the PDF) and Markdown.

Text is a list of pieces: plain strings, ``Math`` (inline) with its Typst and LaTeX forms, ``Strong``,
``Code`` and ``Break`` (a line break in a table cell). Blocks are headings, paragraphs, numbered display
equations, tables, figures, lists and notices. Figures and tables float in the PDF (to the top of the page
they are on or of the next, never split), so that the text flows on instead of leaving pages half empty.

Typographic rules applied to every text, whoever wrote it: a number in e-notation (9.7e-08) is typeset as
a power of ten (9.7 × 10⁻⁸); short inline maths is never broken across lines, nor is a relation in the text
from what it relates (r = 0.12, a > 101); a paragraph that ends with a colon stays on the page of the list it
introduces; a table's cells are set ragged, without hyphenation.
"""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field

from .latex import typst_math

PAGE_WIDTH_CM, MARGIN_X_CM, MARGIN_Y_CM = 21.0, 2.0, 2.2  # A4 and the report's margins
TEXT_WIDTH_IN = (PAGE_WIDTH_CM - 2 * MARGIN_X_CM) / 2.54  # a figure of width 100% is shown this wide (6.69 in)


@dataclass(frozen=True)
class Math:
    """Inline mathematics in Typst syntax and in LaTeX (for Markdown)."""

    typst: str
    latex: str

    @classmethod
    def tex(cls, latex: str) -> "Math":
        """Mathematics written once, in LaTeX; the Typst form is translated (``mathdl.report.latex``)."""
        return cls(typst_math(latex), latex)


@dataclass(frozen=True)
class Strong:
    text: str


@dataclass(frozen=True)
class Break:
    """A line break inside a table cell (a space in Markdown)."""


@dataclass(frozen=True)
class Ref:
    """A reference to a labelled table, figure or equation: "Table 3", numbered in both renderings."""

    label: str


@dataclass(frozen=True)
class Code:
    """Verbatim text (a command line)."""

    text: str


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 1
    label: str | None = None


@dataclass(frozen=True)
class Paragraph:
    pieces: tuple


@dataclass(frozen=True)
class Equation:
    """A numbered display equation."""

    typst: str
    latex: str
    label: str | None = None

    @classmethod
    def tex(cls, latex: str, label: str | None = None) -> "Equation":
        return cls(typst_math(latex), latex, label)


@dataclass(frozen=True)
class Table:
    header: tuple
    rows: tuple
    caption: str
    label: str | None = None
    align: str | None = None  # one letter per column: l, c, r
    size: str = "9pt"
    placement: str = "top"  # "top": floats to the top of this or the next page; "none": here, in the text
    inset: str = "4pt"  # room around each cell's content (more for display maths, which lines do not make room for)


@dataclass(frozen=True)
class Figure:
    path: str  # relative to the report's directory
    caption: str
    width: str = "100%"
    label: str | None = None
    placement: str = "top"


@dataclass(frozen=True)
class FigureGrid:
    """Figures side by side, ``columns`` to a row, each with its own caption."""

    figures: tuple  # of Figure
    columns: int = 2


@dataclass(frozen=True)
class Bullets:
    items: tuple  # each item a tuple of pieces
    numbered: bool = False


@dataclass(frozen=True)
class Notice:
    """A boxed paragraph (a preview warning)."""

    pieces: tuple


@dataclass(frozen=True)
class PageBreak:
    pass


@dataclass
class Document:
    """The title page (title, subtitle, author, date, a notice, a few lines of summary) and the blocks."""

    title: str
    subtitle: str
    author: str = ""
    date: str = ""
    notice: tuple = ()  # pieces of a boxed notice on the title page (a preview), or ()
    lines: tuple = ()  # each a tuple of pieces, centred under the title
    blocks: list = field(default_factory=list)

    def add(self, *blocks) -> "Document":
        self.blocks.extend(blocks)
        return self


def text(*pieces) -> tuple:
    return tuple(pieces)


E_NOTATION = re.compile(r"(?<![\w.])([0-9]+(?:\.[0-9]+)?)e([-+]?[0-9]+)(?!\w|\.[0-9])")
RELATION = re.compile(r" ([=<>≤≥≈]) ")


def powers_of_ten(text: str) -> tuple:
    """``text`` as pieces, each number in e-notation replaced by its power of ten: '9.7e-08' → 9.7 × 10⁻⁸."""
    pieces, at = [], 0
    for found in E_NOTATION.finditer(text):
        mantissa, exponent = found.group(1), int(found.group(2))
        pieces += [text[at:found.start()], Math.tex(rf"{mantissa} \times 10^{{{exponent}}}")]
        at = found.end()
    return tuple(p for p in (*pieces, text[at:]) if p)


STRUCTURE = re.compile(r"\\(?:[tdc]?frac|left|right|mathbf|mathrm|operatorname|text|hat|bar|tilde)\b|\\[,;:! ]|[{}\s^_]")
SHORT = 24  # characters: about a quarter of a line


def unbreakable(math: Math) -> bool:
    """Whether inline maths is kept on one line: when it is short (its symbols, a LaTeX command counting as
    one, at most ``SHORT``), since moving it whole to the next line leaves no wide gaps in the line before;
    a longer formula may break after a relation or an operator, as TeX's inline formulas do."""
    return len(re.sub(r"\\[A-Za-z]+", "x", STRUCTURE.sub("", math.latex))) <= SHORT


def _pieces(pieces) -> list:
    """The pieces with every plain string's e-notation numbers as maths (``powers_of_ten``)."""
    return [q for p in pieces for q in (powers_of_ten(p) if isinstance(p, str) else (p,))]


# ---------------------------------------------------------------------------------------------------
# Typst


_TYPST_SPECIAL = re.compile(r"([\\#$*_`<>@\[\]~/])")


def typst_escape(s: str) -> str:
    """Plain text for Typst markup: special characters escaped, and -- kept as two hyphens (not a dash)."""
    return _TYPST_SPECIAL.sub(r"\\\1", s).replace("--", "-\\-")


def _typst_pieces(pieces) -> str:
    out = []
    for piece in _pieces(pieces):
        if isinstance(piece, Math) and unbreakable(piece):  # boxed, and the ";" ends the code, so that what
            out.append(f"#box(${piece.typst}$);")  # follows is text: "(", ";", "."
        elif isinstance(piece, Math):
            out.append(f"${piece.typst}$")
        elif isinstance(piece, Strong):
            out.append(f"#strong[{typst_escape(piece.text)}]")
        elif isinstance(piece, Code):
            out.append("#raw(" + typst_string(piece.text) + ")")
        elif isinstance(piece, Break):
            out.append(" \\\n")
        elif isinstance(piece, Ref):
            out.append(f"@{piece.label}")
        else:  # a relation stays with what it relates: no break on either side of it
            out.append(typst_escape(RELATION.sub("\u00a0\\1\u00a0", str(piece))))
    return "".join(out)


def _typst_text(text) -> str:
    """A caption or title: plain text, or a tuple of pieces."""
    return _typst_pieces(text if isinstance(text, tuple) else (str(text),))


def _typst_cell(cell) -> str:
    return f"[{_typst_pieces(cell if isinstance(cell, tuple) else (cell,))}]"


def typst_string(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_typst(doc: Document) -> str:
    """The document as Typst source (figures referenced by relative path)."""
    lines = [
        "#set document(title: " + typst_string(doc.title)
        + (", author: " + typst_string(doc.author) if doc.author else "") + ")",
        f'#set page(paper: "a4", margin: (x: {MARGIN_X_CM:g}cm, y: {MARGIN_Y_CM:g}cm), numbering: "1")',
        '#set text(size: 10.5pt)',
        '#set par(justify: true)',
        '#set heading(numbering: "1.1")',
        '#set math.equation(numbering: "(1)")',
        '#show figure.caption: set text(size: 9.5pt)',
        '#show figure.where(kind: table): set figure.caption(position: top)',
        '#set enum(numbering: "[1]")',
        '#show heading.where(level: 1): it => { v(0.6em); it; v(0.3em) }',
        "",
        "#page(numbering: none)[",
        "  #v(3cm)",
        f"  #align(center, text(size: 22pt, weight: \"bold\")[{typst_escape(doc.title)}])",
        "  #v(0.8cm)",
        f"  #align(center, text(size: 14pt)[{typst_escape(doc.subtitle)}])",
        "  #v(1cm)",
    ]
    if doc.author:
        lines.append(f"  #align(center, text(size: 14pt)[{typst_escape(doc.author)}])")
    if doc.date:
        lines.append(f"  #align(center, text(size: 12pt)[{typst_escape(doc.date)}])")
    lines.append("  #v(1cm)")
    if doc.notice:
        lines.append(f"  #block(fill: rgb(\"#fff3cd\"), stroke: 0.6pt + rgb(\"#d4a72c\"), inset: 9pt, radius: 3pt, "
                     f"width: 100%)[{_typst_pieces(doc.notice)}]")
        lines.append("  #v(0.5cm)")
    for line in doc.lines:
        lines.append(f"  #align(center, text(size: 11pt)[{_typst_pieces(line)}])")
    lines += ["]", "", "#outline(depth: 2)", "#v(1em)", ""]
    for block, following in zip(doc.blocks, [*doc.blocks[1:], None]):
        typst = _typst_block(block)
        if isinstance(block, Paragraph) and isinstance(following, Bullets) and typst.rstrip().endswith(":"):
            typst = f"#block(sticky: true, width: 100%)[{typst}]"  # the colon on the page of its list
        lines.append(typst)
        lines.append("")
    return "\n".join(lines)


def _typst_block(block) -> str:
    if isinstance(block, Heading):
        label = f" <{block.label}>" if block.label else ""
        return f"{'=' * block.level} {typst_escape(block.text)}{label}"
    if isinstance(block, Paragraph):
        return _typst_pieces(block.pieces)
    if isinstance(block, Equation):
        label = f" <{block.label}>" if block.label else ""
        return f"$ {block.typst} ${label}"
    if isinstance(block, Bullets):
        mark = "+" if block.numbered else "-"
        return "\n".join(f"{mark} {_typst_pieces(item)}" for item in block.items)
    if isinstance(block, Notice):
        return (f"#block(fill: rgb(\"#fff3cd\"), stroke: 0.6pt + rgb(\"#d4a72c\"), inset: 8pt, radius: 3pt, "
                f"width: 100%)[{_typst_pieces(block.pieces)}]")
    if isinstance(block, PageBreak):
        return "#pagebreak()"
    if isinstance(block, Figure):
        label = f" <{block.label}>" if block.label else ""
        return (f'#figure(image("{block.path}", width: {block.width}), placement: {block.placement}, '
                f"caption: [{_typst_text(block.caption)}]){label}")
    if isinstance(block, FigureGrid):
        cells = ",\n  ".join(_typst_block(dataclasses.replace(f, placement="none"))
                             for f in block.figures).replace("#figure", "figure")
        return f"#place(top, float: true, clearance: 1.2em, grid(columns: {block.columns}, gutter: 10pt,\n  {cells}))"
    if isinstance(block, Table):
        align = ", ".join({"l": "left", "c": "center", "r": "right"}[a]
                          for a in (block.align or "l" * len(block.header)))
        cells = [", ".join(f"[#strong{_typst_cell(h)}]" for h in block.header)]
        cells += [", ".join(_typst_cell(c) for c in row) for row in block.rows]
        label = f" <{block.label}>" if block.label else ""
        body = ",\n    ".join(cells)
        return (f"#figure(\n  text(size: {block.size}, hyphenate: false)[#set par(justify: false)\n"
                f"  #table(columns: {len(block.header)}, align: ({align},), "
                f"stroke: 0.4pt + luma(180), inset: {block.inset},\n    {body})],\n"
                f"  caption: [{_typst_text(block.caption)}], kind: table, placement: {block.placement}){label}")
    raise TypeError(f"unknown block {block!r}")


# ---------------------------------------------------------------------------------------------------
# Markdown


def _numbered(doc: Document) -> dict[str, str]:
    """label → "Figure 2", "Table 3", "Equation (4)": the numbers Typst gives the labelled blocks."""
    counters, labels = {"Figure": 0, "Table": 0, "Equation": 0}, {}
    for block in doc.blocks:
        for item in block.figures if isinstance(block, FigureGrid) else (block,):
            kind = {Figure: "Figure", Table: "Table", Equation: "Equation"}.get(type(item))
            if kind:
                counters[kind] += 1
                if getattr(item, "label", None):
                    number = counters[kind]
                    labels[item.label] = f"Equation ({number})" if kind == "Equation" else f"{kind} {number}"
    return labels


class _Markdown:
    """Renders pieces with the document's numbers for references (``Ref``)."""

    def __init__(self, labels: dict[str, str]):
        self.labels = labels

    def pieces(self, pieces) -> str:
        out = []
        for piece in _pieces(pieces):
            if isinstance(piece, Ref):
                out.append(self.labels.get(piece.label, piece.label))
            elif isinstance(piece, Math):
                out.append(f"${piece.latex}$")
            elif isinstance(piece, Strong):  # a space inside the stars would undo the bold
                out.append(f"**{piece.text.strip()}**" + " " * (piece.text != piece.text.rstrip()))
            elif isinstance(piece, Code):
                out.append(f"`{piece.text}`")
            elif isinstance(piece, Break):
                out.append(" ")
            else:
                out.append(str(piece))
        return "".join(out)

    def text(self, text) -> str:
        return self.pieces(text if isinstance(text, tuple) else (str(text),))

    def cell(self, cell) -> str:
        return self.pieces(cell if isinstance(cell, tuple) else (cell,)).replace("|", "\\|")


def to_markdown(doc: Document) -> str:
    """The document as Markdown with LaTeX maths (numbered equations as (n))."""
    md = _Markdown(_numbered(doc))
    lines = [f"# {doc.title}", "", f"*{doc.subtitle}*", ""]
    lines += [f"**{doc.author}**" + (f", {doc.date}" if doc.date else ""), ""] if doc.author else (
        [doc.date, ""] if doc.date else [])
    if doc.notice:
        lines += ["> " + md.pieces(doc.notice), ""]
    for line in doc.lines:
        lines += [md.pieces(line), ""]
    numbers = {"section": [0, 0, 0], "equation": 0, "figure": 0, "table": 0}
    for block in doc.blocks:
        if isinstance(block, Heading):
            counters = numbers["section"]
            counters[block.level - 1] += 1
            for i in range(block.level, 3):
                counters[i] = 0
            number = ".".join(str(c) for c in counters[:block.level])
            lines.append(f"{'#' * (block.level + 1)} {number} {block.text}")
        elif isinstance(block, Paragraph):
            lines.append(md.pieces(block.pieces))
        elif isinstance(block, Equation):
            numbers["equation"] += 1
            lines.append(f"$$ {block.latex} \\qquad ({numbers['equation']}) $$")
        elif isinstance(block, Bullets):
            lines.extend(f"{f'{i}.' if block.numbered else '-'} {md.pieces(item)}"
                         for i, item in enumerate(block.items, start=1))
        elif isinstance(block, Notice):
            lines.append("> " + md.pieces(block.pieces))
        elif isinstance(block, PageBreak):
            continue
        elif isinstance(block, (Figure, FigureGrid)):
            for figure in block.figures if isinstance(block, FigureGrid) else (block,):
                numbers["figure"] += 1
                caption = md.text(figure.caption)
                lines.append(f"![Figure {numbers['figure']}: {caption}]({figure.path})")
                lines.append("")
                lines.append(f"*Figure {numbers['figure']}: {caption}*")
                lines.append("")
        elif isinstance(block, Table):
            numbers["table"] += 1
            lines.append(f"*Table {numbers['table']}: {md.text(block.caption)}*")
            lines.append("")
            lines.append("| " + " | ".join(md.cell(h) for h in block.header) + " |")
            aligns = block.align or "l" * len(block.header)
            lines.append("|" + "|".join({"l": ":--", "c": ":-:", "r": "--:"}[a] for a in aligns) + "|")
            lines.extend("| " + " | ".join(md.cell(c) for c in row) + " |" for row in block.rows)
        lines.append("")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------------
# Markdown in: the subset other parts of mathdl write (headings, paragraphs with **bold**, tables)


def _inline_pieces(line: str) -> tuple:
    """Pieces of a line of Markdown: **bold**, $maths$ (LaTeX, typeset through ``Math.tex``) and text."""
    pieces = []
    for i, part in enumerate(re.split(r"(\$[^$]+\$)", line)):
        if i % 2:
            pieces.append(Math.tex(part[1:-1]))
            continue
        bold = re.split(r"\*\*(.+?)\*\*", part)
        pieces += [Strong(p) if j % 2 else p for j, p in enumerate(bold) if p]
    return tuple(pieces)


def from_markdown(markdown: str, *, level: int = 2, table_caption: str = "") -> list:
    """Blocks from simple Markdown: ``#`` headings (at ``level`` and below), paragraphs with **bold** and
    $maths$, and pipe tables (captioned ``table_caption``)."""
    blocks, table = [], []
    for line in markdown.splitlines() + [""]:
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if not all(set(c) <= set(":-") for c in cells):
                table.append(tuple(_inline_pieces(c) for c in cells))
            continue
        if table:
            blocks.append(Table(table[0], tuple(table[1:]), table_caption, align="l" + "r" * (len(table[0]) - 1)))
            table = []
        if line.startswith("#"):
            hashes = len(line) - len(line.lstrip("#"))
            blocks.append(Heading(line[hashes:].strip(), level + hashes - 2))
        elif line.strip():
            blocks.append(Paragraph(_inline_pieces(line.strip())))
    return blocks
