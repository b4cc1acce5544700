"""Tenant isolation on one shared server: nothing upstream-stateful crosses tenants (a gateway's
cookie), the read-only header cannot be outvoted, dynamic toolset choices are the client's own,
and a 2026-era listen stream hears only its own tenant."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from tests.conftest import TEST_ORG, text_of
from tests.security.conftest import ALICE, Gateway, as_alice, as_bob, shared_service

pytestmark = pytest.mark.anyio


def ok(result: Any) -> dict[str, Any]:
    assert not result.is_error, text_of(result)
    return result.structured_content


async def test_a_cookie_set_on_one_tenants_answer_never_rides_with_anothers(simulator, gateway: Gateway, era) -> None:
    async with shared_service(simulator, base_url=gateway.url) as url:
        async with as_alice(url, era) as alice, as_bob(url, era) as bob:
            for client in (alice, bob, alice, bob):
                ok(await client.call_tool("list_sessions", {}))
                ok(
                    await client.call_tool(
                        "chat_stream", {"modelId": "amazon.nova-lite-v1:0", "messages": [{"role": "user", "content": "hi"}]}
                    )
                )
    organisations = {organisation for organisation, _ in gateway.cookies_seen}
    assert organisations == {TEST_ORG, "other-org"}, "both tenants went through the gateway"
    sent = [cookie for _, cookie in gateway.cookies_seen if cookie]
    assert not sent, f"a gateway cookie came back upstream: {sent[:3]}"


@asynccontextmanager
async def connect_raw(url: str, headers: list[tuple[str, str]], mode: str = "legacy") -> AsyncIterator[Client]:
    """A client whose every request carries ``headers`` exactly, repeated names included."""
    async with (
        httpx2.AsyncClient(headers=headers, timeout=30) as http,
        Client(streamable_http_client(f"{url}/mcp", http_client=http), mode=mode) as client,
    ):
        yield client


def with_read_only(identity: dict[str, str], *values: str) -> list[tuple[str, str]]:
    return [*identity.items(), *(("X-Quant-Read-Only", value) for value in values)]


@pytest.mark.parametrize(
    "values, read_only",
    [
        (("false", "true"), True),  # a gateway appended true after the client's false
        (("true, true",), True),
        (("enabled",), True),
        (("false, maybe",), True),
        (("",), True),
        (("false",), False),
        (("0", "off, no"), False),
        ((), False),
    ],
    ids=["false-then-true", "true-true", "enabled", "false-maybe", "empty", "false", "all-false", "absent"],
)
async def test_the_read_only_header_counts_every_value_and_anything_not_clearly_false(simulator, era, values, read_only) -> None:
    async with shared_service(simulator) as url, connect_raw(url, with_read_only(ALICE, *values), era) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
        created = await client.call_tool("create_session", {"userId": "ro"})
    assert "list_sessions" in names
    assert ("create_session" not in names) is read_only
    assert created.is_error is read_only, text_of(created)


async def test_dynamic_toolset_choices_are_the_clients_own_and_read_only_adds_no_writing_tool(simulator, era) -> None:
    async with (
        shared_service(simulator, dynamic_toolsets=True) as url,
        connect_raw(url, with_read_only(ALICE, "true"), era) as reader,
        as_bob(url, era) as bob,
    ):
        added = ok(await reader.call_tool("enable_toolset", {"toolset": "sessions"}))["added"]
        assert "list_sessions" in added and "create_session" not in added
        reader_tools = {tool.name for tool in (await reader.list_tools()).tools}
        bob_tools = {tool.name for tool in (await bob.list_tools()).tools}
        assert "list_sessions" in reader_tools
        assert bob_tools == {"list_toolsets", "describe_toolset", "enable_toolset"}, "Bob never enabled anything"
        refused = await bob.call_tool("list_sessions", {})
        assert refused.is_error and "enable_toolset" in text_of(refused)
        listed = ok(await bob.call_tool("list_toolsets", {}))["toolsets"]
        assert not any(toolset["enabled"] for toolset in listed)

        ok(await bob.call_tool("enable_toolset", {"toolset": "sessions"}))
        bob_tools = {tool.name for tool in (await bob.list_tools()).tools}
        assert {"list_sessions", "create_session"} <= bob_tools
        assert "create_session" not in {tool.name for tool in (await reader.list_tools()).tools}
        assert ok(await bob.call_tool("create_session", {"userId": "bob"}))["sessionId"]


async def test_a_2026_listen_stream_hears_only_its_own_tenant(simulator) -> None:
    async with shared_service(simulator) as url, as_alice(url) as alice, as_bob(url) as bob, as_alice(url) as alice_again:
        heard: dict[str, list[Any]] = {"bob": [], "alice": []}

        async def listen(client: Client, name: str, ready: anyio.Event) -> None:
            async with client.listen(resources_list_changed=True, resource_subscriptions=["quant://sessions"]) as events:
                ready.set()
                async for event in events:
                    heard[name].append(event)

        async with anyio.create_task_group() as tg:
            bob_ready, alice_ready = anyio.Event(), anyio.Event()
            tg.start_soon(listen, bob, "bob", bob_ready)
            tg.start_soon(listen, alice_again, "alice", alice_ready)
            await bob_ready.wait()
            await alice_ready.wait()
            session = ok(await alice.call_tool("create_session", {"userId": "alice"}))["sessionId"]
            ok(await alice.call_tool("delete_session", {"sessionId": session}))
            with anyio.move_on_after(5):
                while not heard["alice"]:
                    await anyio.sleep(0.05)
            await anyio.sleep(0.3)  # anything misdelivered would have arrived by now
            tg.cancel_scope.cancel()
    assert heard["alice"], "Alice's own stream heard her change"
    assert heard["bob"] == [], f"Bob heard Alice's tenant: {heard['bob'][:3]}"
