"""The JSON API, one thin handler per endpoint: check the request, call the computation (in a worker thread
when it takes more than a moment), answer JSON. ``ENDPOINTS`` lists them (``GET /api`` returns it).
"""
from __future__ import annotations

import json
import time

import anyio
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse

from ..base.files import json_default
from ..reverse import METHODS
from . import digit
from .checks import ApiError, Param, checked, read_body, read_json
from .default_net import ID as DEFAULT_ID
from .playground import CSV_LIMIT, PARAMS, uploaded_points
from .study import study_view

HEARTBEAT = 5.0  # seconds between a stream's keep-alive comments (they also keep its session alive)
POLL = 1 / 200  # seconds between a stream's looks for a new frame (well under a frame's 1 / MAX_FPS)


def dumps(content) -> str:
    """JSON with NumPy numbers, and without NaN (which JSON does not have)."""
    return json.dumps(content, default=json_default, allow_nan=False, separators=(",", ":"))


class JSON(JSONResponse):
    def render(self, content) -> bytes:
        return dumps(content).encode("utf-8")


ENDPOINTS = [
    ("GET", "/api/networks", "the networks to choose from (and the explorer's own, trained on first use)"),
    ("GET", "/api/networks/{id}", "one network: layers, classes, test accuracy, reverse methods it allows"),
    ("POST", "/api/networks/default/train", "train the explorer's own ten-digit network; poll GET …/default"),
    ("POST", "/api/networks/{id}/predict", f"body: an image file (≤ {digit.IMAGE_LIMIT // 2**20} MiB); the digit "
     "the network sees, every layer's activations, the outputs, the units that pushed the decision"),
    ("POST", "/api/networks/{id}/reverse", 'body: {"class": k, "methods": ["backquery", "pinv", "optimize", '
     '"prior"]} (every method when left out); each method\'s image of class k, the network\'s reading of it and '
     "the independent judge's"),
    ("GET", "/api/networks/{id}/equations", "the forward and backward equations with every matrix's shape"),
    ("POST", "/api/playground", "body: parameters (all optional); a new playground session"),
    ("GET", "/api/playground/{sid}", "the session: parameters, points, network, rows, latest frame"),
    ("POST", "/api/playground/{sid}/config", "body: parameters to change; a new untrained network"),
    ("POST", "/api/playground/{sid}/points", f"body: a CSV of x, y, label rows (≤ {CSV_LIMIT // 1024} KiB)"),
    ("POST", "/api/playground/{sid}/start", "train (at the session's rate, epochs a second)"),
    ("POST", "/api/playground/{sid}/pause", "pause training"),
    ("POST", "/api/playground/{sid}/step", "train one epoch, then pause"),
    ("POST", "/api/playground/{sid}/reset", "a new untrained network on the same points"),
    ("GET", "/api/playground/{sid}/stream", "server-sent events: the rows and frames as training goes"),
    ("DELETE", "/api/playground/{sid}", "close the session (POST …/close does the same)"),
    ("GET", "/api/studies", "the studies"),
    ("GET", "/api/studies/{id}", "a study's matrices, rates, tests, curves, tables and files"),
    ("GET", "/api/studies/{id}/files/{index}/{name}", "a file of the study's listing"),
]
REVERSE = {"class": Param("int", 0, 1000), "methods": Param("names", choices=tuple(METHODS), length=(1, len(METHODS)))}


async def api_index(request):
    return JSON({"endpoints": [{"method": m, "path": p, "what": w} for m, p, w in ENDPOINTS],
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
    body = await read_body(request, digit.IMAGE_LIMIT, "image")

    def work():
        return digit.inspect(entry.run(), digit.digit_of(body))
    return JSON(await anyio.to_thread.run_sync(work))


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
    points = uploaded_points(await read_body(request, CSV_LIMIT, "CSV"))
    await anyio.to_thread.run_sync(lambda: session.configure({}, csv=points))
    return JSON(session.state())


ACTIONS = {"start": "start", "pause": "pause", "step": "step", "reset": "reset"}


async def playground_action(request):
    action = request.path_params["action"]
    if action == "close":
        return await playground_close(request)
    if action not in ACTIONS:
        raise ApiError(404, f"no playground action {action!r}; the actions are {', '.join(ACTIONS)}, close")
    session = _session(request)
    if await read_json(request):
        raise ApiError(422, f"{action} takes no parameters; change them with POST …/config")
    await anyio.to_thread.run_sync(getattr(session, ACTIONS[action]))
    return JSON(session.state())


async def playground_close(request):
    request.app.state.sessions.close(request.path_params["sid"])
    return Response(status_code=204)


async def playground_stream(request):
    session = _session(request)
    stopping = request.app.state.stopping

    async def events():
        version, rows, frame = -1, 0, 0
        beat = time.monotonic()
        while not session.closed and not stopping.is_set():
            message, version, rows, frame = session.update(version, rows, frame)
            now = time.monotonic()
            session.last_seen = now
            if message is not None:
                yield f"data: {dumps(message)}\n\n"
                beat = now
            elif now - beat >= HEARTBEAT:
                yield ": keep-alive\n\n"
                beat = now
            await anyio.sleep(POLL)
        yield "event: closed\ndata: {}\n\n"

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


# ---- studies ----------------------------------------------------------------------------------


async def studies(request):
    return JSON({"studies": [{"id": s.id, "name": s.name} for s in request.app.state.catalog.studies.values()]})


async def study(request):
    entry = request.app.state.catalog.study(request.path_params["id"])
    return JSON(await anyio.to_thread.run_sync(study_view, entry))


async def study_file(request):
    entry = request.app.state.catalog.study(request.path_params["id"])
    path = entry.file(request.path_params["index"], request.path_params["name"])
    return FileResponse(path)
