"""chat/stream: the documented SSE format, event order, and incremental delivery."""

from __future__ import annotations

import json
from itertools import pairwise
from time import perf_counter
from typing import Any

import httpx
import pytest
from httpx_sse import aconnect_sse

from quant_mcp.simulator import SimulatorState

from .conftest import LEGACY, LITE, V3, user

pytestmark = pytest.mark.anyio

STREAM = f"{V3}/chat/stream"


async def events_of(http: httpx.AsyncClient, path: str, body: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    async with aconnect_sse(http, "POST", path, json=body) as source:
        assert source.response.headers["content-type"].startswith("text/event-stream")
        return [(event.id, event.event, json.loads(event.data)) async for event in source.aiter_sse()]


async def test_events_come_in_the_documented_order_and_shape(http: httpx.AsyncClient) -> None:
    buffered = (await http.post(f"{V3}/chat", json={"modelId": LITE, "messages": [user("tell me a story")]})).json()
    events = await events_of(http, STREAM, {"modelId": LITE, "messages": [user("tell me a story")]})
    names = [name for _, name, _ in events]
    assert names[0] == "start" and names[-1] == "done" and set(names[1:-1]) == {"content"} and len(names) > 5
    assert [event_id for event_id, _, _ in events] == [f"chunk-{n}" for n in range(len(events))]
    start, done = events[0][2], events[-1][2]
    assert start["model"] == LITE and start["streaming"] is True and start["requestId"]
    deltas = [data for _, name, data in events if name == "content"]
    assert all(d["complete"] is False for d in deltas)
    text = "".join(d["delta"] for d in deltas)
    assert text == buffered["response"]["content"]
    assert done["complete"] is True and done["usage"] == buffered["usage"] and done["stopReason"] == "stop"
    assert done["response"] == {"role": "assistant", "content": text}


async def test_the_wire_format_is_one_id_event_data_line_each(http: httpx.AsyncClient) -> None:
    async with http.stream("POST", f"{LEGACY}/chat/stream", json={"modelId": LITE, "messages": [user("hi")]}) as response:
        raw = (await response.aread()).decode()
    frames = raw.split("\n\n")
    assert frames[-1] == ""
    for index, frame in enumerate(frames[:-1]):
        lines = frame.split("\n")
        assert (
            len(lines) == 3
            and lines[0] == f"id: chunk-{index}"
            and lines[1].startswith("event: ")
            and lines[2].startswith("data: {")
        )


async def test_tool_use_arrives_in_the_done_event(http: httpx.AsyncClient) -> None:
    tools = {
        "tools": [
            {
                "toolSpec": {
                    "name": "lookup",
                    "inputSchema": {"json": {"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]}},
                }
            }
        ]
    }
    events = await events_of(http, STREAM, {"modelId": LITE, "messages": [user("find it")], "toolConfig": tools})
    done = events[-1][2]
    assert done["stopReason"] == done["finishReason"] == "tool_use"
    assert done["response"]["toolUse"]["name"] == "lookup" and done["response"]["toolUse"]["input"] == {"q": "find it"}


async def test_refusals_before_the_stream_are_plain_json(http: httpx.AsyncClient) -> None:
    response = await http.post(STREAM, json={"modelId": LITE, "messages": [{"role": "user"}]})
    assert response.status_code == 400 and response.json()["message"].startswith("messages[0].content")
    queued = await http.post(STREAM, json={"modelId": LITE, "messages": [user("x")], "async": True})
    assert (
        queued.status_code == 202
        and queued.json()["status"] == "queued"
        and queued.json()["pollUrl"].startswith("/ai/chat/executions/")
    )


async def test_the_first_event_reaches_the_client_before_the_last_is_written(
    http: httpx.AsyncClient, state: SimulatorState
) -> None:
    state.chunk_delay = 0.05
    received: list[float] = []
    async with aconnect_sse(http, "POST", STREAM, json={"modelId": LITE, "messages": [user("one two three four")]}) as source:
        async for _ in source.aiter_sse():
            received.append(perf_counter())
    written = state.requests[-1].stream_chunk_times
    assert len(written) == len(received) > 5
    assert received[0] < written[-1] - 0.2  # the client had event 1 long before the server wrote the last
    gaps = [later - earlier for earlier, later in pairwise(written)]
    assert min(gaps) >= 0.045
