"""Each private SDK access in quant_mcp/sdk.py, checked against the installed SDK. When an
upgrade moves one of them, the test named after it fails with a message saying which."""

from __future__ import annotations

from collections.abc import Callable
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


def probing(read: Callable[[Any], Any]) -> tuple[MCPServer, list[Any]]:
    """A server whose one tool, ``probe``, records ``read`` of each call's request context."""
    server = MCPServer("t")
    seen: list[Any] = []

    @server.tool()
    async def probe(ctx: Context) -> str:
        seen.append(read(ctx.request_context))
        return "ok"

    return server, seen


async def test_connection_of() -> None:
    server, seen = probing(sdk.connection_of)
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


async def test_listen_handler() -> None:
    from mcp.server.subscriptions import ListenHandler

    assert isinstance(sdk.listen_handler(MCPServer("t")), ListenHandler), MOVED.format("_request_handlers[subscriptions/listen]")
    assert sdk.listen_handler(MCPServer("t", subscriptions=False)) is None


async def test_open_sessions() -> None:
    import httpx2
    from mcp.client.streamable_http import streamable_http_client

    server = MCPServer("t")
    assert sdk.open_sessions(server) == 0  # stdio: no session manager
    app = server.streamable_http_app()
    async with server.session_manager.run():
        assert sdk.open_sessions(server) == 0
        transport = httpx2.ASGITransport(app=app)
        async with (
            httpx2.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000") as http,
            Client(streamable_http_client("http://127.0.0.1:8000/mcp", http_client=http), mode="legacy") as client,
        ):
            await client.list_tools()
            assert sdk.open_sessions(server) == 1, MOVED.format("session_manager._server_instances")


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


@pytest.mark.parametrize("version", ["2025-11-25", "2026-07-28"])
async def test_json_answer_chosen_per_request(version: str) -> None:
    import httpx

    server = MCPServer("t")

    @server.tool()
    async def hello(ctx: Context) -> str:
        await ctx.report_progress(1)  # the stream carries it; a JSON body cannot
        return "hi"

    app = server.streamable_http_app(stateless_http=True, json_response=sdk.JsonAnswerChosenPerRequest())  # type: ignore[arg-type]
    meta = {
        "io.modelcontextprotocol/protocolVersion": version,
        "io.modelcontextprotocol/clientInfo": {"name": "t", "version": "1"},
        "io.modelcontextprotocol/clientCapabilities": {},
        "progressToken": "p",
    }
    call = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "hello", "arguments": {}, "_meta": meta}}
    headers = {"Accept": "application/json, text/event-stream", "MCP-Protocol-Version": version}
    headers |= {"Mcp-Method": "tools/call", "Mcp-Name": "hello"} if version.startswith("2026") else {}
    async with (
        server.session_manager.run(),
        httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://127.0.0.1:8000") as web,
    ):
        for json_answer, content_type in ((True, "application/json"), (False, "text/event-stream")):
            with sdk.answering_in_json(json_answer):
                answer = await web.post("/mcp", json=call, headers=headers)
            assert answer.status_code == 200 and '"hi"' in answer.text, answer.text
            assert answer.headers["content-type"].startswith(content_type), MOVED.format("json_response read per request")


async def test_asks_for_progress() -> None:
    server, seen = probing(sdk.asks_for_progress)

    async def heard(progress: float, total: float | None, message: str | None) -> None:
        pass

    async with Client(server, mode="legacy") as client:  # JSON-RPC, as on stdio and HTTP
        await client.call_tool("probe", {})
        await client.call_tool("probe", {}, progress_callback=heard)
    async with Client(server) as client:  # in-process dispatch: a callback the request does not show
        await client.call_tool("probe", {})
    assert seen == [False, True, True], MOVED.format("ServerSession._request_outbound, RequestParamsMeta.progress_token")
