"""mathdl bench: mathdl, PyTorch CPU, scikit-learn and the book's loop on the same networks, side by side."""
from __future__ import annotations

import argparse
import os
from pathlib import Path


def _names(choices):
    def parse(text: str) -> tuple[str, ...]:
        names = tuple(n.strip() for n in text.split(",") if n.strip())
        if text.strip() == "none":
            return ()
        bad = [n for n in names if n not in choices]
        if bad or not names:
            raise argparse.ArgumentTypeError(f"choose from {', '.join(choices)} (comma-separated), got {text!r}")
        return names
    return parse


def _threads(text: str) -> tuple[int, ...]:
    try:
        counts = tuple(int(t) for t in text.split(","))
    except ValueError:
        counts = (0,)
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError(f"must be positive integers separated by commas, e.g. 1,2; got {text!r}")
    return counts


def register(sub) -> None:
    from ..bench import CASES, PEERS
    from . import positive_float, positive_int
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    p = sub.add_parser("bench", help="time mathdl against PyTorch, scikit-learn and the book's loop",
                       description="Time each case for mathdl and every installed peer (PyTorch CPU, scikit-learn's "
                       "MLPClassifier, the book's per-sample NumPy loop) back to back, print a table (median seconds, "
                       "ratios, GFLOP/s beside the measured matrix-multiply peak) and the performance targets, and "
                       "write BENCHMARKS.md. The full run needs the full MNIST and takes about 15 minutes on 2 cores.")
    p.add_argument("--cases", type=_names(CASES), default=CASES, metavar="LIST",
                   help=f"cases to run, comma-separated (default: all: {','.join(CASES)})")
    p.add_argument("--peers", type=_names(PEERS), default=PEERS, metavar="LIST",
                   help=f"peers to run, comma-separated, or none (default: {','.join(PEERS)})")
    p.add_argument("--quick", action="store_true",
                   help="a CI-sized run: 2000 training and 500 test images, 2 repetitions, goal 85%% in 3 epochs, "
                        "only the quick study")
    p.add_argument("--repeats", type=positive_int, help="repetitions of each measurement (default: 5; quick 2)")
    p.add_argument("--threads", type=_threads, default=tuple(sorted({1, cores})), metavar="N,N",
                   help="BLAS / PyTorch thread counts to measure at (default: %(default)s)")
    p.add_argument("--goal", type=positive_float, help="test accuracy of the time-to-accuracy case (default: 0.98)")
    p.add_argument("--max-epochs", type=positive_int, help="epochs before giving up on the goal (default: 20)")
    p.add_argument("--data", metavar="PATH", help="MNIST directory or .npz (default: found automatically)")
    p.add_argument("--out", default="BENCHMARKS.md", metavar="FILE", help="where to write the report (default: %(default)s)")
    p.add_argument("--notes", metavar="FILE", help="a Markdown file appended to the report (e.g. benchmarks/notes.md, "
                   "the reading of the numbers)")
    p.add_argument("--quiet", action="store_true", help="no progress lines")
    p.set_defaults(run=run)


def run(args) -> int:
    from ..base.console import err, out
    from ..base.errors import MathdlError
    from ..base.files import write_text
    from ..bench import Options, run_bench
    from ..bench.report import markdown, tables
    from .train import command_line
    if args.goal is not None and args.goal > 1:
        raise MathdlError(f"--goal is an accuracy between 0 and 1, got {args.goal}")
    try:
        notes = "" if args.notes is None else Path(args.notes).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise MathdlError(f"cannot read --notes {args.notes}: {getattr(e, 'strerror', None) or e}") from None
    options = Options(cases=args.cases, quick=args.quick, repeats=args.repeats, threads=args.threads,
                      peers=args.peers, goal=args.goal, max_epochs=args.max_epochs, data=args.data)
    report = run_bench(options, say=(lambda line: None) if args.quiet else err.print)
    for table in tables(report):
        out.print(table)
    try:
        write_text(args.out, markdown(report, command_line(), notes))
    except OSError as e:
        raise MathdlError(f"cannot write {args.out}: {e.strerror or e}") from None
    out.print(f"written: {args.out}")
    return 0
