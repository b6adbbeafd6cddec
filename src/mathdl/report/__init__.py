"""The report: a PDF (typeset by Typst) and a Markdown version, generated from a study directory.

``build_report(study_dir)`` writes ``report.typ`` (the Typst source), ``report.pdf`` and ``report.md``
beside the study's figures, which both versions embed by relative path.
"""
from __future__ import annotations

from pathlib import Path

from ..base.errors import MathdlError
from ..base.files import write_bytes, write_text
from .content import build, load_study
from .document import to_markdown, to_typst


def build_report(study_dir) -> dict[str, Path]:
    """Write report.pdf, report.md and report.typ into ``study_dir``; returns their paths."""
    import typst

    study = load_study(Path(study_dir))
    doc = build(study)
    out = study["dir"]
    source = to_typst(doc)
    write_text(out / "report.typ", source)
    try:
        pdf = typst.compile(source.encode("utf-8"), root=str(out.resolve()))
    except typst.TypstError as e:
        raise MathdlError(f"typesetting the report failed: {str(e).splitlines()[0]}") from None
    write_bytes(out / "report.pdf", pdf)
    write_text(out / "report.md", to_markdown(doc))
    return {"pdf": out / "report.pdf", "md": out / "report.md", "typst": out / "report.typ"}
