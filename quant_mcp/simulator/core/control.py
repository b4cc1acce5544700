"""The control API under /_simulator/: the request log, faults and clock over HTTP.

It is for users in another process (a `quant-mcp serve --simulate` subprocess, a
test driving a separate simulator). It needs no token and is never logged.
"""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .errors import error_response
from .faults import Fault
from .gateway import CONTROL_PREFIX
from .requests import simulator_state


async def health(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def list_requests(request: Request) -> Response:
    return JSONResponse({"requests": [record.to_json() for record in simulator_state(request).requests]})


async def clear_requests(request: Request) -> Response:
    simulator_state(request).clear_requests()
    return JSONResponse({"message": "Request log cleared"})


async def list_faults(request: Request) -> Response:
    return JSONResponse({"faults": [fault.to_json() for fault in simulator_state(request).faults.active()]})


async def add_fault(request: Request) -> Response:
    try:
        fault = Fault.from_json(json.loads(await request.body()))
    except ValueError as exc:  # json.JSONDecodeError is a ValueError too
        return error_response(400, f"Invalid fault: {exc}")
    simulator_state(request).add_fault(fault)
    return JSONResponse({"fault": fault.to_json()}, status_code=201)


async def clear_faults(request: Request) -> Response:
    simulator_state(request).clear_faults()
    return JSONResponse({"message": "Faults cleared"})


async def advance_clock(request: Request) -> Response:
    try:
        seconds = json.loads(await request.body())["advanceSeconds"]
    except (ValueError, KeyError, TypeError):
        seconds = None
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
        return error_response(400, 'advanceSeconds: a number of seconds >= 0 is required, e.g. {"advanceSeconds": 3600}')
    state = simulator_state(request)
    state.advance_clock(seconds)
    return JSONResponse({"now": state.now().isoformat()})


async def get_dialect(request: Request) -> Response:
    return JSONResponse({"dialect": simulator_state(request).dialect})


async def set_dialect(request: Request) -> Response:
    """`{"dialect": "live" | "spec"}`: which Quant AI the simulator speaks from the next request on."""
    try:
        simulator_state(request).set_dialect(json.loads(await request.body())["dialect"])
    except (ValueError, KeyError, TypeError) as exc:
        return error_response(400, f'dialect: {exc}; e.g. {{"dialect": "spec"}}')
    return JSONResponse({"dialect": simulator_state(request).dialect})


CONTROL_ROUTES = [
    Route(f"{CONTROL_PREFIX}/dialect", get_dialect, methods=["GET"]),
    Route(f"{CONTROL_PREFIX}/dialect", set_dialect, methods=["PUT"]),
    Route(f"{CONTROL_PREFIX}/health", health, methods=["GET"]),
    Route(f"{CONTROL_PREFIX}/requests", list_requests, methods=["GET"]),
    Route(f"{CONTROL_PREFIX}/requests", clear_requests, methods=["DELETE"]),
    Route(f"{CONTROL_PREFIX}/faults", list_faults, methods=["GET"]),
    Route(f"{CONTROL_PREFIX}/faults", add_fault, methods=["POST"]),
    Route(f"{CONTROL_PREFIX}/faults", clear_faults, methods=["DELETE"]),
    Route(f"{CONTROL_PREFIX}/clock", advance_clock, methods=["POST"]),
]
