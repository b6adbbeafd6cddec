"""mathdl explore: a local web page to draw digits into a network, train dots live, and browse a study."""
from __future__ import annotations

from . import positive_int


def register(sub) -> None:
    from ..explore.server import DEFAULT_PORT
    p = sub.add_parser("explore", help="a local web page: draw a digit and look inside the network, train dots "
                       "live, browse a study's results",
                       description="Serve the explorer on this machine and open it in the browser. Digit: draw or "
                       "upload a digit and see the 28x28 image the network sees, every layer's activations, the "
                       "outputs and the reverse images of any class. Playground: red and blue dots, a network "
                       "trained live by mathdl's own backpropagation. Study: a study's confusion matrices, rates, "
                       "tests and curves. Without directories, a small ten-digit network is trained on first use "
                       "and kept in the user cache.")
    p.add_argument("dirs", nargs="*", metavar="RUN_OR_STUDY_DIR",
                   help="run directories (mathdl train --out) and study directories (mathdl study) to show")
    p.add_argument("--port", type=_port, default=DEFAULT_PORT, help="port to listen on (default: %(default)s)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default: %(default)s, this machine only; another address makes "
                        "the page reachable from the network, which asks for a warning)")
    p.add_argument("--no-browser", dest="browser", action="store_false", help="do not open the browser")
    p.add_argument("--data", metavar="PATH", help="MNIST directory or .npz, for the reverse images' mean images and "
                   "the explorer's own network (default: found as mathdl train finds it)")
    p.set_defaults(run=run)


def _port(text: str) -> int:
    import argparse
    port = positive_int(text)
    if port > 65535:
        raise argparse.ArgumentTypeError(f"must be a port number from 1 to 65535, got {text!r}")
    return port


def run(args) -> int:
    from ..base.console import err
    from ..explore.app import create_app
    from ..explore.server import serve
    app = create_app(args.dirs, data=args.data)
    catalog = app.state.catalog
    err.print(f"networks: {len(catalog.networks) or 'none given; the page offers to train one'}, "
              f"studies: {len(catalog.studies)}")
    try:
        serve(app, host=args.host, port=args.port, browser=args.browser, say=err.print)
    except KeyboardInterrupt:  # uvicorn hands the Ctrl-C it stopped on back once it has stopped
        pass
    err.print("mathdl explore: stopped")
    return 0
