"""Resource subscriptions for 2025-era sessions, and which sessions hear of a change.

A 2026-07-28 client subscribes with ``subscriptions/listen``, which the SDK serves from its
subscription bus (``announce_change`` publishes there). For the handshake era (2025-03-26 to
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
from dataclasses import dataclass, field
from typing import Any
from weakref import WeakKeyDictionary

import anyio
from mcp import MCPError
from mcp.server import MCPServer
from mcp.server.connection import Connection
from mcp.server.context import ServerRequestContext
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import INVALID_PARAMS, EmptyResult, NotificationParams, SubscribeRequestParams, UnsubscribeRequestParams

from quant_mcp import sdk

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

    def connections(self) -> list[Connection]:
        """Every initialized session, whatever its tenant."""
        return [connection for connection in list(self._sessions) if connection.initialized.is_set()]

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
        organisation, digest = tenant
        await shared.announce_2025((organisation, digest.hex() if digest else None), uri)


async def deliver(server: MCPServer[Any], tenant: tuple[str | None, str | None], uri: str | None) -> None:
    """Deliver another replica's announcement (the token digest comes as hex) to this one's sessions."""
    organisation, digest = tenant
    await _deliver(registry_of(server), (organisation, bytes.fromhex(digest) if digest else None), uri)


async def tell_everyone_tools_changed(server: MCPServer[Any]) -> None:
    """``notifications/tools/list_changed`` to every 2025-era session here (the tool list is the
    server's, not a tenant's): another replica enabled a toolset."""
    registry = registry_of(server)
    with anyio.move_on_after(DELIVERY_SECONDS):
        async with anyio.create_task_group() as tg:
            for connection in registry.connections() if registry else []:
                tg.start_soon(_quietly, connection.send_tool_list_changed)


async def _quietly(send: Any) -> None:
    try:
        await send()
    except Exception as exc:
        log.debug("could not notify a session: %s", type(exc).__name__)


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
