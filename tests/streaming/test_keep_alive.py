"""Long calls stay alive: while a call waits upstream, progress notifications keep coming, saying
what the call waits for; a quick call sends none; streamed deltas and heartbeats share one
increasing sequence."""

from __future__ import annotations

import time

import anyio
import pytest
from mcp import Client

from quant_mcp.server import build_server
from quant_mcp.simulator.core.faults import Fault
from tests.conftest import make_settings, text_of
from tests.streaming.conftest import chat_arguments

pytestmark = pytest.mark.anyio


class Heard:
    def __init__(self) -> None:
        self.seen: list[tuple[float, float, float | None, str | None]] = []

    async def __call__(self, progress: float, total: float | None, message: str | None) -> None:
        self.seen.append((time.monotonic(), progress, total, message))


async def held(simulator, era, *, hold: float, interval: float, tool: str, arguments: dict, **settings):  # type: ignore[no-untyped-def]
    simulator.state.add_fault(Fault(mode="latency", delay=hold, count=1))
    heard = Heard()
    server = build_server(
        make_settings(simulator, progress_interval=interval, stream_timeout=hold + 30, timeout=hold + 30, **settings)
    )
    async with Client(server, mode=era) as client:
        started = time.monotonic()
        result = await client.call_tool(tool, arguments, progress_callback=heard)
        took = time.monotonic() - started
    assert not result.is_error, text_of(result)
    return heard, took


async def test_a_call_held_30_seconds_upstream_sends_progress_all_along(simulator, era):
    """30 s upstream, scaled: the interval is a setting, so the test holds 3 s with a 0.1 s interval."""
    heard, took = await held(simulator, era, hold=3.0, interval=0.1, tool="list_models", arguments={})
    assert took >= 3.0
    assert len(heard.seen) >= 5 * 3
    values = [progress for _, progress, _, _ in heard.seen]
    assert values == sorted(set(values)), "progress only ever increases"
    assert all(message.startswith("[waiting for the Quant AI API (list models): ") for *_, message in heard.seen)
    gaps = [b[0] - a[0] for a, b in zip(heard.seen, heard.seen[1:], strict=False)]
    assert max(gaps) < 1.0, "no long silence while waiting"


async def test_the_real_interval_keeps_a_30_second_image_generation_alive(simulator):
    """The real thing once (30 s of wall time, one protocol era): the default 5 s interval."""
    heard, took = await held(
        simulator,
        "auto",
        hold=30.0,
        interval=5.0,
        tool="generate_image",
        arguments={"textToImageParams": {"text": "a lighthouse"}},
        toolsets=["images"],
    )
    assert len(heard.seen) >= 5
    first = heard.seen[0][0]
    assert all(b[0] - a[0] < 6.0 for a, b in zip(heard.seen, heard.seen[1:], strict=False))
    assert "generate an image" in heard.seen[0][3] and first > 0


async def test_a_quick_call_sends_no_progress(simulator, era):
    heard = Heard()
    async with Client(build_server(make_settings(simulator, progress_interval=1.0)), mode=era) as client:
        assert not (await client.call_tool("list_models", {}, progress_callback=heard)).is_error
    await anyio.sleep(0)
    assert heard.seen == []


async def test_deltas_and_heartbeats_share_one_increasing_sequence(simulator, era):
    """A stream that waits before its first chunk: heartbeats first, then the deltas, numbered on."""
    heard, _ = await held(simulator, era, hold=1.0, interval=0.2, tool="chat_stream", arguments=chat_arguments("Hello there"))
    messages = [message for *_, message in heard.seen]
    waits = [m for m in messages if m and m.startswith("[waiting for the Quant AI API")]
    assert len(waits) >= 3 and messages[: len(waits)] == waits, "heartbeats while nothing arrived"
    values = [progress for _, progress, _, _ in heard.seen]
    assert values == list(range(1, len(values) + 1))
