"""A small document model written once and rendered twice: Typst (for the PDF) and Markdown.

Text is a list of pieces: plain strings, ``Math`` (inline) with its Typst and LaTeX forms, and
``Strong``. Blocks are headings, paragraphs, numbered display equations, tables, figures and lists.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Math:
    """Inline mathematics in Typst syntax and in LaTeX (for Markdown)."""

    typst: str
    latex: str


@dataclass(frozen=True)
class Strong:
    text: str


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


@dataclass(frozen=True)
class Table:
    header: tuple
    rows: tuple
    caption: str
    label: str | None = None
    align: str | None = None  # one letter per column: l, c, r
    size: str = "9pt"


@dataclass(frozen=True)
class Figure:
    path: str  # relative to the report's directory
    caption: str
    width: str = "100%"
    label: str | None = None


@dataclass(frozen=True)
class FigureGrid:
    """Figures side by side, ``columns`` to a row, each with its own caption."""

    figures: tuple  # of Figure
    columns: int = 2


@dataclass(frozen=True)
class Bullets:
    items: tuple  # each item a tuple of pieces


@dataclass(frozen=True)
class PageBreak:
    pass


@dataclass
class Document:
    title: str
    subtitle: str
    author_line: str
    blocks: list = field(default_factory=list)

    def add(self, *blocks) -> "Document":
        self.blocks.extend(blocks)
        return self


def text(*pieces) -> tuple:
    return tuple(pieces)


# ---------------------------------------------------------------------------------------------------
# Typst


_TYPST_SPECIAL = re.compile(r"([\\#$*_`<>@\[\]~/])")


def _typst_escape(s: str) -> str:
    """Plain text for Typst markup: special characters escaped, and -- kept as two hyphens (not a dash)."""
    return _TYPST_SPECIAL.sub(r"\\\1", s).replace("--", "-\\-")


def _typst_pieces(pieces) -> str:
    out = []
    for piece in pieces:
        if isinstance(piece, Math):
            out.append(f"${piece.typst}$")
        elif isinstance(piece, Strong):
            out.append(f"#strong[{_typst_escape(piece.text)}]")
        elif isinstance(piece, Code):
            out.append("#raw(" + json.dumps(piece.text) + ")")
        else:
            out.append(_typst_escape(str(piece)))
    return "".join(out)


def _typst_cell(cell) -> str:
    if isinstance(cell, tuple):
        return f"[{_typst_pieces(cell)}]"
    if isinstance(cell, Math):
        return f"[${cell.typst}$]"
    return f"[{_typst_escape(str(cell))}]"


def to_typst(doc: Document) -> str:
    """The document as Typst source (figures referenced by relative path)."""
    lines = [
        '#set document(title: "' + doc.title.replace("\\", "\\\\").replace('"', '\\"') + '")',
        '#set page(paper: "a4", margin: (x: 2cm, y: 2.2cm), numbering: "1")',
        '#set text(size: 10.5pt)',
        '#set par(justify: true)',
        '#set heading(numbering: "1.1")',
        '#set math.equation(numbering: "(1)")',
        '#show figure.caption: set text(size: 9.5pt)',
        '#show heading.where(level: 1): it => { v(0.6em); it; v(0.3em) }',
        "",
        "#page(numbering: none)[",
        "  #v(5cm)",
        f"  #align(center, text(size: 22pt, weight: \"bold\")[{_typst_escape(doc.title)}])",
        "  #v(0.8cm)",
        f"  #align(center, text(size: 14pt)[{_typst_escape(doc.subtitle)}])",
        "  #v(1.5cm)",
        f"  #align(center, text(size: 11pt)[{_typst_escape(doc.author_line)}])",
        "  #v(1fr)",
        "  #outline(depth: 2)",
        "]",
        "",
    ]
    for block in doc.blocks:
        lines.append(_typst_block(block))
        lines.append("")
    return "\n".join(lines)


def _typst_block(block) -> str:
    if isinstance(block, Heading):
        label = f" <{block.label}>" if block.label else ""
        return f"{'=' * block.level} {_typst_escape(block.text)}{label}"
    if isinstance(block, Paragraph):
        return _typst_pieces(block.pieces)
    if isinstance(block, Equation):
        label = f" <{block.label}>" if block.label else ""
        return f"$ {block.typst} ${label}"
    if isinstance(block, Bullets):
        return "\n".join(f"- {_typst_pieces(item)}" for item in block.items)
    if isinstance(block, PageBreak):
        return "#pagebreak()"
    if isinstance(block, Figure):
        label = f" <{block.label}>" if block.label else ""
        return (f'#figure(image("{block.path}", width: {block.width}), '
                f"caption: [{_typst_escape(block.caption)}]){label}")
    if isinstance(block, FigureGrid):
        cells = ",\n  ".join(_typst_block(f) for f in block.figures).replace("#figure", "figure")
        return f"#grid(columns: {block.columns}, gutter: 10pt,\n  {cells})"
    if isinstance(block, Table):
        align = ", ".join({"l": "left", "c": "center", "r": "right"}[a]
                          for a in (block.align or "l" * len(block.header)))
        cells = [", ".join(f"[#strong[{_typst_escape(str(h))}]]" for h in block.header)]
        cells += [", ".join(_typst_cell(c) for c in row) for row in block.rows]
        label = f" <{block.label}>" if block.label else ""
        body = ",\n    ".join(cells)
        return (f"#figure(\n  text(size: {block.size})[#table(columns: {len(block.header)}, align: ({align},), "
                f"stroke: 0.4pt + luma(180), inset: 4pt,\n    {body})],\n"
                f"  caption: [{_typst_escape(block.caption)}], kind: table){label}")
    raise TypeError(f"unknown block {block!r}")


# ---------------------------------------------------------------------------------------------------
# Markdown


def _md_pieces(pieces) -> str:
    out = []
    for piece in pieces:
        if isinstance(piece, Math):
            out.append(f"${piece.latex}$")
        elif isinstance(piece, Strong):
            out.append(f"**{piece.text}**")
        elif isinstance(piece, Code):
            out.append(f"`{piece.text}`")
        else:
            out.append(str(piece))
    return "".join(out)


def _md_cell(cell) -> str:
    if isinstance(cell, tuple):
        return _md_pieces(cell).replace("|", "\\|")
    if isinstance(cell, Math):
        return f"${cell.latex}$".replace("|", "\\|")
    return str(cell).replace("|", "\\|")


def to_markdown(doc: Document) -> str:
    """The document as Markdown with LaTeX maths (numbered equations as (n))."""
    lines = [f"# {doc.title}", "", f"*{doc.subtitle}*", "", doc.author_line, ""]
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
            lines.append(_md_pieces(block.pieces))
        elif isinstance(block, Equation):
            numbers["equation"] += 1
            lines.append(f"$$ {block.latex} \\qquad ({numbers['equation']}) $$")
        elif isinstance(block, Bullets):
            lines.extend(f"- {_md_pieces(item)}" for item in block.items)
        elif isinstance(block, PageBreak):
            continue
        elif isinstance(block, (Figure, FigureGrid)):
            for figure in block.figures if isinstance(block, FigureGrid) else (block,):
                numbers["figure"] += 1
                lines.append(f"![Figure {numbers['figure']}: {figure.caption}]({figure.path})")
                lines.append("")
                lines.append(f"*Figure {numbers['figure']}: {figure.caption}*")
                lines.append("")
        elif isinstance(block, Table):
            numbers["table"] += 1
            lines.append(f"*Table {numbers['table']}: {block.caption}*")
            lines.append("")
            lines.append("| " + " | ".join(str(h) for h in block.header) + " |")
            aligns = block.align or "l" * len(block.header)
            lines.append("|" + "|".join({"l": ":--", "c": ":-:", "r": "--:"}[a] for a in aligns) + "|")
            lines.extend("| " + " | ".join(_md_cell(c) for c in row) + " |" for row in block.rows)
        lines.append("")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------------
# Markdown in: the subset other parts of mathdl write (headings, paragraphs with **bold**, tables)


def _bold_pieces(line: str) -> tuple:
    parts = re.split(r"\*\*(.+?)\*\*", line)
    return tuple(Strong(p) if i % 2 else p for i, p in enumerate(parts) if p)


def from_markdown(markdown: str, *, level: int = 2, table_caption: str = "") -> list:
    """Blocks from simple Markdown: ``#`` headings (at ``level`` and below), paragraphs with **bold**,
    and pipe tables (captioned ``table_caption``)."""
    blocks, table = [], []
    for line in markdown.splitlines() + [""]:
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if not all(set(c) <= set(":-") for c in cells):
                table.append(tuple(cells))
            continue
        if table:
            blocks.append(Table(table[0], tuple(table[1:]), table_caption, align="l" + "r" * (len(table[0]) - 1)))
            table = []
        if line.startswith("#"):
            hashes = len(line) - len(line.lstrip("#"))
            blocks.append(Heading(line[hashes:].strip(), level + hashes - 2))
        elif line.strip():
            blocks.append(Paragraph(_bold_pieces(line.strip())))
    return blocks
