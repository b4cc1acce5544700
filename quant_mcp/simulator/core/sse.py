"""Server-Sent Events responses, written one event per chunk with a pause between chunks.

The format follows the reference's "Simulator recommendation": each event is an
`id:`, `event:` and `data:` line (JSON on one line) and a blank line. Every event
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
        for index, frame in enumerate(frames):
            if index:
                await anyio.sleep(delay)
            yield frame

    return StreamingResponse(chunks(), media_type="text/event-stream", headers=headers)


def _frames(events: Sequence[SseEvent], fault: Fault | None) -> list[bytes]:
    """The encoded events to send, after the stream fault (if any) has reshaped them."""
    texts = [(event.event, json.dumps(event.data, separators=(",", ":"))) for event in events]
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
    return [f"id: chunk-{index}\nevent: {name}\ndata: {data}\n\n".encode() for index, (name, data) in enumerate(texts)]
