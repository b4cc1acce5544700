"""The relay and attachments behind the Streamable HTTP service (uvicorn on 127.0.0.1)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx2
import mcp.types as types
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from tests.conftest import text_of
from tests.http.conftest import CLIENT_TOKEN, http_service
from tests.streaming.conftest import LONG_PROMPT, SAMPLES, api_requests, chat_arguments

pytestmark = pytest.mark.anyio


@asynccontextmanager
async def http_client(url: str, era: str, **options: Any) -> AsyncIterator[Client]:
    async with (
        httpx2.AsyncClient(headers={"Authorization": f"Bearer {CLIENT_TOKEN}"}, timeout=30) as http,
        Client(streamable_http_client(f"{url}/mcp", http_client=http), mode=era, **options) as client,
    ):
        yield client


async def test_deltas_cross_http_while_the_upstream_is_still_streaming(simulator, era):
    simulator.state.chunk_delay = 0.03
    arrivals: list[float] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        arrivals.append(time.perf_counter())

    async with http_service(simulator) as url, http_client(url, era) as client:
        result = await client.call_tool("chat_stream", chat_arguments(LONG_PROMPT), progress_callback=on_progress)

    assert not result.is_error, text_of(result)
    [record] = api_requests(simulator, "/chat/stream")
    assert len(arrivals) == result.structured_content["chunks"] > 20
    assert arrivals[0] < record.stream_chunk_times[-1]


async def test_over_http_only_quant_allowed_dirs_count_not_the_clients_roots(simulator, tmp_path):
    """Roots name directories on the client's machine; a remote client must not open the server's
    (with file attachments over HTTP turned on, only QUANT_ALLOWED_DIRS counts)."""
    rooted = tmp_path / "client-root"
    allowed = tmp_path / "allowed"
    for directory in (rooted, allowed):
        directory.mkdir()
        (directory / "photo.png").write_bytes(SAMPLES["png"][2])

    async def list_roots(context) -> types.ListRootsResult:
        return types.ListRootsResult(roots=[types.Root(uri=rooted.as_uri())])

    async with (
        http_service(simulator, allowed_dirs=[str(allowed)], http_file_attachments=True) as url,
        http_client(url, "legacy", list_roots_callback=list_roots) as client,
    ):
        refused = await client.call_tool("chat", chat_arguments([{"file": {"path": str(rooted / "photo.png")}}]))
        accepted = await client.call_tool("chat", chat_arguments([{"file": {"path": str(allowed / "photo.png")}}]))

    assert refused.is_error and "MCP roots are not used over HTTP" in text_of(refused)
    assert not accepted.is_error, text_of(accepted)
    assert len(api_requests(simulator, "/chat")) == 1
