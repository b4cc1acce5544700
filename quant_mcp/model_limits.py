"""Call middleware: a chat's ``maxTokens`` kept within the model's ``maxOutputTokens``.

The live service refuses a ``maxTokens`` above the model's output limit; Quant's Drupal provider
clamps it to the ``maxOutputTokens`` the model list gives. So does this middleware, for the chat
operations: it reads the organisation's model list (cached for a few minutes per organisation),
sends the limit in place of a larger request, and says so in the result as
``maxTokensClamped: {requested, sent}``. When the list gives no limit, or cannot be read, the
request goes out as the agent wrote it.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from mcp.server.mcpserver.exceptions import ToolError

if TYPE_CHECKING:
    from quant_mcp.pipeline import Call, Next, Outcome

CHAT_OPERATIONS = frozenset({"chat", "chat_stream", "start_chat_execution"})
TTL_SECONDS = 300.0
_cache: dict[tuple[int, str], tuple[float, dict[str, int]]] = {}


async def clamp_max_tokens(call: Call[Any], call_next: Next) -> Outcome:
    requested = getattr(call.arguments, "max_tokens", None)
    body = call.request.body if call.request is not None else None
    if call.operation.name not in CHAT_OPERATIONS or requested is None or not isinstance(body, dict):
        return await call_next(call)
    limit = (await _limits(call)).get(call.arguments.model_id)
    if limit is None or requested <= limit:
        return await call_next(call)
    assert call.request is not None
    clamped = replace(
        call,
        arguments=call.arguments.model_copy(update={"max_tokens": limit}),
        request=replace(call.request, body={**body, "maxTokens": limit}),
    )
    outcome = await call_next(clamped)
    return replace(outcome, structured={**outcome.structured, "maxTokensClamped": {"requested": requested, "sent": limit}})


async def _limits(call: Call[Any]) -> dict[str, int]:
    """Model id -> maxOutputTokens for the caller's organisation, from a model list at most
    TTL_SECONDS old; empty when the list cannot be read."""
    key, now = (id(call.runtime.client), call.organisation), time.monotonic()
    cached = _cache.get(key)
    if cached is not None and cached[0] > now:
        return cached[1]
    try:
        listing = await call.run("list_models", {})
    except ToolError:
        return {}
    limits = {
        str(model["id"]): model["maxOutputTokens"]
        for model in listing.get("models") or []
        if isinstance(model, dict) and isinstance(model.get("maxOutputTokens"), int) and model["maxOutputTokens"] > 0
    }
    for stale in [k for k, (expires, _) in _cache.items() if expires <= now]:
        del _cache[stale]
    _cache[key] = (now + TTL_SECONDS, limits)
    return limits
