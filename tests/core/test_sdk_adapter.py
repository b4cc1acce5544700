"""Each private SDK access in quant_mcp/sdk.py, checked against the installed SDK. When an
upgrade moves one of them, the test named after it fails with a message saying which."""

from __future__ import annotations

from typing import Any

import pytest
from mcp import Client
from mcp.server import MCPServer
from mcp.server.connection import Connection
from mcp.server.lowlevel import Server
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.tools.base import Tool

from quant_mcp import sdk

pytestmark = pytest.mark.anyio

MOVED = "the MCP SDK changed under quant_mcp/sdk.py ({}): adapt that function, then this test"


def test_lowlevel_server() -> None:
    server = MCPServer("t")
    assert isinstance(sdk.lowlevel_server(server), Server), MOVED.format("MCPServer._lowlevel_server")
    assert callable(sdk.lowlevel_server(server).add_request_handler), MOVED.format("Server.add_request_handler")


async def test_connection_of() -> None:
    server = MCPServer("t")
    seen: list[Any] = []

    @server.tool()
    async def probe(ctx: Context) -> str:
        seen.append(sdk.connection_of(ctx.request_context))
        return "ok"

    async with Client(server, mode="legacy") as client:
        await client.call_tool("probe", {})
    assert isinstance(seen[0], Connection), MOVED.format("ServerSession._connection")


async def test_add_tool() -> None:
    server = MCPServer("t")

    async def hello() -> str:
        return "hi"

    sdk.add_tool(server, Tool.from_function(hello))
    async with Client(server) as client:
        assert [tool.name for tool in (await client.list_tools()).tools] == ["hello"], MOVED.format("_tool_manager._tools")


async def test_lifespan_state() -> None:
    server = MCPServer("t")
    server.streamable_http_app()
    assert sdk.lifespan_state(server) is None, MOVED.format("session_manager._lifespan_state")
    async with server.session_manager.run():
        assert sdk.lifespan_state(server) is not None, MOVED.format("session_manager._lifespan_state")


async def test_advertise_list_changes() -> None:
    server = MCPServer("t")

    @server.tool()
    async def hello() -> str:
        return "hi"

    sdk.advertise_list_changes(server)
    async with Client(server, mode="legacy") as client:
        capabilities = client.server_capabilities
        assert capabilities.tools and capabilities.tools.list_changed, MOVED.format("create_initialization_options")


async def test_session_open() -> None:
    import httpx

    server = MCPServer("t")
    app = server.streamable_http_app()
    initialize = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
    }
    headers = {"Accept": "application/json, text/event-stream"}
    async with (
        server.session_manager.run(),
        httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://127.0.0.1:8000") as web,
    ):
        opened = await web.post("/mcp", json=initialize, headers=headers)
        assert opened.status_code == 200, opened.text
        session_id = opened.headers["mcp-session-id"]
        assert sdk.session_open(server, session_id), MOVED.format("StreamableHTTPSessionManager._server_instances")
        await web.delete("/mcp", headers=headers | {"mcp-session-id": session_id})
        assert not sdk.session_open(server, session_id), MOVED.format("StreamableHTTPSessionManager._server_instances")
