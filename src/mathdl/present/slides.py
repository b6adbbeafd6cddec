"""The slides: one Typst document of 16:9 pages, rendered straight to 1920×1080 PNG images.

A ``Slide`` is a heading, a body of Typst markup and the sentences said over it. The document typesets
the equations with the same engine and the same LaTeX → Typst translation as the report
(``mathdl.report.latex``); text is set in DejaVu Sans, the font of the study's figures, taken from
matplotlib's own files so that every machine draws the same slides.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..base.errors import MathdlError
from ..report.document import typst_escape, typst_string
from ..report.latex import typst_math

WIDTH, HEIGHT = 1920, 1080  # pixels of a slide, and of the video
PPI = 72  # a Typst point is one pixel

PREAMBLE = """\
#let ink = rgb("#1d2433")
#let accent = rgb("#1f5f9e")
#let muted = rgb("#5b6472")
#let good = rgb("#2e7d32")
#let bad = rgb("#c62828")
#let pale = rgb("#eef3f8")
#set document(title: TITLE)
#set page(width: 1920pt, height: 1080pt, margin: (x: 100pt, top: 64pt, bottom: 96pt), fill: white,
  footer: context {
    set text(size: 24pt, fill: muted)
    FOOTER
    h(1fr)
    [#counter(page).get().first() / #counter(page).final().first()]
  })
#set text(font: "DejaVu Sans", size: 40pt, fill: ink, hyphenate: false)
#set par(leading: 0.55em, justify: false)
#show math.equation: set text(font: "New Computer Modern Math", size: 48pt)
#set list(marker: text(fill: accent)[•], spacing: 0.8em, body-indent: 0.5em)
#set table(inset: (x: 16pt, y: 9pt), stroke: none)
#let slide(title, body) = {
  block(width: 100%, below: 36pt, stroke: (bottom: 3pt + accent), inset: (bottom: 18pt),
    text(size: 58pt, weight: "bold", fill: accent, title))
  block(width: 100%, height: 1fr, body)
  pagebreak(weak: true)
}
#let fig(path, height: 100%) = align(center + horizon, image(path, height: height, fit: "contain"))
#let two(left, right, ratio: (1fr, 1fr), gap: 64pt) = grid(columns: ratio, column-gutter: gap, left, right)
#let note(body) = text(size: 30pt, fill: muted, body)
#let big(body) = text(size: 52pt, weight: "bold", body)
#let banner(body) = block(fill: rgb("#fff3cd"), stroke: 2pt + rgb("#d4a72c"), inset: 24pt, radius: 10pt,
  width: 100%, text(size: 32pt, body))
"""


@dataclass(frozen=True)
class Slide:
    """One slide: its heading (None for the title page), its body in Typst markup, and its narration, written
    as a reader sees it (``mathdl.present.spoken`` turns it into the words the voice says)."""

    key: str
    heading: str | None
    body: str
    sentences: tuple[str, ...]

    @property
    def narration(self) -> str:
        return " ".join(self.sentences)


def text(s: str) -> str:
    """Plain text as Typst markup."""
    return typst_escape(s)


def tex(latex: str, display: bool = False) -> str:
    """Mathematics written once in LaTeX, typeset by Typst (inline, or as a display equation)."""
    return f"$ {typst_math(latex)} $" if display else f"${typst_math(latex)}$"


def document(slides: list[Slide], *, title: str, footer: str) -> str:
    """The Typst source of the deck: one page per slide."""
    head = PREAMBLE.replace("TITLE", typst_string(title)).replace("FOOTER", f"[{text(footer)}]")
    pages = []
    for s in slides:
        pages.append(f"#slide([{text(s.heading)}])[\n{s.body}\n]" if s.heading is not None
                     else f"{s.body}\n#pagebreak(weak: true)")
    return head + "\n" + "\n\n".join(pages) + "\n"


def fonts() -> list[str]:
    """The folders of the fonts the slides use: matplotlib's DejaVu files (Typst brings its maths font)."""
    import matplotlib
    return [str(Path(matplotlib.get_data_path()) / "fonts" / "ttf")]


def render(source: str, root: Path) -> list[bytes]:
    """The deck's pages as PNG files (bytes), 1920×1080; figures are read relative to ``root``."""
    import typst
    try:
        pages = typst.compile(source.encode("utf-8"), root=str(Path(root).resolve()), format="png", ppi=PPI,
                              font_paths=fonts(), ignore_system_fonts=True)
    except typst.TypstError as e:
        raise MathdlError(f"typesetting the slides failed: {str(e).splitlines()[0]}") from None
    return pages if isinstance(pages, list) else [pages]
