"""The report: a PDF (typeset by Typst) and a Markdown version, generated from a study directory.

``build_report(study_dir)`` writes ``report.typ`` (the Typst source), ``report.pdf`` and ``report.md``
beside the study's figures, which both versions embed by relative path, and the figure of the networks'
architecture they show (``architecture.png``). The title page's title and author are remembered in
study.json (``"report"``), so a rebuilt report keeps them unless new ones are given.
"""
from __future__ import annotations

import json
from pathlib import Path

from ..base.errors import MathdlError
from ..base.files import write_bytes, write_json, write_text
from .content import ARCHITECTURE_FIGURE, DEFAULT_TITLE, build, load_study
from .document import to_markdown, to_typst


def build_report(study_dir, *, title: str | None = None, author: str | None = None,
                 date: str | None = None) -> dict[str, Path]:
    """Write report.pdf, report.md and report.typ into ``study_dir``; returns their paths. ``title``
    (default: the last report's, else the module's title) and ``author`` (default: the last report's) go on
    the title page with ``date`` (default: today)."""
    import typst

    from ..plots import save

    study = load_study(Path(study_dir))
    out = study["dir"]
    title, author = title_page(study, title, author)
    save(architecture_figure(study), out / ARCHITECTURE_FIGURE)
    doc = build(study, title=title, author=author, date=date)
    source = to_typst(doc)
    write_text(out / "report.typ", source)
    try:
        pdf = typst.compile(source.encode("utf-8"), root=str(out.resolve()))
    except typst.TypstError as e:
        raise MathdlError(f"typesetting the report failed: {str(e).splitlines()[0]}") from None
    write_bytes(out / "report.pdf", without_default_suspects(pdf))
    write_text(out / "report.md", to_markdown(doc))
    remember_title_page(study, title, author)
    return {"pdf": out / "report.pdf", "md": out / "report.md", "typst": out / "report.typ"}


SUSPECTS = b"/Suspects false"


def without_default_suspects(pdf: bytes) -> bytes:
    """The PDF with its catalog's ``/MarkInfo << /Marked true /Suspects false >>`` written without the
    ``/Suspects false`` entry, blanked out with spaces so that every byte offset (the cross-reference table)
    stays where it was. False is the entry's default (PDF 1.7, 14.7.1), so the document says the same; but
    poppler up to 25.11 reads a present /Suspects that is false as an entry of the wrong type and prints
    "Syntax Error: Suspects object is wrong type (boolean)" for every file Typst writes as a tagged PDF."""
    start = pdf.find(b"/MarkInfo")
    end = pdf.find(b">>", start)
    at = pdf.find(SUSPECTS, start, end)
    if start < 0 or at < 0:
        return pdf
    return pdf[:at] + b" " * len(SUSPECTS) + pdf[at + len(SUSPECTS):]


def title_page(study: dict, title: str | None, author: str | None) -> tuple[str, str]:
    """The title and author of the title page (the report's and the presentation's): those given, else the
    last ones remembered in study.json, else the module's title and no author."""
    remembered = study["state"].get("report", {})
    title = (title if title is not None else remembered.get("title", DEFAULT_TITLE)).strip()
    author = (author if author is not None else remembered.get("author", "")).strip()
    if not title:
        raise MathdlError("the title must not be empty")
    return title, author


def remember_title_page(study: dict, title: str, author: str) -> None:
    """Keep the title page's title and author in study.json (``"report"``) for the next report or video."""
    if study["state"].get("report", {}) != {"title": title, "author": author}:
        state = json.loads((study["dir"] / "study.json").read_text())
        write_json(study["dir"] / "study.json", {**state, "report": {"title": title, "author": author}})


def architecture_figure(study: dict):
    """The figure of the study's two architectures, as ``mathdl.plots.network`` draws them."""
    from ..plots.network import architecture

    networks = {}
    for row in study["summary"]["configurations"]:
        sizes = [int(n) for n in row["layers"].split("-")]
        numbers = networks.setdefault(tuple(sizes), [])
        numbers.append(row["number"])
    drawn = []
    for sizes, numbers in networks.items():
        hidden = len(sizes) - 2
        name = f"{'one' if hidden == 1 else 'three' if hidden == 3 else hidden} hidden layer{'s' * (hidden != 1)}"
        drawn.append((f"{name} (configurations {', '.join(map(str, numbers))})", list(sizes), ["sigmoid"] * (hidden + 1)))
    return architecture(drawn)
