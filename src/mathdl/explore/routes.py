"""The JSON API, one thin handler per endpoint: check the request, call the computation (in a worker thread
when it takes more than a moment), answer JSON. ``ROUTES``, at the end, is the one table of them: the
application is built from it and ``GET /api`` lists it.
"""
from __future__ import annotations

import asyncio
import json
import re
import time

import anyio
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse

from ..base.files import json_default
from ..reverse import METHODS
from . import digit
from .checks import ApiError, Param, checked, read_body, read_json
from .default_net import ID as DEFAULT_ID
from .playground import CSV_LIMIT, MAX_FPS, PARAMS, uploaded_points
from .study import study_view

HEARTBEAT = 5.0  # seconds between a stream's keep-alive comments (they also keep its session alive)
IMAGE_TYPES = ("image/", "application/octet-stream")  # what a predict request's Content-Type may be
DECODING = 2  # images decoded at once, at most (``app.state.decoding``): the server's memory stays bounded


def dumps(content) -> str:
    """JSON with NumPy numbers, and without NaN (which JSON does not have)."""
    return json.dumps(content, default=json_default, allow_nan=False, separators=(",", ":"))


class JSON(JSONResponse):
    def render(self, content) -> bytes:
        return dumps(content).encode("utf-8")


REVERSE = {"class": Param("int", 0, 1000), "methods": Param("names", choices=tuple(METHODS), length=(1, len(METHODS)))}


async def api_index(request):
    return JSON({"endpoints": [{"method": m, "path": re.sub(r":\w+}", "}", p), "what": w} for m, p, _, w in ROUTES],
                 "playground_parameters": {name: _param_doc(p) for name, p in PARAMS.items()}})


def _param_doc(p: Param) -> dict:
    doc = {"kind": p.kind}
    if p.choices:
        doc["choices"] = list(p.choices)
    if p.low is not None:
        doc["range"] = [p.low, p.high]
    if p.kind == "sizes":
        doc["length"] = list(p.length)
    return doc


# ---- networks ----------------------------------------------------------------------------------


def _entry(request, id: str):
    """The catalog entry of network ``id``; the explorer's own only once it is trained."""
    state = request.app.state
    if id == DEFAULT_ID and state.default is not None:
        if state.default.state != "ready":
            raise ApiError(409, f"the explorer's own network is {state.default.state}; "
                                "POST /api/networks/default/train first")
        if DEFAULT_ID not in state.catalog.networks:
            state.catalog.networks[DEFAULT_ID] = state.default.entry()
        return state.catalog.networks[DEFAULT_ID]
    return state.catalog.network(id)


async def networks(request):
    state = request.app.state
    listed = [entry for id, entry in state.catalog.networks.items() if id != DEFAULT_ID]
    if state.default is not None and state.default.state == "ready":
        listed.insert(0, _entry(request, DEFAULT_ID))
    found = []
    for entry in listed:
        try:
            found.append(await anyio.to_thread.run_sync(digit.describe, entry))
        except ApiError as e:
            found.append({"id": entry.id, "name": entry.name, "error": e.message})
    return JSON({"networks": found, "default": state.default.describe() if state.default is not None else None})


async def network(request):
    id = request.path_params["id"]
    if id == DEFAULT_ID and request.app.state.default is not None and request.app.state.default.state != "ready":
        return JSON(request.app.state.default.describe())
    return JSON(await anyio.to_thread.run_sync(digit.describe, _entry(request, id)))


async def train_default(request):
    default = request.app.state.default
    if default is None:
        raise ApiError(404, "the explorer trains its own network only when it was given none")
    await read_json(request)
    default.start()
    return JSON(default.describe(), status_code=202)


async def predict(request):
    entry = _entry(request, request.path_params["id"])
    body = await read_body(request, digit.IMAGE_LIMIT, "image", types=IMAGE_TYPES)
    async with request.app.state.decoding:
        image = await anyio.to_thread.run_sync(digit.digit_of, body)
    result = await anyio.to_thread.run_sync(lambda: digit.inspect(entry.run(), image))
    digit.prepare_references(entry, request.app.state.data)  # in the background: the reverse images need them
    return JSON(result)


async def reverse(request):
    entry = _entry(request, request.path_params["id"])
    params = checked(await read_json(request, required=True), REVERSE)
    if "class" not in params:
        raise ApiError(422, "reverse needs the class: {\"class\": k}")
    methods = params.get("methods") or list(METHODS)
    images = await anyio.to_thread.run_sync(digit.reverse_images, entry, params["class"], methods,
                                            request.app.state.data)
    return JSON({"class": params["class"], "images": images})


async def equations(request):
    entry = _entry(request, request.path_params["id"])
    return JSON(await anyio.to_thread.run_sync(lambda: digit.equations(entry.run())))


# ---- playground ----------------------------------------------------------------------------------


async def playground_create(request):
    params = await read_json(request)
    session = await anyio.to_thread.run_sync(request.app.state.sessions.create, params)
    return JSON(session.state(), status_code=201)


def _session(request):
    return request.app.state.sessions.get(request.path_params["sid"])


async def playground_state(request):
    return JSON(_session(request).state())


async def playground_config(request):
    session = _session(request)
    params = await read_json(request, required=True)
    await anyio.to_thread.run_sync(session.configure, params)
    return JSON(session.state())


async def playground_points(request):
    session = _session(request)
    points = uploaded_points(await read_body(request, CSV_LIMIT, "CSV", types=("text/csv",)))
    await anyio.to_thread.run_sync(lambda: session.configure({}, csv=points))
    return JSON(session.state())


ACTIONS = ("start", "pause", "step", "reset")


async def playground_action(request):
    action = request.path_params["action"]
    if action == "close":
        return await playground_close(request)
    if action not in ACTIONS:
        raise ApiError(404, f"no playground action {action!r}; the actions are {', '.join(ACTIONS)}, close")
    session = _session(request)
    if await read_json(request):
        raise ApiError(422, f"{action} takes no parameters; change them with POST …/config")
    await anyio.to_thread.run_sync(getattr(session, action))
    return JSON(session.state())


async def playground_close(request):
    request.app.state.sessions.close(request.path_params["sid"])
    return Response(status_code=204)


async def playground_stream(request):
    """Server-sent events: woken by the session whenever it publishes (a row, a frame, a status), at most
    ``2 MAX_FPS`` messages a second (rows wait for the next), a keep-alive comment after ``HEARTBEAT``
    seconds of quiet."""
    session, sessions = _session(request), request.app.state.sessions
    loop, news = asyncio.get_running_loop(), asyncio.Event()

    def wake():  # from any thread
        if not loop.is_closed():
            loop.call_soon_threadsafe(news.set)

    async def events():
        session.listen(wake)
        try:
            version, rows, frame, status = -1, 0, 0, None
            while session.status != "closed" and not sessions.stopping:
                news.clear()
                message, version, rows, frame, status = session.update(version, rows, frame, status)
                session.last_seen = time.monotonic()
                if message is not None:
                    yield f"data: {dumps(message)}\n\n"
                    await anyio.sleep(1 / (2 * MAX_FPS))
                    continue
                with anyio.move_on_after(HEARTBEAT) as quiet:
                    await news.wait()
                if quiet.cancelled_caught:
                    yield ": keep-alive\n\n"
            yield "event: closed\ndata: {}\n\n"
        finally:
            session.unlisten(wake)

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


# ---- studies ----------------------------------------------------------------------------------


async def studies(request):
    return JSON({"studies": [{"id": s.id, "name": s.name} for s in request.app.state.catalog.studies.values()]})


async def study(request):
    entry = request.app.state.catalog.study(request.path_params["id"])
    return JSON(await anyio.to_thread.run_sync(study_view, entry))


MEDIA_TYPES = {".vtt": "text/vtt", ".mp4": "video/mp4"}  # a <track> needs text/vtt: not in every system's table


async def study_file(request):
    """A file of the study, with byte ranges (a video seeks by them)."""
    entry = request.app.state.catalog.study(request.path_params["id"])
    path = entry.file(request.path_params["index"], request.path_params["name"])
    return FileResponse(path, media_type=MEDIA_TYPES.get(path.suffix))


# ---- the one route table: (method, path, handler, what it does) ---------------------------------------

ROUTES = [
    ("GET", "/api", api_index, "this list, and the playground's parameters"),
    ("GET", "/api/networks", networks, "the networks to choose from (and the explorer's own, trained on first use)"),
    ("POST", "/api/networks/default/train", train_default, "train the explorer's own ten-digit network; poll GET "
     "…/default"),
    ("GET", "/api/networks/{id}", network, "one network: layers, classes, test accuracy, reverse methods it allows"),
    ("POST", "/api/networks/{id}/predict", predict, f"body: an image file (≤ {digit.IMAGE_LIMIT // 2**20} MiB, "
     f"≤ {digit.PIXEL_LIMIT / 1e6:g} million pixels decoded; Content-Type image/…); the digit the network sees, "
     "every layer's activations, the outputs, the units that pushed the decision"),
    ("POST", "/api/networks/{id}/reverse", reverse, 'body: {"class": k, "methods": ["backquery", "pinv", '
     '"optimize", "prior"]} (every method when left out); each method\'s image of class k, the network\'s '
     "reading of it and the independent judge's"),
    ("GET", "/api/networks/{id}/equations", equations, "the forward and backward equations with every matrix's shape"),
    ("POST", "/api/playground", playground_create, "body: parameters (all optional); a new playground session"),
    ("GET", "/api/playground/{sid}", playground_state, "the session: parameters, points, network, rows, latest frame"),
    ("DELETE", "/api/playground/{sid}", playground_close, "close the session (POST …/close does the same)"),
    ("POST", "/api/playground/{sid}/config", playground_config, "body: parameters to change; a new untrained network"),
    ("POST", "/api/playground/{sid}/points", playground_points, f"body: a CSV of x, y, label rows "
     f"(≤ {CSV_LIMIT // 1024} KiB; Content-Type text/csv)"),
    ("GET", "/api/playground/{sid}/stream", playground_stream, "server-sent events: the rows, frames and status as "
     "training goes"),
    ("POST", "/api/playground/{sid}/{action}", playground_action, "action start (train at the session's rate, "
     "epochs a second), pause, step (one epoch, then pause), reset (a new untrained network) or close"),
    ("GET", "/api/studies", studies, "the studies"),
    ("GET", "/api/studies/{id}", study, "a study's matrices, rates, tests, curves, tables and files"),
    ("GET", "/api/studies/{id}/files/{index:int}/{name}", study_file, "a file of the study's listing"),
]
