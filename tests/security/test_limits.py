"""Fair limits per client identity: one identity over a limit gets an answer that names the limit
and when to retry (HTTP 429 + Retry-After, or a tool error), and the other identity is unaffected.
Two inbound identities (static tokens), two tenants, uvicorn on 127.0.0.1, the simulator behind."""

from __future__ import annotations

import json
import time
from functools import partial
from typing import Any

import anyio
import httpx
import httpx2
import pytest
from mcp import MCPError

from quant_mcp.client import QuantClient
from quant_mcp.errors import NotSent
from quant_mcp.simulator import Fault
from tests.conftest import OTHER_ORG, TEST_ORG, TEST_TOKEN, make_settings, text_of
from tests.http.conftest import connect
from tests.security.conftest import ALICE, BOB, as_alice, as_bob, shared_service

pytestmark = pytest.mark.anyio

MODEL = "amazon.nova-lite-v1:0"
USER = [{"role": "user", "content": "Tell me a long story about limits."}]
ACCEPT = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "limits", "version": "1"}},
}


def ok(result: Any) -> dict[str, Any]:
    assert not result.is_error, text_of(result)
    return result.structured_content


async def open_session(web: httpx.AsyncClient, url: str, who: dict[str, str]) -> httpx.Response:
    return await web.post(f"{url}/mcp", json=INITIALIZE, headers=who | ACCEPT)


def assert_429(response: httpx.Response, setting: str) -> None:
    assert response.status_code == 429, (response.status_code, response.text)
    assert int(response.headers["Retry-After"]) >= 1
    message = response.json()["error"]["message"]
    assert setting in message and "retry in" in message.lower(), message


async def test_abandoned_sessions_of_one_identity_never_lock_out_another(simulator) -> None:
    async with shared_service(simulator, limit_sessions=5) as url, httpx.AsyncClient(timeout=10) as web:
        opened = [await open_session(web, url, ALICE) for _ in range(5)]  # never closed
        assert all(response.status_code == 200 for response in opened)
        assert_429(await open_session(web, url, ALICE), "QUANT_LIMIT_SESSIONS")
        assert (await open_session(web, url, BOB)).status_code == 200, "Bob is unaffected"
        async with as_bob(url, "legacy") as bob:
            ok(await bob.call_tool("list_models", {}))
        # Alice ends one session (DELETE): she may open one again.
        session_id = opened[0].headers["mcp-session-id"]
        ended = await web.delete(f"{url}/mcp", headers=ALICE | ACCEPT | {"Mcp-Session-Id": session_id})
        assert ended.status_code < 300
        assert (await open_session(web, url, ALICE)).status_code == 200


async def test_get_streams_of_one_identity_are_bounded(simulator) -> None:
    async with shared_service(simulator, limit_listen_streams=2) as url, httpx.AsyncClient(timeout=10) as web:
        sessions = [(await open_session(web, url, ALICE)).headers["mcp-session-id"] for _ in range(3)]
        bob_session = (await open_session(web, url, BOB)).headers["mcp-session-id"]
        async with anyio.create_task_group() as tg:
            opened = anyio.Event()
            count = 0

            async def hold(session_id: str, who: dict[str, str]) -> None:
                nonlocal count
                headers = who | {
                    "Accept": "text/event-stream",
                    "Mcp-Session-Id": session_id,
                    "MCP-Protocol-Version": "2025-11-25",
                }
                async with web.stream("GET", f"{url}/mcp", headers=headers) as response:
                    assert response.status_code == 200
                    count += 1
                    if count == 2:
                        opened.set()
                    await anyio.sleep_forever()

            tg.start_soon(hold, sessions[0], ALICE)
            tg.start_soon(hold, sessions[1], ALICE)
            with anyio.fail_after(10):
                await opened.wait()
            headers = ALICE | {"Accept": "text/event-stream", "Mcp-Session-Id": sessions[2], "MCP-Protocol-Version": "2025-11-25"}
            assert_429(await web.get(f"{url}/mcp", headers=headers), "QUANT_LIMIT_LISTEN_STREAMS")
            bob_headers = BOB | {
                "Accept": "text/event-stream",
                "Mcp-Session-Id": bob_session,
                "MCP-Protocol-Version": "2025-11-25",
            }
            async with web.stream("GET", f"{url}/mcp", headers=bob_headers) as response:
                assert response.status_code == 200, "Bob is unaffected"
            tg.cancel_scope.cancel()


async def test_listen_streams_of_one_identity_are_bounded(simulator) -> None:
    async with (
        shared_service(simulator, limit_listen_streams=2) as url,
        as_alice(url) as alice,
        as_bob(url) as bob,
        alice.listen(tools_list_changed=True),
        alice.listen(resources_list_changed=True),
    ):
        with pytest.raises(MCPError, match="QUANT_LIMIT_LISTEN_STREAMS"):
            async with alice.listen(prompts_list_changed=True):
                pass
        async with bob.listen(tools_list_changed=True) as stream:
            assert stream is not None, "Bob is unaffected"


async def test_concurrent_large_bodies_of_one_identity_are_bounded(simulator) -> None:
    size = 200_000
    async with (
        shared_service(simulator, limit_large_bodies=1, limit_large_body_bytes=100_000) as url,
        httpx.AsyncClient(timeout=20) as web,
    ):
        release = anyio.Event()
        started = anyio.Event()

        async def slow_body() -> Any:
            yield b"{" + b" " * 1000
            started.set()
            await release.wait()
            yield b" " * (size - 1002) + b"}"

        async def first() -> None:
            headers = ALICE | ACCEPT | {"Content-Length": str(size)}
            await web.post(f"{url}/mcp", content=slow_body(), headers=headers)

        async with anyio.create_task_group() as tg:
            tg.start_soon(first)
            with anyio.fail_after(10):
                await started.wait()
            big = b"{" + b" " * (size - 2) + b"}"
            assert_429(await web.post(f"{url}/mcp", content=big, headers=ALICE | ACCEPT), "QUANT_LIMIT_LARGE_BODIES")
            bob = await web.post(f"{url}/mcp", content=big, headers=BOB | ACCEPT)
            assert bob.status_code != 429, "Bob is unaffected"
            small = await open_session(web, url, ALICE)
            assert small.status_code == 200, "small requests of Alice still pass"
            release.set()


async def test_one_identity_cannot_take_every_upstream_slot_and_a_full_queue_is_this_server_being_busy(simulator) -> None:
    simulator.state.add_fault(Fault(mode="slow_stream", delay=0.4, path=f"/organizations/{TEST_ORG}/ai/chat/stream", count=None))
    async with shared_service(simulator, limit_upstream_requests=2, timeout=2.0) as url:
        async with as_alice(url) as alice, as_bob(url) as bob:
            async with anyio.create_task_group() as tg:
                for _ in range(2):
                    tg.start_soon(alice.call_tool, "chat_stream", {"modelId": MODEL, "messages": USER})
                await anyio.sleep(0.5)
                began = time.monotonic()
                refused = await alice.call_tool("list_models", {})
                waited = time.monotonic() - began
                started = time.monotonic()
                ok(await bob.call_tool("list_models", {}))
                bob_took = time.monotonic() - started
                tg.cancel_scope.cancel()
    text = text_of(refused)
    assert refused.is_error and "busy" in text and "QUANT_LIMIT_UPSTREAM_REQUESTS" in text, text
    assert "did not answer" not in text, "a local queue is not the Quant API failing"
    assert 1.5 < waited < 4, waited
    assert bob_took < 1.0, f"Bob waited {bob_took:.2f} s"


async def test_a_full_connection_pool_is_reported_as_busy_not_as_the_api_failing(simulator) -> None:
    simulator.state.add_fault(Fault(mode="latency", delay=1.5, path="/models$", count=1))
    settings = make_settings(simulator, timeout=0.5, max_retries=0)
    client = QuantClient(settings, transport=httpx2.AsyncHTTPTransport(limits=httpx2.Limits(max_connections=1)))
    path = f"/api/v3/organizations/{TEST_ORG}/ai/models"
    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(partial(client.request, "GET", path, timeout=3.0))  # holds the only connection for 1.5 s
            await anyio.sleep(0.1)
            with pytest.raises(NotSent, match="This server is busy") as refused:
                await client.request("GET", path)
            tg.cancel_scope.cancel()
    finally:
        await client.aclose()
    assert "did not answer" not in str(refused.value)


async def test_a_tool_call_rate_per_identity_and_tool(simulator) -> None:
    async with shared_service(simulator, limit_tool_calls_per_minute=3) as url, as_alice(url) as alice, as_bob(url) as bob:
        for _ in range(3):
            ok(await alice.call_tool("list_models", {}))
        before = len(simulator.state.requests)
        refused = await alice.call_tool("list_models", {})
        assert refused.is_error and "QUANT_LIMIT_TOOL_CALLS_PER_MINUTE" in text_of(refused) and "retry in" in text_of(refused)
        assert len(simulator.state.requests) == before, "nothing was sent"
        ok(await alice.call_tool("list_sessions", {}))  # another tool has its own budget
        for _ in range(3):
            ok(await bob.call_tool("list_models", {}))  # Bob is unaffected


async def test_an_upstream_429_pauses_that_tenants_calls_to_that_route(simulator) -> None:
    chat = f"/organizations/{TEST_ORG}/ai/chat$"
    simulator.state.add_fault(Fault(mode="status", status=429, retry_after=5, path=chat, count=1))
    async with shared_service(simulator) as url, as_alice(url) as alice, as_bob(url) as bob:
        first = await alice.call_tool("chat", {"modelId": MODEL, "messages": USER})
        assert first.is_error and "429" in text_of(first)
        sent = [r for r in simulator.state.requests if r.path.endswith("/ai/chat")]
        again = await alice.call_tool("chat", {"modelId": MODEL, "messages": USER})
        assert again.is_error and "Retry in" in text_of(again), text_of(again)
        assert [r for r in simulator.state.requests if r.path.endswith("/ai/chat")] == sent, "the paused call was not sent"
        ok(await bob.call_tool("chat", {"modelId": MODEL, "messages": USER}))  # another tenant: not paused
        ok(await alice.call_tool("list_models", {}))  # another route: not paused
    assert {r.organisation for r in simulator.state.requests if r.path.endswith("/ai/chat")} == {TEST_ORG, OTHER_ORG}


def test_limits_reply_as_json_rpc() -> None:
    from quant_mcp.limits import LimitExceeded, too_many

    body, headers = too_many(LimitExceeded("Too many things (QUANT_LIMIT_X). Retry in 3 s.", 2.2))
    assert json.loads(json.dumps(body))["error"]["message"].startswith("Too many things")
    assert headers == {"Retry-After": "3"}


async def test_with_jwt_the_identity_is_the_subject_not_the_token(simulator) -> None:
    """Single tenant, so the inbound credential is the identity: two tokens of one subject share
    its limits; another subject (same client application) does not."""
    from tests.http.test_auth import Issuer, jwt_settings

    issuer = Issuer()
    single = {"http_tenancy": "single", "api_token": TEST_TOKEN, "organization": TEST_ORG}
    async with (
        issuer.serving() as jwks_url,
        shared_service(simulator, **jwt_settings(jwks_url), **single, limit_tool_calls_per_minute=2) as url,
    ):
        ada_1 = {"Authorization": f"Bearer {issuer.token(sub='ada')}"}
        ada_2 = {"Authorization": f"Bearer {issuer.token(sub='ada', jti='second')}"}
        grace = {"Authorization": f"Bearer {issuer.token(sub='grace')}"}
        assert ada_1 != ada_2
        async with (
            connect(url, headers=ada_1) as first,
            connect(url, headers=ada_2) as second,
            connect(url, headers=grace) as other,
        ):
            ok(await first.call_tool("list_models", {}))
            ok(await second.call_tool("list_models", {}))
            refused = await first.call_tool("list_models", {})
            assert refused.is_error and "QUANT_LIMIT_TOOL_CALLS_PER_MINUTE" in text_of(refused)
            for _ in range(2):
                ok(await other.call_tool("list_models", {}))
