"""The Streamable HTTP service: ``quant-mcp serve --transport http``.

One Starlette app: the SDK's own Streamable HTTP transport at ``/mcp`` (both protocol eras,
optionally stateless for load balancers), guarded by inbound bearer auth (``auth.py``), a
Host/Origin allowlist against DNS rebinding and a request size limit; plus ``/healthz``
(the process is alive), ``/readyz`` (this replica takes new work: started and not draining)
and ``/upstreamz`` (the Quant API answers), unauthenticated so that orchestrators can probe
them, and ``/metrics`` (Prometheus, behind the same auth as ``/mcp`` unless
QUANT_METRICS_PORT serves it on its own port). Request ids, access lines and the drain on
SIGTERM are ASGI middleware from ``observability.py`` and ``drain.py``.

Upstream credentials come in two tenancies. ``single``: every call uses the server's
QUANT_API_TOKEN. ``multi``: each call uses the caller's own ``X-Quant-Token`` (and
``X-Quant-Organization``) read from that very POST, sent only to the configured base URL,
never logged and never kept, so one client's token cannot serve another's request.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from functools import partial
from typing import Any
from urllib.parse import urlsplit

import anyio
import httpx2
import uvicorn
from mcp.server import MCPServer
from mcp.server.auth.provider import TokenVerifier
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.transport_security import TransportSecuritySettings
from starlette.applications import Starlette
from starlette.authentication import UnauthenticatedUser
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from quant_mcp import sdk
from quant_mcp.auth import AuthConfigError, JWTVerifier, inbound_auth
from quant_mcp.config import Settings
from quant_mcp.drain import Drain, DrainingServer, close_listen_streams
from quant_mcp.limits import Limits, LimitsMiddleware
from quant_mcp.observability import (
    OPEN_SESSIONS,
    RequestContextMiddleware,
    configure_logging,
    metrics_text,
    serve_metrics_port,
    shared_metrics,
)
from quant_mcp.pipeline import Credentials, Runtime, configured_credentials
from quant_mcp.redact import REDACTOR, install_log_redaction
from quant_mcp.server import build_server, settle
from quant_mcp.workers import Workers, shared_metrics_dir

log = logging.getLogger("quant_mcp.http")

MCP_PATH = "/mcp"
TOKEN_HEADER = "X-Quant-Token"
ORGANIZATION_HEADERS = ("X-Quant-Organization", "X-Quant-Organisation")
LOOPBACK_HOSTS = ["127.0.0.1:*", "localhost:*", "[::1]:*", "127.0.0.1", "localhost", "[::1]"]
LOOPBACK_ORIGINS = ["http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*"]
READINESS_CACHE_SECONDS = 5.0  # /readyz is unauthenticated: never more than one upstream probe per 5 s


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def bind_problem(settings: Settings, host: str) -> str | None:
    """Why binding ``host`` is refused, or None. Without inbound auth, whoever can connect
    uses the server (and in single tenancy, its Quant token): loopback only, unless forced."""
    if is_loopback(host) or settings.http_auth != "none" or settings.http_force_insecure:
        return None
    return (
        f"quant-mcp: refusing to listen on {host} without inbound authentication: anyone who can reach it "
        "could use this server. Set QUANT_HTTP_AUTH=static (with QUANT_HTTP_TOKENS or QUANT_HTTP_TOKENS_FILE) "
        "or QUANT_HTTP_AUTH=jwt, or pass --force-insecure if something in front of it authenticates."
    )


def endpoint_url(settings: Settings, host: str, port: int) -> str:
    """The MCP endpoint as clients reach it: QUANT_HTTP_PUBLIC_URL, else the bound address."""
    if settings.http_public_url:
        return settings.http_public_url.rstrip("/")
    if not is_loopback(host) and settings.http_auth == "jwt":
        raise AuthConfigError(
            "QUANT_HTTP_AUTH=jwt on a non-loopback address needs QUANT_HTTP_PUBLIC_URL "
            "(the URL clients use for /mcp, which is also the token audience)."
        )
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}{MCP_PATH}"


def transport_security(settings: Settings, public_url: str) -> TransportSecuritySettings:
    """Host/Origin allowlists (DNS-rebinding protection): loopback, the public URL, and the
    configured extras. ``*`` among the hosts turns the check off (a proxy controls Host)."""
    if "*" in settings.http_allowed_hosts:
        return TransportSecuritySettings(enable_dns_rebinding_protection=False)
    public = urlsplit(public_url)
    return TransportSecuritySettings(
        allowed_hosts=[*LOOPBACK_HOSTS, public.netloc, *settings.http_allowed_hosts],
        allowed_origins=[*LOOPBACK_ORIGINS, f"{public.scheme}://{public.netloc}", *settings.http_allowed_origins],
    )


def header_credentials(settings: Settings) -> Callable[[Context], Credentials]:
    """Multi-tenant credentials: the caller's own token and organisation from this request's headers."""

    def credentials(ctx: Context) -> Credentials:
        headers = ctx.headers or {}
        organisation = next((headers[name] for name in ORGANIZATION_HEADERS if headers.get(name)), None)
        token = (headers.get(TOKEN_HEADER) or "").strip()
        if not token and not settings.http_server_token_fallback:
            raise ToolError(
                f"This server is multi-tenant: send your own Quant API token in the {TOKEN_HEADER} header "
                f"(and your organisation in {ORGANIZATION_HEADERS[0]}). Nothing was sent to the Quant API."
            )
        return Credentials(token=token or None, organisation=organisation)

    return credentials


class Readiness:
    """``/upstreamz``: the MCP app's lifespan is up and the Quant API answers HTTP at all (any
    status below 500; no token is sent). For dashboards and alerts, not for a readiness probe
    (an outage of the Quant API would pull every replica). The answer is cached briefly, and
    one probe at a time goes out, so a flood of unauthenticated requests cannot flood the
    Quant API."""

    def __init__(self, server: MCPServer[Runtime]) -> None:
        self._server = server
        self._probe: httpx2.AsyncClient | None = None
        self._last: tuple[float, str | None] = (float("-inf"), None)
        self._lock = anyio.Lock()

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        async with httpx2.AsyncClient(timeout=3.0, follow_redirects=False) as probe:
            self._probe = probe
            try:
                yield
            finally:
                self._probe = None

    def _state(self) -> Runtime | None:
        return sdk.lifespan_state(self._server)

    async def _problem(self) -> str | None:
        state = self._state()
        if state is None or self._probe is None:
            return "starting or stopping"
        async with self._lock:
            checked_at, problem = self._last
            if time.monotonic() - checked_at < READINESS_CACHE_SECONDS:
                return problem
            try:
                response = await self._probe.get(state.settings.api_base_url)
                problem = f"the Quant API answered {response.status_code}" if response.status_code >= 500 else None
            except httpx2.HTTPError as exc:
                problem = f"the Quant API does not answer ({type(exc).__name__})"
            self._last = (time.monotonic(), problem)
            return problem

    async def respond(self, request: Request) -> JSONResponse:
        problem = await self._problem()
        if problem:
            return JSONResponse({"status": "not ready", "reason": problem}, status_code=503)
        return JSONResponse({"status": "ready"})


async def healthz(request: Request) -> JSONResponse:
    """Liveness: the process serves HTTP. Says nothing about the Quant API (that is /upstreamz)."""
    return JSONResponse({"status": "ok"})


def build_http_app(
    settings: Settings,
    *,
    stateless: bool = False,
    simulate: bool = False,
    host: str = "127.0.0.1",
    port: int = 8000,
) -> Starlette:
    """The whole HTTP service as one ASGI app. Build a fresh one per server run: the SDK's
    session manager can run only once. Raises AuthConfigError for incomplete auth settings."""
    public_url = endpoint_url(settings, host, port)
    guard = inbound_auth(settings, public_url)
    verifier, auth = guard if guard else (None, None)
    credentials = header_credentials(settings) if settings.http_tenancy == "multi" else configured_credentials
    server = build_server(settings, simulate=simulate, credentials=credentials, token_verifier=verifier, auth=auth)
    mcp_app = server.streamable_http_app(
        streamable_http_path=MCP_PATH,
        stateless_http=stateless,
        json_response=sdk.JsonAnswerChosenPerRequest() if stateless else False,  # type: ignore[arg-type]
        max_request_body_size=settings.http_max_body_bytes,
        transport_security=transport_security(settings, public_url),
        host=host,
    )
    limits = guard_shared_use(settings, server, mcp_app, stateless=stateless)
    if stateless:
        mcp_app.user_middleware.append(Middleware(PlainAnswers))  # innermost: the SDK reads its choice
    if shared_metrics() is None:  # with --workers (stateless) no worker holds a session, and the gauge stays 0
        OPEN_SESSIONS.set_function(lambda: sdk.open_sessions(server))  # read when /metrics is scraped
    readiness = Readiness(server)
    drain = Drain(settings.drain_seconds)
    drain.on_begin(lambda: close_listen_streams(server))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            async with server.session_manager.run(), readiness.running():
                drain.serving = True
                yield
        finally:
            drain.serving = False
            if isinstance(verifier, JWTVerifier):
                await verifier.aclose()

    routes = [Route("/healthz", healthz), Route("/readyz", drain.readyz), Route("/upstreamz", readiness.respond)]
    if settings.metrics_port is None:
        routes.append(Route("/metrics", metrics_endpoint(verifier)))
    app = Starlette(
        routes=[*routes, Mount("/", app=drain.middleware(mcp_app))],
        middleware=[Middleware(RequestContextMiddleware)],
        lifespan=lifespan,
    )
    app.state.drain = drain
    app.state.limits = limits
    return app


def metrics_endpoint(verifier: TokenVerifier | None) -> Callable[[Request], Awaitable[Response]]:
    """``/metrics`` on the MCP port, admitting the same bearer tokens as ``/mcp`` (open only
    when ``/mcp`` is: QUANT_HTTP_AUTH=none)."""

    async def metrics(request: Request) -> Response:
        if verifier is not None:
            scheme, _, token = request.headers.get("authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not token.strip() or await verifier.verify_token(token.strip()) is None:
                return JSONResponse({"error": "invalid_token"}, status_code=401, headers={"WWW-Authenticate": "Bearer"})
        body, content_type = metrics_text()
        return Response(body, headers={"Content-Type": content_type})

    return metrics


# ----------------------------------------------------------------------------- shared use: secrets and limits


def guard_shared_use(settings: Settings, server: MCPServer[Runtime], mcp_app: Starlette, *, stateless: bool) -> Limits:
    """Redact the server's token from every log line, and count each client identity's sessions,
    GET streams and large bodies (``limits.py``) inside inbound auth, where the caller is known."""
    REDACTOR.add(settings.token_value())
    install_log_redaction()
    limits = Limits(settings, session_alive=lambda session_id: sdk.session_open(server, session_id))
    # Appended last, so they run inside the SDK's authentication middleware (scope["user"] is set).
    mcp_app.user_middleware.append(Middleware(RememberPresentedTokens))
    mcp_app.user_middleware.append(Middleware(LimitsMiddleware, limits=limits, stateless=stateless))
    return limits


class RememberPresentedTokens:
    """ASGI middleware inside inbound auth: the bearer and X-Quant-Token of every admitted request
    are remembered by the redactor (as digests), so that no later log line or error text carries
    them. Refused requests are not remembered: garbage tokens cannot crowd out real ones."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not isinstance(scope.get("user"), UnauthenticatedUser):
            for key, value in scope.get("headers") or ():
                if key == b"authorization":
                    scheme, _, credential = value.decode("latin-1").partition(" ")
                    if scheme.lower() == "bearer":
                        REDACTOR.remember(credential.strip())
                elif key == b"x-quant-token":
                    REDACTOR.remember(value.decode("latin-1").strip())
        await self.app(scope, receive, send)


# ----------------------------------------------------------------------------- stateless answers

PROGRESS_TOKEN = b'"progressToken"'  # as clients write it; a key spelt with escapes gets JSON, without progress


class PlainAnswers:
    """Stateless HTTP: a POST that asks for no progress is answered with one JSON body, not an SSE
    stream (a server may answer either way; the SDK's 2026-era path chooses per request too).

    Without a session, a POST's SSE stream can carry nothing but that request's own progress
    notifications (a question back to the client would have no way to be answered), so without a
    progress token it is one event in a stream whose machinery costs ~20% of the server's CPU per
    call. The token is looked for in the body as it has arrived when the request is served; one
    still arriving (a large one) is answered with a stream, as before. A client hanging up still
    cancels its call, as it does a stream's.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        first = await receive()
        in_json = first["type"] == "http.request" and not first.get("more_body") and PROGRESS_TOKEN not in first.get("body", b"")
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return first

        with sdk.answering_in_json(in_json):
            if in_json:
                await self._cancelled_on_hang_up(scope, replay, receive, send)
            else:
                await self.app(scope, replay, send)

    async def _cancelled_on_hang_up(self, scope: Scope, replay: Receive, receive: Receive, send: Send) -> None:
        """Serve the request; cancel it if the client disconnects before its answer is sent (an SSE
        response watches for that itself, a JSON one does not)."""
        answered = False

        async def sending(message: Message) -> None:
            nonlocal answered
            answered = message["type"] == "http.response.body" and not message.get("more_body")
            await send(message)

        async with anyio.create_task_group() as serving:

            async def watch() -> None:  # the whole body is in: what comes next is the disconnect
                await receive()
                if not answered:
                    serving.cancel_scope.cancel()

            serving.start_soon(watch)
            await self.app(scope, replay, sending)
            serving.cancel_scope.cancel()


def settled_app(settings: Settings, **options: Any) -> Starlette:
    """:func:`build_http_app`, then everything start-up made (it lives as long as the process)
    frozen out of the garbage collector's scans, which the CPU of every later call pays for."""
    app = build_http_app(settings, **options)
    settle()
    return app


def worker_app(settings: Settings, make_app: Callable[[], Starlette]) -> Starlette:
    """The app of one ``--workers`` process: a fresh interpreter, so its logging (format and
    redaction) is set up here before the app is built."""
    configure_logging(settings)
    install_log_redaction()
    return make_app()


def listening_socket(host: str, port: int) -> socket.socket:
    """The service's bound, listening socket, shared by every worker.

    TCP_NODELAY on it: Linux copies it to every accepted connection, whatever the event loop,
    so no response waits ~40 ms for a delayed ACK (Nagle). The socket is also made with
    proto=IPPROTO_TCP, which is what asyncio checks before setting it on each connection
    itself; uvicorn's own socket for ``--workers`` has neither.
    """
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind(address)
        sock.listen(2048)
        sock.set_inheritable(True)
    except OSError:
        sock.close()
        raise
    return sock


def workers_problem(workers: int, *, stateless: bool, simulate: bool) -> str | None:
    """Why ``--workers`` is refused, or None. Each worker is its own process: MCP sessions and
    the built-in simulator would live in one of them while requests land on any."""
    if workers < 1:
        return "quant-mcp: --workers must be at least 1."
    if workers > 1 and not stateless:
        return "quant-mcp: --workers needs --stateless: a session held by one worker is unknown to the others."
    if workers > 1 and simulate:
        return "quant-mcp: --workers cannot be used with --simulate: each worker would have a simulator of its own."
    return None


def serve_http(settings: Settings, *, host: str, port: int, stateless: bool, simulate: bool, workers: int = 1) -> int:
    """Run the HTTP service until stopped (``workers`` processes on one socket, see
    ``workers.py``): 0 once drained, 2 (with the reason on stderr) if refused, 3 if a worker
    could not start."""
    problem = bind_problem(settings, host) or workers_problem(workers, stateless=stateless, simulate=simulate)
    if problem:
        print(problem, file=sys.stderr)
        return 2
    make_app = partial(settled_app, settings, stateless=stateless, simulate=simulate, host=host, port=port)
    try:
        app = make_app()  # also in the parent of workers: a configuration problem stops here, once
    except AuthConfigError as exc:
        print(f"quant-mcp: {exc}", file=sys.stderr)
        return 2
    if not is_loopback(host) and settings.http_auth == "none":
        log.warning(
            "\n%s\nINSECURE: listening on %s WITHOUT inbound authentication (--force-insecure).\n"
            "Anyone who can reach this port can use this server%s.\n%s",
            "!" * 72,
            host,
            " and its Quant API token" if settings.http_tenancy == "single" else "",
            "!" * 72,
        )
    if settings.http_tenancy == "single" and not settings.api_token and not simulate:
        log.warning("QUANT_API_TOKEN is not set: tool calls will fail (or use QUANT_HTTP_TENANCY=multi).")
    print(
        f"quant-mcp: MCP endpoint {endpoint_url(settings, host, port)} (auth {settings.http_auth}, "
        f"{settings.http_tenancy} tenant{', stateless' if stateless else ''}{f', {workers} workers' if workers > 1 else ''})",
        file=sys.stderr,
    )
    try:
        sock = listening_socket(host, port)
    except OSError as exc:
        print(f"quant-mcp: cannot listen on {host}:{port}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    # Logging is configured by the CLI (configure_logging), in each worker by worker_app; uvicorn
    # keeps its hands off it. After the drain, what still holds a connection gets a few seconds.
    options: dict[str, Any] = {"log_config": None, "access_log": False, "timeout_graceful_shutdown": 5}
    with sock:
        if workers == 1:
            if settings.metrics_port is not None:
                serve_metrics_port(settings.metrics_port, host)
            config = uvicorn.Config(app, **options)
            install_log_redaction()  # again, in case uvicorn.Config touched uvicorn's own handlers
            DrainingServer(config, app.state.drain).run(sockets=[sock])
            return 0
        # Each worker builds its own app; all of them drain on SIGTERM, and their metrics are
        # kept together (workers.py), so that /metrics and QUANT_METRICS_PORT report them all.
        with shared_metrics_dir() as metrics_dir:
            if settings.metrics_port is not None:
                serve_metrics_port(settings.metrics_port, host)  # by the supervisor, for every worker
            config = uvicorn.Config(partial(worker_app, settings, make_app), factory=True, workers=workers, **options)
            install_log_redaction()
            return Workers(config, [sock], drain_seconds=settings.drain_seconds, metrics_dir=metrics_dir).run()
