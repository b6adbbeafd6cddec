"""mathdl study: the assignment's eight configurations, compared, with figures (the main job)."""
from __future__ import annotations

import argparse
import dataclasses
import os
import sys

from . import (
    EXIT_INTERRUPTED,
    _from_api,
    add_engine_option,
    layer_sizes,
    nonnegative_float,
    nonnegative_int,
    positive_float,
    positive_int,
    student_id,
)
from .train import command_line


def sizes(text: str) -> tuple[int, ...]:
    """'500,1000,5000' → (500, 1000, 5000); '0' → () (no size curve)."""
    return layer_sizes(text)


def register(sub) -> None:
    from ..data.tasks import SCALES
    from ..nn.network import DTYPES
    from ..runs.experiment import DEFAULTS, Config
    from ..study.protocol import QUICK
    shared = Config()
    defaults = "; ".join(f"{m} {c.upper()}: {d['epochs']} epochs, eta {d['eta']:g}"
                         + (f", batch {d['batch_size']}" if m == "matrix" else "")
                         for (m, c), d in DEFAULTS.items())
    p = sub.add_parser(
        "study", help="the assignment's eight configurations on MNIST, compared (the main job)",
        description="Train the eight configurations of the assignment on the ID task (1 and 3 hidden layers x "
        "TSE and XE x online and matrix backprop, sigmoid everywhere), write a run directory for each, and "
        "compare them: confusion matrices with sensitivity/specificity and 95% intervals, learning curves, "
        "accuracy against training-set size, and McNemar's test for every pair that differs in one named choice. "
        "Then run two ten-digit networks backwards to picture the ID's digits, and write the report "
        "(report.pdf, report.md). "
        f"Defaults: {defaults}; images deskewed{'' if shared.deskew else ' (off)'}, inputs scaled {shared.scale}, "
        f"shifted by up to {shared.augment} pixel each epoch, learning-rate decay {shared.decay:g}.")
    p.add_argument("--id", dest="student_id", type=_from_api(student_id), default="100384",
                   help="student ID whose digits form the positive class (default: %(default)s)")
    p.add_argument("--hidden1", type=layer_sizes, default=shared.hidden, metavar="N",
                   help=f"neurons of the one-hidden-layer networks (default: {shared.hidden[0]})")
    p.add_argument("--hidden3", type=layer_sizes, default=(128, 64, 32), metavar="A,B,C",
                   help="neurons of the three-hidden-layer networks (default: 128,64,32)")
    p.add_argument("--epochs", type=positive_int, help="epochs of every configuration (default: per method)")
    p.add_argument("--lr", dest="eta", type=positive_float, help="learning rate of every configuration")
    p.add_argument("--batch-size", type=positive_int, help="mini-batch size of the matrix method")
    p.add_argument("--decay", type=nonnegative_float, help="learning-rate decay eta/(1 + decay (epoch-1))")
    p.add_argument("--augment", type=nonnegative_int, metavar="PIXELS", help="random shifts of the training "
                   f"images, up to this many pixels (default: {shared.augment})")
    p.add_argument("--scale", choices=list(SCALES), help=f"input scaling (default: {shared.scale})")
    p.add_argument("--deskew", action=argparse.BooleanOptionalAction, default=None,
                   help=f"shear every image upright before scaling (default: {shared.deskew})")
    p.add_argument("--class-weight", choices=["balanced"], help="weight each sample's cost by N / (k N_class)")
    p.add_argument("--train-size", type=positive_int, metavar="N", help="stratified subset of the training images")
    p.add_argument("--test-size", type=positive_int, metavar="N", help="stratified subset of the test images")
    p.add_argument("--sizes", type=sizes, metavar="N,N,...",
                   help="training-set sizes for accuracy vs training images (0: none)")
    p.add_argument("--quick", action="store_true",
                   help=f"a quick look: {QUICK['train_size']} training and {QUICK['test_size']} test images, "
                        f"{QUICK['epochs']} epochs")
    p.add_argument("--seed", type=nonnegative_int, default=shared.seed,
                   help="seed of every random choice (default: %(default)s)")
    p.add_argument("--dtype", choices=list(DTYPES), default=shared.dtype,
                   help="floating-point type of weights and data (default: %(default)s)")
    add_engine_option(p)
    p.add_argument("--data", metavar="PATH", help="MNIST directory or .npz (default: found automatically)")
    p.add_argument("--out", metavar="DIR", help="study directory (default: study-ID, or study-ID-quick)")
    p.add_argument("--resume", action="store_true", help="continue an interrupted study in --out")
    p.add_argument("--jobs", type=positive_int, default=max(1, min(4, _cpus())),
                   help="configurations trained at once (default: the number of CPU cores, at most 4)")
    p.add_argument("--quiet", action="store_true", help="no progress display")
    add_title_options(p)
    p.set_defaults(run=run)


def add_title_options(p) -> None:
    """--author and --title: the report's title page (with the student ID and the date)."""
    from ..report.content import DEFAULT_TITLE
    p.add_argument("--author", metavar="NAME", help="the author on the report's title page (default: none, or the "
                   "last report's)")
    p.add_argument("--title", metavar="TEXT", help=f"the report's title (default: {DEFAULT_TITLE!r}, or the last "
                   "report's)")


def _cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def run(args) -> int:
    from ..base.console import out
    from ..report import build_report
    from ..study.protocol import StudyOptions, checkpointed, finished
    from ..study.runner import run_study
    from .tables import mcnemar_table, study_tables
    options = StudyOptions(**{f.name: getattr(args, f.name) for f in dataclasses.fields(StudyOptions)})
    target = args.out or f"study-{args.student_id}" + ("-quick" if args.quick else "")
    try:
        study = run_study(options, target, data=args.data, jobs=args.jobs, resume=args.resume,
                          progress=not args.quiet, command=command_line())
    except KeyboardInterrupt:
        done, started = sum(finished(options, target)), sum(checkpointed(options, target))
        print(f"mathdl study: interrupted: {done} of 8 configurations are finished and kept in {target}/"
              + (f", {started} unfinished with a checkpoint" if started else "")
              + f"; continue with: mathdl study --resume --out {target} (and the same options)", file=sys.stderr)
        return EXIT_INTERRUPTED
    balance = study.rows[0]["class_balance"]
    for table in study_tables(study.rows, f"ID {args.student_id}: the eight configurations on "
                              f"{sum(balance['test'].values())} test images"):
        out.print(table)
    for split, counts in balance.items():
        (negative, n_neg), (positive, n_pos) = counts.items()
        out.print(f"class balance ({split}): {n_pos} positive ({positive}, {100 * n_pos / (n_pos + n_neg):.1f}%), "
                  f"{n_neg} negative")
    out.print(mcnemar_table(study.tests))
    out.print("These tests compare the eight networks trained here, each from one seed: on another machine (other "
              "BLAS kernels) the same seed trains other, equally good networks, and a p-value near 0.05 may fall on "
              "the other side. A finding about the methods needs several seeds.")
    report = build_report(study.path, title=args.title, author=args.author)
    out.print(f"report: {report['pdf']} and {report['md']}")
    out.print(f"study directory: {study.path}  ({study.seconds:.0f} s)")
    return 0
