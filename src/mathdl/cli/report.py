"""mathdl report: the PDF and Markdown report of a study, rebuilt from its saved results."""
from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("report", help="build report.pdf and report.md from a study directory",
                       description="Build the report of a finished study (report.pdf typeset with Typst, "
                       "report.md, and the Typst source report.typ) from its saved results, without retraining.")
    from .study import add_title_options
    p.add_argument("study_dir", metavar="STUDY_DIR", help="a directory written by mathdl study")
    add_title_options(p)
    p.set_defaults(run=run)


def run(args) -> int:
    from ..base.console import out
    from ..report import build_report
    paths = build_report(args.study_dir, title=args.title, author=args.author)
    out.print(f"report: {paths['pdf']}\n        {paths['md']}")
    return 0
