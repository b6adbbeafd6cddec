"""mathdl study: the assignment's eight configurations, compared, with figures (the main job)."""
from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from pathlib import Path

from . import (
    EXIT_INTERNAL,
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
    from ..runs.experiment import Config
    from ..training.defaults import DEFAULTS
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
        "Then run two ten-digit networks backwards to picture the ID's digits, write the report "
        "(report.pdf, report.md) and make the narrated video presentation (presentation.mp4, see mathdl "
        "present). With --seeds K every configuration is trained K times and the eight are analysed "
        "as a 2x2x2 factorial design (cost x method x depth: effects with 95% intervals and p-values). The runs "
        "execute on Dask: a local cluster of --jobs processes, or an existing cluster (--scheduler). "
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
    p.add_argument("--seeds", type=positive_int, default=1, metavar="K",
                   help="train every configuration with K seeds (--seed, --seed + 1, …) and analyse the eight as a "
                        "2x2x2 factorial design: effects of cost, method and depth with 95%% intervals (default: 1)")
    p.add_argument("--ids", metavar="FILE", help="one study per student ID in FILE (one a line) into --out/study-ID/ "
                   "(default: ./study-ID/), and the class table class.csv and class.md")
    p.add_argument("--scheduler", metavar="tcp://HOST:PORT", default=os.environ.get("MATHDL_SCHEDULER"),
                   help="run on the existing Dask cluster of this scheduler (default: $MATHDL_SCHEDULER, else a "
                        "local cluster of --jobs worker processes)")
    p.add_argument("--jobs", type=positive_int, default=max(1, min(4, _cpus())),
                   help="worker processes of the local cluster (default: the number of CPU cores, at most 4; not "
                        "used with --scheduler)")
    p.add_argument("--quiet", action="store_true", help="no progress display")
    p.add_argument("--no-video", dest="video", action="store_false",
                   help="skip the narrated video presentation (make it later with: mathdl present STUDY_DIR)")
    add_title_options(p)
    p.add_argument("--executor", choices=["dask", "previous-pool"], default="dask", help=argparse.SUPPRESS)
    p.set_defaults(run=run)


def add_title_options(p) -> None:
    """--author and --title: the report's title page (with the student ID and the date)."""
    from ..report.content import DEFAULT_TITLE
    p.add_argument("--author", metavar="NAME", help="the author on the report's title page (default: none, or the "
                   "last report's)")
    p.add_argument("--title", metavar="TEXT", help=f"the report's title (default: {DEFAULT_TITLE!r}, or the last "
                   "report's)")


def _cpus() -> int:
    from ..study.executor import local_workers
    return local_workers()


def run(args) -> int:
    from ..study.classes import class_studies, read_ids
    from ..study.protocol import StudyOptions
    from ..study.runner import claimed
    options = StudyOptions(**{f.name: getattr(args, f.name) for f in dataclasses.fields(StudyOptions)})
    suffix = "-quick" if args.quick else ""
    if args.ids:
        folder = args.out or "."
        studies = [(o, path.with_name(path.name + suffix)) for o, path in
                   class_studies(options, read_ids(args.ids), folder)]
    else:
        studies = [(options, Path(args.out or f"study-{args.student_id}{suffix}"))]
    executor = None
    if args.executor == "previous-pool":  # the benchmark's baseline: the study's previous scheduler
        from ..bench.previous_executor import PoolExecutor
        executor = PoolExecutor(args.jobs)
    with claimed(studies, args.resume):  # each directory held until its report is written
        return _run(args, studies, executor)


def _run(args, studies, executor) -> int:
    from ..base.console import out
    from ..present import build_presentation
    from ..report import build_report
    from ..study.classes import class_table
    from ..study.executor import StudyStopped
    from ..study.runner import run_studies
    try:
        done = run_studies(studies, data=args.data, jobs=args.jobs, resume=args.resume, progress=not args.quiet,
                           command=command_line(), scheduler=args.scheduler, executor=executor)
    except KeyboardInterrupt:
        print(f"mathdl study: interrupted: {_kept(args, studies)}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except StudyStopped as e:  # the work is safe: one line, what is kept, how to go on
        print(f"mathdl study: stopped: {e}; {_kept(args, studies)}", file=sys.stderr)
        return EXIT_INTERNAL
    for study in done:
        show(study, out)
        report = build_report(study.path, title=args.title, author=args.author)
        out.print(f"report: {report['pdf']} and {report['md']}")
        if args.video:
            from .present import show as show_presentation
            show_presentation(build_presentation(study.path, progress=not args.quiet), out)
        out.print(f"study directory: {study.path}  ({study.seconds:.0f} s)")
    if args.ids:
        folder = args.out or "."
        class_table(done, folder)
        out.print(f"class table: {Path(folder) / 'class.csv'} and {Path(folder) / 'class.md'}")
    return 0


def _kept(args, studies) -> str:
    """'5 of 8 runs of the eight configurations are finished and kept, 2 unfinished with a checkpoint; continue
    with: mathdl study --resume --out DIR (and the same options)'."""
    from ..study.protocol import checkpointed, finished
    runs = [flag for o, path in studies for flag in finished(o, path)]
    started = sum(flag for o, path in studies for flag in checkpointed(o, path))
    again = " ".join(["mathdl study --resume", *([f"--ids {args.ids}"] if args.ids else []),
                      *([f"--out {args.out or studies[0][1]}"] if args.out or not args.ids else [])])
    return (f"{sum(runs)} of {len(runs)} runs of the eight configurations are finished and kept"
            + (f", {started} unfinished with a checkpoint" if started else "")
            + f"; continue with: {again} (and the same options)")


def show(study, out) -> None:
    """The study's tables in the terminal: rates, class balance, McNemar; with seeds, the seeds and effects."""
    from ..report.factorial_section import conclusions
    from .tables import effects_table, mcnemar_table, seeds_table, study_tables

    summary = study.summary
    balance = study.rows[0]["class_balance"]
    for table in study_tables(study.rows, f"ID {summary['student_id']}: the eight configurations on "
                              f"{sum(balance['test'].values())} test images"
                              + (f" (seed {summary['options']['seed']})" if "seeds" in summary else "")):
        out.print(table)
    for split, counts in balance.items():
        (negative, n_neg), (positive, n_pos) = counts.items()
        out.print(f"class balance ({split}): {n_pos} positive ({positive}, {100 * n_pos / (n_pos + n_neg):.1f}%), "
                  f"{n_neg} negative")
    out.print(mcnemar_table(study.tests, len(summary["mcnemar_family"])))
    if "seeds" not in summary:
        out.print("These tests compare the eight networks trained here, each from one seed: on another machine (other "
                  "BLAS kernels) the same seed trains other, equally good networks, and a p-value near 0.05 may fall "
                  "on the other side. A finding about the methods needs several seeds (--seeds).")
    else:
        out.print(seeds_table(summary))
        for analysis in summary["factorial"].values():
            out.print(effects_table(analysis))
        out.print(f"conclusions about the methods over {len(summary['seeds']['seeds'])} seeds (95% intervals, "
                  "5% level):")
        for line in conclusions(summary["factorial"]):
            out.print(f"  {line}")
