"""Fault injection: each mode, matching by method and path, counts, and the log."""

from __future__ import annotations

import json
from itertools import pairwise
from time import perf_counter

import httpx
import pytest
from httpx_sse import aconnect_sse

from quant_mcp.simulator import Fault, SimulatorState

from .conftest import LITE, V3, user

pytestmark = pytest.mark.anyio

STREAM = f"{V3}/chat/stream"
CHAT_BODY = {"modelId": LITE, "messages": [user("several words for several chunks")]}


async def stream_events(http: httpx.AsyncClient) -> tuple[list[tuple[str, str]], httpx.Response]:
    """(event, raw data) pairs as received; the data is left raw so malformed JSON shows."""
    async with aconnect_sse(http, "POST", STREAM, json=CHAT_BODY) as source:
        return [(event.event, event.data) async for event in source.aiter_sse()], source.response


async def test_latency_delays_the_answer_once(http: httpx.AsyncClient, state: SimulatorState) -> None:
    state.add_fault(Fault(mode="latency", delay=0.5))
    started = perf_counter()
    assert (await http.get(f"{V3}/models")).status_code == 200
    assert perf_counter() - started >= 0.5
    started = perf_counter()
    await http.get(f"{V3}/models")
    assert perf_counter() - started < 0.4
    assert [r.fault for r in state.requests] == ["latency", None]


@pytest.mark.parametrize("status", [429, 500, 502, 503])
async def test_status_answers_an_error_without_running_the_operation(
    http: httpx.AsyncClient, state: SimulatorState, status: int
) -> None:
    state.add_fault(Fault(mode="status", status=status, retry_after=7, message="try later", method="POST", path=r"/sessions$"))
    response = await http.post(f"{V3}/sessions", json={"userId": "u"})
    assert response.status_code == status and response.json()["message"] == "try later"
    assert response.headers.get("retry-after") == ("7" if status == 429 else None)
    assert (await http.get(f"{V3}/sessions")).json() == []  # nothing was created
    assert (await http.post(f"{V3}/sessions", json={"userId": "u"})).status_code == 201
    assert [(r.status, r.fault) for r in state.requests] == [(status, "status"), (200, None), (201, None)]


async def test_drop_aborts_the_connection_mid_body(http: httpx.AsyncClient, state: SimulatorState) -> None:
    state.add_fault(Fault(mode="drop", method="POST"))
    with pytest.raises(httpx.RemoteProtocolError):
        await http.post(f"{V3}/sessions", json={"userId": "u"})
    assert len((await http.get(f"{V3}/sessions")).json()) == 1  # the server did the work before the line went dead
    state.add_fault(Fault(mode="drop", path="/chat/stream$"))
    with pytest.raises(httpx.RemoteProtocolError):
        await stream_events(http)
    assert [r.fault for r in state.requests] == ["drop", None, "drop"]


async def test_malformed_json_is_a_200_that_does_not_parse(http: httpx.AsyncClient, state: SimulatorState) -> None:
    state.add_fault(Fault(mode="malformed_json"))
    response = await http.get(f"{V3}/models")
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    with pytest.raises(json.JSONDecodeError):
        response.json()
    state.add_fault(Fault(mode="malformed_json"))
    events, _ = await stream_events(http)
    with pytest.raises(json.JSONDecodeError):
        json.loads(events[1][1])
    assert events[-1][0] == "done"


async def test_truncated_sse_ends_before_done_and_closes(http: httpx.AsyncClient, state: SimulatorState) -> None:
    full, _ = await stream_events(http)
    state.add_fault(Fault(mode="truncated_sse"))
    events, response = await stream_events(http)
    names = [name for name, _ in events]
    assert names[0] == "start" and "done" not in names and 1 <= names.count("content") < len(full) - 2
    assert response.headers["connection"] == "close"


async def test_slow_stream_spaces_the_chunks(http: httpx.AsyncClient, state: SimulatorState) -> None:
    state.add_fault(Fault(mode="slow_stream", delay=0.05))
    events, _ = await stream_events(http)
    times = state.requests[-1].stream_chunk_times
    assert len(times) == len(events) and min(b - a for a, b in pairwise(times)) >= 0.045


async def test_error_event_follows_the_first_delta(http: httpx.AsyncClient, state: SimulatorState) -> None:
    state.add_fault(Fault(mode="error_event", message="model overloaded"))
    events, _ = await stream_events(http)
    assert [name for name, _ in events] == ["start", "content", "error"]
    assert json.loads(events[-1][1]) == {"error": "model overloaded"}


async def test_faults_match_method_and_path_and_respect_count(http: httpx.AsyncClient, state: SimulatorState) -> None:
    state.add_fault(Fault(mode="status", status=500, method="GET", path=r"/models/", count=2))
    assert (await http.get(f"{V3}/models")).status_code == 200  # path does not match
    assert (await http.post(f"{V3}/chat", json=CHAT_BODY)).status_code == 200  # method does not match
    assert [(await http.get(f"{V3}/models/{LITE}")).status_code for _ in range(3)] == [500, 500, 200]
    state.add_fault(Fault(mode="status", status=503, count=None))
    assert [(await http.get(f"{V3}/models")).status_code for _ in range(3)] == [503, 503, 503]
    state.clear_faults()
    assert (await http.get(f"{V3}/models")).status_code == 200


def test_invalid_faults_are_refused() -> None:
    for bad in (
        {"mode": "explode"},
        {"mode": "status", "status": 200},
        {"mode": "latency", "count": 0},
        {"mode": "drop", "path": "("},
        {"mode": "drop", "colour": "red"},
        {},
    ):
        with pytest.raises(ValueError):
            Fault.from_json(bad)
