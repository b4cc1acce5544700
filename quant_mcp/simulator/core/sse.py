"""Server-Sent Events responses, written one event per chunk with a pause between chunks.

The format follows the reference's "Simulator recommendation": each event is an
`id:`, `event:` and `data:` line (JSON on one line) and a blank line (an event with no
name has no `event:` line, as the live service's Bedrock frames come). Every event
is a separate body chunk of a real streaming response, so a client sees the first
event long before the last one is produced; `SimulatorState.chunk_delay` (or a
`slow_stream` fault) sets the pause. The stream faults are applied here.
"""

from __future__ import annotations

import json
import math
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

import anyio
from starlette.requests import Request
from starlette.responses import StreamingResponse

from .faults import Fault
from .gateway import injected_fault
from .requests import simulator_state

POLL_ORIGIN = "https://dashboard.quantcdn.io"


@dataclass(frozen=True)
class SseEvent:
    event: str
    data: dict[str, Any]


def sse_response(request: Request, events: Sequence[SseEvent]) -> StreamingResponse:
    """Stream `events` (start, content..., done) as text/event-stream, honouring stream faults."""
    fault = injected_fault(request.scope)
    delay = fault.delay if fault is not None and fault.mode == "slow_stream" else simulator_state(request).chunk_delay
    frames = _frames(events, fault)
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    if fault is not None and fault.mode in ("truncated_sse", "error_event"):
        headers["Connection"] = "close"  # the server hangs up after the cut-short stream

    async def chunks() -> AsyncIterator[bytes]:
        for index, (frame, silence) in enumerate(frames):
            if index:
                await anyio.sleep(delay + silence)
            yield frame

    return StreamingResponse(chunks(), media_type="text/event-stream", headers=headers)


def _frames(events: Sequence[SseEvent], fault: Fault | None) -> list[tuple[bytes, float]]:
    """The encoded events to send, each with the extra silence before it, after the stream
    fault (if any) has reshaped them."""
    texts = [(event.event, json.dumps(event.data, separators=(",", ":"))) for event in events]
    silences = {}
    content_positions = [index for index, event in enumerate(events) if event.event == "content"]
    mode = fault.mode if fault is not None else None
    if mode == "truncated_sse":
        kept = math.ceil(len(content_positions) / 2)
        end = content_positions[kept - 1] + 1 if kept else 1
        texts = texts[:end]
    elif mode == "error_event" and fault is not None:
        end = content_positions[0] + 1 if content_positions else 1
        texts = [*texts[:end], ("error", json.dumps({"error": fault.message}))]
    elif mode == "malformed_json" and content_positions:
        position = content_positions[0]
        name, data = texts[position]
        texts[position] = (name, data[: len(data) // 2])
    elif mode == "unreadable_frame" and fault is not None:
        after = content_positions[0] + 1 if content_positions else 1
        texts[after:after] = [("content", "not json {" + fault.message), ("", "[1, 2, 3]")]
    elif mode == "orchestration_done" and texts and texts[-1][0] == "done":
        request_id = json.loads(texts[0][1]).get("requestId", "unknown") if texts[0][0] == "start" else "unknown"
        poll_url = f"{POLL_ORIGIN}/api/v3/ai/chat/executions/{request_id}"  # absolute, as the live service sends it
        texts[-1] = ("done", json.dumps({"complete": False, "orchestration": {"pollUrl": poll_url}}))
    elif mode == "silent_tool" and fault is not None:
        at = 1 if texts and texts[0][0] == "start" else 0
        texts[at:at] = [("tool_start", '{"name":"web_search"}'), ("tool_complete", '{"name":"web_search","result":{"hits":1}}')]
        silences[at + 1] = fault.delay
    return [
        ((f"id: chunk-{index}\n" + (f"event: {name}\n" if name else "") + f"data: {data}\n\n").encode(), silences.get(index, 0.0))
        for index, (name, data) in enumerate(texts)
    ]
