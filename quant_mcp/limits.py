"""Fair limits per client identity on the shared HTTP service.

One client (a misbehaving agent, a leaked token, a retry loop) must not lock out the others.
Everything here is counted per **identity**: in multi-tenant mode the tenant (its Quant token
and organisation, as a digest), otherwise the inbound credential (a static token's name, a
JWT's subject), and without inbound auth the client's address. Each limit has a setting and a
default (README, "Limits"):

=============================  ==================================  =======
what                           setting                             default
=============================  ==================================  =======
open 2025-era sessions         QUANT_LIMIT_SESSIONS                50
open listen streams            QUANT_LIMIT_LISTEN_STREAMS          10
Quant API requests in flight   QUANT_LIMIT_UPSTREAM_REQUESTS       32 (more wait their turn, up to QUANT_TIMEOUT)
large requests in flight       QUANT_LIMIT_LARGE_BODIES            2 (over QUANT_LIMIT_LARGE_BODY_BYTES, 1 MiB)
calls of one tool per minute   QUANT_LIMIT_TOOL_CALLS_PER_MINUTE   3000
=============================  ==================================  =======

A client over a limit is told which limit, its setting, and when to retry: HTTP 429 with
``Retry-After`` for what is decided per HTTP request (sessions, GET streams, large bodies), a
tool or JSON-RPC error otherwise. Other identities are unaffected. The Quant API's own 429
with ``Retry-After`` pauses that tenant's calls to that route until then, so a rate-limited
tenant stops hammering instead of retrying into the wall. The tool-call rate and those pauses
live in the shared state (``shared_state.py``): with QUANT_REDIS_URL they hold across replicas;
the counts of open sessions, streams and requests in flight are each replica's own.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import anyio
from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.mcpserver.exceptions import ToolError
from mcp.shared.exceptions import MCPError
from mcp_types import INTERNAL_ERROR
from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from quant_mcp.config import Settings
from quant_mcp.errors import UpstreamStatusError
from quant_mcp.observability import LIMIT_REFUSALS, child

if TYPE_CHECKING:
    from quant_mcp.pipeline import Call, Next, Outcome
    from quant_mcp.shared_state import SharedState

TOKEN_HEADER = b"x-quant-token"
ORGANIZATION_HEADERS = (b"x-quant-organization", b"x-quant-organisation")
SESSION_HEADER = b"mcp-session-id"
VERSION_HEADER = b"mcp-protocol-version"


class LimitExceeded(Exception):
    """A client over one of its limits; ``str()`` names the limit, its setting and when to retry."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = max(1, math.ceil(retry_after))


class ServerBusy(Exception):
    """A local queue or pool is full: this server is busy; the Quant API was not asked."""


# ----------------------------------------------------------------------------- identity


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers") or ():
        if key == name:
            return value.decode("latin-1").strip()
    return None


def tenant_key(token: str | None, organisation: str | None) -> str:
    """A tenant as a short digest of its Quant token and organisation (never the token itself)."""
    digest = hashlib.sha256(f"{organisation or ''}\x00{token or ''}".encode()).hexdigest()[:16]
    return f"tenant:{digest}"


def identity_of(scope: Scope, settings: Settings) -> str:
    """Who a request counts against: the tenant (multi-tenant mode), else the inbound credential, else the address."""
    if settings.http_tenancy == "multi":
        token = _header(scope, TOKEN_HEADER)
        if token:
            organisation = next((v for name in ORGANIZATION_HEADERS if (v := _header(scope, name))), None)
            return tenant_key(token, organisation)
    user = scope.get("user")
    if isinstance(user, AuthenticatedUser):
        access = user.access_token
        return f"subject:{access.subject}" if access.subject else f"client:{access.client_id}"
    client = scope.get("client")
    return f"address:{client[0] if client else 'unknown'}"


# ----------------------------------------------------------------------------- counting


@dataclass
class _Counter:
    """How many of something each identity holds, within a limit."""

    limit: int
    what: str
    setting: str
    retry_after: float
    held: dict[str, int] = field(default_factory=dict)

    def take(self, identity: str) -> None:
        count = self.held.get(identity, 0)
        if count >= self.limit:
            raise LimitExceeded(
                f"Too many {self.what} for this client: at most {self.limit} at a time ({self.setting}). "
                f"Close one, or retry in {math.ceil(self.retry_after)} s.",
                self.retry_after,
            )
        self.held[identity] = count + 1

    def give_back(self, identity: str) -> None:
        count = self.held.get(identity, 0) - 1
        if count > 0:
            self.held[identity] = count
        else:
            self.held.pop(identity, None)

    @asynccontextmanager
    async def holding(self, identity: str) -> AsyncIterator[None]:
        self.take(identity)
        try:
            yield
        finally:
            self.give_back(identity)


class Sessions:
    """Open 2025-era sessions per identity. A session counts from its opening request until the
    SDK forgets it (DELETE, idle timeout, crash): ``alive`` says whether it still knows an id."""

    def __init__(self, limit: int, alive: Callable[[str], bool], retry_after: float) -> None:
        self.limit = limit
        self.alive = alive
        self.retry_after = retry_after
        self._owned: dict[str, set[str]] = {}
        self._opening: dict[str, int] = {}

    PRUNE_ABOVE = 1000  # identities tracked before those whose sessions all ended are forgotten

    def count(self, identity: str) -> int:
        if len(self._owned) > self.PRUNE_ABOVE:
            for other in list(self._owned):
                self._prune(other)
        self._prune(identity)
        return len(self._owned.get(identity, ())) + self._opening.get(identity, 0)

    def _prune(self, identity: str) -> None:
        owned = self._owned.get(identity)
        if owned is not None:
            owned.intersection_update({sid for sid in owned if self.alive(sid)})
            if not owned:
                del self._owned[identity]

    @asynccontextmanager
    async def opening(self, identity: str) -> AsyncIterator[Callable[[str], None]]:
        """Admit one session-opening request; yields ``opened(session_id)`` to call on success."""
        if self.count(identity) >= self.limit:
            raise LimitExceeded(
                f"Too many open sessions for this client: at most {self.limit} (QUANT_LIMIT_SESSIONS). End sessions you no "
                f"longer use (HTTP DELETE with their Mcp-Session-Id); idle ones expire. Retry in {math.ceil(self.retry_after)} s.",
                self.retry_after,
            )
        self._opening[identity] = self._opening.get(identity, 0) + 1

        def opened(session_id: str) -> None:
            self._owned.setdefault(identity, set()).add(session_id)

        try:
            yield opened
        finally:
            left = self._opening[identity] - 1
            if left:
                self._opening[identity] = left
            else:
                del self._opening[identity]


class UpstreamSlots:
    """Quant API requests in flight per identity. A request over the limit waits for a turn (up to
    ``wait`` seconds) and is then refused as this server being busy, never as the Quant API failing."""

    def __init__(self, limit: int, wait: float) -> None:
        self.limit = limit
        self.wait = wait
        self._slots: dict[str, anyio.Semaphore] = {}

    @asynccontextmanager
    async def slot(self, identity: str) -> AsyncIterator[None]:
        semaphore = self._slots.setdefault(identity, anyio.Semaphore(self.limit))
        acquired = False
        with anyio.move_on_after(self.wait):
            await semaphore.acquire()
            acquired = True
        if not acquired:
            self._forget(identity, semaphore)
            raise ServerBusy(
                f"This server is busy: your client already has {self.limit} requests to the Quant API in flight "
                f"(QUANT_LIMIT_UPSTREAM_REQUESTS) and this one waited {self.wait:g} s for a turn. Nothing was sent to "
                "the Quant API; retry in a few seconds."
            )
        try:
            yield
        finally:
            semaphore.release()
            self._forget(identity, semaphore)

    def _forget(self, identity: str, semaphore: anyio.Semaphore) -> None:
        if semaphore.value == self.limit and not semaphore.statistics().tasks_waiting:
            self._slots.pop(identity, None)


class Limits:
    """All the limits of one server (one instance per HTTP app)."""

    def __init__(self, settings: Settings, *, session_alive: Callable[[str], bool] | None = None) -> None:
        self.settings = settings
        self.sessions = Sessions(settings.limit_sessions, session_alive or (lambda sid: True), retry_after=60)
        self.listen_streams = _Counter(settings.limit_listen_streams, "open listen streams", "QUANT_LIMIT_LISTEN_STREAMS", 30)
        self.large_bodies = _Counter(
            settings.limit_large_bodies,
            f"large requests (over {settings.limit_large_body_bytes} bytes) in flight",
            "QUANT_LIMIT_LARGE_BODIES",
            5,
        )
        self.upstream = UpstreamSlots(settings.limit_upstream_requests, wait=settings.timeout)


# ----------------------------------------------------------------------------- HTTP requests


def too_many(exc: LimitExceeded) -> tuple[dict[str, Any], dict[str, str]]:
    """The 429 answer: a JSON-RPC error body (no id) and its headers."""
    body = {"jsonrpc": "2.0", "id": None, "error": {"code": -32000, "message": str(exc)}}
    return body, {"Retry-After": str(exc.retry_after)}


class LimitsMiddleware:
    """ASGI middleware for ``/mcp``, inside inbound auth (it sees the authenticated user): session
    openings, 2025-era GET streams and large bodies, counted per identity; 429 over a limit."""

    def __init__(self, app: ASGIApp, limits: Limits, *, stateless: bool) -> None:
        self.app = app
        self.limits = limits
        self.stateless = stateless

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        identity = identity_of(scope, self.limits.settings)
        scope[SCOPE_KEY] = (self.limits, identity)
        async with AsyncExitStack() as held:  # what this request holds, released when it ends
            try:
                if scope["method"] == "GET" and _header(scope, SESSION_HEADER):
                    await held.enter_async_context(self.limits.listen_streams.holding(identity))
                if scope["method"] == "POST" and self._large(scope):
                    await held.enter_async_context(self.limits.large_bodies.holding(identity))
                if scope["method"] == "POST" and self._opens_session(scope):
                    opened = await held.enter_async_context(self.limits.sessions.opening(identity))
                    send = _watch_session(send, opened)
            except LimitExceeded as exc:
                child(LIMIT_REFUSALS, "http").inc()  # sessions, GET streams, large bodies
                await _reply_429(exc, send)
                return
            await self.app(scope, receive, send)

    def _large(self, scope: Scope) -> bool:
        length = _header(scope, b"content-length")
        if length is None:  # a streamed body of unknown size
            return _header(scope, b"transfer-encoding") is not None
        return length.isdigit() and int(length) > self.limits.settings.limit_large_body_bytes

    def _opens_session(self, scope: Scope) -> bool:
        """As the SDK decides: stateful, no session id, and a handshake-era (or no) protocol version."""
        if self.stateless or _header(scope, SESSION_HEADER):
            return False
        version = _header(scope, VERSION_HEADER)
        return version is None or version in HANDSHAKE_PROTOCOL_VERSIONS


def _watch_session(send: Send, opened: Callable[[str], None]) -> Send:
    async def watching(message: Message) -> None:
        if message["type"] == "http.response.start" and message["status"] < 400:
            for key, value in message.get("headers") or ():
                if key.lower() == SESSION_HEADER:
                    opened(value.decode("latin-1"))
        await send(message)

    return watching


async def _reply_429(exc: LimitExceeded, send: Send) -> None:
    body, headers = too_many(exc)
    raw = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 429,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(raw)).encode()),
                *((k.lower().encode(), v.encode()) for k, v in headers.items()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": raw})


# ----------------------------------------------------------------------------- calls and listen streams

SCOPE_KEY = "quant_mcp.limits"  # LimitsMiddleware puts (limits, identity) in each /mcp request's ASGI scope


def _of(request: Any) -> tuple[Limits, str] | None:
    """The limits and identity of the HTTP request behind an MCP request; None on stdio and in memory."""
    scope = getattr(request, "scope", None)
    return scope.get(SCOPE_KEY) if scope is not None else None


async def limit_calls(call: Call[Any], call_next: Next) -> Outcome:
    """Call middleware: the tool-call rate, a route the Quant API paused for this tenant, and this
    identity's share of upstream requests. Over a limit: a tool error naming it, nothing sent.
    The rate and the pauses are kept in the shared state, so with Redis they hold across replicas."""
    found = _of(call.ctx.request_context.request)
    if found is None:
        return await call_next(call)
    limits, identity = found
    shared = call.runtime.shared
    assert shared is not None, "the server's lifespan provides the shared state"
    try:
        if call.origin == "tool":
            await _take_a_call(shared, identity, call.operation.name, call.settings.limit_tool_calls_per_minute)
        if call.request is None:  # a composite tool: each of its steps is limited as it runs
            return await call_next(call)
        route = call.operation.route_for(call.settings.api_routes)
        pause = f"pause:{tenant_key(call.token, call.organisation)}:{route.method} {route.path}"
        paused = await shared.paused_for(pause)
        if paused:
            raise LimitExceeded(
                f"The Quant API rate-limited {call.operation.name} for your organisation (429) and asked to wait; "
                f"nothing was sent. Retry in {math.ceil(paused)} s.",
                paused,
            )
        async with limits.upstream.slot(identity):
            try:
                return await call_next(call)
            except UpstreamStatusError as exc:
                if exc.status == 429 and exc.retry_after:
                    await shared.pause(pause, exc.retry_after)
                raise
    except (LimitExceeded, ServerBusy) as exc:
        child(LIMIT_REFUSALS, "upstream_busy" if isinstance(exc, ServerBusy) else "calls").inc()
        raise ToolError(str(exc)) from None


async def _take_a_call(shared: SharedState, identity: str, tool: str, per_minute: int) -> None:
    """Calls per tool per identity: a bucket of ``per_minute`` calls, refilled evenly over a minute."""
    wait = await shared.take(f"rate:{identity}:{tool}", per_minute, per_minute / 60.0)
    if wait:
        raise LimitExceeded(
            f"Too many calls of {tool} from this client: at most {per_minute} a minute "
            f"(QUANT_LIMIT_TOOL_CALLS_PER_MINUTE). Nothing was sent to the Quant API; retry in {math.ceil(wait)} s.",
            wait,
        )


async def limit_listen_streams(ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
    """Server middleware: a 2026-era ``subscriptions/listen`` stream counts against its identity's
    QUANT_LIMIT_LISTEN_STREAMS while it is open (2025-era GET streams are counted by LimitsMiddleware)."""
    found = _of(ctx.request) if ctx.method == "subscriptions/listen" else None
    if found is None:
        return await call_next(ctx)
    limits, identity = found
    try:
        limits.listen_streams.take(identity)
    except LimitExceeded as exc:
        child(LIMIT_REFUSALS, "listen_streams").inc()
        raise MCPError(INTERNAL_ERROR, str(exc)) from None
    try:
        return await call_next(ctx)
    finally:
        limits.listen_streams.give_back(identity)
