"""The explorer's ASGI application (Starlette): the page and its files from the package's ``static/``, the JSON
API of ``routes``, one-line JSON errors, and a task that frees abandoned playground sessions.
"""
from __future__ import annotations

import threading
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.responses import FileResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from . import routes
from .catalog import Catalog
from .checks import ApiError
from .default_net import DefaultNetwork
from .playground import Sessions

STATIC = Path(__file__).parent / "static"


def create_app(paths=(), *, data=None, session_timeout: float = 120.0, max_sessions: int = 32,
               default_folder: Path | None = None) -> Starlette:
    """The explorer over the run and study directories ``paths`` (checked now: a bad one is a
    ``MathdlError``); ``data`` is where MNIST is (default: found as ``load_mnist`` finds it), for the
    reverse methods' mean images and the explorer's own network, trained into ``default_folder`` (default:
    the user cache) when ``paths`` hold no network."""
    catalog = Catalog(paths)

    @asynccontextmanager
    async def lifespan(app):
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(_reap, app.state.sessions)
            try:
                yield
            finally:
                tasks.cancel_scope.cancel()
                await anyio.to_thread.run_sync(app.state.sessions.close_all)

    api = [
        Route("/api", routes.api_index),
        Route("/api/networks", routes.networks),
        Route("/api/networks/default/train", routes.train_default, methods=["POST"]),
        Route("/api/networks/{id}", routes.network),
        Route("/api/networks/{id}/predict", routes.predict, methods=["POST"]),
        Route("/api/networks/{id}/reverse", routes.reverse, methods=["POST"]),
        Route("/api/networks/{id}/equations", routes.equations),
        Route("/api/playground", routes.playground_create, methods=["POST"]),
        Route("/api/playground/{sid}", routes.playground_state, methods=["GET"]),
        Route("/api/playground/{sid}", routes.playground_close, methods=["DELETE"]),
        Route("/api/playground/{sid}/config", routes.playground_config, methods=["POST"]),
        Route("/api/playground/{sid}/points", routes.playground_points, methods=["POST"]),
        Route("/api/playground/{sid}/stream", routes.playground_stream),
        Route("/api/playground/{sid}/{action}", routes.playground_action, methods=["POST"]),
        Route("/api/studies", routes.studies),
        Route("/api/studies/{id}", routes.study),
        Route("/api/studies/{id}/files/{index:int}/{name}", routes.study_file),
    ]
    app = Starlette(routes=[Route("/", _index), *api, Mount("/static", StaticFiles(directory=STATIC), name="static")],
                    exception_handlers={ApiError: _api_error, HTTPException: _http_error, Exception: _internal},
                    lifespan=lifespan)
    app.state.catalog = catalog
    app.state.data = data
    app.state.default = DefaultNetwork(data, default_folder) if catalog.default else None
    app.state.sessions = Sessions(timeout=session_timeout, limit=max_sessions)
    app.state.stopping = threading.Event()  # set when the server shuts down: the streams end
    return app


async def _index(request):
    return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})


async def _reap(sessions: Sessions) -> None:
    """Every few seconds, free the sessions nobody asked about for ``sessions.timeout`` seconds."""
    while True:
        await anyio.sleep(min(10.0, sessions.timeout / 4))
        await anyio.to_thread.run_sync(sessions.reap)


async def _api_error(request, error: ApiError):
    return routes.JSON({"error": error.message}, status_code=error.status)


async def _http_error(request, error: HTTPException):
    message = {404: f"no such page or endpoint: {request.url.path} (GET /api lists the endpoints)",
               405: f"{request.method} is not allowed on {request.url.path}"}.get(error.status_code, error.detail)
    return routes.JSON({"error": message}, status_code=error.status_code, headers=getattr(error, "headers", None))


async def _internal(request, error: Exception):
    return routes.JSON({"error": f"internal error: {type(error).__name__}: {error}"}, status_code=500)
