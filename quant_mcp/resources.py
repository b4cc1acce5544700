"""Resources: read-only views over catalog operations, plus change notifications.

Each resource is read through the same operation (and credentials) as the matching tool:

* ``quant://sessions`` / ``quant://sessions/{sessionId}``: list_sessions / get_session
* ``quant://models`` / ``quant://models/{modelId}``: list_models / get_model
* ``quant://usage/{month}``: get_usage_stats for a YYYY-MM month
* ``quant://agents`` / ``quant://agents/{agentId}``: list_agents / get_agent
* ``quant://vector-collections`` / ``quant://vector-collections/{collectionId}``:
  list_vector_collections / get_vector_collection

Template variables complete from the live lists (and ``month`` from the calendar). When a
tool changes a session, agent or collection, the server announces it to clients of both
protocol eras (2025-era sessions subscribe through ``subscriptions.py``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from contextvars import ContextVar
from datetime import date
from typing import Any

from mcp.server import MCPServer
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError, ToolError
from mcp.types import Completion, CompletionArgument, CompletionContext, PromptReference, ResourceTemplateReference
from pydantic import ValidationError

from quant_mcp import catalog, subscriptions
from quant_mcp.catalog.base import Operation, ToolArguments
from quant_mcp.catalog.uris import (
    AGENT_URI,
    AGENTS_URI,
    COLLECTION_URI,
    COLLECTIONS_URI,
    MODEL_URI,
    MODELS_URI,
    SESSION_URI,
    SESSIONS_URI,
    USAGE_URI,
)
from quant_mcp.client import QuantAPIError
from quant_mcp.tools import call_operation

log = logging.getLogger("quant_mcp.resources")

MIME_JSON = "application/json"

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
    op = catalog.OPERATIONS_BY_NAME[name]
    try:
        return await call_operation(op, arguments, ctx)
    except ValidationError as exc:
        raise ResourceNotFoundError(f"Invalid {name} arguments: {exc.errors()[0]['msg']}") from None
    except QuantAPIError as exc:
        if exc.status == 404:
            raise ResourceNotFoundError(str(exc)) from None
        raise ResourceError(str(exc)) from None
    except ToolError as exc:
        raise ResourceError(str(exc)) from None


async def _json(name: str, arguments: Mapping[str, Any], ctx: Context) -> str:
    return json.dumps(await read_operation(name, arguments, ctx), indent=2)


def register_resources(server: MCPServer) -> None:
    """Every resource and template above, the one completion handler for all of them, and
    resource subscriptions for 2025-era sessions."""
    subscriptions.register_subscriptions(server)

    @server.resource(
        SESSIONS_URI,
        name="sessions",
        title="Chat sessions",
        mime_type=MIME_JSON,
        description="The organisation's active chat sessions (id, title, model, timestamps), as JSON.",
    )
    async def sessions() -> str:
        return await _json("list_sessions", {}, current_context(server))

    @server.resource(
        SESSION_URI,
        name="session",
        title="Chat session",
        mime_type=MIME_JSON,
        description="One chat session with its whole conversation, as JSON.",
    )
    async def session(sessionId: str, ctx: Context) -> str:
        return await _json("get_session", {"sessionId": sessionId}, ctx)

    @server.resource(
        MODELS_URI,
        name="models",
        title="Models",
        mime_type=MIME_JSON,
        description="The foundation models the organisation can use, with their capabilities, as JSON.",
    )
    async def models() -> str:
        return await _json("list_models", {}, current_context(server))

    @server.resource(
        MODEL_URI,
        name="model",
        title="Model",
        mime_type=MIME_JSON,
        description="One model's limits, capabilities and prices, as JSON.",
    )
    async def model(modelId: str, ctx: Context) -> str:
        return await _json("get_model", {"modelId": modelId}, ctx)

    @server.resource(
        USAGE_URI,
        name="usage",
        title="AI usage for a month",
        mime_type=MIME_JSON,
        description="The organisation's AI requests and tokens in one month (YYYY-MM), in all and per model, as JSON.",
    )
    async def usage(month: str, ctx: Context) -> str:
        return await _json("get_usage_stats", {"month": month}, ctx)

    @server.resource(
        AGENTS_URI,
        name="agents",
        title="Agents",
        mime_type=MIME_JSON,
        description="The organisation's agents and the global agents it can use, as JSON.",
    )
    async def agents() -> str:
        return await _json("list_agents", {}, current_context(server))

    @server.resource(
        AGENT_URI,
        name="agent",
        title="Agent",
        mime_type=MIME_JSON,
        description="One agent's full definition (prompt, model, tools, collections, skills), as JSON.",
    )
    async def agent(agentId: str, ctx: Context) -> str:
        return await _json("get_agent", {"agentId": agentId}, ctx)

    @server.resource(
        COLLECTIONS_URI,
        name="vector-collections",
        title="Vector collections",
        mime_type=MIME_JSON,
        description="The organisation's vector collections with their embedding models and document counts, as JSON.",
    )
    async def collections() -> str:
        return await _json("list_vector_collections", {}, current_context(server))

    @server.resource(
        COLLECTION_URI,
        name="vector-collection",
        title="Vector collection",
        mime_type=MIME_JSON,
        description="One vector collection's settings and document count, as JSON.",
    )
    async def collection(collectionId: str, ctx: Context) -> str:
        return await _json("get_vector_collection", {"collectionId": collectionId}, ctx)

    @server.completion()
    async def complete(
        ref: PromptReference | ResourceTemplateReference,
        argument: CompletionArgument,
        context: CompletionContext | None,
    ) -> Completion | None:
        completer = COMPLETERS.get(argument.name)
        if completer is None:
            return None
        values = await completer(current_context(server))
        matches = [value for value in values if value.startswith(argument.value)]
        return Completion(values=matches[:100], total=len(matches), has_more=len(matches) > 100)


Completer = Callable[[Context], Awaitable[list[str]]]


def _ids_from(operation: str, items: str, key: str, arguments: Mapping[str, Any] | None = None) -> Completer:
    """A completer offering the ``key`` of every item a list operation returns (none when it fails)."""

    async def complete(ctx: Context) -> list[str]:
        try:
            result = await read_operation(operation, arguments or {}, ctx)
        except ResourceError:
            return []
        return [str(item[key]) for item in result.get(items) or [] if item.get(key)]

    return complete


async def _recent_months(ctx: Context) -> list[str]:
    """This month and the eleven before it, newest first: the months usage is worth asking about."""
    year, month = date.today().year, date.today().month
    months = []
    for _ in range(12):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months


# Keyed by argument name, so resource templates and prompts that use a name share its completer.
COMPLETERS: dict[str, Completer] = {
    "sessionId": _ids_from("list_sessions", "sessions", "id", {"limit": 100}),
    "modelId": _ids_from("list_models", "models", "id"),
    "agentId": _ids_from("list_agents", "agents", "agentId"),
    "collectionId": _ids_from("list_vector_collections", "collections", "collectionId"),
    "month": _recent_months,
}


async def announce_change(ctx: Context, op: Operation, result: Mapping[str, Any], arguments: ToolArguments) -> None:
    """Tell clients that a tool changed a resource: list changed, and the item updated.

    2026-07-28 clients hear it through the SDK's subscription bus (each ``subscriptions/listen``
    stream filters what it asked for); 2025 sessions through ``subscriptions.announce``: the
    caller's tenant's sessions, ``updated`` only where subscribed. Best effort either way.
    """
    assert op.changes is not None
    key = op.changes[op.changes.index("{") + 1 : op.changes.index("}")]
    item_id = result.get(key) or result.get("id") or getattr(arguments, _field_for(arguments, key), None)
    uri = op.changes.replace("{" + key + "}", str(item_id)) if item_id else None
    try:
        await ctx.notify_resources_changed()
        if uri:
            await ctx.notify_resource_updated(uri)
    except Exception as exc:
        log.debug("could not announce change of %s: %s", uri, type(exc).__name__)
    await subscriptions.announce(ctx, uri)


def _field_for(arguments: ToolArguments, wire: str) -> str:
    for name, info in type(arguments).model_fields.items():
        if (info.alias or name) == wire:
            return name
    return wire
