"""HTTP abuse: a real uvicorn on 127.0.0.1 takes bad requests of every sort. Each one is
refused cleanly (a 4xx or a JSON-RPC error, never a 5xx, no traceback in the server's logs,
no Quant request), and afterwards the server is still healthy: /healthz answers and an MCP
client's tool call succeeds.
"""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import httpx
import pytest

from quant_mcp.simulator import Simulator
from tests.conftest import TEST_TOKEN, text_of
from tests.http.conftest import CLIENT_TOKEN, connect, http_service
from tests.reliability.conftest import TALLY

pytestmark = pytest.mark.anyio

MAX_BODY = 64 * 1024  # QUANT_HTTP_MAX_BODY_BYTES for these servers
AUTH = {"Authorization": f"Bearer {CLIENT_TOKEN}"}
MCP = AUTH | {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "abuse", "version": "1"}},
}


def call(name: Any, arguments: Any, id_: Any = 2) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": id_, "method": "tools/call", "params": {"name": name, "arguments": arguments}}


Send = Callable[[httpx.AsyncClient, str], Awaitable[httpx.Response]]


def post(body: Any = None, *, content: bytes | None = None, headers: dict[str, str] | None = None) -> Send:
    async def send(web: httpx.AsyncClient, url: str) -> httpx.Response:
        raw = content if content is not None else json.dumps(body).encode()
        return await web.post(f"{url}/mcp", content=raw, headers=MCP if headers is None else headers)

    return send


def request(method: str, headers: dict[str, str]) -> Send:
    async def send(web: httpx.AsyncClient, url: str) -> httpx.Response:
        return await web.request(method, f"{url}/mcp", headers=headers)

    return send


async def _chunked(web: httpx.AsyncClient, url: str) -> httpx.Response:
    async def pieces():  # no Content-Length: the limit must hold for a streamed body too
        for _ in range(64):
            yield b" " * 4096

    return await web.post(f"{url}/mcp", content=pieces(), headers=MCP)


# (abuse, statuses that count as a clean refusal)
ABUSES: dict[str, tuple[Send, set[int]]] = {
    "no auth": (post(INITIALIZE, headers={"Content-Type": "application/json"}), {401}),
    "wrong bearer": (post(INITIALIZE, headers=MCP | {"Authorization": "Bearer nope"}), {401}),
    "basic auth": (post(INITIALIZE, headers=MCP | {"Authorization": "Basic dXNlcjpwYXNz"}), {401}),
    "a Quant token as the bearer": (post(INITIALIZE, headers=MCP | {"Authorization": f"Bearer {TEST_TOKEN}"}), {401}),
    "10 kB bearer": (post(INITIALIZE, headers=MCP | {"Authorization": "Bearer " + "x" * 10_000}), {401}),
    "bad origin": (post(INITIALIZE, headers=MCP | {"Origin": "http://evil.example"}), {403}),
    "bad host": (post(INITIALIZE, headers=MCP | {"Host": "evil.example"}), {421}),
    "oversized body": (
        post(content=b'{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":"' + b"a" * (MAX_BODY * 4) + b'"}}'),
        {413},
    ),
    "oversized chunked body": (_chunked, {413}),
    "not JSON": (post(content=b"{not json"), {400}),
    "invalid UTF-8": (post(content=b'{"jsonrpc":"2.0","id":1,"method":"\xff\xfe"}'), {400}),
    "JSON nested 30,000 deep": (post(content=b"[" * 30_000 + b"]" * 30_000), {400}),
    "JSON but not JSON-RPC": (post({"hello": "world"}), {400}),
    "a bare number": (post(42), {400}),
    "an empty batch": (post([]), {400}),
    "wrong content type": (post(INITIALIZE, headers=MCP | {"Content-Type": "text/plain"}), {400, 415}),
    "no event-stream in Accept": (post(INITIALIZE, headers=MCP | {"Accept": "text/html"}), {406}),
    "a call without a session": (post(call("list_models", {})), {400}),
    "a forged session id": (post(call("list_models", {}), headers=MCP | {"Mcp-Session-Id": "forged-0000"}), {400, 404}),
    "deleting a forged session": (request("DELETE", AUTH | {"Mcp-Session-Id": "forged-0000"}), {400, 404}),
    "GET without a session": (request("GET", AUTH | {"Accept": "text/event-stream"}), {400, 405}),
    "PUT": (request("PUT", MCP), {405}),
}


async def healthy(web: httpx.AsyncClient, url: str) -> None:
    """/healthz answers and a real MCP client's tool call succeeds."""
    assert (await web.get(f"{url}/healthz")).status_code == 200
    async with connect(url) as client:
        result = await client.call_tool("list_models", {})
    assert not result.is_error, text_of(result)


def tracebacks(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.exc_info or record.levelno >= logging.ERROR]


@pytest.mark.parametrize("abuse", list(ABUSES))
async def test_abuse_is_refused_cleanly_and_the_server_stays_healthy(
    simulator: Simulator, caplog: pytest.LogCaptureFixture, abuse: str
) -> None:
    send, refusals = ABUSES[abuse]
    async with http_service(simulator, http_max_body_bytes=MAX_BODY) as url, httpx.AsyncClient(timeout=15) as web:
        response = await send(web, url)
        assert response.status_code in refusals, f"{abuse}: {response.status_code} {response.text[:300]}"
        assert CLIENT_TOKEN not in response.text and TEST_TOKEN not in response.text
        assert simulator.state.requests == []
        assert not tracebacks(caplog), tracebacks(caplog)
        await healthy(web, url)
    TALLY["http abuse: refused cleanly, server healthy after"] += 1


MALFORMED_CALLS = {  # params of tools/call -> the answer expected: a JSON-RPC error or a tool error
    "name not a string": ({"name": 123, "arguments": {}}, "error"),
    "arguments a list": ({"name": "list_models", "arguments": [1, 2]}, "error"),
    "arguments a string": ({"name": "list_models", "arguments": "x"}, "error"),
    "no params": ({}, "error"),
    "unknown tool": ({"name": "no_such_tool", "arguments": {}}, "tool error"),
    "arguments null": ({"name": "get_session", "arguments": None}, "tool error"),
}


@pytest.mark.parametrize("case", list(MALFORMED_CALLS))
async def test_malformed_tool_calls_in_a_session_get_errors_not_crashes(
    simulator: Simulator, caplog: pytest.LogCaptureFixture, case: str
) -> None:
    params, expected = MALFORMED_CALLS[case]
    async with http_service(simulator) as url, httpx.AsyncClient(timeout=15) as web:
        opened = await web.post(f"{url}/mcp", json=INITIALIZE, headers=MCP)
        session = {"Mcp-Session-Id": opened.headers["mcp-session-id"], "Mcp-Protocol-Version": "2025-11-25"}
        await web.post(f"{url}/mcp", json={"jsonrpc": "2.0", "method": "notifications/initialized"}, headers=MCP | session)
        response = await web.post(
            f"{url}/mcp", json={"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": params}, headers=MCP | session
        )
        assert response.status_code < 500, response.text[:300]
        answer = _jsonrpc_answer(response)
        if expected == "error":
            assert "error" in answer, answer
        else:
            assert answer["result"]["isError"] is True and answer["result"]["content"][0]["text"], answer
        assert not tracebacks(caplog), tracebacks(caplog)
        await healthy(web, url)


def _jsonrpc_answer(response: httpx.Response) -> dict[str, Any]:
    """The JSON-RPC message of a POST answer (a JSON body or one SSE `data:` line)."""
    if response.headers.get("content-type", "").startswith("text/event-stream"):
        data = [line[5:].strip() for line in response.text.splitlines() if line.startswith("data:") and line[5:].strip()]
        return json.loads(data[-1])
    return response.json()


async def test_many_sessions_opened_and_abandoned(simulator: Simulator, caplog: pytest.LogCaptureFixture) -> None:
    """300 sessions initialized by one client identity, none ever closed: the first
    QUANT_LIMIT_SESSIONS open, the rest are refused with 429 and Retry-After, and the server
    stays healthy (limits per identity: tests/security/test_limits.py)."""
    statuses: list[int] = []
    async with (
        http_service(simulator, limit_sessions=50) as url,
        httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=20)) as web,
    ):

        async def abandon() -> None:
            response = await web.post(f"{url}/mcp", json=INITIALIZE, headers=MCP)
            statuses.append(response.status_code)
            if response.status_code == 200:
                assert response.headers.get("mcp-session-id")
            else:
                assert response.status_code == 429 and "QUANT_LIMIT_SESSIONS" in response.text and response.headers["Retry-After"]

        async with anyio.create_task_group() as tg:
            for _ in range(300):
                tg.start_soon(abandon)
        assert not tracebacks(caplog), tracebacks(caplog)
        await healthy(web, url)
    assert statuses.count(200) == 50 and statuses.count(429) == 250


async def test_stalled_and_dropped_connections_do_not_stop_service(simulator: Simulator) -> None:
    """Clients that send half a request and stall, or hang up mid-call, hold nothing others need."""
    async with http_service(simulator) as url, httpx.AsyncClient(timeout=15) as web:
        port = int(url.rsplit(":", 1)[1])
        stalled = []
        for _ in range(20):  # headers promising a body that never comes
            sock = socket.create_connection(("127.0.0.1", port))
            sock.sendall(
                b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"
            )
            stalled.append(sock)
        try:
            for _ in range(5):  # a streamed call, abandoned as soon as it started
                with anyio.move_on_after(0.05):
                    async with connect(url) as client:
                        await client.call_tool(
                            "chat_stream",
                            {"modelId": "amazon.nova-lite-v1:0", "messages": [{"role": "user", "content": "hi " * 50}]},
                        )
            await healthy(web, url)
        finally:
            for sock in stalled:
                sock.close()
        await healthy(web, url)
