"""quant-mcp over Streamable HTTP against what a user would otherwise run, side by side in one run:
``list_models`` (one upstream GET) at 1, 10 and 50 concurrent clients, stateless, static inbound auth.

Contenders, each its own process pointed at one simulator (also its own process):

- **floor**: a bare MCP SDK server with one hand-written tool making the same GET with httpx 0.28
  (as a user's own server would), served by uvicorn on a socket with TCP_NODELAY;
- **peer**: FastMCP ``from_openapi`` over the vendored reference (see ``bench_peer``), over HTTP;
- **quant-mcp**: ``serve --transport http --stateless``, one process (``bench_workers`` measures
  ``--workers 2``, with clients and an upstream light enough for two workers to use the cores).

The clients are light on purpose (raw JSON-RPC POSTs over httpx2, one connection each, in this
process), so that the servers, not the load generator, are what is measured. Every figure is
pooled over rounds, each with fresh processes (two processes of one server differ by up to
~10% in CPU per call), the contenders taking turns within a round. **CPU per call** is the server's user +
system time read from ``/proc`` (its workers included) over the measured calls: the figure a
busy machine disturbs least. Throughput and p50/p99 latency are wall-clock and noisier.
Ratios are quant-mcp's figure over the floor's (and the peer's).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx2

from tests.benchmarks._common import (
    ORGANISATION,
    PYTHON,
    ROOT,
    TOKEN,
    _free_port,
    clean_env,
    cli_main,
    percentile,
    quant_mcp_argv,
    quant_mcp_env,
    row,
    simulator_process,
)
from tests.benchmarks.bench_peer import PEER_PYTHON, PEER_SPEC, ensure_peer

BENCHMARK = "http_servers"
CLIENT_TOKEN = "bench-inbound-token"
LEVELS = {1: 60, 10: 20, 50: 8}  # concurrent clients -> measured calls per client per round
QUICK_LEVELS = {1: 20, 10: 6, 50: 3}
ROUNDS = 3
WARM_UP = 2
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
CALL_TIMEOUT = 15.0  # a call still unanswered then is counted as failed (shown in the notes)

FLOOR_SERVER = '''
import socket, sys
import httpx, uvicorn
from mcp.server import MCPServer

base_url, token, organisation, port = sys.argv[1:5]
server = MCPServer("floor", log_level="WARNING")  # as quant-mcp: no log line per request
upstream = httpx.AsyncClient(base_url=base_url, headers={"Authorization": f"Bearer {token}"})  # httpx's default 5 s timeouts

@server.tool()
async def list_models() -> dict:
    """List the foundation models the organisation can use."""
    response = await upstream.get(f"/api/v3/organizations/{organisation}/ai/models")
    response.raise_for_status()
    return response.json()

app = server.streamable_http_app(stateless_http=True)
sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)  # asyncio sets TCP_NODELAY
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sock.bind(("127.0.0.1", int(port)))
uvicorn.Server(uvicorn.Config(app, log_level="warning")).run(sockets=[sock])
'''

PEER_SERVER = """
import json, sys
import httpx2
from fastmcp import FastMCP

spec_path, base_url, token, port = sys.argv[1:5]
with open(spec_path) as f:
    spec = json.load(f)
client = httpx2.AsyncClient(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
peer = FastMCP.from_openapi(openapi_spec=spec, client=client, name="quant-peer")
peer.run("http", host="127.0.0.1", port=int(port), stateless=True, show_banner=False, log_level="warning")
"""


class Contender:
    """One server process: how to call ``list_models`` on it, and its CPU time so far."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], tool: str, arguments: dict[str, Any]) -> None:
        self.name, self.tool, self.arguments = name, tool, arguments
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}/mcp"
        self.argv = [a.replace("{port}", str(self.port)) for a in argv]
        self.env = env
        self.process: subprocess.Popen[bytes] | None = None
        self.failures = 0
        self.log = tempfile.TemporaryFile()

    def start(self) -> None:
        # stderr to a file, never an unread pipe: a server logging each request (the SDK's default
        # INFO level) would block once the pipe's 64 KiB are full, after ~500 calls
        self.process = subprocess.Popen(self.argv, env=self.env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=self.log)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def cpu_seconds(self) -> float:
        """User + system time of the server process and of every live process under it (workers)."""
        assert self.process is not None
        total, pending = 0.0, [self.process.pid]
        while pending:
            pid = pending.pop()
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
                pending += [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
            except (FileNotFoundError, ProcessLookupError):
                continue
        return total


def _contenders(base_url: str) -> list[Contender]:
    headers_env = quant_mcp_env(base_url) | {"QUANT_HTTP_AUTH": "static", "QUANT_HTTP_TOKENS": CLIENT_TOKEN}
    serve = quant_mcp_argv("serve", "--transport", "http", "--stateless", "--port", "{port}")
    return [
        Contender("floor", [PYTHON, "-c", FLOOR_SERVER, base_url, TOKEN, ORGANISATION, "{port}"], clean_env(), "list_models", {}),
        Contender(
            "peer",
            [str(PEER_PYTHON), "-c", PEER_SERVER, str(PEER_SPEC), base_url, TOKEN, "{port}"],
            clean_env(),
            "listAIModels",
            {"organisation": ORGANISATION},
        ),
        Contender("quant-mcp", serve, headers_env, "list_models", {}),
    ]


@contextmanager
def running(contenders: list[Contender]) -> Iterator[None]:
    with ExitStack() as stack:
        for contender in contenders:
            contender.start()
            stack.callback(contender.stop)
        anyio.run(_wait_until_answering, contenders)
        yield


async def _wait_until_answering(contenders: list[Contender]) -> None:
    async with httpx2.AsyncClient(timeout=5) as http:
        for contender in contenders:
            deadline = time.monotonic() + 60
            while True:
                try:
                    await _call(http, contender)
                    break
                except (httpx2.TransportError, RuntimeError) as exc:
                    assert contender.process is not None
                    if contender.process.poll() is not None or time.monotonic() > deadline:
                        contender.log.seek(0)
                        stderr = contender.log.read().decode("utf-8", "replace")
                        raise RuntimeError(f"{contender.name} did not start ({exc}): {stderr[-1500:]}") from None
                    await anyio.sleep(0.2)


HEADERS = {
    "Authorization": f"Bearer {CLIENT_TOKEN}",
    "Accept": "application/json, text/event-stream",
    "Content-Type": "application/json",
    "MCP-Protocol-Version": "2025-11-25",
}


async def _call(http: httpx2.AsyncClient, contender: Contender) -> None:
    """One tools/call as one POST (stateless: no session); its answer must be a tool result."""
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": contender.tool, "arguments": contender.arguments},
    }
    response = await http.post(contender.url, content=json.dumps(body), headers=HEADERS)
    text = response.text
    if response.status_code != 200 or '"result"' not in text or '"isError":true' in text.replace(" ", ""):
        raise RuntimeError(f"{contender.name}: {response.status_code} {text[:300]}")


async def _drive(contender: Contender, clients: int, calls: int) -> tuple[list[float], float, float]:
    """``clients`` concurrent callers (one connection each), ``calls`` measured calls each;
    returns latencies (ms), wall seconds and the server's CPU seconds over the measured phase."""
    latencies: list[float] = []
    ready = 0
    warm, start = anyio.Event(), anyio.Event()

    async def one() -> None:
        nonlocal ready
        async with httpx2.AsyncClient(timeout=CALL_TIMEOUT, limits=httpx2.Limits(max_connections=1)) as http:
            for _ in range(WARM_UP):
                await _call(http, contender)
            ready += 1
            if ready == clients:
                warm.set()
            await start.wait()
            for _ in range(calls):
                began = time.perf_counter()
                try:
                    await _call(http, contender)
                except (httpx2.TimeoutException, RuntimeError):  # counted and shown, not a reason to lose the run
                    contender.failures += 1
                    continue
                latencies.append((time.perf_counter() - began) * 1000)

    try:
        async with anyio.create_task_group() as tg:
            for _ in range(clients):
                tg.start_soon(one)
            await warm.wait()
            cpu, began = contender.cpu_seconds(), time.perf_counter()
            start.set()
    except* Exception as group:
        first = group.exceptions[0]
        raise RuntimeError(f"{contender.name}, {clients} clients: {type(first).__name__}: {first}"[:300]) from None
    print(f"  {contender.name}, {clients} clients: {len(latencies) / (time.perf_counter() - began):.0f} calls/s", file=sys.stderr)
    return latencies, time.perf_counter() - began, contender.cpu_seconds() - cpu


def main(quick: bool = False) -> list[dict[str, Any]]:
    ensure_peer()
    levels = QUICK_LEVELS if quick else LEVELS
    figures: dict[tuple[str, int], dict[str, Any]] = {}
    with simulator_process() as base_url:
        contenders = _contenders(base_url)

        async def run() -> None:
            for clients, calls in levels.items():
                for contender in contenders:  # taking turns
                    latencies, wall, cpu = await _drive(contender, clients, calls)
                    f = figures.setdefault((contender.name, clients), {"ms": [], "wall": 0.0, "cpu": 0.0})
                    f["ms"] += latencies
                    f["wall"] += wall
                    f["cpu"] += cpu

        # Fresh processes each round: two processes of the same server differ by up to ~10% in
        # CPU per call (memory layout, hash seeds), as much as the differences measured here.
        for _ in range(1 if quick else ROUNDS):
            with running(contenders):
                anyio.run(run)
    return _rows(figures, levels, {c.name: c.failures for c in contenders})


def _rows(
    figures: dict[tuple[str, int], dict[str, Any]], levels: dict[int, int], timeouts: dict[str, int]
) -> list[dict[str, Any]]:
    def metric(name: str, clients: int, what: str) -> float:
        f = figures[(name, clients)]
        return {
            "cpu": f["cpu"] / len(f["ms"]) * 1000,
            "throughput": len(f["ms"]) / f["wall"],
            "p50": percentile(f["ms"], 50),
            "p99": percentile(f["ms"], 99),
        }[what]

    units = {"cpu": "CPU per call (ms)", "throughput": "throughput (calls/s)", "p50": "p50 (ms)", "p99": "p99 (ms)"}
    lost = ", ".join(f"{name}: {count}" for name, count in timeouts.items() if count)
    rows = []
    if lost:
        rows.append(
            row(BENCHMARK, "failed calls", 0, None, f"an error, or no answer within {CALL_TIMEOUT:g} s (left out): {lost}")
        )
    for clients in levels:
        n = len(figures[("quant-mcp", clients)]["ms"])
        for what, unit in units.items():
            ours = metric("quant-mcp", clients, what)
            for baseline in ("floor", "peer"):
                target = ""
                if clients == 50 and baseline == "floor" and what in ("cpu", "p99"):
                    target = f"; target <= {'0.8' if what == 'cpu' else '0.6'}x"
                rows.append(
                    row(
                        BENCHMARK,
                        f"{clients}c {unit}",
                        ours,
                        metric(baseline, clients, what),
                        f"quant-mcp vs {baseline}, {n} calls each{target}",
                    )
                )
    return rows


if __name__ == "__main__":
    cli_main(main)
