"""Each call waits as long as its kind needs, and no longer."""

from __future__ import annotations

import pytest
from mcp import Client

from quant_mcp.server import build_server
from quant_mcp.simulator import Fault
from tests.conftest import make_settings, text_of

pytestmark = pytest.mark.anyio


async def test_slow_operations_wait_for_the_stream_timeout_and_others_do_not(simulator):
    settings = make_settings(simulator, toolsets=["all"], timeout=0.3, stream_timeout=5.0, max_retries=0)
    simulator.state.add_fault(Fault(mode="latency", delay=0.8, path="/image-generation|/models$", count=2))
    async with Client(build_server(settings)) as client:
        image = await client.call_tool("generate_image", {"textToImageParams": {"text": "a lighthouse at dusk"}})
        assert not image.is_error, text_of(image)
        assert any(block.type == "image" for block in image.content)

        models = await client.call_tool("list_models", {})
        assert models.is_error and "within 0.3 s (QUANT_TIMEOUT)" in text_of(models)
