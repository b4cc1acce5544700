"""Secrets: the Quant token (and the inbound client token) appear in zero bytes of what
quant-mcp says, in every mode.

One representative slice of work (every kind of tool, errors, upstream faults, broken
streams, bad arguments) runs in memory with the ``logging`` root captured at DEBUG, in a
stdio subprocess at ``--log-level DEBUG`` (stderr captured), and over HTTP with each
tenant's token in headers, both in process (log records) and as a ``quant-mcp serve
--transport http`` subprocess at DEBUG (uvicorn's own logs on stderr). Everything the
clients received (text, structured content, error messages, exception text) and everything
logged is searched for the tokens; the occurrences found are counted and reported.
"""

from __future__ import annotations

import json
import logging
import socket
import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import httpx
import httpx2
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client

from quant_mcp.server import build_server
from quant_mcp.simulator import Fault, Simulator
from tests.conftest import MODEL, OTHER_ORG, OTHER_TOKEN, TEST_ORG, TEST_TOKEN, make_settings
from tests.http.conftest import CLIENT_TOKEN, client_headers, connect, http_service
from tests.reliability.conftest import TALLY

pytestmark = pytest.mark.anyio

SECRETS = (TEST_TOKEN, OTHER_TOKEN, CLIENT_TOKEN)
FRAGMENTS = {secret[i : i + 12] for secret in SECRETS for i in range(len(secret) - 11)}
USER = [{"role": "user", "content": "tell me something"}]
FAST = {"QUANT_TIMEOUT": "1", "QUANT_MAX_RETRIES": "1", "QUANT_RETRY_MAX_WAIT": "1"}


class Evidence:
    """Everything a run said, labelled by where it was seen."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    def add(self, where: str, value: Any) -> None:
        self.seen.append((where, value if isinstance(value, str) else json.dumps(value, default=str)))

    def leaks(self) -> list[str]:
        """Where any 12 consecutive characters of a secret were seen (a shortened echo counts)."""
        found = []
        for where, text in self.seen:
            for piece in FRAGMENTS:
                at = text.find(piece)
                if at >= 0:
                    found.append(f"{piece!r} in {where}: ...{text[max(0, at - 80) : at]}")
        TALLY["secrets: token occurrences found"] += len(found)
        TALLY["secrets: characters searched"] += sum(len(text) for _, text in self.seen)
        return found


async def exercise(client: Client, simulator: Simulator, evidence: Evidence, where: str) -> None:
    """The representative slice: successes of every kind, refusals, upstream errors and faults."""

    async def call(tool: str, arguments: dict[str, Any]) -> Any:
        try:
            result = await client.call_tool(tool, arguments)
        except Exception as exc:
            evidence.add(f"{where} {tool} exception", f"{type(exc).__name__}: {exc}")
            return None
        for block in result.content:
            evidence.add(f"{where} {tool}", block.model_dump(mode="json"))
        evidence.add(f"{where} {tool} structured", result.structured_content)
        return result

    created = await call("create_session", {"userId": "secrets"})
    session = (created.structured_content or {}).get("sessionId", "missing") if created else "missing"
    for tool, arguments in [
        ("list_models", {}),
        ("get_model", {"modelId": MODEL}),
        ("get_session", {"sessionId": session}),
        ("update_session", {"sessionId": session, "newMessages": USER}),
        ("extend_session", {"sessionId": session}),
        ("list_sessions", {}),
        ("chat", {"modelId": MODEL, "messages": USER}),
        ("chat_stream", {"modelId": MODEL, "messages": USER}),
        ("chat_in_session", {"sessionId": session, "message": "and more"}),
        ("get_usage_stats", {}),
        ("get_ai_config", {}),
        ("get_session", {"sessionId": "00000000-0000-4000-8000-000000000000"}),  # 404
        ("list_sessions", {"organisation": "someone-else"}),  # 403, or refused by a bound connection
        ("list_sessions", {"limit": "ten", "surprise": True}),  # invalid arguments
        ("no_such_tool", {}),
    ]:
        await call(tool, arguments)
    for mode, tool, path in [
        ({"mode": "status", "status": 429, "retry_after": 0}, "list_models", "/models$"),
        ({"mode": "status", "status": 500}, "list_models", "/models$"),
        ({"mode": "status", "status": 401}, "list_models", "/models$"),
        ({"mode": "drop"}, "list_models", "/models$"),
        ({"mode": "malformed_json"}, "get_usage_stats", "/usage"),
        ({"mode": "latency", "delay": 2.5}, "get_ai_config", "/config"),
        ({"mode": "drop"}, "chat_stream", "/chat/stream$"),
        ({"mode": "truncated_sse"}, "chat_stream", "/chat/stream$"),
        ({"mode": "error_event"}, "chat_stream", "/chat/stream$"),
        ({"mode": "malformed_json"}, "chat_stream", "/chat/stream$"),
    ]:
        simulator.state.add_fault(Fault(**mode, path=path, count=None))
        await call(tool, {"modelId": MODEL, "messages": USER} if tool == "chat_stream" else {})
        simulator.state.clear_faults()
    try:
        evidence.add(f"{where} resource", (await client.read_resource("quant://sessions")).model_dump(mode="json"))
    except Exception as exc:
        evidence.add(f"{where} resource exception", f"{type(exc).__name__}: {exc}")
    await call("delete_session", {"sessionId": session})


def assert_no_leaks(evidence: Evidence) -> None:
    leaks = evidence.leaks()
    assert not leaks, "\n".join(leaks[:10])


async def test_in_memory_results_errors_and_logs(simulator: Simulator, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    evidence = Evidence()
    settings = make_settings(simulator, timeout=1.0, max_retries=1, retry_max_wait=1.0)
    async with Client(build_server(settings)) as client:
        await exercise(client, simulator, evidence, "in-memory")
    # A token with a stray line break or non-ASCII character is refused, not quoted back.
    for suffix in ["\n", "\r\n", "\x7f", "é", " "]:
        async with Client(build_server(make_settings(simulator, api_token=TEST_TOKEN + suffix))) as client:
            result = await client.call_tool("list_models", {})
            evidence.add(f"token+{suffix!r}", [block.model_dump(mode="json") for block in result.content])
    evidence.add("log records", caplog.text)
    evidence.add("log record arguments", [repr(record.args) for record in caplog.records])
    assert_no_leaks(evidence)
    assert simulator.state.requests, "the slice reached the simulator"


async def test_stdio_subprocess_at_debug(simulator: Simulator) -> None:
    evidence = Evidence()
    for token in [TEST_TOKEN, TEST_TOKEN + "\n"]:
        params = StdioServerParameters(
            command=sys.executable,
            args=["-m", "quant_mcp", "serve", "--log-level", "DEBUG"],
            env={"QUANT_API_TOKEN": token, "QUANT_ORGANIZATION": TEST_ORG, "QUANT_BASE_URL": simulator.base_url} | FAST,
        )
        with tempfile.TemporaryFile("w+") as errlog:
            async with Client(stdio_client(params, errlog=errlog)) as client:
                await exercise(client, simulator, evidence, f"stdio token+{token[-1]!r}")
            errlog.seek(0)
            stderr = errlog.read()
        assert "Using selector" in stderr, "the subprocess logged at DEBUG (asyncio's debug line)"
        evidence.add("stdio stderr", stderr)
    assert_no_leaks(evidence)


async def test_http_multi_tenant_in_process(simulator: Simulator, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    evidence = Evidence()
    multi = {
        "http_tenancy": "multi",
        "api_token": None,
        "organization": None,
        "timeout": 1.0,
        "max_retries": 1,
        "retry_max_wait": 1.0,
    }
    async with http_service(simulator, **multi) as url:
        for name, headers in [
            ("alice", client_headers(TEST_TOKEN, TEST_ORG)),
            ("bob", client_headers(OTHER_TOKEN, OTHER_ORG)),
        ]:
            async with connect(url, headers=headers) as client:
                await exercise(client, simulator, evidence, f"http-multi {name}")
        async with connect(url, headers=client_headers(TEST_TOKEN + "-revoked", TEST_ORG)) as client:  # 401 upstream
            evidence.add("http revoked", (await client.call_tool("list_models", {})).model_dump(mode="json"))
        async with httpx.AsyncClient(timeout=10) as web:  # inbound auth refusals
            for bearer in [TEST_TOKEN, CLIENT_TOKEN + "x"]:
                refused = await web.post(f"{url}/mcp", headers={"Authorization": f"Bearer {bearer}"}, json={})
                evidence.add("http 401", [refused.status_code, dict(refused.headers), refused.text])
    evidence.add("log records", caplog.text)
    assert_no_leaks(evidence)


@asynccontextmanager
async def http_subprocess(simulator: Simulator, output: Any) -> AsyncIterator[str]:
    """``quant-mcp serve --transport http`` (multi-tenant, static inbound auth) at DEBUG; its
    stdout and stderr both go to ``output``."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        "QUANT_BASE_URL": simulator.base_url,
        "QUANT_HTTP_TENANCY": "multi",
        "QUANT_HTTP_AUTH": "static",
        "QUANT_HTTP_TOKENS": CLIENT_TOKEN,
    }
    argv = [sys.executable, "-m", "quant_mcp", "serve", "--transport", "http", "--port", str(port), "--log-level", "DEBUG"]
    process = await anyio.open_process(argv, env=env | FAST, stdout=output, stderr=output)
    try:
        async with httpx.AsyncClient(timeout=1) as web:
            with anyio.fail_after(30):
                while not await _healthy(web, f"http://127.0.0.1:{port}/healthz"):
                    assert process.returncode is None, "the HTTP server exited at startup"
                    await anyio.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        with anyio.fail_after(10):
            await process.wait()


async def _healthy(web: httpx.AsyncClient, url: str) -> bool:
    try:
        return (await web.get(url)).status_code == 200
    except httpx.TransportError:
        return False


async def test_http_subprocess_at_debug(simulator: Simulator) -> None:
    evidence = Evidence()
    with tempfile.TemporaryFile("w+") as output:
        async with http_subprocess(simulator, output) as url:
            for name, token, organisation in [("alice", TEST_TOKEN, TEST_ORG), ("bob", OTHER_TOKEN, OTHER_ORG)]:
                async with (
                    httpx2.AsyncClient(headers=client_headers(token, organisation), timeout=30) as http,
                    Client(streamable_http_client(f"{url}/mcp", http_client=http)) as client,
                ):
                    await exercise(client, simulator, evidence, f"http-subprocess {name}")
        output.seek(0)
        logs = output.read()
    assert "connect_tcp.started" in logs, "quant-mcp logged at DEBUG"
    assert "quant_mcp.access POST /mcp 200" in logs and "quant_mcp.audit tool call" in logs, "access and audit lines too"
    evidence.add("http server output", logs)
    assert_no_leaks(evidence)
