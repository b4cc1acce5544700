"""Graceful drain of the HTTP service on SIGTERM (and the first Ctrl-C).

What an orchestrator needs when it stops a replica:

1. **Readiness fails at once** (``/readyz`` answers 503) so that no new work is routed here.
   Requests that still arrive (on a proxy's kept-alive connection, or the next step of a call
   in progress) are served, with ``Connection: close`` so that the next one goes elsewhere:
   refusing them would fail calls a client cannot retry.
2. **In-flight work finishes**: tool calls, streamed answers, any MCP POST being answered,
   for up to ``QUANT_DRAIN_SECONDS``.
3. **Standing streams end now**: a 2025-era client's GET notification stream and 2026
   ``subscriptions/listen`` streams carry no work and never end by themselves; they are
   closed at the start of the drain (listen streams gracefully, with their final result), and
   clients re-open them on another replica.
4. **Exit 0**, not the signal's code: the process did what it was asked.

A second SIGTERM or Ctrl-C stops at once (uvicorn's own force-exit path).
"""

from __future__ import annotations

import logging
import os
import signal
import time
from collections.abc import Callable
from types import FrameType
from typing import Any

import anyio
import uvicorn
from mcp.server import MCPServer
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from quant_mcp import sdk
from quant_mcp.observability import DRAINING

log = logging.getLogger("quant_mcp.drain")

MCP_PREFIX = "/mcp"


class Drain:
    """The drain state of one HTTP service, its ASGI middleware and its ``/readyz``."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.started_at: float | None = None
        self.serving = False  # the app's lifespan is up (set by the app)
        self.work = 0  # MCP requests being answered (POST, DELETE)
        self._standing: set[anyio.CancelScope] = set()
        self._on_begin: list[Callable[[], None]] = []

    @property
    def draining(self) -> bool:
        return self.started_at is not None

    def on_begin(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` when the drain starts (e.g. to close listen streams)."""
        self._on_begin.append(callback)

    def begin(self) -> None:
        """Start draining (idempotent): readiness fails, standing streams end."""
        if self.draining:
            return
        self.started_at = time.monotonic()
        DRAINING.set(1)
        log.warning("draining: %d MCP request(s) in flight, waiting up to %.0f s for them", self.work, self.seconds)
        for callback in self._on_begin:
            try:
                callback()
            except Exception:
                log.exception("a drain callback failed")
        for scope in list(self._standing):
            scope.cancel()

    def finished(self) -> bool:
        """True once draining and nothing is in flight, or the drain time is over."""
        if self.started_at is None:
            return False
        if self.work == 0:
            return True
        if time.monotonic() - self.started_at >= self.seconds:
            log.warning("drain time (%.0f s) is over with %d MCP request(s) still in flight", self.seconds, self.work)
            return True
        return False

    async def readyz(self, request: Request) -> JSONResponse:
        """Readiness: this replica takes new work (started and not draining). It does not ask the
        Quant API or Redis: during their outage every replica is equally able, and pulling all
        of them would turn clear tool errors into connection failures."""
        if self.draining:
            return JSONResponse({"status": "draining"}, status_code=503)
        if not self.serving:
            return JSONResponse({"status": "starting"}, status_code=503)
        return JSONResponse({"status": "ready"})

    def middleware(self, app: ASGIApp) -> ASGIApp:
        """Wrap the MCP app: count work, refuse new requests while draining, end standing streams."""

        async def drained(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http" or not scope["path"].startswith(MCP_PREFIX):
                await app(scope, receive, send)
                return
            if self.draining:
                send = _closing(send)
            if scope["method"] == "GET":
                await self._standing_stream(app, scope, receive, send)
                return
            self.work += 1
            try:
                await app(scope, receive, send)
            finally:
                self.work -= 1

        return drained

    async def _standing_stream(self, app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
        """A GET stream (2025-era notifications): ended, cleanly, when the drain starts."""
        state = {"started": False, "ended": False}

        async def tracking_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                state["started"] = True
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                state["ended"] = True
            await send(message)

        with anyio.CancelScope() as cancel:
            self._standing.add(cancel)
            try:
                await app(scope, receive, tracking_send)
            finally:
                self._standing.discard(cancel)
        if cancel.cancelled_caught and state["started"] and not state["ended"]:
            await send({"type": "http.response.body", "body": b"", "more_body": False})


def _closing(send: Send) -> Send:
    """``send`` with ``Connection: close`` on the response: the client's next request reconnects."""

    async def closing(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), (b"connection", b"close")]}
        await send(message)

    return closing


class DrainingServer(uvicorn.Server):
    """uvicorn, with SIGTERM (and a first Ctrl-C) starting a drain instead of a cut.

    As one of several ``--workers`` (``worker=True``, see ``workers.py``) the supervisor decides:
    SIGTERM and SIGINT, however many, only drain (the same stop may reach a worker twice: from
    the supervisor, and directly from a terminal's Ctrl-C or an init that signals the whole
    group), the supervisor stops a worker at once with SIGKILL, and a worker whose supervisor is
    gone drains by itself. Without ``drain``, the one of the app uvicorn loads is used."""

    def __init__(self, config: uvicorn.Config, drain: Drain | None = None, *, worker: bool = False) -> None:
        super().__init__(config)
        self._drain = drain
        self.worker = worker
        self._drain_requested = False
        self._parent = os.getppid()

    @property
    def drain(self) -> Drain:
        if self._drain is None:
            self._drain = app_drain(self.config.loaded_app)
        return self._drain

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        # Runs in a signal handler: only set flags; on_tick (in the loop) acts on them.
        if self.worker:
            self._drain_requested = True
            return
        if self._drain_requested or sig not in (signal.SIGTERM, signal.SIGINT):
            self.force_exit = sig == signal.SIGINT or self.force_exit
            self.should_exit = True
            return
        self._drain_requested = True

    async def on_tick(self, counter: int) -> bool:
        if self.worker and not self._drain_requested and os.getppid() != self._parent:
            log.warning("the supervisor of this worker is gone: draining")
            self._drain_requested = True
        if self._drain_requested and not self.should_exit:
            self.drain.begin()
            if self.drain.finished():
                self.should_exit = True
        return await super().on_tick(counter)


def app_drain(app: Any) -> Drain:
    """The :class:`Drain` of an app loaded by uvicorn, under uvicorn's own wrappers (each keeps
    the app it wraps as ``.app``)."""
    for _ in range(10):
        drain = getattr(getattr(app, "state", None), "drain", None)
        if isinstance(drain, Drain):
            return drain
        app = getattr(app, "app", None)
    raise RuntimeError("the app has no Drain (app.state.drain): build it with quant_mcp.http.build_http_app")


def close_listen_streams(server: MCPServer[Any]) -> None:
    """End the server's 2026 ``subscriptions/listen`` streams gracefully (each sends its final result)."""
    handler = sdk.listen_handler(server)
    if handler is not None:
        handler.close()
