"""How ``--workers`` scales: quant-mcp's capacity over Streamable HTTP as one process and as
``--workers 2`` (stateless), 50 clients calling ``list_models`` (one upstream GET) as fast as
they are answered, with the light clients and canned upstream of ``_light`` (a capacity
figure only means something when the server is what runs out; with an httpx-based load
generator and the simulator, two workers on 2 cores measured the load generator: 1.03x).

The two contenders take turns, round after round, with fresh processes each round. Reported:
throughput (two workers over one process; target at least 1.7x), server CPU per call,
p50/p99 latency, and what the clients and the upstream cost per call, which shows that they
were not what ran out.
"""

from __future__ import annotations

import asyncio
from typing import Any

from tests.benchmarks._common import cli_main, percentile, quant_mcp_argv, quant_mcp_env, row
from tests.benchmarks._light import CLIENT_TOKEN, Contender, canned_upstream, drive, running, total

BENCHMARK = "workers"
CLIENTS = 50
SECONDS, QUICK_SECONDS = 8.0, 3.0  # measured per contender per round
ROUNDS, QUICK_ROUNDS = 3, 1


def main(quick: bool = False) -> list[dict[str, Any]]:
    seconds, rounds = (QUICK_SECONDS, QUICK_ROUNDS) if quick else (SECONDS, ROUNDS)
    with canned_upstream() as (base_url, upstream_pid):
        env = quant_mcp_env(base_url) | {
            "QUANT_HTTP_AUTH": "static",
            "QUANT_HTTP_TOKENS": CLIENT_TOKEN,
            "QUANT_LIMIT_TOOL_CALLS_PER_MINUTE": "1000000",  # one client identity makes ~20,000 calls a minute here
        }
        serve = quant_mcp_argv("serve", "--transport", "http", "--stateless", "--port", "{port}")
        contenders = [
            Contender("one process", serve, env, "list_models", {}),
            Contender("2 workers", [*serve, "--workers", "2"], env, "list_models", {}),
        ]
        runs: dict[str, list[dict[str, Any]]] = {c.name: [] for c in contenders}
        for _ in range(rounds):
            with running(contenders):  # fresh processes each round
                for contender in contenders:
                    runs[contender.name].append(asyncio.run(drive(contender, CLIENTS, seconds, upstream_pid)))
    return _rows({name: total(value) for name, value in runs.items()})


def _rows(figures: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    one, two = figures["one process"], figures["2 workers"]

    def calls(f: dict[str, Any]) -> int:
        return len(f["ms"])

    def per_call_ms(f: dict[str, Any], key: str) -> float:
        return f[key] / calls(f) * 1000

    note = f"--workers 2 vs one process, {CLIENTS} clients, {calls(one)} / {calls(two)} calls"
    rows = [
        row(BENCHMARK, "throughput (calls/s)", calls(two) / two["wall"], calls(one) / one["wall"], note + "; target >= 1.7x"),
        row(BENCHMARK, "server CPU per call (ms)", per_call_ms(two, "cpu"), per_call_ms(one, "cpu"), note),
        row(BENCHMARK, "p50 (ms)", percentile(two["ms"], 50), percentile(one["ms"], 50), note),
        row(BENCHMARK, "p99 (ms)", percentile(two["ms"], 99), percentile(one["ms"], 99), note),
    ]
    for name, f in figures.items():
        light = per_call_ms(f, "clients_cpu") + per_call_ms(f, "upstream_cpu")
        rows.append(
            row(
                BENCHMARK,
                f"{name}: clients + upstream CPU per call (ms)",
                light,
                per_call_ms(f, "cpu"),
                "against the server's own: what the measuring side costs",
            )
        )
    failed = one["failures"] + two["failures"]
    if failed:
        rows.append(row(BENCHMARK, "failed calls", failed, None, "answers that were not a tool result (left out)"))
    return rows


if __name__ == "__main__":
    cli_main(main)
