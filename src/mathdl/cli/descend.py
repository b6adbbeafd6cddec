"""mathdl descend: gradient descent on x² − 2x + 1 with several step sizes, and down a loss surface."""
from __future__ import annotations

import argparse

from . import nonnegative_int, positive_float, positive_int


def step_sizes(text: str) -> tuple[float, ...]:
    """'0.1,0.9' → (0.1, 0.9): positive numbers separated by commas."""
    try:
        return tuple(positive_float(part) for part in text.split(","))
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"must be positive numbers separated by commas (e.g. 0.1,0.9), "
                                         f"got {text!r}") from None


MAX_STEPS = 1_000  # on the parabola: every iterate is a printed row and a drawn point
MAX_SURFACE_STEPS = 100_000  # on a surface, drawn only: about 2 s of the neuron's backprop


def at_most(limit: int, why: str):
    """An argparse type: a positive integer up to ``limit``."""
    def parse(text: str) -> int:
        n = positive_int(text)
        if n > limit:
            raise argparse.ArgumentTypeError(f"must be at most {limit:,} ({why}), got {text!r}")
        return n
    return parse


def point(text: str) -> tuple[float, float]:
    """'4.5,-5' → (4.5, -5.0)."""
    try:
        x, y = (float(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be two numbers like 4.5,-5; got {text!r}") from None
    return x, y


def register(sub) -> None:
    from ..workshop.descent import SURFACES
    p = sub.add_parser("descend", help="gradient descent on a parabola and down a loss surface",
                       description="Gradient descent x_(k+1) = x_k - eta f'(x_k) on f(x) = x^2 - 2x + 1 from x0 with "
                       "several step sizes eta (it converges to 1, oscillates or diverges; the iterates are printed "
                       "and drawn), then on a two-parameter loss surface drawn as a mountain and as contours with "
                       "the path.")
    p.add_argument("--x0", type=float, default=3.0, help="starting point on the parabola (default: %(default)s)")
    p.add_argument("--lr", dest="etas", type=step_sizes, default=(0.1, 0.9, 1.0, 1.1), metavar="ETAS",
                   help="step sizes, comma-separated (default: 0.1,0.9,1,1.1)")
    p.add_argument("--steps", type=at_most(MAX_STEPS, "each step is a printed row"), default=10,
                   help=f"steps on the parabola, at most {MAX_STEPS:,} (default: %(default)s)")
    p.add_argument("--surface", choices=[*SURFACES, "none"], default="neuron",
                   help="neuron: the cost of one sigmoid neuron on dots as a function of its two weights; "
                        "himmelblau: a classic function with four valleys; none (default: %(default)s)")
    p.add_argument("--surface-lr", type=positive_float, help="step size on the surface (default: the surface's)")
    p.add_argument("--surface-steps", type=at_most(MAX_SURFACE_STEPS, "each step is a drawn point"),
                   help=f"steps on the surface, at most {MAX_SURFACE_STEPS:,} (default: the surface's)")
    p.add_argument("--start", type=point, metavar="T1,T2", help="starting point on the surface; write negative "
                   "numbers with '=': --start=-0.5,-4.5")
    p.add_argument("--seed", type=nonnegative_int, default=0, help="seed of the neuron surface's dots")
    p.add_argument("--out", metavar="DIR", help="directory for the figures (default: the current one)")
    p.add_argument("--svg", action="store_true", help="also write the figures as SVG")
    p.set_defaults(run=run)


def run(args) -> int:
    import math
    from pathlib import Path

    from ..base.console import out
    from ..base.errors import MathdlError
    from ..plots.workshop import descent_on_parabola, descent_on_surface
    from ..workshop.descent import QUADRATIC, descend, make_surface
    from .output import save_figure
    from .tables import iterates_table
    if not math.isfinite(args.x0):
        raise MathdlError(f"x0 must be a finite number, got {args.x0}")
    folder = Path(args.out or ".")
    if folder.suffix.lower() in (".png", ".svg"):
        raise MathdlError(f"descend draws two figures; --out is the directory for them, not a file ({folder})")
    runs = [descend(QUADRATIC.df, args.x0, eta, args.steps) for eta in args.etas]
    out.print(iterates_table(runs, QUADRATIC))
    out.print("\n".join([f"each step multiplies the distance to the minimum by r = {QUADRATIC.rate_formula}:",
                         *(f"  {line}" for line in QUADRATIC.behaviours(runs))]))
    out.print(f"closed form {QUADRATIC.closed_form_formula}: largest relative difference "
              f"{QUADRATIC.closed_form_error(runs):.1e}")
    save_figure(descent_on_parabola(runs, QUADRATIC), folder / "descend-parabola", svg=args.svg)
    if args.surface != "none":
        surface = make_surface(args.surface, args.seed)
        run_ = descend(surface.grad, args.start or surface.start, args.surface_lr or surface.eta,
                       args.surface_steps or surface.steps)
        C = surface.cost(run_.path[[0, -1]].T)
        (a, b), (c, d) = run_.path[0], run_.path[-1]
        out.print(f"{surface.title}: from ({a:.4g}, {b:.4g}) with C = {C[0]:.4g} to ({c:.4g}, {d:.4g}) with "
                  f"C = {C[1]:.4g} in {run_.steps} steps of η = {run_.eta:g}"
                  + ("; then it diverged to infinity (the next step overflows float64)" if run_.overflowed else ""))
        save_figure(descent_on_surface(surface, run_), folder / f"descend-{surface.name}", svg=args.svg)
    return 0
