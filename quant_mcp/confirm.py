"""Ask the user before a destructive tool runs (QUANT_CONFIRM_DESTRUCTIVE).

A call middleware. When an agent calls a tool the catalog marks ``destructive`` and the client
can ask its user (form elicitation), the server fetches what will be lost, names it (a
session's title and message count, a collection's name and document count; the kind and id
where there is nothing to read) and asks. Accept sends the request; decline or cancel sends
nothing and the result says so, as an answer rather than an error to retry.

* 2025-era clients are asked mid-call (``ctx.elicit``).
* 2026-era clients get an ``InputRequiredResult`` and call again with the answer. The question
  travels in ``request_state``, which the SDK seals with the ``RequestStateSecurity`` keys of
  QUANT_REQUEST_STATE_KEYS and binds to the tool and its arguments, so any replica holding the
  keys can take the answer, and an id swapped between question and answer is refused there.
  The state also holds a digest of the exact request that was described, checked again before
  sending: a different target (another organisation, say) is refused here.

``auto`` asks when the client can and otherwise goes ahead (the host's own approval applies);
``always`` refuses clients that cannot ask; ``never`` never asks. A flow's own steps and reads
are not asked about: only what an agent calls (``call.origin == "tool"``).
"""

from __future__ import annotations

import hashlib
import json
import logging
from functools import cache
from typing import Any

from mcp.server.elicitation import AcceptedElicitation, render_elicitation_schema
from mcp.server.mcpserver import Context, RequestStateSecurity
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import (
    CallToolResult,
    ElicitRequest,
    ElicitRequestFormParams,
    ElicitResult,
    InputRequiredResult,
    TextContent,
)
from mcp_types.version import is_version_at_least
from pydantic import BaseModel, Field, ValidationError

from quant_mcp import catalog
from quant_mcp.catalog.base import Operation
from quant_mcp.config import Settings
from quant_mcp.pipeline import Call, Next, Outcome, shown

log = logging.getLogger("quant_mcp.confirm")

ASKS = "Asks the user to confirm first, if the client can."
QUESTION = "confirm"  # the key of our one question in input_requests / input_responses
_STATE_VERSION = 1
_INPUT_REQUIRED = "2026-07-28"  # the first protocol version that asks through InputRequiredResult
_NAME_KEYS = ("title", "name", "displayName", "filename", "namespace")


class Confirmation(BaseModel):
    """The form the user answers."""

    confirm: bool = Field(title="Yes, go ahead", description="Tick to carry it out; it cannot be undone.")


class Answered(Exception):
    """The call ends here with this result: a question for a 2026-era client, or "not done"."""

    def __init__(self, result: CallToolResult | InputRequiredResult) -> None:
        super().__init__("answered before sending")
        self.result = result


def request_state_security(settings: Settings) -> RequestStateSecurity | None:
    """The keys that seal 2026-era questions, from QUANT_REQUEST_STATE_KEYS; None: the SDK's
    per-process key (an answer must then come back to the same process)."""
    if settings.request_state_keys is None:
        return None
    keys = [key.strip() for key in settings.request_state_keys.get_secret_value().split(",") if key.strip()]
    if any(len(key.encode()) < 32 for key in keys) or not keys:
        raise ValueError(
            'QUANT_REQUEST_STATE_KEYS: each key must be at least 32 characters of secret randomness (python -c "import secrets; print(secrets.token_hex(32))").'
        )
    return RequestStateSecurity(keys=keys)


# ----------------------------------------------------------------------------- the middleware


async def ask_before_destroying(call: Call[Any], call_next: Next) -> Outcome:
    """Call middleware: the user confirms a destructive tool call before anything is sent."""
    op, mode = call.operation, call.settings.confirm_destructive
    if call.origin != "tool" or not op.destructive or op.read_only or mode == "never":
        return await call_next(call)
    if not _can_ask(call.ctx):
        if mode == "auto":
            return await call_next(call)
        raise ToolError(
            f"{op.name} needs the user's confirmation (QUANT_CONFIRM_DESTRUCTIVE=always), but this client cannot ask "
            "its user (it does not support form elicitation), so nothing was sent to the Quant API. Use a client that "
            "supports elicitation, or have the server's operator set QUANT_CONFIRM_DESTRUCTIVE=auto to rely on the host's own approval."
        )
    if _input_required(call.ctx):
        answer, target = await _answer_of_retry(call)
    else:
        target = await _describe(call)
        answer = await _elicit(call.ctx, _question(op, target))
    if answer == "accept":
        return await call_next(call)
    raise Answered(_not_done(op, target, answer))


def _can_ask(ctx: Context) -> bool:
    capabilities = ctx.client_capabilities
    elicitation = capabilities.elicitation if capabilities is not None else None
    if elicitation is None or (elicitation.form is None and elicitation.url is not None):
        return False  # no elicitation, or URL mode only
    return _input_required(ctx) or ctx.session.can_send_request  # 2025: a channel to ask on (not stateless HTTP)


def _input_required(ctx: Context) -> bool:
    version = ctx.protocol_version
    return version is not None and is_version_at_least(version, _INPUT_REQUIRED)


def _question(op: Operation, target: str) -> str:
    return f"{op.title} {target}? This cannot be undone."


async def _elicit(ctx: Context, message: str) -> str:
    """Ask a 2025-era client mid-call: accept (and ticked), decline or cancel."""
    try:
        outcome = await ctx.elicit(message, Confirmation)
    except ValueError:
        raise ToolError(
            "The client's answer to the confirmation did not fit the question; nothing was sent to the Quant API."
        ) from None
    if isinstance(outcome, AcceptedElicitation):
        return "accept" if outcome.data.confirm else "unticked"
    return outcome.action


async def _answer_of_retry(call: Call[Any]) -> tuple[str, str]:
    """A 2026-era call: the answer when this is the retry of our question; else the question
    itself (raised as :class:`Answered`)."""
    ctx, op, digest = call.ctx, call.operation, _digest(call)
    state = _state(ctx.request_state, op)
    if state is not None and state["target"] != digest:
        raise ToolError(
            f"What the user confirmed is not what this call would change (another organisation or target): nothing was "
            f"sent to the Quant API. Call {op.name} again without the earlier answer to ask about this one."
        )
    answer = (ctx.input_responses or {}).get(QUESTION) if state is not None else None
    if not isinstance(answer, ElicitResult):
        what = state["what"] if state is not None else await _describe(call)
        raise Answered(_ask(op, what, digest))
    if answer.action != "accept":
        return answer.action, state["what"]
    try:
        confirmed = Confirmation.model_validate(answer.content or {}).confirm
    except ValidationError:
        raise ToolError(
            "The client's answer to the confirmation did not fit the question; nothing was sent to the Quant API."
        ) from None
    return ("accept" if confirmed else "unticked"), state["what"]


def _ask(op: Operation, what: str, digest: str) -> InputRequiredResult:
    """The question for a 2026-era client; the state (sealed by the SDK) carries what was asked about."""
    question = ElicitRequest(
        params=ElicitRequestFormParams(message=_question(op, what), requested_schema=render_elicitation_schema(Confirmation))
    )
    state = json.dumps({"v": _STATE_VERSION, "tool": op.name, "target": digest, "what": what}, separators=(",", ":"))
    return InputRequiredResult(input_requests={QUESTION: question}, request_state=state)


def _state(request_state: str | None, op: Operation) -> dict[str, str] | None:
    """Our state from an earlier round (already verified and unsealed by the SDK), if it is ours."""
    if not request_state:
        return None
    try:
        state = json.loads(request_state)
    except ValueError:
        return None
    if not isinstance(state, dict) or state.get("v") != _STATE_VERSION or state.get("tool") != op.name:
        return None
    return state


def _digest(call: Call[Any]) -> str:
    """The exact request the user is asked about: method, path (organisation and ids), query and body."""
    request = call.http()
    rendered = json.dumps(
        [call.operation.name, request.method, request.path, request.query, request.body], sort_keys=True, default=str
    )
    return hashlib.sha256(rendered.encode()).hexdigest()


def _not_done(op: Operation, target: str, answer: str) -> CallToolResult:
    why = {"decline": "declined", "cancel": "dismissed the question", "unticked": "did not tick the confirmation"}.get(
        answer, answer
    )
    message = (
        f"Not done: the user {why}, so nothing was sent to the Quant API ({op.title.lower()} {target}). "
        f"Do not call {op.name} again unless the user asks for it."
    )
    structured = {"confirmed": False, "answer": answer, "message": message}
    return CallToolResult(content=[TextContent(type="text", text=message)], structured_content=structured)


# ----------------------------------------------------------------------------- naming the target


async def _describe(call: Call[Any]) -> str:
    """What the call would destroy, concretely: the matching read's name and counts, the ids,
    any other argument given, and the organisation."""
    facts: list[str] = []
    name = None
    read = _matching_read(call.operation, call.settings.api_routes)
    if read is not None:
        try:
            record = await call.run(read.name, _ids_for(read, call))
        except Exception as exc:  # the target is then named by kind and id
            log.debug("could not read %s before %s: %s", read.name, call.operation.name, type(exc).__name__)
        else:
            name, counts = _summarise(record)
            facts += counts
    facts += [f"{wire} {shown(value)}" for wire, value in _given(call)]
    return (
        (f"{shown(name)} " if name else "") + (f"({'; '.join(facts)}) " if facts else "") + f"in organisation {call.organisation}"
    )


@cache
def _reads(family: str) -> dict[str, Operation]:
    """Read-only GET operations that fetch one thing, by route path."""
    found: dict[str, Operation] = {}
    for op in catalog.OPERATIONS:
        if op.read_only and op.flow is None and not op.name.startswith("list_"):
            route = op.route_for(family)  # type: ignore[arg-type]
            if route.method == "GET":
                found.setdefault(route.path, op)
    return found


def _matching_read(op: Operation, family: str) -> Operation | None:
    """The read of the same path, else of the nearest enclosing path that names one item
    (``/collections/{collectionId}`` for ``/collections/{collectionId}/documents``)."""
    reads = _reads(family)
    own = path = op.route_for(family).path  # type: ignore[arg-type]
    while path:
        if path in reads and (path == own or path.endswith("}")):
            return reads[path]
        path = path.rsplit("/", 1)[0]
    return None


def _ids_for(read: Operation, call: Call[Any]) -> dict[str, Any]:
    """The read's path arguments, taken from the destructive call's (same wire names)."""
    wanted = {field.alias or name for name, field in read.arguments.model_fields.items()} - {"organisation"}
    return {wire: value for wire, value in _wire_arguments(call).items() if wire in wanted}


def _wire_arguments(call: Call[Any]) -> dict[str, Any]:
    model = type(call.arguments)
    return {
        model.model_fields[name].alias or name: getattr(call.arguments, name)
        for name in call.arguments.model_fields_set
        if name != "organisation" and getattr(call.arguments, name) is not None
    }


def _given(call: Call[Any]) -> list[tuple[str, Any]]:
    return sorted(_wire_arguments(call).items())


def _summarise(record: dict[str, Any]) -> tuple[str | None, list[str]]:
    """A record's name and up to two counts ("12 messages", "3 documents")."""
    if len(record) == 1 and isinstance(only := next(iter(record.values())), dict):
        record = only  # {"collection": {...}}
    name = next((record[key] for key in _NAME_KEYS if isinstance(record.get(key), str) and record[key]), None)
    counts: list[str] = []
    for key, value in record.items():
        if isinstance(value, list) and key.endswith("s"):
            counts.append(f"{len(value)} {_words(key)}")
        elif key.endswith(("Count", "_count")) and isinstance(value, int) and not isinstance(value, bool):
            counts.append(f"{value} {_words(key.removesuffix('Count').removesuffix('_count'))}s")
    return name, counts[:2]


def _words(key: str) -> str:
    """``documentIds`` -> ``document ids``; ``total_messages`` -> ``total messages``."""
    return "".join(f" {c.lower()}" if c.isupper() else c for c in key).replace("_", " ").strip()
