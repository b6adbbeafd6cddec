"""mathdl reverse: run a ten-output network backwards to picture the digits of a student ID."""
from __future__ import annotations

import sys
from pathlib import Path

from ..base.errors import MathdlError
from ..base.files import check_directory
from . import (
    EXIT_INTERRUPTED,
    _from_api,
    add_data_options,
    add_network_options,
    add_training_options,
    config_from,
    load_data,
    nonnegative_float,
    positive_float,
    positive_int,
    student_id,
)

DEFAULT_METHODS = "backquery,pinv,optimize,prior"


def method_list(text: str) -> list[str]:
    from ..reverse import method_names
    return method_names(text)


def register(sub) -> None:
    from ..reverse import AscentSettings
    defaults = AscentSettings()
    p = sub.add_parser("reverse", help="picture the digits of a student ID by running a ten-output network backwards",
                       description="Train a ten-output network on the digits (or load one with --model) and find, for "
                       "each digit 0-9, an image the network maps to that digit: by backquery (Rashid: inverse "
                       "activation, W transpose, rescaling, layer by layer), by the pseudo-inverse W+ in place of W "
                       "transpose, by gradient ascent on the input, and as the most probable image under a Gaussian "
                       "prior over all the training images (prior). Every image is read by the network and by an "
                       "independent judge that never sees it (the 10 nearest training images vote; its accuracy is "
                       "measured on test images), and compared with the mean and the nearest training images. Writes "
                       "reverse.json (measurements), reverse.md (the judge, the prior and where backquery's "
                       "mathematics is weak, from the numbers), reverse-id.png (the ID's digits in order), "
                       "reverse-grid.png (digits 0-9) and reverse-images.npz.")
    p.add_argument("--id", dest="student_id", type=_from_api(student_id), default="100384",
                   help="student ID whose digits are pictured, in order (default: %(default)s)")
    p.add_argument("--model", metavar="RUN_DIR",
                   help="run directory of a trained ten-output (digits) network; the network, data and training "
                        "options are then taken from it (default: train one, saved in OUT/model)")
    p.add_argument("--methods", type=_from_api(method_list), default=DEFAULT_METHODS,
                   help=f"comma-separated: backquery, pinv, optimize, prior (default: {DEFAULT_METHODS})")
    p.add_argument("--out", metavar="DIR", help="output directory (default: runs/reverse-ID)")
    p.add_argument("--quiet", action="store_true", help="no progress or data messages")
    g = p.add_argument_group("optimisation (gradient ascent on the input)")
    g.add_argument("--steps", type=positive_int, default=defaults.steps, help="ascent steps (default: %(default)s)")
    g.add_argument("--step-size", type=positive_float, default=defaults.eta,
                   help="step size of the ascent (default: %(default)s)")
    g.add_argument("--l2", type=nonnegative_float, default=defaults.l2,
                   help="weight of the penalty (1/2)||x - background||^2 (default: %(default)s)")
    g.add_argument("--tv", type=nonnegative_float, default=defaults.tv,
                   help="weight of the total-variation penalty (default: %(default)s)")
    add_data_options(p, tasks=False)
    add_network_options(p)
    add_training_options(p)
    # the book's scaling and targets: backquery then asks for outputs the network was trained to give
    p.set_defaults(run=run, task="digits", pair=None, scale="book", targets="book")


def run(args) -> int:
    from ..base.console import err, out
    from ..reverse import AscentSettings, require_inverses, reverse
    from ..runs.experiment import build_network, build_task, interruption_kept
    from ..runs.experiment import run as run_config
    from ..runs.reverse import write_reverse
    from .tables import reverse_summary, reverse_table
    from .train import command_line
    ascent = AscentSettings(steps=args.steps, eta=args.step_size, l2=args.l2, tv=args.tv)
    out_dir = check_directory(args.out or f"runs/reverse-{args.student_id}")  # before anything is loaded or said
    if args.model:
        net, config, label, model_dir, accuracy = _load_model(args.model)
        _, task = load_data(args, then=lambda mnist: build_task(config, mnist))
        if net.sizes[0] != task.n_inputs:
            raise MathdlError(f"{args.model}: the network has {net.sizes[0]} inputs, the images {task.n_inputs}")
    else:
        config = config_from(args)
        mnist, task = load_data(args, then=lambda mnist: build_task(config, mnist))
        net = build_network(config, task)
        for method in args.methods:
            if method != "optimize":
                require_inverses(net, method)  # before training, not after
        label = config.label(net.sizes, task.train.N)
        if not args.quiet:
            err.print(f"task: {task.description}\nnetwork: {label}, {net.n_params:,} parameters")
        model_dir = out_dir / "model"
        try:  # the network's training continues from its checkpoint if an earlier reverse was interrupted
            result = run_config(config, mnist, out=model_dir, progress=not args.quiet, task=task,
                                command=command_line(), resume=True)
        except KeyboardInterrupt:
            print(f"mathdl reverse: interrupted: training the network, {interruption_kept(model_dir, command_line())}",
                  file=sys.stderr)
            return EXIT_INTERRUPTED
        net, accuracy = result.net, result.metrics["test"]["accuracy"]
    if not args.quiet:
        accuracy_text = "unknown" if accuracy is None else f"{100 * accuracy:.2f}%"
        err.print(f"test accuracy of the network: {accuracy_text}; finding the images ({', '.join(args.methods)})")
    found = reverse(net, task.train.X, task.train.labels, methods=args.methods, ascent=ascent, seed=args.seed,
                    test=(task.test.X, task.test.labels),
                    network={"label": label, "model": str(model_dir), "test_accuracy": accuracy,
                             "scale": config.scale, "targets": config.targets})
    paths = write_reverse(found, out_dir, student_id=args.student_id)
    out.print(reverse_table(found, args.student_id))
    out.print(reverse_summary(found))
    out.print(f"written to {out_dir}: " + ", ".join(Path(p).name for p in paths.values()))
    return 0


def _load_model(path):
    """The network of a run directory, its Config, label, path and test accuracy; only ten-output digit nets."""
    from ..runs.directory import load_run
    from ..runs.experiment import Config
    run = load_run(path)
    task = run.config.get("config", {}).get("task")
    if run.net.sizes[-1] != 10 or task != "digits":
        raise MathdlError(f"{path}: the reverse part needs a ten-output network trained on the digits task, but this "
                          f"run has {run.net.sizes[-1]} output{'s' if run.net.sizes[-1] != 1 else ''} (task {task}); "
                          "train one with: mathdl train --task digits --out DIR")
    try:
        config = Config.from_dict(run.config["config"])
    except (TypeError, ValueError) as e:
        raise MathdlError(f"{path}: config.json does not describe a valid configuration ({e})") from None
    return run.net, config, run.config.get("label", ""), Path(path), run.metrics.get("test", {}).get("accuracy")
