"""mathdl activations: every activation function beside its derivative, as the network computes them."""
from __future__ import annotations

from . import positive_float


def register(sub) -> None:
    p = sub.add_parser("activations", help="draw the activation functions and their derivatives",
                       description="Draw each activation f and its derivative f' (from the same functions the "
                       "network uses), and all derivatives together.")
    p.add_argument("--only", metavar="NAMES", help="comma-separated activations (default: sigmoid,tanh,relu,"
                   "leaky_relu,swish)")
    p.add_argument("--range", dest="z_max", type=positive_float, default=5.0,
                   help="draw z from -Z to Z (default: %(default)s)")
    p.add_argument("--out", metavar="PATH", help="a .png file name, or a directory (default: the current one)")
    p.add_argument("--svg", action="store_true", help="also write the figure as SVG")
    p.set_defaults(run=run)


def run(args) -> int:
    from ..base.errors import MathdlError
    from ..nn.activations import HIDDEN_ACTIVATIONS, hidden_activation
    from ..plots.workshop import WORKSHOP_ACTIVATIONS, activation_functions
    from .output import figure_base, save_figure
    names = WORKSHOP_ACTIVATIONS
    if args.only is not None:
        if not args.only.strip():
            raise MathdlError(f"--only needs at least one activation; choose from {', '.join(HIDDEN_ACTIVATIONS)}")
        names = list(dict.fromkeys(hidden_activation(name.strip()).name for name in args.only.split(",")))
    save_figure(activation_functions(names, z_max=args.z_max), figure_base(args.out, "activations"), svg=args.svg)
    return 0
