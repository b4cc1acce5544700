"""Composite tool runners: chat with attachments, the live streaming relay, chat in a session.

``relay_chat_stream`` forwards each text delta of the upstream Server-Sent Events to the MCP
client as a progress notification the moment it arrives, and returns the whole answer as the
tool result. Leaving the relay for any reason (done, error, cancellation) closes the upstream
connection at once. ``chat_in_session`` is the three-step flow the API leaves to its clients:
read the session, chat with its history, append both turns.

``tools`` and ``attachments`` are imported inside the runners: both import the catalog, which
imports this module for its runners, so this module must load without them.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import anyio
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import ValidationError

from quant_mcp.client import QuantAPIError

if TYPE_CHECKING:
    from mcp.server.mcpserver import Context

    from quant_mcp.tools import Invocation


class StreamFailed(ToolError):
    """The stream broke, ended early or reported an error; carries the text received so far."""

    def __init__(self, reason: str, partial_text: str) -> None:
        message = f"The chat stream failed: {reason}."
        if partial_text:
            message += f" Text received before the failure ({len(partial_text)} characters): {partial_text}"
        else:
            message += " No text had arrived."
        super().__init__(message)
        self.partial_text = partial_text


async def run_chat(inv: Invocation) -> Any:
    """A buffered chat: attachments checked and streamed into the request, one JSON answer back."""
    from quant_mcp import attachments, tools

    async with attachments.prepared(inv) as ready:
        return await tools.send(ready)


async def relay_chat_stream(inv: Invocation) -> dict[str, Any]:
    """Run a streamed chat, relaying deltas as progress; return the assembled ChatStreamResult."""
    from quant_mcp import attachments

    async with attachments.prepared(inv) as ready:
        relay = _Relay(ready.ctx)
        limit = ready.settings.stream_timeout
        # httpx bounds each read, not the whole answer: a stream that trickles forever is cut here.
        with anyio.move_on_after(limit) as deadline:
            async with ready.client.stream_events(ready.route.method, ready.path, body=ready.body, token=ready.token) as events:
                try:
                    async for event in events:
                        if await relay.take(event.event, event.data):
                            break  # leaving the block closes the upstream connection
                except QuantAPIError as exc:
                    raise StreamFailed(str(exc).rstrip("."), relay.text) from None
        if deadline.cancelled_caught:
            raise StreamFailed(
                f"the answer took longer than {limit:g} s in all (QUANT_STREAM_TIMEOUT) and was cut off", relay.text
            )
    return relay.result()


FINISH_REASONS = ("stop", "length", "content_filter", "tool_use")


class _Relay:
    """The state of one relayed stream: the text so far, and what the final event reported."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.parts: list[str] = []
        self.info: dict[str, Any] = {}
        self.tool_uses: list[Any] = []
        self.final: dict[str, Any] | None = None

    @property
    def text(self) -> str:
        return "".join(self.parts)

    async def take(self, name: str, raw: str) -> bool:
        """Handle one event; True once the final (``done``) event has arrived."""
        if raw.strip() in ("", "[DONE]"):
            return False
        try:
            data = json.loads(raw)
        except ValueError:
            raise StreamFailed(f"the API sent a malformed event ({raw[:80]!r})", self.text) from None
        if not isinstance(data, dict):
            return False
        if name == "error" or (name != "done" and isinstance(data.get("error"), str)):
            raise StreamFailed(f"the API reported an error: {data.get('error') or data}", self.text)
        delta = data.get("delta")
        if isinstance(delta, str) and delta:
            self.parts.append(delta)
            await self.ctx.report_progress(len(self.parts), message=delta)
        for key in ("requestId", "model", "sessionId"):
            if data.get(key):
                self.info.setdefault(key, data[key])
        if data.get("toolUse"):
            self.tool_uses.append(data["toolUse"])
        elif name == "tool_request":
            self.tool_uses.append(data)
        if name == "done" or data.get("complete") is True:
            self.final = data
            return True
        return False

    def result(self) -> dict[str, Any]:
        final = self.final
        if final is None:
            raise StreamFailed("the stream ended before its final `done` event (truncated)", self.text)
        response = final.get("response") if isinstance(final.get("response"), dict) else {}
        if response.get("toolUse"):
            self.tool_uses.append(response["toolUse"])
        text = self.text or (response.get("content") if isinstance(response.get("content"), str) else "")
        message: dict[str, Any] = {"role": "assistant", "content": text}
        uses = [item for use in self.tool_uses for item in (use if isinstance(use, list) else [use])]
        uses = list({json.dumps(use, sort_keys=True): use for use in uses}.values())  # done repeats the deltas' toolUse
        if uses:
            message["toolUse"] = uses[0] if len(uses) == 1 else uses
        stop = final.get("stopReason")
        result = {
            **self.info,
            "response": message,
            "finishReason": final.get("finishReason") or ("tool_use" if uses else stop if stop in FINISH_REASONS else "stop"),
            "stopReason": stop,
            "complete": bool(final.get("complete")),
            "chunks": len(self.parts),
        }
        for key in ("usage", "orchestration"):
            if final.get(key):
                result[key] = final[key]
        return result


# ----------------------------------------------------------------------------- chat in a session

CHAT_OPTIONS = frozenset({"system_prompt", "temperature", "max_tokens", "top_p", "stop_sequences"})


async def chat_in_session(inv: Invocation) -> dict[str, Any]:
    """Read the session, chat with its history plus the new message (streamed), append both turns.

    Inference failing appends nothing (the error propagates first). The append failing still
    returns the answer, with a warning that says how to store it by hand.
    """
    from quant_mcp import tools
    from quant_mcp.catalog import OPERATIONS_BY_NAME

    args = inv.arguments
    session_id: str = args.session_id  # type: ignore[attr-defined]
    scope = {"sessionId": session_id, "organisation": inv.organisation}
    session = await tools.call_operation(OPERATIONS_BY_NAME["get_session"], scope, inv.ctx)
    model_id = args.model_id or session.get("model")  # type: ignore[attr-defined]
    if not model_id:
        raise ToolError(f"Session {session_id} names no model; pass `modelId`.")

    stream = OPERATIONS_BY_NAME["chat_stream"]
    history = [{"role": m.get("role"), "content": m.get("content")} for m in session.get("messages") or []]
    try:
        chat_arguments = stream.arguments.model_validate(
            {
                **args.model_dump(include=set(CHAT_OPTIONS), by_alias=True, exclude_none=True),
                "organisation": inv.organisation,
                "modelId": model_id,
                "messages": [*history, {"role": "user", "content": args.message}],  # type: ignore[attr-defined]
            }
        )
    except ValidationError as exc:
        problem = exc.errors(include_url=False)[0]
        where = ".".join(map(str, problem["loc"]))
        raise ToolError(
            f"Session {session_id}'s history and the new message cannot be sent as a chat ({where}: {problem['msg']}). "
            "Nothing was changed."
        ) from None
    answer = await relay_chat_stream(tools.resolve(stream, chat_arguments, inv.ctx))

    turns = [
        {"role": "user", "content": _as_text(args.message)},  # type: ignore[attr-defined]
        {"role": "assistant", "content": answer["response"]["content"]},
    ]
    update = {**scope, "newMessages": turns}
    tokens = (answer.get("usage") or {}).get("totalTokens")
    if isinstance(tokens, int):
        update["tokensUsed"] = tokens
    answer["sessionId"] = session_id
    try:
        updated = await tools.call_operation(OPERATIONS_BY_NAME["update_session"], update, inv.ctx)
    except (QuantAPIError, ToolError) as exc:
        answer["appended"] = False
        answer["warning"] = (
            f"The answer was NOT saved to session {session_id} ({exc}). To keep it, call update_session with "
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
