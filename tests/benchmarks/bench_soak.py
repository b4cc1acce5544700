"""Soak: 50 MCP clients over Streamable HTTP calling a mix of tools for 2 minutes (``quick``:
15 s), loopback only, stopping by itself.

Three processes: the simulator, ``quant-mcp serve --transport http`` (static inbound auth,
as deployed) and this one, which runs the clients: half speak the 2026-07-28 protocol, half
the 2025-11-25 one (stateful sessions). Each client repeats one scenario: create a session,
read it, append to it, chat, stream a chat, list models, read a model, list sessions, read
usage, delete the session. Every call is timed; a tool error or an exception is an error.

Reported: calls served, errors (target 0), p50/p99 latency over the whole run, and over the
last third against the first third (drift under sustained load), and the server's RSS at the
start of the measured phase (all clients connected and warm) against its end (target: growth
under 10%), plus its peak in the last third against the first (sampled each second), which
tells warm-up that levels off from a leak that keeps growing.

    .venv/bin/python -m tests.benchmarks.bench_soak [--full]
"""

from __future__ import annotations

import sys
import time
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from tests.benchmarks._common import (
    http_server,
    percentile,
    print_table,
    row,
    simulator_process,
)
from tests.conftest import MODEL

BENCHMARK = "soak_http"
CLIENTS = 50
FULL_SECONDS = 120.0
QUICK_SECONDS = 15.0
CALL_LIMIT = 30.0  # seconds; a call slower than this counts as an error (and ends that client's round)
CLIENT_TOKEN = "soak-inbound-token"
USER = [{"role": "user", "content": "Give me three facts about soak tests."}]


@dataclass
class Soak:
    """What one soak run saw."""

    seconds: float
    clients: int
    calls: list[tuple[float, float]] = field(default_factory=list)  # (seconds into the measured phase, latency ms)
    errors: list[str] = field(default_factory=list)
    rss_start_mb: float = 0.0
    rss_end_mb: float = 0.0
    rss_samples: list[tuple[float, float]] = field(default_factory=list)  # (seconds into the measured phase, MiB)

    def latencies(self, since: float = 0.0, until: float = float("inf")) -> list[float]:
        return [ms for at, ms in self.calls if since <= at < until]


def rss_mb(pid: int) -> float:
    """A process's resident memory now (VmRSS), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc (Linux only)")


class Agent:
    """One MCP client and its scenario."""

    def __init__(self, client: Client, soak: Soak, name: str) -> None:
        self.client = client
        self.soak = soak
        self.name = name
        self.started = 0.0  # perf_counter at the start of the measured phase; 0 while warming up

    async def call(self, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
        began = time.perf_counter()
        try:
            with anyio.fail_after(CALL_LIMIT):
                result = await self.client.call_tool(
                    tool, arguments, progress_callback=_ignore if tool == "chat_stream" else None
                )
        except Exception as exc:
            raise CallFailed(f"{tool}: {type(exc).__name__}: {exc}") from None
        ended = time.perf_counter()
        if result.is_error:
            raise CallFailed(f"{tool}: {result.content[0].text if result.content else 'error'}"[:300])
        if self.started:
            self.soak.calls.append((began - self.started, (ended - began) * 1000))
        return result.structured_content or {}

    async def scenario(self) -> None:
        session = (await self.call("create_session", {"userId": self.name}))["sessionId"]
        await self.call("get_session", {"sessionId": session})
        await self.call("update_session", {"sessionId": session, "newMessages": USER})
        await self.call("chat", {"modelId": MODEL, "messages": USER})
        await self.call("chat_stream", {"modelId": MODEL, "messages": USER})
        await self.call("list_models", {})
        await self.call("get_model", {"modelId": MODEL})
        await self.call("list_sessions", {"limit": 5})
        await self.call("get_usage_stats", {})
        await self.call("delete_session", {"sessionId": session})


class CallFailed(Exception):
    pass


async def _ignore(progress: float, total: float | None, message: str | None) -> None:
    return None


async def _connect(stack: AsyncExitStack, url: str, mode: str) -> Client:
    http = await stack.enter_async_context(httpx2.AsyncClient(headers={"Authorization": f"Bearer {CLIENT_TOKEN}"}, timeout=60))
    return await stack.enter_async_context(Client(streamable_http_client(f"{url}/mcp", http_client=http), mode=mode))


async def run_agents(url: str, pids: list[int], soak: Soak) -> tuple[list[float], list[float]]:
    """``soak.clients`` MCP clients (half each protocol era) running scenarios against ``url`` for
    ``soak.seconds`` after a warm-up; the RSS (MiB) of each server in ``pids`` at the start and
    the end, and the first one's sampled once a second into the soak."""
    async with AsyncExitStack() as stack:
        agents = [
            Agent(await _connect(stack, url, "auto" if i % 2 else "legacy"), soak, f"soak-{i}") for i in range(soak.clients)
        ]
        for agent in agents:  # warm-up: one scenario each, unmeasured
            await agent.scenario()
        starts = [rss_mb(pid) for pid in pids]
        started = time.perf_counter()
        deadline = started + soak.seconds

        async def loop(agent: Agent) -> None:
            agent.started = started
            while time.perf_counter() < deadline:
                try:
                    await agent.scenario()
                except CallFailed as exc:
                    soak.errors.append(str(exc))

        async def sample_rss() -> None:  # once a second: growth that levels off is warm-up, not a leak
            while time.perf_counter() < deadline:
                soak.rss_samples.append((time.perf_counter() - started, rss_mb(pids[0])))
                await anyio.sleep(1.0)

        with anyio.fail_after(soak.seconds + 2 * CALL_LIMIT):  # bounded whatever happens
            async with anyio.create_task_group() as tg:
                tg.start_soon(sample_rss)
                for agent in agents:
                    tg.start_soon(loop, agent)
        return starts, [rss_mb(pid) for pid in pids]


async def _run(url: str, pid: int, soak: Soak) -> None:
    (soak.rss_start_mb,), (soak.rss_end_mb,) = await run_agents(url, [pid], soak)


def soak(seconds: float, clients: int = CLIENTS) -> Soak:
    """Run the soak for ``seconds`` (after a warm-up) with ``clients`` concurrent clients."""
    result = Soak(seconds=seconds, clients=clients)
    with simulator_process() as base_url, http_server(base_url, inbound_token=CLIENT_TOKEN) as (url, pid):
        anyio.run(_run, url, pid, result)
    return result


def rows(result: Soak) -> list[dict[str, Any]]:
    third = result.seconds / 3
    first, last = result.latencies(until=third), result.latencies(since=2 * third)
    everything = result.latencies()
    note = f"{result.clients} clients, {result.seconds:g} s, half 2025 half 2026 protocol"
    drift = "last third of the run vs the first third"
    return [
        row(BENCHMARK, "calls served", len(everything), None, note),
        row(
            BENCHMARK,
            "errors",
            len(result.errors),
            None,
            "target 0" + (f"; first: {result.errors[0][:120]}" if result.errors else ""),
        ),
        row(BENCHMARK, "throughput (calls/s)", len(everything) / result.seconds, None, note),
        row(BENCHMARK, "p50 (ms)", percentile(everything, 50), None, note),
        row(BENCHMARK, "p99 (ms)", percentile(everything, 99), None, note),
        row(BENCHMARK, "p50 drift (ms)", percentile(last, 50), percentile(first, 50), drift),
        row(BENCHMARK, "p99 drift (ms)", percentile(last, 99), percentile(first, 99), drift),
        row(
            BENCHMARK,
            "server RSS (MiB)",
            result.rss_end_mb,
            result.rss_start_mb,
            "end vs start of the measured phase; target ratio < 1.10",
        ),
        row(
            BENCHMARK,
            "server RSS, last third (MiB)",
            max(mb for at, mb in result.rss_samples if at >= 2 * third),
            max(mb for at, mb in result.rss_samples if at < third),
            "peak in the last third vs the first: ~1.00x = levelled off",
        ),
    ]


def main(quick: bool = False) -> list[dict[str, Any]]:
    return rows(soak(QUICK_SECONDS if quick else FULL_SECONDS))


if __name__ == "__main__":
    print_table(main(quick="--full" not in sys.argv[1:]))
