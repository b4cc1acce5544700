"""The streaming relay: a chat answer's Server-Sent Events, forwarded as they arrive.

:func:`relay` feeds each upstream event to a :class:`quant_mcp.dialect.StreamReader`, which reads
every frame kind the live service sends, and forwards what it yields to the MCP client as progress
notifications the moment it arrives: each new piece of text, and a line when a server-side tool
starts or finishes or the model asks for a tool. It returns the whole answer as the tool result.
Leaving the relay for any reason (done, error, cancellation) closes the upstream connection at once.

Two limits apply: the whole answer within QUANT_STREAM_TIMEOUT, and no silence longer than
QUANT_TIMEOUT, except while a server-side tool runs (those can be silent for minutes; the whole
answer's limit still holds). A stream that failed, or ended early with nothing that marks an end,
is a :class:`StreamFailed` carrying the text received; an unreadable frame is skipped and counted.
"""

from __future__ import annotations

import math
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING, Any

import anyio
from mcp.server.mcpserver.exceptions import ToolError

from quant_mcp import progress
from quant_mcp.dialect import StreamError, StreamReader
from quant_mcp.errors import QuantAPIError
from quant_mcp.redact import redact

if TYPE_CHECKING:
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
    """Run a streamed chat, relaying deltas and tool events as progress; return the assembled answer."""
    request = call.http()
    reader = StreamReader()
    limit, silence = call.settings.stream_timeout, call.settings.timeout
    last_progress = None  # when the last progress notification went to the SDK
    with anyio.move_on_after(limit) as deadline:
        async with AsyncExitStack() as stack:
            with anyio.move_on_after(silence) as waiting:  # the answer's headers: within QUANT_TIMEOUT
                opened = call.client.stream_events(
                    request.method, request.path, body=request.body, token=call.token, read_timeout=limit
                )
                events = await stack.enter_async_context(opened)
            if waiting.cancelled_caught:
                raise StreamFailed(f"the Quant API did not answer {request.method} {request.path} within {silence:g} s", "")
            iterator = aiter(events)
            try:
                while not reader.finished:
                    wait = math.inf if reader.tools_running else silence
                    with anyio.move_on_after(wait) as quiet:
                        event = await anext(iterator, None)
                    if quiet.cancelled_caught:
                        raise StreamFailed(f"no data for {silence:g} s (QUANT_TIMEOUT)", reader.text)
                    if event is None:
                        break
                    for step in reader.feed(event.event, event.data):
                        await progress.report(call.ctx, step.message)  # one sequence with the heartbeat
                        last_progress = anyio.current_time()
            except QuantAPIError as exc:
                raise StreamFailed(str(exc).rstrip("."), reader.text) from None
            except StreamError as exc:
                raise StreamFailed(exc.reason, exc.partial_text) from None
    if deadline.cancelled_caught:
        raise StreamFailed(f"the answer took longer than {limit:g} s in all (QUANT_STREAM_TIMEOUT) and was cut off", reader.text)
    try:
        result = reader.result()
    except StreamError as exc:
        raise StreamFailed(exc.reason, exc.partial_text) from None
    if last_progress is not None:  # let the last progress notification reach the client in a read of its own
        await anyio.sleep_until(last_progress + PROGRESS_SETTLE_SECONDS)
    return result


# How long the last progress notification gets to reach the client on its own before the result
# follows it. The official TypeScript SDK client handles a notification a tick after reading it
# but a result at once, so a progress notification read together with its call's result is
# dropped as "unknown token" (typescript-sdk issue #2580); most desktop hosts are built on it.
PROGRESS_SETTLE_SECONDS = 0.05
