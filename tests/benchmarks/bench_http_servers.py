"""quant-mcp over Streamable HTTP against what a user would otherwise run, side by side in one run:
``list_models`` (one upstream GET) at 1, 10 and 50 concurrent clients, stateless, static inbound auth.

Contenders, each its own process pointed at one canned upstream (see ``_light``: light clients
and upstream, so that on 2 cores the servers, not the measuring side, are what runs out):

- **floor**: a bare MCP SDK server with one hand-written tool making the same GET with httpx 0.28
  (as a user's own server would), served by uvicorn on a socket with TCP_NODELAY;
- **peer**: FastMCP ``from_openapi`` over the vendored reference (see ``bench_peer``), over HTTP;
- **quant-mcp**: ``serve --transport http --stateless``, one process (``bench_workers`` measures
  ``--workers 2``).

Every figure is pooled over rounds, each with fresh processes (two processes of one server
differ by up to ~10% in CPU per call), the contenders taking turns within a round. **CPU per
call** (from ``/proc``) is the figure a busy machine disturbs least; throughput and p50/p99
latency are wall-clock and noisier. Ratios are quant-mcp's figure over the floor's (and the peer's).
"""

from __future__ import annotations

import asyncio
from typing import Any

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
)
from tests.benchmarks._light import CLIENT_TOKEN, Contender, canned_upstream, drive, running, total
from tests.benchmarks.bench_peer import PEER_PYTHON, PEER_SPEC, ensure_peer

BENCHMARK = "http_servers"
LEVELS = {1: 4.0, 10: 4.0, 50: 5.0}  # concurrent clients -> measured seconds per contender per round
QUICK_LEVELS = {1: 1.5, 10: 1.5, 50: 2.0}
ROUNDS = 3

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


def _contenders(base_url: str) -> list[Contender]:
    headers_env = quant_mcp_env(base_url) | {
        "QUANT_HTTP_AUTH": "static",
        "QUANT_HTTP_TOKENS": CLIENT_TOKEN,
        "QUANT_LIMIT_TOOL_CALLS_PER_MINUTE": "1000000",  # one client identity makes ~20,000 calls a minute here
    }
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


def main(quick: bool = False) -> list[dict[str, Any]]:
    ensure_peer()
    levels = QUICK_LEVELS if quick else LEVELS
    runs: dict[tuple[str, int], list[dict[str, Any]]] = {}
    with canned_upstream() as (base_url, upstream_pid):
        contenders = _contenders(base_url)
        # Fresh processes each round: two processes of one server differ by up to ~10% in CPU
        # per call (memory layout, hash seeds), as much as the differences measured here.
        for _ in range(1 if quick else ROUNDS):
            with running(contenders):
                for clients, seconds in levels.items():
                    for contender in contenders:  # taking turns
                        figures = asyncio.run(drive(contender, clients, seconds, upstream_pid))
                        runs.setdefault((contender.name, clients), []).append(figures)
    return _rows({key: total(value) for key, value in runs.items()}, levels)


def _rows(figures: dict[tuple[str, int], dict[str, Any]], levels: dict[int, float]) -> list[dict[str, Any]]:
    def metric(name: str, clients: int, what: str) -> float:
        f = figures[(name, clients)]
        return {
            "cpu": f["cpu"] / len(f["ms"]) * 1000,
            "throughput": len(f["ms"]) / f["wall"],
            "p50": percentile(f["ms"], 50),
            "p99": percentile(f["ms"], 99),
        }[what]

    units = {"cpu": "CPU per call (ms)", "throughput": "throughput (calls/s)", "p50": "p50 (ms)", "p99": "p99 (ms)"}
    lost = ", ".join(f"{name} {clients}c: {f['failures']}" for (name, clients), f in figures.items() if f["failures"])
    rows = []
    if lost:
        rows.append(row(BENCHMARK, "failed calls", 0, None, f"answers that were not a tool result (left out): {lost}"))
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
