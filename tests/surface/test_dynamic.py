"""--dynamic-toolsets through real MCP clients: a three-tool menu, then toolsets on request."""

from __future__ import annotations

import anyio
import pytest
from mcp import Client

from quant_mcp.catalog import OPERATIONS, Toolset
from quant_mcp.server import build_server
from tests.conftest import make_settings, text_of

pytestmark = pytest.mark.anyio

DISCOVERY = {"list_toolsets", "describe_toolset", "enable_toolset"}
AGENT_TOOLS = {op.name for op in OPERATIONS if op.toolset == Toolset.AGENTS}


def ok(result):
    assert not result.is_error, text_of(result)
    return result.structured_content


async def tool_names(client: Client) -> set[str]:
    return {tool.name for tool in (await client.list_tools()).tools}


async def test_dynamic_mode_starts_with_the_discovery_tools_and_grows_on_request(simulator, era):
    async with Client(build_server(make_settings(simulator, dynamic_toolsets=True)), mode=era) as client:
        assert await tool_names(client) == DISCOVERY
        assert "list_toolsets" in client.instructions, "the agent is told how to grow the tool list"

        menu = ok(await client.call_tool("list_toolsets", {}))["toolsets"]
        assert {entry["name"] for entry in menu} == {toolset.value for toolset in Toolset}
        agents = next(entry for entry in menu if entry["name"] == "agents")
        assert agents["tools"] == len(AGENT_TOOLS) and not agents["enabled"] and not agents["default"]

        described = ok(await client.call_tool("describe_toolset", {"toolset": "agents"}))
        assert {tool["name"] for tool in described["tools"]} == AGENT_TOOLS
        assert await tool_names(client) == DISCOVERY, "describing enables nothing"

        enabled = ok(await client.call_tool("enable_toolset", {"toolset": "agents"}))
        assert set(enabled["added"]) == AGENT_TOOLS
        assert await tool_names(client) == DISCOVERY | AGENT_TOOLS
        assert ok(await client.call_tool("list_agents", {}))["agents"] == []

        again = ok(await client.call_tool("enable_toolset", {"toolset": "agents"}))
        assert again["added"] == [] and "already" in again["message"]
        menu = ok(await client.call_tool("list_toolsets", {}))["toolsets"]
        assert next(entry for entry in menu if entry["name"] == "agents")["enabled"]


async def test_an_unknown_toolset_is_refused_with_the_valid_names(simulator):
    async with Client(build_server(make_settings(simulator, dynamic_toolsets=True))) as client:
        refused = await client.call_tool("enable_toolset", {"toolset": "agentz"})
        assert refused.is_error and "slack_bots" in text_of(refused)
        assert await tool_names(client) == DISCOVERY


async def test_dynamic_mode_keeps_read_only_and_exclusions(simulator):
    settings = make_settings(simulator, dynamic_toolsets=True, read_only=True, exclude_tools=["get_agent_overlay"])
    async with Client(build_server(settings)) as client:
        ok(await client.call_tool("enable_toolset", {"toolset": "agents"}))
        added = await tool_names(client) - DISCOVERY
    assert added == {op.name for op in OPERATIONS if op.toolset == Toolset.AGENTS and op.read_only} - {"get_agent_overlay"}


async def test_enabling_announces_the_change_to_2026_clients(simulator):
    async with Client(build_server(make_settings(simulator, dynamic_toolsets=True))) as client:
        async with client.listen(tools_list_changed=True) as subscription:
            ok(await client.call_tool("enable_toolset", {"toolset": "vector_db"}))
            with anyio.fail_after(5):
                event = await subscription.__anext__()
    assert type(event).__name__ == "ToolsListChanged"


async def test_enabling_announces_the_change_to_2025_clients(simulator):
    received = []

    async def on_message(message):
        received.append(getattr(getattr(message, "root", message), "method", None))

    settings = make_settings(simulator, dynamic_toolsets=True)
    async with Client(build_server(settings), mode="legacy", message_handler=on_message) as client:
        assert client.server_capabilities.tools.list_changed, "2025 clients must be told the tool list can change"
        ok(await client.call_tool("enable_toolset", {"toolset": "files"}))
        with anyio.fail_after(5):
            while "notifications/tools/list_changed" not in received:
                await anyio.sleep(0.01)
