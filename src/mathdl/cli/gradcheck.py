"""mathdl gradcheck: backprop's gradients against central differences, layer by layer."""
from __future__ import annotations

from . import _from_api, add_network_options, bp_name, cost_name, nonnegative_int, positive_float, positive_int


def register(sub) -> None:
    p = sub.add_parser("gradcheck", help="check backprop's gradients against central differences",
                       description="Build a network with random weights and data, and print for each layer the "
                       "relative error ||g - g_num|| / (||g|| + ||g_num||) between backprop's gradient g and the "
                       "central difference g_num = (C(w+e) - C(w-e)) / 2e. Exit code 1 if above the tolerance. "
                       "The network is n-h...-m with the hidden sizes of --hidden between --inputs n and --outputs m: "
                       "by default a small one (12-16-8-3), so that every weight is checked in a second; --hidden "
                       "alone keeps n = 12 and m = 3. The study's three-hidden-layer network is --inputs 784 "
                       "--outputs 1 --hidden 128,64,32 (add --entries 50 to check 50 entries of each matrix "
                       "rather than all of its 100,000-odd weights).")
    add_network_options(p, hidden="16,8")
    p.add_argument("--cost", type=_from_api(cost_name), default="tse", help="tse (1), xe (2) or mse")
    p.add_argument("--bp", dest="method", type=_from_api(bp_name), help="check only online (1) or matrix (2)")
    p.add_argument("--inputs", type=positive_int, default=12,
                   help="input size n (default: %(default)s, whatever --hidden is; MNIST's images: 784)")
    p.add_argument("--outputs", type=positive_int, default=3,
                   help="output size m (default: %(default)s, whatever --hidden is; the study's ID task: 1)")
    p.add_argument("--samples", type=positive_int, default=5, help="samples in the batch (default: %(default)s)")
    p.add_argument("--entries", type=positive_int, help="check at most this many entries per matrix, drawn at "
                   "random (default: all)")
    p.add_argument("--tolerance", type=positive_float, default=1e-6, help="largest acceptable relative error")
    p.add_argument("--seed", type=nonnegative_int, default=0)
    p.set_defaults(run=run)


def run(args) -> int:
    import numpy as np

    from ..base.console import out
    from ..base.errors import MathdlError
    from ..base.seeding import rng
    from ..nn.gradcheck import gradcheck
    from ..nn.network import Network
    from ..runs.experiment import Config
    from .tables import gradcheck_table
    if args.dtype != "float64":
        raise MathdlError("gradcheck runs in float64: central differences in float32 keep only about 3 of "
                          "its 7 digits, too few to check a gradient")
    config = Config(task="digits", hidden=args.hidden, activation=args.activation,
                    output_activation=args.output_activation, cost=args.cost, init=args.init, bias=args.bias)
    generator = rng(args.seed, "init")
    net = Network.create([args.inputs, *args.hidden, args.outputs], config.activations(), rng=generator,
                         init=args.init, bias=args.bias)
    X = generator.uniform(0, 1, (args.inputs, args.samples))
    labels = generator.integers(0, args.outputs, args.samples)
    Y = np.zeros((args.outputs, args.samples))
    if args.outputs == 1:
        Y[0] = labels % 2
    else:
        Y[labels, np.arange(args.samples)] = 1
    worst = 0.0
    for method in ("online", "matrix") if args.method is None else (args.method,):
        checks = gradcheck(net, X, Y, config.cost, method=method, max_entries=args.entries, rng=generator)
        out.print(gradcheck_table(checks, net, f"{method} bp, {config.cost.upper()}, "
                                  f"{'-'.join(map(str, net.sizes))} {'/'.join(config.activations())}, "
                                  f"{args.samples} samples"))
        worst = max([worst] + [c.W_error for c in checks] + [c.b_error for c in checks if c.b_error is not None])
    verdict = "agree" if worst < args.tolerance else "DISAGREE"
    out.print(f"largest relative error {worst:.2e}: backprop and central differences {verdict} "
              f"(tolerance {args.tolerance:g})")
    return 0 if worst < args.tolerance else 1
