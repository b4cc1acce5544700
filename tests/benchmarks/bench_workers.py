"""How ``--workers`` scales: quant-mcp's capacity over Streamable HTTP as one process and as
``--workers 2`` (stateless), 50 clients calling ``list_models`` (one upstream GET) as fast as
they are answered.

A capacity figure only means something when the server is what runs out. On a 2-core machine
the simulator and an httpx-based load generator (``bench_http_servers``) together need more
than the second core, so there two workers measure the load generator. Here both sides are
as light as Python gets, so that the servers use the cores:

- the **upstream** answers every request with the same bytes (the simulator's own
  ``list_models`` answer, taken once at the start) from a bare ``asyncio.Protocol``;
- the **clients** are 50 keep-alive connections in this process, each writing one pre-built
  ``tools/call`` POST and reading its answer with ``asyncio.Protocol`` too; every answer is
  checked to be a tool result.

The two contenders take turns, round after round, with fresh processes each round. Reported: throughput (two workers over one
process; target at least 1.7x), server CPU per call, p50/p99 latency, and what the clients
and the upstream cost per call, which shows that they were not what ran out.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from tests.benchmarks._common import (
    ORGANISATION,
    PYTHON,
    TOKEN,
    clean_env,
    cli_main,
    percentile,
    quant_mcp_argv,
    quant_mcp_env,
    row,
    simulator_process,
)
from tests.benchmarks.bench_http_servers import CLIENT_TOKEN, CLOCK_TICKS, Contender, running

BENCHMARK = "workers"
CLIENTS = 50
SECONDS, QUICK_SECONDS = 8.0, 3.0  # measured per contender per round
ROUNDS, QUICK_ROUNDS = 3, 1
WARM_UP_SECONDS = 1.5

CANNED_UPSTREAM = r"""
import asyncio, sys

body = open(sys.argv[1], "rb").read()
answer = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body)

class Upstream(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport, self.pending = transport, b""

    def data_received(self, data):  # GET requests: no body, so each ends at its blank line
        self.pending += data
        while (end := self.pending.find(b"\r\n\r\n")) >= 0:
            self.pending = self.pending[end + 4:]
            self.transport.write(answer)

async def main():
    server = await asyncio.get_running_loop().create_server(Upstream, "127.0.0.1", 0)
    print(f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # until the benchmark closes stdin

asyncio.run(main())
"""


class Caller(asyncio.Protocol):
    """One keep-alive connection making one ``tools/call`` after another."""

    def __init__(self, request: bytes, latencies: list[float], failures: list[bytes]) -> None:
        self.request, self.latencies, self.failures = request, latencies, failures
        self.buffer = b""
        self.measuring = False
        self.stopped = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        self._send()

    def _send(self) -> None:
        self.began = time.perf_counter()
        self.transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        answer = self._complete()
        if answer is None:
            return
        if self.measuring:
            if answer.startswith(b"HTTP/1.1 200") and b'"result"' in answer and b'"isError":true' not in answer:
                self.latencies.append((time.perf_counter() - self.began) * 1000)
            else:
                self.failures.append(answer[:300])
        self._send()

    def _complete(self) -> bytes | None:
        """The whole first answer in the buffer (taken out of it), or None while it is partial."""
        head_end = self.buffer.find(b"\r\n\r\n")
        if head_end < 0:
            return None
        head = self.buffer[:head_end].lower()
        if b"transfer-encoding: chunked" in head:
            end = self.buffer.find(b"\r\n0\r\n\r\n", head_end)
            if end < 0:
                return None
            end += 7
        else:
            length = int(head.split(b"content-length:", 1)[1].split(b"\r\n", 1)[0])
            end = head_end + 4 + length
            if len(self.buffer) < end:
                return None
        answer, self.buffer = self.buffer[:end], self.buffer[end:]
        return answer

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.stopped.done():
            self.stopped.set_result(None)


def _request(contender: Contender) -> bytes:
    body = json.dumps(
        {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": contender.tool, "arguments": {}}}
    ).encode()
    head = (
        f"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:{contender.port}\r\nAuthorization: Bearer {CLIENT_TOKEN}\r\n"
        "Accept: application/json, text/event-stream\r\nContent-Type: application/json\r\n"
        f"MCP-Protocol-Version: 2025-11-25\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def _drive(contender: Contender, seconds: float, upstream: subprocess.Popen[str]) -> dict[str, Any]:
    """50 callers for ``seconds`` after a warm-up; the figures of the measured part."""
    latencies: list[float] = []
    failures: list[bytes] = []
    loop = asyncio.get_running_loop()
    request = _request(contender)
    callers = []
    for _ in range(CLIENTS):
        _, caller = await loop.create_connection(lambda: Caller(request, latencies, failures), "127.0.0.1", contender.port)
        callers.append(caller)
    await asyncio.sleep(WARM_UP_SECONDS)
    for caller in callers:
        caller.measuring = True
    cpu, own, upstream_cpu, began = contender.cpu_seconds(), time.process_time(), _cpu(upstream.pid), time.perf_counter()
    await asyncio.sleep(seconds)
    for caller in callers:
        caller.measuring = False
    wall = time.perf_counter() - began
    figures = {
        "ms": list(latencies),
        "wall": wall,
        "cpu": contender.cpu_seconds() - cpu,
        "clients_cpu": time.process_time() - own,
        "upstream_cpu": _cpu(upstream.pid) - upstream_cpu,
        "failures": len(failures),
    }
    for caller in callers:
        caller.transport.close()
    await asyncio.gather(*(caller.stopped for caller in callers))
    print(f"  {contender.name}: {len(latencies) / wall:.0f} calls/s", file=sys.stderr)
    if failures:
        print(f"  {contender.name}: {len(failures)} failed, e.g. {failures[0]!r}", file=sys.stderr)
    return figures


def _cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def _list_models_answer() -> bytes:
    """What the simulator answers to ``list_models``: the canned upstream's one answer."""
    with simulator_process() as base_url:
        response = httpx.get(
            f"{base_url}/api/v3/organizations/{ORGANISATION}/ai/models", headers={"Authorization": f"Bearer {TOKEN}"}
        )
        response.raise_for_status()
        return response.content


def main(quick: bool = False) -> list[dict[str, Any]]:
    seconds, rounds = (QUICK_SECONDS, QUICK_ROUNDS) if quick else (SECONDS, ROUNDS)
    with tempfile.NamedTemporaryFile(suffix=".json") as body:
        body.write(_list_models_answer())
        body.flush()
        upstream = subprocess.Popen(
            [PYTHON, "-c", CANNED_UPSTREAM, body.name], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=clean_env()
        )
        try:
            assert upstream.stdout is not None
            base_url = upstream.stdout.readline().strip()
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
            figures: dict[str, list[dict[str, Any]]] = {c.name: [] for c in contenders}
            for _ in range(rounds):
                with running(contenders):  # fresh processes each round (see bench_http_servers)
                    for contender in contenders:
                        figures[contender.name].append(asyncio.run(_drive(contender, seconds, upstream)))
        finally:
            assert upstream.stdin is not None
            upstream.stdin.close()
            upstream.wait(10)
    return _rows({name: _total(runs) for name, runs in figures.items()})


def _total(runs: list[dict[str, Any]]) -> dict[str, Any]:
    total: dict[str, Any] = {"ms": [ms for run in runs for ms in run["ms"]]}
    for key in ("wall", "cpu", "clients_cpu", "upstream_cpu", "failures"):
        total[key] = sum(run[key] for run in runs)
    return total


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
