"""The explorer's ASGI application (Starlette): the page and its files from the package's ``static/``, the JSON
API of ``routes`` (its one table, ``routes.ROUTES``), one-line JSON errors, the guard that answers only this
machine's own page, a task that frees abandoned playground sessions, and the compiled training loops made
ready in the background as the server starts.
"""
from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.responses import FileResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from . import routes
from .catalog import Catalog
from .checks import ApiError
from .default_net import DefaultNetwork
from .playground import Compiler, Sessions

STATIC = Path(__file__).parent / "static"
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
log = logging.getLogger("mathdl.explore")


def create_app(paths=(), *, data=None, session_timeout: float = 120.0, max_sessions: int = 32,
               default_folder: Path | None = None, hosts=(), compile_loops: bool = True) -> Starlette:
    """The explorer over the run and study directories ``paths`` (checked now: a bad one is a
    ``MathdlError``); ``data`` is where MNIST is (default: found as ``load_mnist`` finds it), for the
    reverse methods' mean images and the explorer's own network, trained into ``default_folder`` (default:
    the user cache) when ``paths`` hold no network. Requests are answered only when their Host is one of
    ``LOCAL_HOSTS`` or ``hosts``; with ``compile_loops`` the training loops are compiled (or loaded from
    Numba's cache) in the background as the server starts."""
    catalog = Catalog(paths)
    compiler = Compiler()

    @asynccontextmanager
    async def lifespan(app):
        if compile_loops:
            compiler.start()
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(_reap, app.state.sessions)
            try:
                yield
            finally:
                tasks.cancel_scope.cancel()
                await anyio.to_thread.run_sync(app.state.sessions.close_all)

    api = [Route(path, handler, methods=[method]) for method, path, handler, _ in routes.ROUTES]
    app = Starlette(routes=[Route("/", _index), *api, Mount("/static", StaticFiles(directory=STATIC), name="static")],
                    exception_handlers={ApiError: _api_error, HTTPException: _http_error},
                    middleware=[Middleware(Guard)], lifespan=lifespan)
    app.state.catalog = catalog
    app.state.data = data
    app.state.hosts = {*LOCAL_HOSTS, *(host_name(h) for h in hosts)}
    app.state.default = DefaultNetwork(data, default_folder) if catalog.default else None
    app.state.sessions = Sessions(timeout=session_timeout, limit=max_sessions, compiler=compiler)
    app.state.decoding = anyio.CapacityLimiter(routes.DECODING)
    return app


def host_name(host: str) -> str:
    """The name in a Host header or an address, without its port or brackets, in lower case."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


class Guard:
    """Only this machine's own page drives the server. A request must name the server in its Host header by
    an address it serves (``app.state.hosts``): a page elsewhere cannot reach it by a name of its own that
    resolves here (DNS rebinding). A request that changes state must come from the server's own origin: its
    ``Origin`` header, when sent (browsers send it with every cross-origin request), the server's, and
    ``Sec-Fetch-Site`` same-origin or none. Refusals are 403 with one line. And the server's own faults are
    500 with one line, and one line in the terminal, not a traceback."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        refusal = self.refusal(scope)
        if refusal is not None:
            return await routes.JSON({"error": refusal}, status_code=403)(scope, receive, send)
        started = False

        async def sending(message):
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)
        try:
            await self.app(scope, receive, sending)
        except Exception as e:  # noqa: BLE001 - a fault of the server's own: one line in the terminal and the page
            log.error("internal error on %s %s: %s: %s", scope["method"], scope["path"], type(e).__name__, e)
            if not started:
                await routes.JSON({"error": f"internal error: {type(e).__name__}: {e}"}, status_code=500)(
                    scope, receive, send)

    @staticmethod
    def refusal(scope) -> str | None:
        headers = Headers(scope=scope)
        host = headers.get("host", "")
        if host_name(host) not in scope["app"].state.hosts:
            return f"this server answers requests to {', '.join(sorted(scope['app'].state.hosts))} only, " \
                   f"not to {host!r}"
        if scope["method"] in SAFE_METHODS:
            return None
        origin, site = headers.get("origin"), headers.get("sec-fetch-site")
        if origin is not None and origin != f"http://{host}":
            return f"a request from another page ({origin}) may not change anything here"
        if site is not None and site not in ("same-origin", "none"):
            return f"a {site} request may not change anything here"
        return None


async def _index(request):
    return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})


async def _reap(sessions: Sessions) -> None:
    """Every few seconds, free the sessions nobody asked about for ``sessions.timeout`` seconds."""
    while True:
        await anyio.sleep(min(10.0, sessions.timeout / 4))
        await anyio.to_thread.run_sync(sessions.reap)


async def _api_error(request, error: ApiError):
    close = {"Connection": "close"} if error.status == 408 else None  # the rest of the body will not be read
    return routes.JSON({"error": error.message}, status_code=error.status, headers=close)


async def _http_error(request, error: HTTPException):
    message = {404: f"no such page or endpoint: {request.url.path} (GET /api lists the endpoints)",
               405: f"{request.method} is not allowed on {request.url.path}"}.get(error.status_code, error.detail)
    return routes.JSON({"error": message}, status_code=error.status_code, headers=getattr(error, "headers", None))
