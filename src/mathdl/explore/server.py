"""Serving the explorer with uvicorn: bound to 127.0.0.1 unless told otherwise (with a warning), the URL
printed, the browser opened, and Ctrl-C (or SIGTERM) ending the page's streams at once so that the server
stops without waiting for them.
"""
from __future__ import annotations

import ipaddress
import socket
import threading
import time
import webbrowser

from ..base.errors import MathdlError

DEFAULT_PORT = 8765


def loopback(host: str) -> bool:
    """Is ``host`` an address of this machine only (127.0.0.0/8, ::1, localhost)?"""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def served_names(host: str) -> set[str]:
    """The names a request may give as its Host for a server on ``host``: the host itself, and for every
    interface (0.0.0.0, ::) this machine's name and addresses."""
    if host not in ("0.0.0.0", "::", ""):
        return {host.strip("[]").lower()}
    name = socket.gethostname()
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(name, None)}
    except OSError:
        addresses = set()
    return {name.lower(), socket.getfqdn().lower(), *addresses}


def url_of(host: str, port: int) -> str:
    """The page's address; a server on every interface (0.0.0.0, ::) is shown at this machine's."""
    shown = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}.get(host, host)
    return f"http://{f'[{shown}]' if ':' in shown else shown}:{port}/"


def check_port(host: str, port: int) -> None:
    """Refuse a port another program holds, in one line, before uvicorn would print a traceback."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as e:
            raise MathdlError(f"cannot listen on {host}:{port} ({e.strerror or e}); another program may hold the "
                              "port: choose another with --port") from None


def serve(app, *, host: str = "127.0.0.1", port: int = DEFAULT_PORT, browser: bool = True, say=print) -> None:
    """Run ``app`` until Ctrl-C; ``say`` receives the URL and any warning."""
    import uvicorn

    if not loopback(host):
        say(f"warning: listening on {host}, reachable from other machines on the network; the explorer has no "
            "login. Use the default --host 127.0.0.1 unless you mean it.")
    check_port(host, port)
    app.state.hosts |= served_names(host)
    url = url_of(host, port)

    class Server(uvicorn.Server):
        def handle_exit(self, sig, frame):
            app.state.sessions.stop_streams()  # the open streams end now, not after the graceful timeout
            super().handle_exit(sig, frame)

    server = Server(uvicorn.Config(app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=3,
                                   lifespan="on"))
    say(f"mathdl explore: {url}  (Ctrl-C stops)")
    if browser:
        def open_when_started():
            while not server.started and not server.should_exit:
                time.sleep(0.05)
            if server.started:
                webbrowser.open(url)
        threading.Thread(target=open_when_started, daemon=True).start()
    server.run()


class Background:
    """The explorer served by uvicorn in a thread, on ``host`` and a free port (or ``port``): for a notebook, the
    tests and the benchmark. ``with Background(app) as served:`` … ``served.url``; stopped at the end."""

    def __init__(self, app, host: str = "127.0.0.1", port: int = 0):
        import uvicorn
        self.app = app
        self.socket = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        # the connections accepted inherit it: without, each response's second write waits for a delayed ACK (40 ms)
        self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.socket.bind((host, port))
        self.url = url_of(host, self.socket.getsockname()[1]).rstrip("/")
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on", timeout_graceful_shutdown=2))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.socket]}, daemon=True)

    def __enter__(self) -> "Background":
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                self.__exit__()
                raise MathdlError("the explorer's server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc) -> None:
        self.app.state.sessions.stop_streams()
        self.server.should_exit = True
        self.thread.join(timeout=15)
        self.socket.close()
