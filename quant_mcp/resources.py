"""Resources: read-only views over catalog operations, plus change notifications.

``quant://sessions`` is the session list and ``quant://sessions/{sessionId}`` one session with
its whole conversation, both read through the same operations (and credentials) as the
``list_sessions`` / ``get_session`` tools. When a tool changes a session the server announces
it to clients of both protocol eras.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from contextvars import ContextVar
from typing import Any

from mcp.server import MCPServer
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError, ToolError
from mcp.types import Completion, CompletionArgument, CompletionContext, PromptReference, ResourceTemplateReference
from pydantic import ValidationError

from quant_mcp.catalog import OPERATIONS_BY_NAME
from quant_mcp.catalog.base import Operation, ToolArguments
from quant_mcp.client import QuantAPIError
from quant_mcp.tools import check_result, resolve, send

log = logging.getLogger("quant_mcp.resources")

SESSIONS_URI = "quant://sessions"
SESSION_TEMPLATE = "quant://sessions/{sessionId}"

_current_request: ContextVar[ServerRequestContext[Any, Any] | None] = ContextVar("quant_request", default=None)


async def remember_request(ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
    """Server middleware: make the current request reachable from handlers the SDK calls without
    a Context (static resources, completions), so they use the caller's own credentials."""
    token = _current_request.set(ctx)
    try:
        return await call_next(ctx)
    finally:
        _current_request.reset(token)


def current_context(server: MCPServer) -> Context:
    request = _current_request.get()
    if request is None:  # pragma: no cover - the middleware always runs first
        raise ResourceError("No request in progress")
    return Context(request_context=request, mcp_server=server)


async def read_operation(name: str, arguments: Mapping[str, Any], ctx: Context) -> dict[str, Any]:
    """Run a read-only catalog operation for a resource or completion; failures become ResourceErrors."""
    op = OPERATIONS_BY_NAME[name]
    try:
        args = op.arguments.model_validate(arguments)
        return check_result(op, await send(resolve(op, args, ctx)))
    except ValidationError as exc:
        raise ResourceNotFoundError(f"Invalid {name} arguments: {exc.errors()[0]['msg']}") from None
    except QuantAPIError as exc:
        if exc.status == 404:
            raise ResourceNotFoundError(str(exc)) from None
        raise ResourceError(str(exc)) from None
    except ToolError as exc:
        raise ResourceError(str(exc)) from None


def register_session_resources(server: MCPServer) -> None:
    @server.resource(
        SESSIONS_URI,
        name="sessions",
        title="Chat sessions",
        description="The organisation's active chat sessions (id, title, model, timestamps), as JSON.",
        mime_type="application/json",
    )
    async def sessions() -> str:
        result = await read_operation("list_sessions", {}, current_context(server))
        return json.dumps(result, indent=2)

    @server.resource(
        SESSION_TEMPLATE,
        name="session",
        title="Chat session",
        description="One chat session with its whole conversation, as JSON.",
        mime_type="application/json",
    )
    async def session(sessionId: str, ctx: Context) -> str:  # noqa: N803 - the URI variable's name
        result = await read_operation("get_session", {"sessionId": sessionId}, ctx)
        return json.dumps(result, indent=2)

    @server.completion()
    async def complete(
        ref: PromptReference | ResourceTemplateReference,
        argument: CompletionArgument,
        context: CompletionContext | None,
    ) -> Completion | None:
        completer = COMPLETERS.get(argument.name)
        if completer is None:
            return None
        values = await completer(current_context(server), argument.value)
        matches = [value for value in values if value.startswith(argument.value)]
        return Completion(values=matches[:100], total=len(matches), has_more=len(matches) > 100)


async def _session_ids(ctx: Context, prefix: str) -> list[str]:
    try:
        result = await read_operation("list_sessions", {"limit": 100}, ctx)
    except ResourceError:
        return []
    return [s["id"] for s in result["sessions"] if s.get("id")]


COMPLETERS: dict[str, Callable[[Context, str], Awaitable[list[str]]]] = {"sessionId": _session_ids}


async def announce_change(ctx: Context, op: Operation, result: Mapping[str, Any], arguments: ToolArguments) -> None:
    """Tell subscribed clients that a tool changed a resource: list changed, and the item updated.

    Both eras are notified: 2026-07-28 clients through the subscription bus, 2025 sessions
    through the session's own notifications. A client that cannot take them is not an error.
    """
    assert op.changes is not None
    key = op.changes[op.changes.index("{") + 1 : op.changes.index("}")]
    item_id = result.get(key) or result.get("id") or getattr(arguments, _field_for(arguments, key), None)
    uri = op.changes.replace("{" + key + "}", str(item_id)) if item_id else None
    try:
        await ctx.notify_resources_changed()
        if uri:
            await ctx.notify_resource_updated(uri)
        await ctx.session.send_resource_list_changed()
        if uri:
            await ctx.session.send_resource_updated(uri)
    except Exception as exc:  # noqa: BLE001 - notifications are best effort by design
        log.debug("could not announce change of %s: %s", uri, type(exc).__name__)


def _field_for(arguments: ToolArguments, wire: str) -> str:
    for name, info in type(arguments).model_fields.items():
        if (info.alias or name) == wire:
            return name
    return wire
