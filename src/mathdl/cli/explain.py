"""mathdl explain: the forward and backward equations of a network with the shape of every matrix."""
from __future__ import annotations

from . import _from_api, add_network_options, cost_name, positive_int


def register(sub) -> None:
    p = sub.add_parser("explain", help="print a network's equations with every matrix's shape",
                       description="Print, for the given architecture, the forward equations, the backward "
                       "(backpropagation) equations with the concrete shape of every matrix, and the parameter "
                       "count: the tutorial's shape table for any network. --markdown writes it as Markdown.")
    add_network_options(p, hidden="128,64,32")
    p.add_argument("--inputs", type=positive_int, default=784, help="input size n_0 (default: %(default)s)")
    p.add_argument("--outputs", type=positive_int, default=1, help="output size n_L (default: %(default)s)")
    p.add_argument("--batch", type=positive_int, metavar="N", help="samples per batch (default: the symbol N)")
    p.add_argument("--cost", type=_from_api(cost_name), default="tse", help="tse (1), xe (2) or mse (default: tse)")
    p.add_argument("--markdown", metavar="FILE", help="also write the explanation as Markdown")
    p.set_defaults(run=run)


def run(args) -> int:
    from pathlib import Path

    from ..base.files import write_text
    from ..nn.shapes import Architecture, markdown
    from ..runs.experiment import Config
    from .output import writing
    config = Config(task="digits", hidden=args.hidden, activation=args.activation,
                    output_activation=args.output_activation, cost=args.cost, init=args.init, bias=args.bias)
    arch = Architecture((args.inputs, *args.hidden, args.outputs), tuple(config.activations()), config.cost,
                        args.bias, args.init, args.dtype)
    batch = args.batch or "N"
    show(arch, batch)
    if args.markdown:
        with writing(Path(args.markdown)) as path:
            write_text(path, markdown(arch, batch))
    return 0


def show(arch, batch) -> None:
    """The forward, backward and parameter tables in the terminal (Unicode maths)."""
    from rich import box
    from rich.table import Table

    from ..base.console import out
    from ..nn.shapes import backward_steps, forward_steps, note, parameter_rows, summary
    out.print(summary(arch, batch))
    for title, steps in (("forward pass", forward_steps(arch, batch)), ("backward pass", backward_steps(arch, batch))):
        table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD)
        table.add_column("equation", no_wrap=True)
        table.add_column("tutorial")
        table.add_column("shape", justify="right", no_wrap=True)
        table.add_column("computed from")
        for s in steps:
            table.add_row(s.equation, s.tutorial, s.shape, s.detail)
        out.print(table)
    out.print(note(arch))
    rows = parameter_rows(arch)
    table = Table(title="parameters", title_justify="left", box=box.SIMPLE_HEAD)
    for column in rows[0]:
        table.add_column(column, justify="right" if column == "parameters" else "left")
    for i, row in enumerate(rows):
        if i == len(rows) - 1:
            table.add_section()
        table.add_row(*[f"{v:,}" if isinstance(v, int) else v for v in row.values()])
    out.print(table)
