"""Composite tool runners: the live streaming relay.

``relay_chat_stream`` forwards each text delta of the upstream Server-Sent Events to the MCP
client as a progress notification the moment it arrives, and returns the whole answer as the
tool result. Leaving the relay for any reason (done, error, cancellation) closes the
upstream connection at once.
"""

from __future__ import annotations

import json
from typing import Any

from mcp.server.mcpserver.exceptions import ToolError

from quant_mcp.tools import Invocation


class StreamFailed(ToolError):
    """The stream broke, ended early or reported an error; carries the text received so far."""

    def __init__(self, reason: str, partial_text: str) -> None:
        message = f"The chat stream failed: {reason}."
        if partial_text:
            message += f" Text received before the failure ({len(partial_text)} characters): {partial_text}"
        super().__init__(message)
        self.partial_text = partial_text


async def relay_chat_stream(inv: Invocation) -> dict[str, Any]:
    """Run a streamed chat, relaying deltas as progress; return the assembled ChatStreamResult."""
    from quant_mcp.client import QuantAPIError

    parts: list[str] = []
    result: dict[str, Any] = {"response": {"role": "assistant"}}
    tool_uses: list[Any] = []
    finished = False
    try:
        async with inv.client.stream_events(inv.route.method, inv.path, body=inv.body, token=inv.token) as events:
            async for event in events:
                if event.data.strip() in ("", "[DONE]"):
                    continue
                try:
                    data = json.loads(event.data)
                except ValueError:
                    raise StreamFailed(f"the API sent a malformed event ({event.data[:80]!r})", "".join(parts)) from None
                if not isinstance(data, dict):
                    continue
                if event.event == "error" or (event.event != "done" and isinstance(data.get("error"), str)):
                    raise StreamFailed(f"the API reported an error: {data.get('error') or data}", "".join(parts))
                if isinstance(data.get("delta"), str) and data["delta"]:
                    parts.append(data["delta"])
                    await inv.ctx.report_progress(len(parts), message=data["delta"])
                for key in ("requestId", "model", "sessionId"):
                    if data.get(key) and key not in result:
                        result[key] = data[key]
                if data.get("toolUse"):
                    tool_uses.append(data["toolUse"])
                if event.event == "done" or "complete" in data and data["complete"] is not False:
                    response = data.get("response") or {}
                    if response.get("toolUse"):
                        tool_uses.append(response["toolUse"])
                    if data.get("usage"):
                        result["usage"] = data["usage"]
                    result["stopReason"] = data.get("stopReason") or data.get("finishReason")
                    result["complete"] = bool(data.get("complete"))
                    if not parts and isinstance(response.get("content"), str):
                        parts.append(response["content"])
                    finished = True
                    break
    except QuantAPIError as exc:
        if parts:
            raise StreamFailed(str(exc).rstrip("."), "".join(parts)) from None
        raise
    if not finished:
        raise StreamFailed("the stream ended before its final `done` event (truncated)", "".join(parts))
    result["response"]["content"] = "".join(parts)
    if tool_uses:
        flat = [item for use in tool_uses for item in (use if isinstance(use, list) else [use])]
        result["response"]["toolUse"] = flat[0] if len(flat) == 1 else flat
    result["finishReason"] = "tool_use" if tool_uses else (result.get("stopReason") or "stop")
    result["chunks"] = len(parts)
    return result
