"""SharedState against a real redis-server: two replicas' worth of state in one process (each
with its own connection and replica id), then Redis killed and restarted under them."""

from __future__ import annotations

import logging
from contextlib import AsyncExitStack

import anyio
import pytest
from mcp.server.subscriptions import ResourceUpdated, ToolsListChanged

from quant_mcp.config import Settings
from quant_mcp.observability import REDIS_FALLBACKS, REDIS_UP
from quant_mcp.shared_state import Busy, SharedState

pytestmark = pytest.mark.anyio


def shared(redis_url: str | None, prefix: str = "t") -> SharedState:
    return SharedState(Settings(_env_file=None, redis_url=redis_url, redis_prefix=prefix))


async def until(condition, seconds: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    with anyio.fail_after(seconds):
        while not condition():
            await anyio.sleep(0.02)


def fallbacks(kind: str) -> float:
    return REDIS_FALLBACKS.labels(kind)._value.get()


TENANT = ("org", "ab" * 32)


def collector(state: SharedState) -> list[tuple]:
    heard: list[tuple] = []

    async def arrived(tenant, event) -> None:  # type: ignore[no-untyped-def]
        heard.append((tenant, event))

    state.on_event(arrived)
    return heard


async def test_an_event_published_on_one_replica_reaches_the_others_once_with_its_tenant(redis_server):
    a, b = shared(redis_server.url), shared(redis_server.url)
    heard_a, heard_b = collector(a), collector(b)
    async with a.running(), b.running():
        assert a.up and b.up and REDIS_UP._value.get() == 1
        await a.publish_event(TENANT, ResourceUpdated(uri="quant://sessions/s-1"))
        await b.publish_event(TENANT, ToolsListChanged())
        await until(lambda: len(heard_a) == 1 and len(heard_b) == 1)
        await anyio.sleep(0.2)  # nothing else arrives: each replica skips its own echo
    assert heard_b == [(TENANT, ResourceUpdated(uri="quant://sessions/s-1"))]
    assert heard_a == [(TENANT, ToolsListChanged())]


async def test_2025_announcements_cross_with_their_tenant(redis_server):
    a, b = shared(redis_server.url), shared(redis_server.url)
    heard: list[tuple] = []

    async def on_2025(tenant, uri):  # type: ignore[no-untyped-def]
        heard.append((tenant, uri))

    b.on_2025(on_2025)
    async with a.running(), b.running():
        await a.announce_2025(("org", "ab" * 32), "quant://sessions/s-2")
        await until(lambda: heard)
    assert heard == [(("org", "ab" * 32), "quant://sessions/s-2")]


async def test_state_ordering_and_counters_are_shared(redis_server):
    a, b = shared(redis_server.url), shared(redis_server.url)
    async with a.running(), b.running():
        await a.put("session:x:toolsets", ["agents"])
        assert await b.get("session:x:toolsets") == ["agents"]
        assert await b.get("nothing-here") is None

        inside: list[str] = []
        overlaps = 0

        async def turn(state: SharedState, name: str) -> None:
            nonlocal overlaps
            async with state.ordered("chat:s-1", hold_seconds=10, wait=10):
                inside.append(name)
                overlaps = max(overlaps, len(inside))
                await anyio.sleep(0.05)
                inside.remove(name)

        async with anyio.create_task_group() as tg:
            for i in range(4):
                tg.start_soon(turn, a if i % 2 else b, f"t{i}")
        assert overlaps == 1

        waits = [await (a if i % 2 else b).take("tenant-1:chat", 3, 1.0) for i in range(4)]
        assert waits[:3] == [0, 0, 0] and 0 < waits[3] <= 1.0  # three between both replicas, then a wait
        await a.pause("tenant-1:/chat", 2.0)
        assert 1.0 < await b.paused_for("tenant-1:/chat") <= 2.0


async def test_without_redis_everything_is_local():
    alone = shared(None)
    async with alone.running():
        await alone.publish_event(TENANT, ToolsListChanged())  # nobody else: nothing to do, no error
        await alone.put("k", {"v": 1})
        assert await alone.get("k") == {"v": 1}
        async with alone.ordered("k", 1, wait=1):
            pass
        assert [await alone.take("c", 2, 1.0) > 0 for _ in range(3)] == [False, False, True]


async def test_redis_going_away_falls_back_with_a_warning_and_a_metric_then_recovers(redis_server, caplog):
    caplog.set_level(logging.WARNING, logger="quant_mcp.shared_state")
    a, b = shared(redis_server.url), shared(redis_server.url)
    heard_b = collector(b)
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(a.running())
        await stack.enter_async_context(b.running())
        redis_server.stop()
        await until(lambda: not a.up and not b.up)
        assert REDIS_UP._value.get() == 0
        assert any("Redis is unavailable" in r.getMessage() for r in caplog.records)

        before = fallbacks("notify")
        with anyio.fail_after(1):  # local delivery does not wait on the dead Redis
            await a.publish_event(TENANT, ToolsListChanged())
            async with a.ordered("chat:s-9", hold_seconds=5, wait=5):
                pass
            assert await a.take("c", 1, 1.0) == 0
        assert heard_b == []
        assert fallbacks("notify") == before + 1

        redis_server.start()  # same port: both reconnect by themselves
        await until(lambda: a.up and b.up, seconds=15)
        assert any("Redis answers again" in r.getMessage() for r in caplog.records)
        await a.publish_event(TENANT, ResourceUpdated(uri="quant://sessions/back"))
        await until(lambda: (TENANT, ResourceUpdated(uri="quant://sessions/back")) in heard_b)


@pytest.mark.parametrize("with_redis", [True, False])
async def test_a_turn_not_free_within_its_wait_is_refused(redis_server, with_redis):
    """Held on one replica (or here, alone), ``ordered`` on the same name gives up after its wait
    with Busy, and the name is free again once the holder leaves."""
    a = shared(redis_server.url if with_redis else None)
    b = shared(redis_server.url) if with_redis else a
    async with AsyncExitStack() as stack:
        for state in {id(a): a, id(b): b}.values():
            await stack.enter_async_context(state.running())
        holding, done = anyio.Event(), anyio.Event()

        async def hold() -> None:
            async with a.ordered("chat:s-busy", hold_seconds=10, wait=1):
                holding.set()
                await done.wait()

        async with anyio.create_task_group() as tg:
            tg.start_soon(hold)
            await holding.wait()
            with anyio.fail_after(2), pytest.raises(Busy):
                async with b.ordered("chat:s-busy", hold_seconds=10, wait=0.2):
                    pass
            done.set()
        async with b.ordered("chat:s-busy", hold_seconds=10, wait=1):
            pass
