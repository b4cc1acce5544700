"""The relay and attachments in the server as desktop clients run it: `quant-mcp serve` over stdio."""

from __future__ import annotations

import sys
import time

import pytest
from mcp import Client, StdioServerParameters

from tests.conftest import TEST_ORG, TEST_TOKEN, text_of
from tests.streaming.conftest import LONG_PROMPT, SAMPLES, api_requests, chat_arguments

pytestmark = pytest.mark.anyio


async def test_a_stdio_server_relays_deltas_live_and_reads_only_allowed_files(simulator, era, tmp_path):
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    (allowed / "photo.png").write_bytes(SAMPLES["png"][2])
    (tmp_path / "private.png").write_bytes(SAMPLES["png"][2])
    simulator.state.chunk_delay = 0.03
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "quant_mcp", "serve"],
        env={
            "QUANT_API_TOKEN": TEST_TOKEN,
            "QUANT_ORGANIZATION": TEST_ORG,
            "QUANT_BASE_URL": simulator.base_url,
            "QUANT_ALLOWED_DIRS": str(allowed),
        },
    )
    arrivals: list[tuple[float, str]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        arrivals.append((time.perf_counter(), message or ""))

    async with Client(params, mode=era) as client:
        streamed = await client.call_tool(
            "chat_stream",
            chat_arguments([{"file": {"path": str(allowed / "photo.png")}}, {"text": LONG_PROMPT}]),
            progress_callback=on_progress,
        )
        refused = await client.call_tool("chat", chat_arguments([{"file": {"path": str(tmp_path / "private.png")}}]))

    assert not streamed.is_error, text_of(streamed)
    assert "".join(message for _, message in arrivals) == streamed.structured_content["response"]["content"]
    [record] = api_requests(simulator)  # the refused call sent nothing
    assert record.path.endswith("/chat/stream") and "image" in record.body["messages"][0]["content"][0]
    assert arrivals[0][0] < record.stream_chunk_times[-1], "the first delta crossed stdio only after the stream ended"
    assert refused.is_error and "outside the directories this server may read" in text_of(refused)
    assert TEST_TOKEN not in text_of(refused) + text_of(streamed)
