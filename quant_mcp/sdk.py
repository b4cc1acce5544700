"""Every use of the MCP SDK's private internals, in one place.

The SDK (``mcp`` 2.3) has no public way to do these few things; each function says why it is
needed, and ``tests/core/test_sdk_adapter.py`` checks each against the installed SDK, so an
upgrade that moves one fails there with a message naming it rather than somewhere deep in a
call. ``pyproject.toml`` pins ``mcp`` to the minor version these were checked on.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from mcp.server import MCPServer, NotificationOptions
from mcp.server.connection import Connection
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel import Server
from mcp.server.mcpserver.tools.base import Tool
from mcp.server.subscriptions import ListenHandler
from mcp.shared.direct_dispatcher import DIRECT_TRANSPORT_KIND


def lowlevel_server(server: MCPServer[Any]) -> Server[Any]:
    """The low-level server under an MCPServer, whose ``add_request_handler`` and
    ``add_notification_handler`` (public there) serve what MCPServer does not: 2025-era
    ``resources/subscribe`` and ``notifications/initialized``."""
    return server._lowlevel_server


def connection_of(ctx: ServerRequestContext[Any, Any]) -> Connection:
    """The per-client Connection behind a request: stable for the session's life, with the
    standalone channel that notifications to that client use. Handlers get only a per-request
    ServerSession, with no public accessor for it."""
    return ctx.session._connection


def asks_for_progress(ctx: ServerRequestContext[Any, Any]) -> bool:
    """Whether progress notifications for this request reach anyone. On the wire (stdio, HTTP)
    that is a ``progressToken`` in the request's ``_meta``. The SDK's in-process dispatcher (an
    in-memory client) hands progress to a callback the request does not show: there, always.
    The per-request channel that tells the two apart is private to the request's session."""
    if ctx.session._request_outbound.transport.kind == DIRECT_TRANSPORT_KIND:
        return True
    return ctx.meta is not None and ctx.meta.get("progress_token") is not None


def add_tool(server: MCPServer[Any], tool: Tool) -> None:
    """Register a prebuilt Tool on a running server. ``MCPServer.add_tool`` builds tools from
    functions only; catalog tools carry their own schemas (the constructor's ``tools=[...]``
    fills this same registry). A name already present is left as it is."""
    server._tool_manager._tools.setdefault(tool.name, tool)


def lifespan_state(server: MCPServer[Any]) -> Any:
    """What the server's lifespan yielded while the Streamable HTTP session manager runs, else
    None (it is cleared at shutdown): /readyz uses it to tell "running" from "starting or stopping"."""
    return server.session_manager._lifespan_state


def advertise_list_changes(server: MCPServer[Any]) -> None:
    """Tell 2025-era clients that tool, resource and prompt lists can change.

    MCPServer 2.3 advertises ``listChanged: false`` to them even though it sends the
    notifications; this wraps the low-level server's ``create_initialization_options`` (the SDK
    notes' documented workaround) so that the default options say true.
    """
    lowlevel = lowlevel_server(server)
    original = lowlevel.create_initialization_options

    def with_list_changes(notification_options=None, *args, **kwargs):  # type: ignore[no-untyped-def]
        options = notification_options or NotificationOptions(tools_changed=True, resources_changed=True, prompts_changed=True)
        return original(options, *args, **kwargs)

    lowlevel.create_initialization_options = with_list_changes  # type: ignore[method-assign]


def listen_handler(server: MCPServer[Any]) -> ListenHandler | None:
    """The ListenHandler serving 2026 ``subscriptions/listen`` (None if the server has none).
    MCPServer builds it and keeps it only in the low-level handler table; the drain on SIGTERM
    calls its public ``close()`` to end listen streams gracefully."""
    entry = lowlevel_server(server)._request_handlers.get("subscriptions/listen")
    handler = getattr(entry, "handler", None)
    return handler if isinstance(handler, ListenHandler) else None


def open_sessions(server: MCPServer[Any]) -> int:
    """How many 2025-era Streamable HTTP sessions the session manager holds (the open-sessions
    gauge); 0 before ``streamable_http_app()`` or in stateless mode."""
    try:
        manager = server.session_manager
    except RuntimeError:  # no HTTP app (stdio)
        return 0
    return len(manager._server_instances)


def session_open(server: MCPServer[Any], session_id: str) -> bool:
    """Whether the Streamable HTTP session manager still serves this 2025-era session (a DELETE,
    the idle timeout or a crash ends one): the per-identity session limit counts only open ones,
    and the SDK has no accessor for its sessions."""
    return session_id in server.session_manager._server_instances


_ANSWER_IN_JSON: ContextVar[bool] = ContextVar("quant_mcp_answer_in_json", default=False)


class JsonAnswerChosenPerRequest:
    """The ``json_response`` flag of a stateless Streamable HTTP app, chosen for each request.

    The SDK takes one flag for the whole app (SSE streams or JSON bodies) and reads it as a truth
    value while it serves a request, in that request's task or one it starts (the transport it
    builds for each stateless request, the 2026-era path). So this object, passed as the flag, is
    true exactly while a request chosen by :func:`answering_in_json` is served.
    """

    def __bool__(self) -> bool:
        return _ANSWER_IN_JSON.get()


@contextmanager
def answering_in_json(choice: bool) -> Iterator[None]:
    """Serve the current request with a JSON body (True) or an SSE stream (False)."""
    reset = _ANSWER_IN_JSON.set(choice)
    try:
        yield
    finally:
        _ANSWER_IN_JSON.reset(reset)
