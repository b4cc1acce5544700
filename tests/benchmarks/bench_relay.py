"""Latency the streaming relay adds per chunk: simulator write -> client progress notification.

The simulator runs in its own process and writes each SSE chunk 20 ms after the last (a
``slow_stream`` fault), logging when it wrote each one (``perf_counter``, i.e. the system-wide
CLOCK_MONOTONIC on Linux, so the times compare across processes). Three consumers read the
same kind of stream, taking turns stream by stream:

* baseline: a plain ``httpx`` + ``httpx-sse`` reader in this process (arrival of each delta);
* ``chat_stream`` through the SDK's in-memory client (arrival of each progress notification);
* ``chat_stream`` through a ``quant-mcp serve`` stdio subprocess, read as raw JSON-RPC lines.

Each figure is the median (and p99) over all deltas of (arrival - write). Target: under 2 ms
added at the median.
"""

from __future__ import annotations

import json
import time
from typing import Any

import anyio
import httpx
from httpx_sse import aconnect_sse
from mcp import Client

from quant_mcp.config import Settings
from quant_mcp.server import build_server
from tests.benchmarks._common import (
    ORGANISATION,
    TOKEN,
    StdioServer,
    cli_main,
    percentile,
    quant_mcp_argv,
    quant_mcp_env,
    row,
    simulator_process,
)
from tests.conftest import MODEL

BENCHMARK = "streaming relay"
CHUNK_DELAY = 0.02
PROMPT = " ".join(f"word{i}" for i in range(24))  # the simulator echoes it: about 30 one-word deltas
STREAM_PATH = f"/api/v3/organizations/{ORGANISATION}/ai/chat/stream"
ARGUMENTS = {"modelId": MODEL, "messages": [{"role": "user", "content": PROMPT}]}


def _chunk_times(control: httpx.Client) -> list[float]:
    """Write times of the content chunks of the one stream logged since the last call (then clears the log)."""
    [record] = [r for r in control.get("/_simulator/requests").json()["requests"] if r["path"] == STREAM_PATH]
    control.delete("/_simulator/requests")
    return record["stream_chunk_times"][1:-2]  # the simulator speaks the live dialect: start, deltas, final answer, done


def _latencies(arrivals: list[float], written: list[float]) -> list[float]:
    if len(arrivals) != len(written):
        raise RuntimeError(f"{len(arrivals)} deltas arrived for {len(written)} written")
    return [(arrived - wrote) * 1000 for arrived, wrote in zip(arrivals, written, strict=True)]


async def _plain(http: httpx.AsyncClient) -> list[float]:
    arrivals = []
    async with aconnect_sse(http, "POST", STREAM_PATH, json=ARGUMENTS) as source:
        async for event in source.aiter_sse():
            if event.event == "content":
                arrivals.append(time.perf_counter())
    return arrivals


async def _relayed(client: Client) -> list[float]:
    arrivals: list[float] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        arrivals.append(time.perf_counter())

    result = await client.call_tool("chat_stream", ARGUMENTS, progress_callback=on_progress)
    if result.is_error:
        raise RuntimeError(f"chat_stream failed: {result.content}")
    return arrivals


def _relayed_stdio(server: StdioServer, call_id: int) -> list[float]:
    """One chat_stream call in raw JSON-RPC; the arrival time of each progress line."""
    server.process.stdin.write(  # type: ignore[union-attr]
        json.dumps(
            {
                "jsonrpc": "2.0",
                "id": call_id,
                "method": "tools/call",
                "params": {"name": "chat_stream", "arguments": ARGUMENTS, "_meta": {"progressToken": call_id}},
            }
        ).encode()
        + b"\n"
    )
    server.process.stdin.flush()  # type: ignore[union-attr]
    arrivals = []
    while True:
        line = server.process.stdout.readline()  # type: ignore[union-attr]
        arrived = time.perf_counter()
        if not line:
            raise RuntimeError(f"the server exited: {server.stderr_tail()}")
        message = json.loads(line)
        if message.get("method") == "notifications/progress":
            arrivals.append(arrived)
        elif message.get("id") == call_id:
            if message.get("result", {}).get("isError") or "error" in message:
                raise RuntimeError(f"chat_stream failed: {message}")
            return arrivals


async def _measure(base_url: str, streams: int) -> dict[str, list[float]]:
    settings = Settings(_env_file=None, base_url=base_url, api_token=TOKEN, organization=ORGANISATION)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    results: dict[str, list[float]] = {"plain": [], "in-memory": [], "stdio": []}
    with httpx.Client(base_url=base_url) as control, StdioServer(quant_mcp_argv("serve"), quant_mcp_env(base_url)) as stdio:
        stdio.initialize()
        control.post(
            "/_simulator/faults", json={"mode": "slow_stream", "path": "/chat/stream$", "count": None, "delay": CHUNK_DELAY}
        )
        async with Client(build_server(settings)) as client, httpx.AsyncClient(base_url=base_url, headers=headers) as http:
            for round_ in range(streams + 1):  # the first round warms every path up and is not counted
                control.delete("/_simulator/requests")
                measured = {
                    "plain": _latencies(await _plain(http), _chunk_times(control)),
                    "in-memory": _latencies(await _relayed(client), _chunk_times(control)),
                    "stdio": _latencies(_relayed_stdio(stdio, round_ + 100), _chunk_times(control)),
                }
                if round_:
                    for way, values in measured.items():
                        results[way] += values
    return results


def main(quick: bool = False) -> list[dict[str, Any]]:
    with simulator_process() as base_url:
        latencies = anyio.run(_measure, base_url, 3 if quick else 20)
    plain = latencies["plain"]
    rows = []
    for way in ("in-memory", "stdio"):
        relayed = latencies[way]
        for q in (50, 99):
            value, baseline = percentile(relayed, q), percentile(plain, q)
            note = f"{value - baseline:+.2f} ms added per chunk; {len(relayed)} deltas vs plain httpx-sse, streams alternating"
            if q == 50 and way == "in-memory":
                note += "; target < 2 ms added"
            rows.append(row(BENCHMARK, f"write->notification {way} p{q} (ms)", value, baseline, note))
    return rows


if __name__ == "__main__":
    cli_main(main)
