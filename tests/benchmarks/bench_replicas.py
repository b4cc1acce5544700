"""Soak across two replicas sharing a real Redis: 50 MCP clients (half 2026-era, half 2025-era
stateful sessions) behind a round-robin proxy on 127.0.0.1 (2025 sessions keep to the replica
that made them), each repeating bench_soak's scenario for 2 minutes (``quick``: 15 s).

Reported: calls served, errors (target 0), p50/p99, and each replica's RSS at the end of the
measured phase against its start (target: growth under 10%).

    .venv/bin/python -m tests.benchmarks.bench_replicas [--quick]
"""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any

import anyio

from tests.benchmarks._common import cli_main, http_server, percentile, row, simulator_process
from tests.benchmarks.bench_soak import CLIENT_TOKEN, CLIENTS, Soak, run_agents
from tests.ops.parts import RedisServer, RoundRobinProxy

BENCHMARK = "soak_replicas"
FULL_SECONDS = 120.0
QUICK_SECONDS = 15.0


async def _run(ports: list[int], pids: list[int], soak: Soak, starts: list[float], ends: list[float]) -> None:
    async with RoundRobinProxy(ports).running() as proxy:
        first, last = await run_agents(proxy.url, pids, soak)
    starts.extend(first)
    ends.extend(last)


def soak_replicas(seconds: float, clients: int = CLIENTS) -> tuple[Soak, list[float], list[float]]:
    """Two replicas over Redis for ``seconds`` with ``clients`` clients; the soak and each replica's RSS at start and end."""
    result = Soak(seconds=seconds, clients=clients)
    redis = RedisServer()
    redis.start()
    starts: list[float] = []
    ends: list[float] = []
    try:
        with simulator_process() as base_url, ExitStack() as stack:
            env = {"QUANT_REDIS_URL": redis.url}
            servers = [stack.enter_context(http_server(base_url, inbound_token=CLIENT_TOKEN, env=env)) for _ in range(2)]
            ports = [int(url.rsplit(":", 1)[1]) for url, _ in servers]
            anyio.run(_run, ports, [pid for _, pid in servers], result, starts, ends)
    finally:
        redis.stop()
    return result, starts, ends


def rows(result: Soak, starts: list[float], ends: list[float]) -> list[dict[str, Any]]:
    everything = result.latencies()
    note = f"{result.clients} clients, {result.seconds:g} s, two replicas + Redis, half 2025 half 2026"
    first = f"; first: {result.errors[0][:120]}" if result.errors else ""
    table = [
        row(BENCHMARK, "calls served", len(everything), None, note),
        row(BENCHMARK, "errors", len(result.errors), None, "target 0" + first),
        row(BENCHMARK, "p50 (ms)", percentile(everything, 50), None, note),
        row(BENCHMARK, "p99 (ms)", percentile(everything, 99), None, note),
    ]
    for index, (start, end) in enumerate(zip(starts, ends, strict=True)):
        table.append(row(BENCHMARK, f"replica {index + 1} RSS (MiB)", end, start, "end vs start; target ratio < 1.10"))
    return table


def main(quick: bool = False) -> list[dict[str, Any]]:
    return rows(*soak_replicas(QUICK_SECONDS if quick else FULL_SECONDS))


if __name__ == "__main__":
    cli_main(main)
