"""mathdl train: one network on MNIST, its test confusion matrix and rates, and a run directory."""
from __future__ import annotations

import shlex
import sys
from pathlib import Path

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
    p.add_argument("--out", metavar="DIR", help="write the run directory here")
    p.add_argument("--resume", action="store_true",
                   help="continue the interrupted run in --out from its checkpoint (give the options it was "
                        "started with)")
    p.add_argument("--quiet", action="store_true", help="no progress or data messages")
    p.set_defaults(run=run)


def run(args) -> int:
    from ..base.console import err, out
    from ..runs.experiment import build_network, build_task
    from ..runs.experiment import run as run_config
    from .tables import show_result
    config = config_from(args)
    if args.resume and args.out is None:
        raise MathdlError("--resume needs --out DIR, the run directory to continue")
    if args.out is not None and already_finished(args, config):
        return 0
    mnist = load_data(args)
    task = build_task(config, mnist)
    if not args.quiet:
        net = build_network(config, task)
        err.print(f"task: {task.description}\nnetwork: {config.label(net.sizes, task.train.N)}, "
                  f"{net.n_params:,} parameters")
    try:
        result = run_config(config, mnist, out=args.out, progress=not args.quiet, task=task,
                            command=command_line(), resume=args.resume)
    except KeyboardInterrupt:
        again = command_line() + ("" if "--resume" in sys.argv else " --resume")
        print(f"mathdl train: interrupted: {kept(args.out, again)}", file=sys.stderr)
        return EXIT_INTERRUPTED
    show_result(result)
    for warning in result.history.warnings:
        err.print(f"warning: {warning}", soft_wrap=True)
    if result.run_dir is not None:
        out.print(f"run directory: {result.run_dir}")
    return 0


def already_finished(args, config) -> bool:
    """Check the run directory before the data are loaded: with --resume, a finished run of the same
    options is reported (True: nothing to do); a checkpoint needs --resume and the options it was started
    with."""
    from ..base.console import err
    from ..runs.experiment import config_differences, finished_config, unfinished
    from ..training.checkpoint import CHECKPOINT, read_checkpoint
    saved = finished_config(args.out) if args.resume else None
    if saved is not None:
        differences = config_differences(saved, config)
        if differences:
            raise MathdlError(f"{args.out} holds a run finished with other options ({differences})")
        err.print(f"{args.out} holds a finished run of these options: nothing to resume (see "
                  f"{Path(args.out) / 'metrics.json'})", soft_wrap=True)
        return True
    resuming = unfinished(args.out, config, resume=args.resume)
    if args.resume and not args.quiet:
        where = (f"resuming from {CHECKPOINT}: {read_checkpoint(Path(args.out) / CHECKPOINT)[0].describe()} done"
                 if resuming else "no checkpoint: training from the start")
        err.print(f"{args.out}: {where}", soft_wrap=True)
    return False


def kept(run_dir, again: str) -> str:
    """What an interruption kept (the checkpoint on disk in ``run_dir``) and the command ``again`` that
    continues it."""
    from ..training.checkpoint import CHECKPOINT, read_checkpoint
    if run_dir is None:
        return "nothing kept (give --out DIR to keep a checkpoint)"
    path = Path(run_dir) / CHECKPOINT
    if not path.is_file():
        return "nothing kept (stopped before the first update)"
    return f"{read_checkpoint(path)[0].describe()} kept in {path}; continue with: {again}"


def command_line() -> str:
    """The command as typed, for config.json."""
    return " ".join(["mathdl"] + [shlex.quote(a) for a in sys.argv[1:]])
