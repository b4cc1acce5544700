"""Secrets: upstream error text that quotes the request's Authorization header (a gateway in
front of the Quant API does) reaches no client and no log line, for tools, streams, resources
and prompts, in both protocol eras, whether the token is the server's (single tenant) or the
caller's own (multi-tenant)."""

from __future__ import annotations

import logging
import subprocess
import sys
from typing import Any

import pytest

from tests.conftest import TEST_ORG, TEST_TOKEN
from tests.http.conftest import free_port, wait_until_ready
from tests.security.conftest import ALICE_INBOUND, BOB_INBOUND, Gateway, as_alice, as_bob, leaks, shared_service

pytestmark = pytest.mark.anyio

MODEL = "amazon.nova-lite-v1:0"
USER = [{"role": "user", "content": "hello"}]
SESSION = "00000000-0000-4000-8000-000000000000"


async def everything_fails(client: Any) -> list[str]:
    """Every kind of request, each answered by the gateway's quoting error; what the client saw."""
    seen: list[str] = []
    for tool, arguments in [
        ("list_models", {}),
        ("chat", {"modelId": MODEL, "messages": USER}),
        ("chat_stream", {"modelId": MODEL, "messages": USER}),
        ("chat_in_session", {"sessionId": SESSION, "message": "hi"}),
    ]:
        result = await client.call_tool(tool, arguments)
        assert result.is_error, tool
        seen += [block.text for block in result.content if block.type == "text"]
    for read in (
        lambda: client.read_resource("quant://sessions"),
        lambda: client.read_resource(f"quant://sessions/{SESSION}"),
        lambda: client.get_prompt("summarise_session", {"sessionId": SESSION}),
    ):
        with pytest.raises(Exception) as refused:
            await read()
        seen.append(str(refused.value))
    return seen


@pytest.mark.parametrize("tenancy", ["single", "multi"])
async def test_upstream_error_text_never_carries_a_token(simulator, gateway: Gateway, era, tenancy, caplog) -> None:
    caplog.set_level(logging.INFO)
    gateway.quote_authorization = ".*"
    tenancy_settings = (
        {"http_tenancy": "single", "api_token": TEST_TOKEN, "organization": TEST_ORG} if tenancy == "single" else {}
    )
    async with shared_service(simulator, base_url=gateway.url, **tenancy_settings) as url:
        async with as_alice(url, era) as alice, as_bob(url, era) as bob:
            seen = await everything_fails(alice) + await everything_fails(bob)
    assert any("Gateway refused the request" in text for text in seen), "the upstream's words still reach the client"
    assert any("[redacted]" in text for text in seen)
    found = [text for text in seen if leaks(text)]
    assert not found, found[:3]
    assert "failed" in caplog.text, "the SDK's own 'Tool ... failed' line was logged at INFO"
    assert not leaks(caplog.text), [line for line in caplog.text.splitlines() if leaks(line)][:3]


def test_a_serve_process_at_debug_logs_no_token(tmp_path) -> None:
    """The real process, uvicorn's handlers and all: stderr at DEBUG carries no token."""
    import anyio

    async def run() -> str:
        from quant_mcp.simulator import Simulator
        from tests.conftest import OTHER_ORG, OTHER_TOKEN
        from tests.http.conftest import serve_app

        async with Simulator(tokens={TEST_TOKEN: TEST_ORG, OTHER_TOKEN: OTHER_ORG}) as sim:
            proxy = Gateway(sim.base_url, quote_authorization=".*")
            async with serve_app(proxy) as gateway_url:
                port = free_port()
                env = {
                    "QUANT_API_TOKEN": TEST_TOKEN,
                    "QUANT_ORGANIZATION": TEST_ORG,
                    "QUANT_BASE_URL": gateway_url,
                    "QUANT_HTTP_AUTH": "static",
                    "QUANT_HTTP_TOKENS": f"{ALICE_INBOUND},{BOB_INBOUND}",
                    "QUANT_MAX_RETRIES": "0",
                }
                argv = [
                    sys.executable,
                    "-m",
                    "quant_mcp",
                    "serve",
                    "--transport",
                    "http",
                    "--port",
                    str(port),
                    "--log-level",
                    "DEBUG",
                ]
                with open(tmp_path / "stderr", "w") as errors:
                    process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=errors)
                    try:
                        url = f"http://127.0.0.1:{port}"
                        await wait_until_ready(url, "/healthz")
                        async with as_alice(url, "legacy") as alice, as_bob(url) as bob:
                            seen = await everything_fails(alice) + await everything_fails(bob)
                    finally:
                        process.terminate()
                        process.wait(10)
                assert not [text for text in seen if leaks(text)]
        return (tmp_path / "stderr").read_text()

    stderr = anyio.run(run)
    assert "failed" in stderr and "receive_response_headers" in stderr, "logged at DEBUG (httpcore's lines)"
    assert not leaks(stderr), [line for line in stderr.splitlines() if leaks(line)][:3]


def test_a_stdio_process_at_debug_says_no_token(tmp_path) -> None:
    """stdio: the same quoting gateway; neither the protocol nor stderr carries the token."""
    import anyio
    from mcp import Client, StdioServerParameters
    from mcp.client.stdio import stdio_client

    async def run() -> tuple[list[str], str]:
        from quant_mcp.simulator import Simulator
        from tests.http.conftest import serve_app

        async with Simulator(tokens={TEST_TOKEN: TEST_ORG}) as sim:
            proxy = Gateway(sim.base_url, quote_authorization=".*")
            async with serve_app(proxy) as gateway_url:
                params = StdioServerParameters(
                    command=sys.executable,
                    args=["-m", "quant_mcp", "serve", "--log-level", "DEBUG"],
                    env={
                        "QUANT_API_TOKEN": TEST_TOKEN,
                        "QUANT_ORGANIZATION": TEST_ORG,
                        "QUANT_BASE_URL": gateway_url,
                        "QUANT_MAX_RETRIES": "0",
                    },
                )
                with open(tmp_path / "stderr", "w+") as errlog:
                    async with Client(stdio_client(params, errlog=errlog)) as client:
                        seen = await everything_fails(client)
        return seen, (tmp_path / "stderr").read_text()

    seen, stderr = anyio.run(run)
    assert any("[redacted]" in text for text in seen)
    assert not [text for text in seen if leaks(text)]
    assert "failed" in stderr and not leaks(stderr), [line for line in stderr.splitlines() if leaks(line)][:3]
