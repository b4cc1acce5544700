"""Resource subscriptions for 2025-era sessions, and which sessions hear of a change.

A 2026-07-28 client subscribes with ``subscriptions/listen``, which the SDK serves from its
subscription bus (``announce_change`` publishes there); that bus is :class:`TenantBus`, so a
listen stream hears only its own tenant's events. For the handshake era (2025-03-26 to
2025-11-25) MCPServer 2.3 has nothing: no ``resources/subscribe`` handler, hence no
``resources.subscribe`` capability, and a notification sent through ``ctx.session`` reaches
the calling session only. This module fills that gap:

* every 2025-era session joins a registry when it completes the handshake, so that
  ``notifications/resources/list_changed`` reaches all of them, not just the caller;
* ``resources/subscribe`` / ``resources/unsubscribe`` record, per session, the URIs it wants
  ``notifications/resources/updated`` for, and nobody else gets those (the SDK declares
  ``resources.subscribe: true`` to 2025-era clients because the handler exists);
* both go only to sessions of the caller's tenant (organisation and Quant token): a
  notification carries a URI, and one tenant's session ids are not another tenant's business.
  With a single tenant every session is the same tenant.

Sessions are keyed weakly by the SDK's per-client ``Connection``: one that goes away drops out
by itself, and a notification to one that is closing is dropped by the SDK, never raised.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any
from weakref import WeakKeyDictionary

import anyio
import anyio.lowlevel
from mcp import MCPError
from mcp.server import MCPServer
from mcp.server.connection import Connection
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.subscriptions import ServerEvent
from mcp.types import INVALID_PARAMS, EmptyResult, NotificationParams, SubscribeRequestParams, UnsubscribeRequestParams

from quant_mcp import sdk
from quant_mcp.shared_state import SharedState
from quant_mcp.shared_state import Tenant as WireTenant

log = logging.getLogger("quant_mcp.subscriptions")

MAX_SUBSCRIPTIONS = 1000  # per session: subscriptions are memory the client chooses to spend
MAX_URI_LENGTH = 2048
DELIVERY_SECONDS = 2.0  # a session that does not read its stream cannot hold up the tool call that changed something

Tenant = tuple[str | None, bytes | None]
"""Who a request acts as upstream: organisation and a SHA-256 of the Quant token (the token itself is never kept)."""


def tenant_of(ctx: Context) -> Tenant | None:
    """The caller's tenant, from the same credentials its tool calls use; None when the request has none."""
    try:
        credentials = ctx.request_context.lifespan_context.credentials(ctx)
    except ToolError:  # multi-tenant, and no token in the request
        return None
    token = hashlib.sha256(credentials.token.encode()).digest() if credentials.token else None
    return credentials.organisation, token


@dataclass(eq=False)
class _Session:
    tenant: Tenant | None
    uris: set[str] = field(default_factory=set)


class SessionRegistry:
    """The 2025-era sessions of one server, each with its tenant and the URIs it subscribed to.

    A session's tenant is that of its latest handshake or (un)subscribe request: a session only
    ever hears about a tenant whose credentials it has presented itself.
    """

    def __init__(self) -> None:
        self._sessions: WeakKeyDictionary[Connection, _Session] = WeakKeyDictionary()

    def join(self, connection: Connection, tenant: Tenant | None) -> _Session:
        session = self._sessions.setdefault(connection, _Session(tenant))
        session.tenant = tenant
        return session

    def subscribe(self, connection: Connection, tenant: Tenant | None, uri: str) -> None:
        session = self.join(connection, tenant)
        if uri in session.uris:
            return
        if len(uri) > MAX_URI_LENGTH:
            raise MCPError(INVALID_PARAMS, f"Resource URIs are at most {MAX_URI_LENGTH} characters.")
        if len(session.uris) >= MAX_SUBSCRIPTIONS:
            raise MCPError(INVALID_PARAMS, f"A session can subscribe to at most {MAX_SUBSCRIPTIONS} resources.")
        session.uris.add(uri)

    def unsubscribe(self, connection: Connection, tenant: Tenant | None, uri: str) -> None:
        self.join(connection, tenant).uris.discard(uri)

    def audience(self, tenant: Tenant | None) -> list[tuple[Connection, set[str]]]:
        """The initialized sessions of ``tenant``, with their subscribed URIs (none for an unknown tenant)."""
        if tenant is None:
            return []
        return [
            (connection, session.uris)
            for connection, session in list(self._sessions.items())
            if session.tenant == tenant and connection.initialized.is_set()
        ]

    def __len__(self) -> int:
        return len(self._sessions)


_registries: WeakKeyDictionary[MCPServer[Any], SessionRegistry] = WeakKeyDictionary()


def registry_of(server: MCPServer[Any]) -> SessionRegistry | None:
    """The server's registry; None when ``register_subscriptions`` was not called for it."""
    return _registries.get(server)


def register_subscriptions(server: MCPServer[Any]) -> None:
    """Serve ``resources/subscribe`` and ``resources/unsubscribe``, and note each session that completes the handshake."""
    registry = _registries[server] = SessionRegistry()

    async def initialized(ctx: ServerRequestContext[Any, Any], params: NotificationParams) -> None:
        registry.join(sdk.connection_of(ctx), tenant_of(Context(request_context=ctx, mcp_server=server)))

    async def subscribe(ctx: ServerRequestContext[Any, Any], params: SubscribeRequestParams) -> EmptyResult:
        registry.subscribe(sdk.connection_of(ctx), tenant_of(Context(request_context=ctx, mcp_server=server)), params.uri)
        return EmptyResult()

    async def unsubscribe(ctx: ServerRequestContext[Any, Any], params: UnsubscribeRequestParams) -> EmptyResult:
        registry.unsubscribe(sdk.connection_of(ctx), tenant_of(Context(request_context=ctx, mcp_server=server)), params.uri)
        return EmptyResult()

    # The 2026-07-28 wire never dispatches resources/subscribe, so these serve the 2025 era only.
    lowlevel = sdk.lowlevel_server(server)
    lowlevel.add_notification_handler("notifications/initialized", NotificationParams, initialized)
    lowlevel.add_request_handler("resources/subscribe", SubscribeRequestParams, subscribe)
    lowlevel.add_request_handler("resources/unsubscribe", UnsubscribeRequestParams, unsubscribe)


async def announce(ctx: Context, uri: str | None) -> None:
    """Tell the caller's tenant's 2025-era sessions that resource lists changed, and those
    subscribed to ``uri`` that it was updated, on this replica and (through the runtime's
    shared state) on the others. Best effort: a session that cannot take it is skipped."""
    tenant = tenant_of(ctx)
    await _deliver(registry_of(ctx.mcp_server), tenant, uri)
    shared = getattr(ctx.request_context.lifespan_context, "shared", None)
    if shared is not None and tenant is not None:
        await shared.announce_2025(_on_the_wire(tenant), uri)


async def deliver(server: MCPServer[Any], tenant: WireTenant, uri: str | None) -> None:
    """Deliver another replica's announcement to this one's sessions."""
    await _deliver(registry_of(server), _off_the_wire(tenant), uri)


def _on_the_wire(tenant: Tenant) -> WireTenant:
    """A tenant as replicas exchange it: the token digest as hex (never the token)."""
    organisation, digest = tenant
    return organisation, digest.hex() if digest else None


def _off_the_wire(tenant: WireTenant) -> Tenant:
    organisation, digest = tenant
    return organisation, bytes.fromhex(digest) if digest else None


async def _deliver(registry: SessionRegistry | None, tenant: Tenant | None, uri: str | None) -> None:
    audience = registry.audience(tenant) if registry else []

    async def deliver(connection: Connection, updated: str | None) -> None:
        try:
            await connection.send_resource_list_changed()
            if updated:
                await connection.send_resource_updated(updated)
        except Exception as exc:
            log.debug("could not notify a session of %s: %s", uri, type(exc).__name__)

    with anyio.move_on_after(DELIVERY_SECONDS):
        async with anyio.create_task_group() as tg:
            for connection, uris in audience:
                tg.start_soon(deliver, connection, uri if uri in uris else None)


# ----------------------------------------------------------------------------- 2026-era listen streams

_REQUEST_TENANT: ContextVar[Tenant | None] = ContextVar("quant_mcp_request_tenant", default=None)


class TenantBus:
    """The SDK's subscription bus (``subscriptions/listen``, 2026-07-28), scoped to tenants.

    A listen stream subscribes, and a tool call publishes, inside the MCP request that does so;
    :meth:`per_request` (server middleware) records that request's tenant, so each listener is
    known by the tenant that opened it and each event by the tenant that caused it, and an
    event reaches only listeners of its own tenant. A request without a tenant (multi-tenant,
    no token) neither hears nor is heard.
    """

    def __init__(self) -> None:
        self._listeners: dict[object, tuple[Tenant, Callable[[ServerEvent], None]]] = {}
        # Set by share_between_replicas: hands each event to the other replicas too.
        self.relay: Callable[[Tenant, ServerEvent], Awaitable[None]] | None = None

    async def per_request(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        reset = _REQUEST_TENANT.set(tenant_of(Context(request_context=ctx)))
        try:
            return await call_next(ctx)
        finally:
            _REQUEST_TENANT.reset(reset)

    async def publish(self, event: ServerEvent) -> None:
        tenant = _REQUEST_TENANT.get()
        await self.deliver(tenant, event)
        if tenant is not None and self.relay is not None:
            await self.relay(tenant, event)

    async def deliver(self, tenant: Tenant | None, event: ServerEvent) -> None:
        """``event`` to this replica's listen streams of ``tenant``."""
        if tenant is not None:
            for listener_tenant, listener in list(self._listeners.values()):
                if listener_tenant == tenant:
                    try:
                        listener(event)
                    except Exception:  # one bad listener must not starve the others
                        log.exception("a listen stream's listener raised; continuing")
        await anyio.lowlevel.checkpoint()  # let listen streams drain between a burst of events

    def subscribe(self, listener: Callable[[ServerEvent], None]) -> Callable[[], None]:
        token = object()
        tenant = _REQUEST_TENANT.get()
        if tenant is not None:
            self._listeners[token] = (tenant, listener)

        def unsubscribe() -> None:
            self._listeners.pop(token, None)

        return unsubscribe


def share_between_replicas(bus: TenantBus, shared: SharedState) -> None:
    """Listen-stream events cross replicas through ``shared`` (Redis), still by tenant; the token
    digest travels as hex, never the token. Without Redis this changes nothing."""

    async def relay(tenant: Tenant, event: ServerEvent) -> None:
        await shared.publish_event(_on_the_wire(tenant), event)

    async def arrived(tenant: WireTenant, event: ServerEvent) -> None:
        await bus.deliver(_off_the_wire(tenant), event)

    if shared.enabled:
        bus.relay = relay
        shared.on_event(arrived)
