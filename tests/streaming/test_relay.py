"""The live streaming relay (chat_stream): incremental, cancellable, and honest when a stream breaks."""

from __future__ import annotations

import time

import anyio
import pytest

from quant_mcp.simulator import Fault
from tests.conftest import TEST_TOKEN, text_of
from tests.streaming.conftest import LONG_PROMPT, api_requests, chat_arguments

pytestmark = pytest.mark.anyio


class Progress:
    """Progress notifications as the client receives them: (arrival time, progress, message)."""

    def __init__(self) -> None:
        self.seen: list[tuple[float, float, str | None]] = []
        self.first = anyio.Event()

    async def __call__(self, progress: float, total: float | None, message: str | None) -> None:
        self.seen.append((time.perf_counter(), progress, message))
        self.first.set()

    @property
    def text(self) -> str:
        return "".join(message or "" for _, _, message in self.seen)


async def test_each_delta_reaches_the_client_while_the_simulator_is_still_writing(simulator, client_for):
    simulator.state.chunk_delay = 0.05
    client = await client_for()
    progress = Progress()

    result = await client.call_tool("chat_stream", chat_arguments(LONG_PROMPT), progress_callback=progress)

    assert not result.is_error, text_of(result)
    [record] = api_requests(simulator, "/chat/stream")
    chunk_times = record.stream_chunk_times  # start, one per delta, done
    assert len(progress.seen) == len(chunk_times) - 2 > 20
    assert progress.seen[0][0] < chunk_times[-1], "the first delta arrived only after the stream had ended"
    arrivals = [arrived for arrived, _, _ in progress.seen]
    assert all(written <= arrived for written, arrived in zip(chunk_times[1:], arrivals, strict=False))
    assert sum(arrived < chunk_times[-1] for arrived in arrivals) > len(arrivals) / 2, "deltas were held back"
    assert [p for _, p, _ in progress.seen] == list(range(1, len(progress.seen) + 1))
    answer = result.structured_content
    assert progress.text == answer["response"]["content"] and "word23" in progress.text
    assert answer["chunks"] == len(progress.seen)
    assert answer["finishReason"] == "stop" and answer["complete"] is True
    assert answer["usage"]["totalTokens"] > 0 and answer["requestId"].startswith("req-")


async def test_cancelling_the_call_closes_the_upstream_request_at_once(simulator, client_for):
    simulator.state.chunk_delay = 0.1  # the whole answer would take about 3 s
    client = await client_for()
    progress = Progress()

    async with anyio.create_task_group() as calls:
        calls.start_soon(lambda: client.call_tool("chat_stream", chat_arguments(LONG_PROMPT), progress_callback=progress))
        with anyio.fail_after(5):
            await progress.first.wait()
        calls.cancel_scope.cancel()

    [record] = api_requests(simulator, "/chat/stream")
    with anyio.fail_after(1):  # far sooner than the 3 s the stream would last
        while record.finished_at is None:
            await anyio.sleep(0.01)
    written = len(record.stream_chunk_times)
    await anyio.sleep(0.3)  # three chunk delays: a live stream would have written more
    assert len(record.stream_chunk_times) == written < 10


@pytest.mark.parametrize(
    ("mode", "reason", "text_expected"),
    [
        ("truncated_sse", "ended before its final `done` event", True),
        ("error_event", "the API reported an error: Injected fault", True),
        ("drop", "broke off", False),
    ],
)
async def test_a_broken_stream_is_a_clear_error_that_keeps_the_text_received(simulator, client_for, mode, reason, text_expected):
    simulator.state.add_fault(Fault(mode=mode, path="/chat/stream$"))
    client = await client_for()
    progress = Progress()

    result = await client.call_tool("chat_stream", chat_arguments(LONG_PROMPT), progress_callback=progress)

    assert result.is_error
    message = text_of(result)
    assert "The chat stream failed" in message and reason in message
    assert bool(progress.text) is text_expected
    if text_expected:
        assert f"Text received before the failure ({len(progress.text)} characters): {progress.text}" in message
    else:
        assert "No text had arrived" in message


async def test_an_unreadable_frame_is_skipped_and_counted_not_fatal(simulator, client_for):
    simulator.state.add_fault(Fault(mode="malformed_json", path="/chat/stream$"))
    client = await client_for()
    progress = Progress()

    result = await client.call_tool("chat_stream", chat_arguments(LONG_PROMPT), progress_callback=progress)

    assert not result.is_error
    answer = result.structured_content
    assert answer["skippedFrames"] == 1 and answer["complete"] is True
    assert answer["response"]["content"] == progress.text and "word23" in progress.text


async def test_a_tool_request_ends_the_stream_with_the_tool_use(simulator, client_for):
    client = await client_for()
    tool = {
        "toolSpec": {
            "name": "get_weather",
            "inputSchema": {"json": {"type": "object", "properties": {"city": {"type": "string"}}}},
        }
    }

    result = await client.call_tool("chat_stream", chat_arguments("Weather in Sydney?", toolConfig={"tools": [tool]}))

    answer = result.structured_content
    assert answer["finishReason"] == "tool_use"
    assert answer["response"]["toolUse"]["name"] == "get_weather"
    assert "toolUseId" in answer["response"]["toolUse"]
    assert text_of(result).startswith("The model requests a tool call")


async def test_an_upstream_refusal_before_the_stream_opens_is_the_api_error(simulator, client_for):
    client = await client_for()

    result = await client.call_tool("chat_stream", chat_arguments("hi", model="no-such-model"))

    assert result.is_error
    assert "Quant API 4" in text_of(result) and "The chat stream failed" not in text_of(result)
    assert TEST_TOKEN not in text_of(result)
