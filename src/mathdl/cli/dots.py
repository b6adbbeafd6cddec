"""mathdl dots: red and blue dots, a network trained on them, and its decision boundary."""
from __future__ import annotations

from . import _from_api, activation_names, layer_sizes, nonnegative_float, nonnegative_int, positive_float, positive_int


def register(sub) -> None:
    from ..data.dots import DOTS
    from ..workshop.boundary import CUSTOM, RECIPES
    recipes = "; ".join(f"{name} {_recipe(r)}" for name, r in [*RECIPES.items(), ("--csv", CUSTOM)])
    p = sub.add_parser("dots", help="train on 2-D dots and draw the decision boundary",
                       description="Train a network on red and blue dots in the plane and draw its decision "
                       "boundary: the plane shaded by predicted class, the training (circles) and test (triangles) "
                       "dots, the accuracies in the title. --hidden 0 is a perceptron, whose boundary is a straight "
                       "line. Unset options take the dataset's recipe, chosen so the MLP succeeds (cross-entropy, "
                       f"matrix backpropagation): {recipes}.")
    data = p.add_argument_group("data")
    source = data.add_mutually_exclusive_group()
    source.add_argument("--dataset", choices=list(DOTS), default="moons", help="generated dots (default: %(default)s)")
    source.add_argument("--csv", metavar="FILE", help="your own points: rows x, y, label (header optional; two or "
                        "more classes, more than two get a softmax output)")
    data.add_argument("--points", type=positive_int, metavar="N", help="number of generated points (default: 400)")
    data.add_argument("--noise", type=nonnegative_float, help="std of the Gaussian noise of generated points "
                      "(default: the dataset's, e.g. 0.15 for moons)")
    data.add_argument("--test-fraction", type=positive_float, default=0.3,
                      help="share of the points held out for testing (default: %(default)s)")
    data.add_argument("--seed", type=nonnegative_int, default=0, help="seed of the data, split and initial weights")
    net = p.add_argument_group("network and training (default: the dataset's recipe)")
    net.add_argument("--hidden", type=layer_sizes, metavar="SIZES", help="hidden layer sizes, e.g. 16 or 16,16; "
                     "0 for none (a perceptron)")
    net.add_argument("--activation", type=_from_api(activation_names), metavar="F",
                     help="hidden activation(s): sigmoid, tanh, relu, leaky_relu, swish, linear")
    net.add_argument("--epochs", type=positive_int, help="passes over the training points")
    net.add_argument("--lr", dest="eta", type=positive_float, help="learning rate eta")
    net.add_argument("--batch-size", type=positive_int, help="points per mini-batch")
    net.add_argument("--optimizer", choices=["sgd", "momentum", "adam"])
    pictures = p.add_argument_group("pictures")
    pictures.add_argument("--compare", action="store_true", help="a perceptron and the MLP side by side")
    pictures.add_argument("--animate", action="store_true", help="also write a GIF of the boundary forming")
    pictures.add_argument("--frames", type=positive_int, default=30, help="frames in the GIF, spent where the "
                          "boundary moves (default: %(default)s)")
    pictures.add_argument("--projector", action="store_true", help="a GIF with twice the pixels, for a projector")
    pictures.add_argument("--fps", type=positive_int, default=8, help="GIF frames per second (default: %(default)s)")
    pictures.add_argument("--out", metavar="PATH", help="a .png file name, or a directory (default: the current one)")
    pictures.add_argument("--svg", action="store_true", help="also write the figure as SVG")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(run=run)


def _recipe(r) -> str:
    return (f"hidden {','.join(map(str, r.hidden))} {r.activation}, {r.epochs} epochs of {r.optimizer} "
            f"eta={r.eta:g} batch {r.batch_size}")


def run(args) -> int:
    from pathlib import Path

    from ..base.errors import MathdlError
    from ..data.points import read_points
    from ..plots.workshop import PROJECTOR, boundary_animation, decision_boundary
    from ..workshop.boundary import fit_dataset, fit_dots
    from .output import figure_base, save_figure, writing
    if args.compare and args.hidden == ():
        raise MathdlError("--compare draws a perceptron beside an MLP; give hidden sizes (e.g. --hidden 16), not 0")
    options = {"hidden": args.hidden, "activation": args.activation, "epochs": args.epochs, "eta": args.eta,
               "batch_size": args.batch_size, "optimizer": args.optimizer, "test_fraction": args.test_fraction,
               "seed": args.seed, "frames": args.frames if args.animate else 0, "progress": not args.quiet}
    if args.csv:
        if args.points is not None or args.noise is not None:
            raise MathdlError("--points and --noise shape generated dots; they do not apply to --csv")
        X, labels, classes = read_points(args.csv)
        name = Path(args.csv).stem
        fit = lambda **o: fit_dots(X, labels, name=Path(args.csv).name, classes=classes, **o)  # noqa: E731
    else:
        name = args.dataset
        fit = lambda **o: fit_dataset(args.dataset, points=args.points, noise=args.noise, **o)  # noqa: E731
    fits = [fit(**options)]
    if args.compare:
        fits.insert(0, fit(**{**options, "hidden": ()}))
    show(fits)
    base = figure_base(args.out, f"dots-{name}" + ("-compare" if args.compare else ""))
    save_figure(decision_boundary(*fits), base, svg=args.svg)
    if args.animate:
        with writing(base.with_suffix(".gif")) as path:
            boundary_animation(*fits, path=path, fps=args.fps, frames=args.frames,
                               **(PROJECTOR if args.projector else {}))
    return 0


def show(fits) -> None:
    """Each network's train and test accuracy; a perceptron's boundary line."""
    from ..base.console import out
    from ..workshop.boundary import line_equation, linear_boundary
    first = fits[0]
    out.print(f"{first.task.description}: {first.task.train.N} train, {first.task.test.N} test; classes "
              f"{', '.join(first.classes)}")
    for fit in fits:
        s = fit.settings
        out.print(f"{fit.label}: train {100 * fit.train_accuracy:.1f}%, test {100 * fit.test_accuracy:.1f}%")
        out.print(f"  {fit.net.n_params} parameters; {s.epochs} epochs of {s.optimizer}, η = {s.eta:g}, "
                  f"batch {s.batch_size}, cross-entropy")
        if fit.perceptron and fit.net.sizes[-1] == 1:
            w, c = linear_boundary(fit)
            out.print(f"  boundary: the line {line_equation(w, c)} (class {fit.classes[1]} where > 0)")
