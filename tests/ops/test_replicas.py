"""Two replicas over a real Redis, behind a round-robin proxy on 127.0.0.1.

A client subscribed through one replica hears of a change made through the other, in both
protocol eras; dynamic toolset choices and chat_in_session's ordering hold across replicas;
Redis killed and restarted mid-run loses no call, and sharing comes back by itself."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import pytest
from mcp.shared.subscriptions import ResourceUpdated, ToolsListChanged

from tests.conftest import text_of
from tests.core.test_subscriptions import Inbox, listening, new_session, touch, updated
from tests.http.conftest import connect
from tests.ops.conftest import Replica, RoundRobinProxy, get, replica_env, replicas

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.filterwarnings("ignore:resources/(un)?subscribe is removed:mcp.MCPDeprecationWarning"),
]


@asynccontextmanager
async def two_replicas(simulator: Any, redis_url: str, **env: str) -> AsyncIterator[tuple[list[Replica], RoundRobinProxy]]:
    async with replicas(2, replica_env(simulator.base_url, redis_url, **env)) as started:
        async with RoundRobinProxy([r.port for r in started]).running() as proxy:
            yield started, proxy


def served(replica: Replica, tool: str) -> int:
    """How many calls of ``tool`` this replica's audit lines record."""
    lines = [json.loads(line) for line in replica.stderr().splitlines() if line.startswith("{")]
    return sum(1 for line in lines if line["logger"] == "quant_mcp.audit" and line.get("tool") == tool)


async def change_until_both_served(url: str, uri: str, pair: list[Replica], mode: str) -> int:
    """Touch the session through fresh connections (the proxy rotates them) until each replica
    has made at least one of the changes; how many changes were made."""
    made = 0
    while made < 8 and not all(served(r, "update_session") for r in pair):
        async with connect(url, mode=mode, headers={}) as changer:
            await touch(changer, uri)
        made += 1
        await anyio.sleep(0.1)  # the audit line is written as the call ends
    assert all(served(r, "update_session") for r in pair), "the proxy never reached both replicas"
    return made


async def test_a_2026_listener_hears_changes_made_through_either_replica(simulator, redis_server):
    async with two_replicas(simulator, redis_server.url) as (pair, proxy):
        async with connect(proxy.url, headers={}) as listener:
            uri = await new_session(listener)
            heard: list[Any] = []
            async with listener.listen(resource_subscriptions=[uri]) as subscription:

                async def collect() -> None:
                    async for event in subscription:
                        heard.append(event)

                async with anyio.create_task_group() as tg:
                    tg.start_soon(collect)
                    made = await change_until_both_served(proxy.url, uri, pair, "auto")
                    with anyio.fail_after(10):
                        while heard.count(ResourceUpdated(uri=uri)) < made:
                            await anyio.sleep(0.05)
                    tg.cancel_scope.cancel()
        # Every change was heard once, whichever replica made it and whichever holds the stream.
        assert heard.count(ResourceUpdated(uri=uri)) == made


async def test_a_2025_subscriber_hears_changes_made_through_either_replica(simulator, redis_server):
    async with two_replicas(simulator, redis_server.url) as (pair, proxy):
        inbox = Inbox()
        async with connect(proxy.url, mode="legacy", headers={}, message_handler=inbox) as watcher:
            await listening(watcher, inbox)  # its notification stream is up
            shared = await new_session(watcher)
            await watcher.subscribe_resource(shared)
            made = await change_until_both_served(proxy.url, shared, pair, "legacy")
            await inbox.wait_for(updated(shared), times=made)
        assert inbox.updates().count(shared) == made


async def test_a_toolset_enabled_through_one_replica_is_there_on_the_other(simulator, redis_server):
    async with two_replicas(simulator, redis_server.url, QUANT_DYNAMIC_TOOLSETS="true") as (pair, proxy):
        heard: list[Any] = []
        direct_a, direct_b = pair[0].url, pair[1].url
        async with connect(direct_a, headers={}) as on_a, connect(direct_b, headers={}) as on_b:
            assert "list_agents" not in {t.name for t in (await on_b.list_tools()).tools}
            async with on_b.listen(tools_list_changed=True) as subscription:

                async def collect() -> None:
                    async for event in subscription:
                        heard.append(event)

                async with anyio.create_task_group() as tg:
                    tg.start_soon(collect)
                    enabled = await on_a.call_tool("enable_toolset", {"toolset": "agents"})
                    assert not enabled.is_error, text_of(enabled)
                    with anyio.fail_after(10):
                        while ToolsListChanged() not in heard:
                            await anyio.sleep(0.05)
                    tg.cancel_scope.cancel()
            assert "list_agents" in {t.name for t in (await on_b.list_tools()).tools}
            assert not (await on_b.call_tool("list_agents", {})).is_error


async def test_chat_in_session_turns_run_one_at_a_time_across_replicas(simulator, redis_server):
    """Four turns in one session at once, through both replicas: each turn's chat carries every
    earlier turn (run together, several would read the same history and answer without the others)."""
    async with two_replicas(simulator, redis_server.url) as (pair, proxy):
        async with connect(proxy.url, headers={}) as setup:
            from tests.core.test_seed_tools import MODEL

            created = await setup.call_tool("create_session", {"userId": "u-order"})
            session_id = created.structured_content["sessionId"]

        async def turn(n: int) -> None:
            async with connect(pair[n % 2].url, headers={}) as client:
                result = await client.call_tool(
                    "chat_in_session", {"sessionId": session_id, "message": f"turn {n}", "modelId": MODEL}
                )
                assert not result.is_error, text_of(result)

        async with anyio.create_task_group() as tg:
            for n in range(4):
                tg.start_soon(turn, n)
        async with connect(proxy.url, headers={}) as reader:
            session = await reader.call_tool("get_session", {"sessionId": session_id})
        messages = session.structured_content["messages"]
        assert sorted(m["content"] for m in messages if m["role"] == "user") == [f"turn {n}" for n in range(4)]
        # The history each chat was sent with: 1, 3, 5, 7 messages when the turns ran one after another.
        chats = [r for r in simulator.state.requests if r.method == "POST" and isinstance(r.body, dict) and "messages" in r.body]
        assert sorted(len(r.body["messages"]) for r in chats) == [1, 3, 5, 7]


async def test_redis_killed_and_restarted_mid_run_loses_no_call(simulator, redis_server):
    async with two_replicas(simulator, redis_server.url) as (pair, proxy):
        failures: list[str] = []
        calls = 0
        stop = anyio.Event()

        async def caller() -> None:
            nonlocal calls
            while not stop.is_set():
                async with connect(proxy.url, headers={}) as client:
                    for _ in range(5):
                        result = await client.call_tool("list_models", {})
                        calls += 1
                        if result.is_error:
                            failures.append(text_of(result))

        async with anyio.create_task_group() as tg:
            for _ in range(4):
                tg.start_soon(caller)
            await anyio.sleep(1.0)
            redis_server.stop()
            await anyio.sleep(2.0)  # calls go on with Redis gone
            during = calls
            redis_server.start()
            with anyio.fail_after(20):
                while not all(["quant_mcp_redis_up 1.0" in (await get(f"{r.url}/metrics")).text for r in pair]):
                    await anyio.sleep(0.2)
            await anyio.sleep(0.5)
            stop.set()
        assert failures == [] and calls > during > 0
        for replica in pair:
            log = replica.stderr()
            assert "Redis is unavailable" in log and "Redis answers again" in log
            metrics = (await get(f"{replica.url}/metrics")).text
            assert "quant_mcp_redis_fallbacks_total" in metrics
        # And sharing is back: a change through one replica reaches a listener on the other.
        async with connect(pair[0].url, headers={}) as listener:
            uri = await new_session(listener)
            async with listener.listen(resource_subscriptions=[uri]) as subscription:
                async with connect(pair[1].url, headers={}) as changer:
                    await touch(changer, uri)
                with anyio.fail_after(10):
                    async for event in subscription:
                        if event == ResourceUpdated(uri=uri):
                            break


async def test_the_tool_call_rate_holds_across_replicas(simulator, redis_server):
    """Three calls a minute: spent through one replica, the fourth is refused by the other."""
    async with two_replicas(simulator, redis_server.url, QUANT_LIMIT_TOOL_CALLS_PER_MINUTE="3") as (pair, _):
        async with connect(pair[0].url, headers={}) as first:
            for _ in range(3):
                result = await first.call_tool("list_models", {})
                assert not result.is_error, text_of(result)
        async with connect(pair[1].url, headers={}) as second:
            refused = await second.call_tool("list_models", {})
        assert refused.is_error and "QUANT_LIMIT_TOOL_CALLS_PER_MINUTE" in text_of(refused), text_of(refused)
