"""mathdl train: one network on MNIST, its test confusion matrix and rates, and a run directory."""
from __future__ import annotations

import shlex
import sys

from ..base.errors import MathdlError
from . import EXIT_INTERRUPTED, add_data_options, add_network_options, add_training_options, config_from, load_data


def register(sub) -> None:
    p = sub.add_parser("train", help="train one network on MNIST and evaluate it",
                       description="Train one network on MNIST and print its test confusion matrix and rates. "
                       "With --out, write a run directory (config.json, metrics.json, history.csv, model.npz). "
                       "Ctrl-C or SIGTERM stops training after the current update and keeps a checkpoint in "
                       "the run directory; --resume continues it with the same result as an uninterrupted run.")
    add_data_options(p)
    add_network_options(p)
    add_training_options(p)
    p.add_argument("--out", metavar="DIR", help="write the run directory here (not over another run's files)")
    again = p.add_mutually_exclusive_group()
    again.add_argument("--resume", action="store_true",
                       help="continue the interrupted run in --out from its checkpoint (give the options it was "
                            "started with)")
    again.add_argument("--force", action="store_true",
                       help="replace the run already in --out (its files are deleted when training starts)")
    p.add_argument("--quiet", action="store_true", help="no progress or data messages")
    p.set_defaults(run=run)


def run(args) -> int:
    from ..base.console import err, out
    from ..runs.experiment import build_network, build_task, interruption_kept, remove_run, resume_status
    from ..runs.experiment import run as run_config
    from .tables import show_result
    config = config_from(args)
    if args.resume and args.out is None:
        raise MathdlError("--resume needs --out DIR, the run directory to continue")
    if args.out is not None:
        status = resume_status(args.out, config, resume=args.resume, force=args.force)
        if status.finished or (args.resume and not args.quiet):
            err.print(status.message, soft_wrap=True)
        if status.finished:
            return 0
    mnist, task = load_data(args, then=lambda mnist: build_task(config, mnist))
    if not args.quiet:
        net = build_network(config, task)
        err.print(f"task: {task.description}\nnetwork: {config.label(net.sizes, task.train.N)}, "
                  f"{net.n_params:,} parameters")
    if args.force and args.out is not None:
        remove_run(args.out)
    try:
        result = run_config(config, mnist, out=args.out, progress=not args.quiet, task=task,
                            command=command_line(), resume=args.resume)
    except KeyboardInterrupt:
        again = command_line() + ("" if "--resume" in sys.argv else " --resume")
        print(f"mathdl train: interrupted: {interruption_kept(args.out, again)}", file=sys.stderr)
        return EXIT_INTERRUPTED
    show_result(result)
    for warning in result.history.warnings:
        err.print(f"warning: {warning}", soft_wrap=True)
    if result.run_dir is not None:
        out.print(f"run directory: {result.run_dir}")
    return 0


def command_line() -> str:
    """The command as typed, for config.json."""
    return " ".join(["mathdl"] + [shlex.quote(a) for a in sys.argv[1:]])
