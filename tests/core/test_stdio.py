"""The server as desktop clients run it: a stdio subprocess driven by the SDK's real client."""

from __future__ import annotations

import json
import sys
import tempfile

import pytest
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client

from tests.conftest import TEST_ORG, TEST_TOKEN, text_of
from tests.core.test_seed_tools import MODEL, SEED_TOOLS

pytestmark = pytest.mark.anyio


def server_params(*args: str, **env: str) -> StdioServerParameters:
    return StdioServerParameters(command=sys.executable, args=["-m", "quant_mcp", "serve", *args], env=env)


@pytest.mark.parametrize("routes", ["v3", "legacy"])
async def test_serve_simulate_runs_every_seed_tool_and_both_resources(era, routes):
    """`quant-mcp serve --simulate` works with no credentials at all, on either route family."""
    async with Client(server_params("--simulate", "--api-routes", routes), mode=era) as client:
        assert SEED_TOOLS <= {tool.name for tool in (await client.list_tools()).tools}
        create = {"userId": "stdio-user"} if routes == "v3" else {"model": MODEL}
        created = await client.call_tool("create_session", create)
        assert not created.is_error, text_of(created)
        # The answer shows which family served it: v3 reports the expiry, legacy echoes the model.
        assert ("expiresAt" in created.structured_content) == (routes == "v3")
        assert (created.structured_content.get("model") == MODEL) == (routes == "legacy")
        session_id = created.structured_content["sessionId"]
        for tool, arguments in [
            ("list_models", {}),
            ("list_sessions", {}),
            ("get_session", {"sessionId": session_id}),
            ("chat", {"modelId": MODEL, "messages": [{"role": "user", "content": "hi"}]}),
            ("chat_stream", {"modelId": MODEL, "messages": [{"role": "user", "content": "hi"}]}),
            ("update_session", {"sessionId": session_id, "newMessages": [{"role": "user", "content": "hi"}]}),
            ("extend_session", {"sessionId": session_id}),
            ("get_usage_stats", {}),
            ("get_ai_config", {}),
            ("update_ai_config", {"temperature": 0.5}),
        ]:
            result = await client.call_tool(tool, arguments)
            assert not result.is_error, (tool, text_of(result))

        listing = json.loads((await client.read_resource("quant://sessions")).contents[0].text)
        assert session_id in {s["id"] for s in listing["sessions"]}
        session = json.loads((await client.read_resource(f"quant://sessions/{session_id}")).contents[0].text)
        assert session["messages"][-1]["content"] == "hi"

        assert not (await client.call_tool("delete_session", {"sessionId": session_id})).is_error


async def test_stdio_keeps_stdout_for_protocol_and_the_token_out_of_stderr(simulator):
    """Against a simulator that requires the token: logs go to stderr and never carry it."""
    with tempfile.TemporaryFile("w+") as errlog:
        params = server_params(
            "--log-level",
            "DEBUG",
            QUANT_API_TOKEN=TEST_TOKEN,
            QUANT_ORGANIZATION=TEST_ORG,
            QUANT_BASE_URL=simulator.base_url,
        )
        async with Client(stdio_client(params, errlog=errlog)) as client:
            assert not (await client.call_tool("list_models", {})).is_error
            failed = await client.call_tool("get_session", {"sessionId": "missing"})
            assert failed.is_error and TEST_TOKEN not in text_of(failed)
        errlog.seek(0)
        logs = errlog.read()
    assert TEST_TOKEN not in logs
    assert simulator.state.requests, "the subprocess reached the simulator"
