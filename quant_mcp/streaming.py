"""The streaming relay: a chat answer's Server-Sent Events, forwarded as they arrive.

:func:`relay` forwards each text delta of the upstream stream to the MCP client as a progress
notification the moment it arrives, and returns the whole answer as the tool result. Leaving
the relay for any reason (done, error, cancellation) closes the upstream connection at once.
A broken, truncated or failed stream is a :class:`StreamFailed` carrying the text received.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import anyio
from mcp.server.mcpserver.exceptions import ToolError

from quant_mcp.errors import QuantAPIError
from quant_mcp.redact import redact

if TYPE_CHECKING:
    from mcp.server.mcpserver import Context

    from quant_mcp.pipeline import Call


class StreamFailed(ToolError):
    """The stream broke, ended early or reported an error; carries the text received so far."""

    def __init__(self, reason: str, partial_text: str) -> None:
        message = f"The chat stream failed: {reason}."
        if partial_text:
            message += f" Text received before the failure ({len(partial_text)} characters): {partial_text}"
        else:
            message += " No text had arrived."
        super().__init__(redact(message))  # the reason may be the upstream's own words
        self.partial_text = partial_text


async def relay(call: Call[Any]) -> dict[str, Any]:
    """Run a streamed chat, relaying deltas as progress; return the assembled ChatStreamResult."""
    request = call.http()
    relay = _Relay(call.ctx)
    limit = call.settings.stream_timeout
    # httpx bounds each read, not the whole answer: a stream that trickles forever is cut here.
    with anyio.move_on_after(limit) as deadline:
        async with call.client.stream_events(request.method, request.path, body=request.body, token=call.token) as events:
            try:
                async for event in events:
                    if await relay.take(event.event, event.data):
                        break  # leaving the block closes the upstream connection
            except QuantAPIError as exc:
                raise StreamFailed(str(exc).rstrip("."), relay.text) from None
    if deadline.cancelled_caught:
        raise StreamFailed(f"the answer took longer than {limit:g} s in all (QUANT_STREAM_TIMEOUT) and was cut off", relay.text)
    result = relay.result()
    await relay.settle()
    return result


# How long the last progress notification gets to reach the client on its own before the result
# follows it. The official TypeScript SDK client handles a notification a tick after reading it
# but a result at once, so a progress notification read together with its call's result is
# dropped as "unknown token" (typescript-sdk issue #2580); most desktop hosts are built on it.
PROGRESS_SETTLE_SECONDS = 0.05


FINISH_REASONS = ("stop", "length", "content_filter", "tool_use")


class _Relay:
    """The state of one relayed stream: the text so far, and what the final event reported."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.parts: list[str] = []
        self.info: dict[str, Any] = {}
        self.tool_uses: list[Any] = []
        self.final: dict[str, Any] | None = None
        self.last_progress: float | None = None  # when the last progress notification was handed to the SDK

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
            self.last_progress = anyio.current_time()
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

    async def settle(self) -> None:
        """Let the last progress notification reach the client in a read of its own before the
        result is written: wait until PROGRESS_SETTLE_SECONDS have passed since it was sent (no
        wait when the answer's end came later than that, the full wait when both were ready at once)."""
        if self.last_progress is not None:
            await anyio.sleep_until(self.last_progress + PROGRESS_SETTLE_SECONDS)

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
