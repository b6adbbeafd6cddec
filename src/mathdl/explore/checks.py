"""Every request checked at the door: bodies of the declared Content-Type read within a size limit and a
time limit, JSON parsed, parameters checked against a declared table (type, range, choices), each fault an
``ApiError`` with an HTTP status and one line for the page to show: 422 for what is malformed or out of
range, 413 for what is too large, 415 for a body of another type, 408 for one that does not arrive, 404
for an id that names nothing.
"""
from __future__ import annotations

import json
import math

import anyio
from dataclasses import dataclass
from typing import Any

from ..base.errors import MathdlError


class ApiError(Exception):
    """A request the server refuses: ``status`` (422, 413, 404, 409, 429) and a one-line message."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def unprocessable(error: MathdlError) -> ApiError:
    """A fault mathdl found in the request's content (an image without a digit, a malformed CSV): 422."""
    return ApiError(422, str(error))


BODY_SECONDS = 10.0  # a request's body must arrive within this time


def media_type(request) -> str:
    """The request's Content-Type without its parameters, in lower case ("" when there is none)."""
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


async def read_body(request, limit: int, what: str, *, empty: bool = False, types: tuple[str, ...] = ()) -> bytes:
    """The request body, refused with 413 as soon as it passes ``limit`` bytes (by its declared length, or
    while it arrives), with 408 when it has not arrived within ``BODY_SECONDS``, with 415 when it is not empty
    and its Content-Type does not start with one of ``types`` (when given), and with 422 when it is empty
    (unless ``empty``)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise ApiError(413, f"{what} of {int(declared):,} bytes is larger than the limit of {limit:,} bytes")
    chunks, size = [], 0
    with anyio.move_on_after(BODY_SECONDS) as late:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise ApiError(413, f"{what} is larger than the limit of {limit:,} bytes")
            chunks.append(chunk)
    if late.cancelled_caught:
        raise ApiError(408, f"the {what} did not arrive within {BODY_SECONDS:g} s")
    if size and types and not media_type(request).startswith(types):
        allowed = " or ".join(t + "…" if t.endswith("/") else t for t in types)
        raise ApiError(415, f"the {what} must be sent with Content-Type {allowed}, got {media_type(request) or 'none'}")
    if not size and not empty:
        raise ApiError(422, f"empty request: send the {what} as the body")
    return b"".join(chunks)


JSON_LIMIT = 64 * 1024  # parameters only: no request needs more


async def read_json(request, *, required: bool = False) -> dict:
    """The body as a JSON object (Content-Type application/json); an empty body is {} unless ``required``."""
    body = await read_body(request, JSON_LIMIT, "JSON body", empty=not required, types=("application/json",))
    if not body.strip():
        if required:
            raise ApiError(422, "empty request: send the parameters as a JSON object")
        return {}
    try:
        value = json.loads(body.decode("utf-8"), parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError) as e:
        raise ApiError(422, f"malformed JSON: {e}") from None
    except RecursionError:
        raise ApiError(422, "malformed JSON: nested too deeply") from None
    if not isinstance(value, dict):
        raise ApiError(422, f"the body must be a JSON object of parameters, got {type(value).__name__}")
    return value


def _no_constant(name: str):
    raise ValueError(f"{name} is not a number JSON allows")


@dataclass(frozen=True)
class Param:
    """One parameter: its kind ("int", "float", "bool", "choice", "sizes" — a list of ints — or "names" — a
    list of choices), the closed range [low, high] of a number and of each size, the choices, and the range
    of a list's length."""

    kind: str
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()
    length: tuple[int, int] = (0, 0)
    nullable: bool = False

    def check(self, name: str, value: Any):
        if value is None and self.nullable:
            return None
        if self.kind == "choice":
            if value not in self.choices:
                raise ApiError(422, f"{name} must be one of {', '.join(self.choices)}, got {_shown(value)}")
            return value
        if self.kind == "bool":
            if not isinstance(value, bool):
                raise ApiError(422, f"{name} must be true or false, got {_shown(value)}")
            return value
        if self.kind == "names":
            lo, hi = self.length
            if not (isinstance(value, list) and lo <= len(value) <= hi and all(v in self.choices for v in value)):
                raise ApiError(422, f"{name} must be a list of {lo} to {hi} of {', '.join(self.choices)}, "
                                    f"got {_shown(value)}")
            return list(dict.fromkeys(value))
        if self.kind == "sizes":
            lo, hi = self.length
            if not (isinstance(value, list) and lo <= len(value) <= hi):
                raise ApiError(422, f"{name} must be a list of {lo} to {hi} layer sizes, got {_shown(value)}")
            return [self._number(f"{name}[{i}]", v, integer=True) for i, v in enumerate(value)]
        return self._number(name, value, integer=self.kind == "int")

    def _number(self, name: str, value, *, integer: bool):
        ok = isinstance(value, int) if integer else isinstance(value, (int, float))
        if isinstance(value, bool) or not ok or (isinstance(value, float) and not math.isfinite(value)):
            raise ApiError(422, f"{name} must be {'an integer' if integer else 'a number'}, got {_shown(value)}")
        if not self.low <= value <= self.high:  # exact for integers of any size
            raise ApiError(422, f"{name} must be between {_shown(self.low)} and {_shown(self.high)}, "
                                f"got {_shown(value)}")
        return int(value) if integer else float(value)


def checked(params: dict, table: dict[str, Param]) -> dict:
    """``params`` with every key known to ``table`` and every value checked; unknown keys are refused."""
    unknown = [key for key in params if key not in table]
    if unknown:
        raise ApiError(422, f"unknown parameter {unknown[0]!r}; the parameters are {', '.join(table)}")
    return {key: table[key].check(key, value) for key, value in params.items()}


def _shown(value) -> str:
    """A value as an error message quotes it: at most 40 characters."""
    try:
        text = repr(value) if isinstance(value, str) else f"{value:g}" if isinstance(value, float) else \
            json.dumps(value)
    except (ValueError, RecursionError):  # an integer of thousands of digits, a list nested thousands deep
        text = f"a {type(value).__name__} too large to show"
    return text if len(text) <= 40 else text[:37] + "…"
