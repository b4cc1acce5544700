"""Resources: read-only views over catalog operations, plus change notifications.

Each resource is one row of ``VIEWS``, read through the same operation, pipeline and
credentials as the matching tool:

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

import inspect
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date
from typing import Any

from mcp.server import MCPServer
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError, ToolError
from mcp.types import Completion, CompletionArgument, CompletionContext, PromptReference, ResourceTemplateReference
from pydantic import ValidationError

from quant_mcp import catalog, pipeline, subscriptions
from quant_mcp.catalog.base import ToolArguments
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
from quant_mcp.pipeline import Call, CallFailed, Next, Outcome

log = logging.getLogger("quant_mcp.resources")

MIME_JSON = "application/json"


@dataclass(frozen=True)
class View:
    """A resource: a URI (template) read through one read-only catalog operation, as JSON."""

    uri: str
    name: str
    title: str
    operation: str
    description: str

    @property
    def variables(self) -> list[str]:
        """The URI template's variables: wire names of the operation's arguments."""
        return [part[1:-1] for part in self.uri.split("/") if part.startswith("{")]


VIEWS = (
    View(SESSIONS_URI, "sessions", "Chat sessions", "list_sessions",
         "The organisation's active chat sessions (id, title, model, timestamps), as JSON."),
    View(SESSION_URI, "session", "Chat session", "get_session", "One chat session with its whole conversation, as JSON."),
    View(MODELS_URI, "models", "Models", "list_models",
         "The foundation models the organisation can use, with their capabilities, as JSON."),
    View(MODEL_URI, "model", "Model", "get_model", "One model's limits, capabilities and prices, as JSON."),
    View(USAGE_URI, "usage", "AI usage for a month", "get_usage_stats",
         "The organisation's AI requests and tokens in one month (YYYY-MM), in all and per model, as JSON."),
    View(AGENTS_URI, "agents", "Agents", "list_agents", "The organisation's agents and the global agents it can use, as JSON."),
    View(AGENT_URI, "agent", "Agent", "get_agent",
         "One agent's full definition (prompt, model, tools, collections, skills), as JSON."),
    View(COLLECTIONS_URI, "vector-collections", "Vector collections", "list_vector_collections",
         "The organisation's vector collections with their embedding models and document counts, as JSON."),
    View(COLLECTION_URI, "vector-collection", "Vector collection", "get_vector_collection",
         "One vector collection's settings and document count, as JSON."),
)  # fmt: skip

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


async def read_operation(
    name: str, arguments: Mapping[str, Any], ctx: Context, origin: pipeline.Origin = "resource"
) -> dict[str, Any]:
    """Run a read-only catalog operation for a resource, prompt or completion; failures become ResourceErrors."""
    try:
        outcome = await pipeline.run(catalog.OPERATIONS_BY_NAME[name], arguments, ctx, origin)
    except ValidationError as exc:
        raise ResourceNotFoundError(f"Invalid {name} arguments: {exc.errors()[0]['msg']}") from None
    except CallFailed as exc:
        if exc.upstream.status == 404:
            raise ResourceNotFoundError(str(exc)) from None
        raise ResourceError(str(exc)) from None
    except ToolError as exc:
        raise ResourceError(str(exc)) from None
    return outcome.structured


def _reader(server: MCPServer, view: View) -> Callable[..., Awaitable[str]]:
    """The handler the SDK calls for ``view``. A template's handler must have a parameter named
    like each URI variable; a static resource's handler takes none (and no Context)."""
    if not view.variables:

        async def read_static() -> str:
            return json.dumps(await read_operation(view.operation, {}, current_context(server)), indent=2)

        return read_static

    async def read(ctx: Context, **values: str) -> str:
        return json.dumps(await read_operation(view.operation, values, ctx), indent=2)

    parameters = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=str) for name in view.variables]
    parameters.append(inspect.Parameter("ctx", inspect.Parameter.KEYWORD_ONLY, annotation=Context))
    read.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    read.__annotations__ = {**dict.fromkeys(view.variables, str), "ctx": Context, "return": str}
    return read


def register_resources(server: MCPServer) -> None:
    """Every view above, the one completion handler for all of them, and resource
    subscriptions for 2025-era sessions."""
    subscriptions.register_subscriptions(server)
    for view in VIEWS:
        server.resource(view.uri, name=view.name, title=view.title, mime_type=MIME_JSON, description=view.description)(
            _reader(server, view)
        )

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
            result = await read_operation(operation, arguments or {}, ctx, "completion")
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


async def change_notices(call: Call[Any], call_next: Next) -> Outcome:
    """Call middleware: after a tool call that changes a resource, tell the clients that watch it."""
    outcome = await call_next(call)
    if call.operation.changes and call.origin == "tool":
        await announce_change(call.ctx, call.operation.changes, outcome.structured, call.arguments)
    return outcome


async def announce_change(ctx: Context, template: str, result: Mapping[str, Any], arguments: ToolArguments) -> None:
    """Tell clients that a tool changed a resource: list changed, and the item updated.

    2026-07-28 clients hear it through the SDK's subscription bus (each ``subscriptions/listen``
    stream filters what it asked for); 2025 sessions through ``subscriptions.announce``: the
    caller's tenant's sessions, ``updated`` only where subscribed. Best effort either way.
    """
    key = template[template.index("{") + 1 : template.index("}")]
    item_id = result.get(key) or result.get("id") or getattr(arguments, _field_for(arguments, key), None)
    uri = template.replace("{" + key + "}", str(item_id)) if item_id else None
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
