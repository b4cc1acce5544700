"""Composite tools: the flows the API leaves to its clients, registered by name.

A catalog entry names its flow (``flow="chat_in_session"``); the pipeline runs the flow in
place of sending a request, and the flow sends through other operations with ``call.run``,
so each step is resolved, checked and observed like any call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import anyio
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import ValidationError

from quant_mcp import catalog
from quant_mcp.pipeline import Call, flow
from quant_mcp.shared_state import Busy

if TYPE_CHECKING:
    from quant_mcp.catalog.inference import ChatInSessionArguments

# ----------------------------------------------------------------------------- chat in a session

CHAT_OPTIONS = frozenset({"system_prompt", "temperature", "max_tokens", "top_p", "stop_sequences"})


@flow("chat_in_session")
async def chat_in_session(call: Call[ChatInSessionArguments]) -> dict[str, Any]:
    """Read the session, chat with its history plus the new message (streamed), append both turns.

    Calls on one session run one at a time, across replicas with Redis (``SharedState.ordered``),
    so the stored transcript is what the model saw. Inference failing, or the call being
    cancelled before the append starts, appends nothing; once the append has started it
    finishes even if the call is cancelled (shielded), so a session holds either neither turn or
    both. The append failing still returns the answer, with a warning that says how to store it
    by hand.
    """
    shared = call.runtime.shared
    assert shared is not None, "the server's lifespan provides the shared state"
    name = f"chat_in_session:{call.organisation}:{call.arguments.session_id}"
    longest = call.settings.stream_timeout + 2 * call.settings.timeout + 30  # a holder that died frees it after this
    try:
        async with shared.ordered(name, longest, wait=call.settings.stream_timeout):
            return await _chat_in_session(call)
    except Busy:
        raise ToolError(
            f"Another chat_in_session on session {call.arguments.session_id} was still running after "
            f"{call.settings.stream_timeout:g} s (QUANT_STREAM_TIMEOUT); nothing was sent. Retry when it has finished."
        ) from None


async def _chat_in_session(call: Call[ChatInSessionArguments]) -> dict[str, Any]:
    args = call.arguments
    session = await call.run("get_session", {"sessionId": args.session_id})
    model_id = args.model_id or session.get("model")
    if not model_id:
        raise ToolError(f"Session {args.session_id} names no model; pass `modelId`.")

    history = [{"role": m.get("role"), "content": m.get("content")} for m in session.get("messages") or []]
    try:
        chat = catalog.OPERATIONS_BY_NAME["chat_stream"].arguments.model_validate(
            {
                **args.model_dump(include=set(CHAT_OPTIONS), by_alias=True, exclude_none=True),
                "organisation": call.organisation,
                "modelId": model_id,
                "messages": [*history, {"role": "user", "content": args.message}],
            }
        )
    except ValidationError as exc:
        problem = exc.errors(include_url=False)[0]
        where = ".".join(map(str, problem["loc"]))
        raise ToolError(
            f"Session {args.session_id}'s history and the new message cannot be sent as a chat ({where}: {problem['msg']}). "
            "Nothing was changed."
        ) from None
    answer = await call.run("chat_stream", chat)

    turns = [
        {"role": "user", "content": _as_text(args.message)},
        {"role": "assistant", "content": answer["response"].get("content") or ""},
    ]
    update: dict[str, Any] = {"sessionId": args.session_id, "newMessages": turns}
    tokens = (answer.get("usage") or {}).get("totalTokens")
    if isinstance(tokens, int):
        update["tokensUsed"] = tokens
    answer["sessionId"] = args.session_id
    try:
        with anyio.CancelScope(shield=True):  # both turns or neither: a cancel no longer stops a started append
            updated = await call.run("update_session", update)
    except ToolError as exc:  # CallFailed included
        answer["appended"] = False
        answer["warning"] = (
            f"The answer was NOT saved to session {args.session_id} ({exc}). To keep it, call update_session with "
            "newMessages = your message and this answer."
        )
    else:
        answer["appended"] = True
        answer["totalMessages"] = updated.get("totalMessages")
        answer["totalTokens"] = updated.get("totalTokens")
    return answer


def _as_text(content: Any) -> str:
    """A message as the session stores it (text only): its text, and a note per attachment."""
    if isinstance(content, str):
        return content
    parts = []
    for block in content:
        kind = next(iter(type(block).model_fields))  # a block's one key, e.g. "text", "file"
        if kind == "text":
            parts.append(block.text)
        elif kind == "file":
            parts.append(f"[attached file {block.file.path}]")
        elif kind == "resource":
            parts.append(f"[attached resource {block.resource.uri}]")
        elif kind in ("image", "video", "document"):
            parts.append(f"[attached {kind}]")
    return "\n".join(parts)
