"""``list_models`` over Streamable HTTP with 1, 10 and 50 concurrent clients: throughput and
p50/p99 latency, each against the same request made with plain httpx straight to the simulator.

Three processes: the simulator, ``quant-mcp serve --transport http --stateless`` (static
bearer auth, as deployed), and this one, which drives both the MCP clients (the SDK's
Streamable HTTP client, 2026-07-28 era, one connection each) and the plain httpx baseline at
the same concurrency, one phase after the other for each level. The MCP figures include
the SDK client's own work, as an agent would see it. Runs in well under 60 s.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import anyio
import httpx
import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from tests.benchmarks._common import (
    ORGANISATION,
    TOKEN,
    cli_main,
    http_server,
    percentile,
    row,
    simulator_process,
)

BENCHMARK = "http_list_models"
CLIENT_TOKEN = "bench-inbound-token"
LEVELS = {1: 40, 10: 8, 50: 3}  # concurrent clients -> measured calls per client per round
QUICK_LEVELS = {1: 30, 10: 5, 50: 2}
ROUNDS = 3  # MCP and plain phases take turns, so that noise from a shared machine hits both
WARM_UP = 2  # calls per client before measuring (connections, first-call caches)
BUDGET_SECONDS = 40.0  # on a loaded machine, later rounds are dropped to stay under a minute


async def _drive(clients: int, calls: int, open_caller: Callable[[], Any]) -> tuple[list[float], float]:
    """Run ``clients`` concurrent callers, ``calls`` measured calls each; returns the latencies
    (ms) and the measured phase's wall time (s), from when every caller is warm."""
    latencies: list[float] = []
    warm = anyio.Event()
    ready = 0
    start = anyio.Event()

    async def one() -> None:
        nonlocal ready
        async with open_caller() as call:
            for _ in range(WARM_UP):
                await call()
            ready += 1
            if ready == clients:
                warm.set()
            await start.wait()
            for _ in range(calls):
                began = time.perf_counter()
                await call()
                latencies.append((time.perf_counter() - began) * 1000)

    async with anyio.create_task_group() as tg:
        for _ in range(clients):
            tg.start_soon(one)
        await warm.wait()
        began = time.perf_counter()
        start.set()
    return latencies, time.perf_counter() - began


def mcp_caller(url: str) -> Callable[[], Any]:
    """One MCP client (its own connection) whose call is ``list_models``."""

    @asynccontextmanager
    async def open_caller() -> AsyncIterator[Callable[[], Awaitable[None]]]:
        async with (
            httpx2.AsyncClient(headers={"Authorization": f"Bearer {CLIENT_TOKEN}"}, timeout=60) as http,
            Client(streamable_http_client(url, http_client=http)) as client,
        ):

            async def call() -> None:
                result = await client.call_tool("list_models", {})
                if result.is_error:
                    raise RuntimeError(f"list_models failed: {result.content}")

            yield call

    return open_caller


def direct_caller(base_url: str) -> Callable[[], Any]:
    """One plain httpx client (its own connection) doing the request list_models makes."""
    path = f"/api/v3/organizations/{ORGANISATION}/ai/models"

    @asynccontextmanager
    async def open_caller() -> AsyncIterator[Callable[[], Awaitable[None]]]:
        headers = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/json"}
        async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=60) as http:

            async def call() -> None:
                (await http.get(path)).raise_for_status()

            yield call

    return open_caller


def _rows(clients: int, mcp: tuple[list[float], float], direct: tuple[list[float], float]) -> list[dict[str, Any]]:
    """Throughput (calls/s; ratio below 1 = fewer than plain httpx) and latency percentiles (ms)."""
    (mcp_ms, mcp_s), (direct_ms, direct_s) = mcp, direct
    note = f"{clients} client(s), {len(mcp_ms)} calls; baseline: plain httpx to the simulator"
    return [
        row(BENCHMARK, f"throughput_{clients}c (calls/s)", len(mcp_ms) / mcp_s, len(direct_ms) / direct_s, note),
        row(BENCHMARK, f"p50_{clients}c (ms)", percentile(mcp_ms, 50), percentile(direct_ms, 50), note),
        row(BENCHMARK, f"p99_{clients}c (ms)", percentile(mcp_ms, 99), percentile(direct_ms, 99), note),
    ]


def main(quick: bool = False) -> list[dict[str, Any]]:
    levels = QUICK_LEVELS if quick else LEVELS
    rows: list[dict[str, Any]] = []
    with simulator_process() as base_url, http_server(base_url, "--stateless", inbound_token=CLIENT_TOKEN) as (root, _):
        url = f"{root}/mcp"

        async def run() -> None:
            deadline = time.monotonic() + BUDGET_SECONDS
            for clients, calls in levels.items():
                mcp: tuple[list[float], float] = ([], 0.0)
                direct: tuple[list[float], float] = ([], 0.0)
                for round_ in range(1 if quick else ROUNDS):
                    if round_ and time.monotonic() > deadline:
                        break
                    latencies, seconds = await _drive(clients, calls, mcp_caller(url))
                    mcp = (mcp[0] + latencies, mcp[1] + seconds)
                    latencies, seconds = await _drive(clients, calls, direct_caller(base_url))
                    direct = (direct[0] + latencies, direct[1] + seconds)
                rows.extend(_rows(clients, mcp, direct))

        anyio.run(run)
    return rows


if __name__ == "__main__":
    cli_main(main)
