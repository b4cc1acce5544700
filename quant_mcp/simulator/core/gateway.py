"""The simulator's front door: what happens to every API request around its route handler.

In order: log the request, enforce the 25 MB payload cap, authenticate the bearer
token, apply an injected fault, then hand over to the route. It is ASGI middleware
so it also sees the raw response: the status and SSE chunk times for the log, and
the bytes that the `drop` and `malformed_json` faults tamper with. Control routes
(/_simulator/...) pass straight through, unlogged and unauthenticated.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from time import perf_counter
from typing import Any
from urllib.parse import parse_qsl

import anyio
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import error_response
from .faults import Fault
from .state import RequestRecord, SimulatorState

MAX_PAYLOAD_BYTES = 25 * 1024 * 1024  # "25 MB for the whole payload" (reference, media limits)
CONTROL_PREFIX = "/_simulator"
FAULT_SCOPE_KEY = "simulator_fault"
_ORGANISATION_IN_PATH = re.compile(r"^/(?:api/v3/organi[sz]ations|organisations)/([^/]+)")


class ConnectionDropped(Exception):
    """Raised on purpose to make the server abort a connection mid-response (the `drop` fault)."""


class _HideIntentionalDrops(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], ConnectionDropped))


def quiet_intentional_drops() -> None:
    """Keep uvicorn from logging a traceback for each connection the `drop` fault aborts."""
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(existing, _HideIntentionalDrops) for existing in logger.filters):
        logger.addFilter(_HideIntentionalDrops())


def injected_fault(scope: Scope) -> Fault | None:
    """The fault the gateway applied to this request, for the stream writer to act on."""
    fault: Fault | None = scope.get("state", {}).get(FAULT_SCOPE_KEY)
    return fault


class ApiGateway:
    """ASGI middleware that logs, caps, authenticates and faults every API request."""

    def __init__(self, app: ASGIApp, state: SimulatorState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(CONTROL_PREFIX):
            await self.app(scope, receive, send)
            return
        match = _ORGANISATION_IN_PATH.match(scope["path"])
        record = RequestRecord(
            method=scope["method"],
            path=scope["path"],
            query=_query(scope),
            organisation=match.group(1) if match else None,
            started_at=perf_counter(),
        )
        self.state.log_request(record)
        try:
            await self._handle(scope, receive, _recording(send, record), record)
        finally:
            record.finished_at = perf_counter()

    async def _handle(self, scope: Scope, receive: Receive, send: Send, record: RequestRecord) -> None:
        declared = _content_length(scope)
        if declared is not None and declared > MAX_PAYLOAD_BYTES:
            record.body_size = declared
            await _too_large(scope, receive, send)
            return
        body = await _read_body(receive, record)
        if body is None:
            await _too_large(scope, receive, send)
            return
        refusal = self._authenticate(scope, record.organisation)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        fault = self.state.faults.take(scope["method"], scope["path"])
        if fault is not None:
            record.fault = fault.mode
            scope.setdefault("state", {})[FAULT_SCOPE_KEY] = fault
            if fault.mode == "latency":
                await anyio.sleep(fault.delay)
            elif fault.mode == "status":
                await _status_fault(fault)(scope, receive, send)
                return
            elif fault.mode == "drop":
                send = _dropping(send)
            elif fault.mode == "malformed_json":
                send = _malforming_json(send)
            elif fault.mode == "unexpected_shape":
                send = _malforming_json(send, lambda body: b'{"data":' + body + b"}")
        await self.app(scope, _replay(body, receive), send)

    def _authenticate(self, scope: Scope, organisation: str | None) -> JSONResponse | None:
        """None when the bearer token may act for `organisation`, else the refusal to send."""
        token = _bearer_token(scope)
        if not token:
            return error_response(401, "Missing bearer token", headers={"WWW-Authenticate": "Bearer"})
        if self.state.tokens is None:
            return None
        if token not in self.state.tokens:
            return error_response(401, "Invalid bearer token", headers={"WWW-Authenticate": "Bearer"})
        allowed = self.state.tokens[token]
        if allowed is not None and organisation is not None and organisation != allowed:
            return error_response(403, f"This token has no access to organisation '{organisation}'")
        return None


def _query(scope: Scope) -> dict[str, str | list[str]]:
    query: dict[str, str | list[str]] = {}
    for key, value in parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True):
        if key not in query:
            query[key] = value
        else:
            previous = query[key]
            query[key] = [*previous, value] if isinstance(previous, list) else [previous, value]
    return query


def _header(scope: Scope, name: bytes) -> str | None:
    headers: list[tuple[bytes, bytes]] = scope["headers"]
    for key, value in headers:
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def _content_length(scope: Scope) -> int | None:
    value = _header(scope, b"content-length")
    return int(value) if value is not None and value.isdigit() else None


def _bearer_token(scope: Scope) -> str | None:
    value = _header(scope, b"authorization") or ""
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


async def _read_body(receive: Receive, record: RequestRecord) -> bytes | None:
    """The whole request body, or None as soon as it grows past the payload cap."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        record.body_size = size
        if size > MAX_PAYLOAD_BYTES:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    record.body = _json_or_none(body)
    return body


def _json_or_none(body: bytes) -> Any:
    try:
        return json.loads(body) if body else None
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None


async def _too_large(scope: Scope, receive: Receive, send: Send) -> None:
    response = error_response(413, f"Request payload exceeds the {MAX_PAYLOAD_BYTES // (1024 * 1024)} MB limit")
    await response(scope, receive, send)


def _status_fault(fault: Fault) -> JSONResponse:
    headers = {"Retry-After": str(fault.retry_after)} if fault.status == 429 else None
    return error_response(fault.status, fault.message, headers=headers)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that hands the already-read body to the route, then waits for disconnect."""
    pending = True

    async def replay() -> Message:
        nonlocal pending
        if pending:
            pending = False
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _content_type(start: Message) -> bytes:
    content_type: bytes = dict(start.get("headers", [])).get(b"content-type", b"")
    return content_type


def _recording(send: Send, record: RequestRecord) -> Send:
    """A `send` that logs the status and the time each SSE chunk is written."""
    streaming = False

    async def recording_send(message: Message) -> None:
        nonlocal streaming
        if message["type"] == "http.response.start":
            record.status = message["status"]
            streaming = _content_type(message).startswith(b"text/event-stream")
        elif message["type"] == "http.response.body" and streaming and message.get("body"):
            record.stream_chunk_times.append(perf_counter())
        await send(message)

    return recording_send


def _dropping(send: Send) -> Send:
    """A `send` that passes the headers and half of the first body chunk, then aborts."""

    async def dropping_send(message: Message) -> None:
        if message["type"] != "http.response.body":
            await send(message)
            return
        body: bytes = message.get("body", b"")
        await send({"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True})
        raise ConnectionDropped("connection dropped by an injected fault")

    return dropping_send


def _malforming_json(send: Send, rewrite: Callable[[bytes], bytes] | None = None) -> Send:
    """A `send` that turns a JSON answer into a 200 whose body is cut in half (invalid JSON),
    or is `rewrite(body)` (e.g. wrapped in `{"data": ...}`, as a Laravel resource answers).

    Streams pass through untouched: the SSE writer corrupts their events itself.
    """
    start: Message | None = None
    chunks: list[bytes] = []

    async def malforming_send(message: Message) -> None:
        nonlocal start
        if message["type"] == "http.response.start":
            if not _content_type(message).startswith(b"application/json"):
                await send(message)
                return
            start = message
            return
        if start is None:
            await send(message)
            return
        chunks.append(message.get("body", b""))
        if message.get("more_body", False):
            return
        body = b"".join(chunks)
        broken = rewrite(body) if rewrite is not None else body[: max(1, len(body) // 2)]
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(broken)).encode()))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": broken, "more_body": False})

    return malforming_send
