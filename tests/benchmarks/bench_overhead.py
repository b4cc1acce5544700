"""Per-call overhead: ``get_session`` through the MCP server against the same request made
with plain httpx to the simulator. What the server adds is the difference at p50 and p99.

Two ways in: the SDK's in-memory ``Client(server)`` (the server's own cost plus the SDK's
message handling, no process boundary) and a ``quant-mcp serve`` stdio subprocess. The
simulator runs in its own process, so its work is the same on both sides; calls alternate
between the MCP path and the plain one. Target: under 1 ms added at p50 in-memory.
"""

from __future__ import annotations

import time

import anyio
import httpx
from mcp import Client

from quant_mcp.config import Settings
from quant_mcp.server import build_server
from tests.benchmarks._common import (
    ORGANISATION,
    TOKEN,
    StdioServer,
    cli_main,
    create_session,
    percentile,
    quant_mcp_argv,
    quant_mcp_env,
    row,
    simulator_process,
)

WARM_UP = 20


def _session_path(session_id: str) -> str:
    return f"/api/v3/organizations/{ORGANISATION}/ai/sessions/{session_id}"


def _headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKEN}", "Accept": "application/json"}


async def _in_memory(base_url: str, session_id: str, calls: int) -> tuple[list[float], list[float]]:
    settings = Settings(_env_file=None, base_url=base_url, api_token=TOKEN, organization=ORGANISATION)
    mcp_ms: list[float] = []
    plain_ms: list[float] = []
    async with (
        Client(build_server(settings)) as client,
        httpx.AsyncClient(base_url=base_url, headers=_headers()) as http,
    ):
        for i in range(WARM_UP + calls):
            started = time.perf_counter()
            result = await client.call_tool("get_session", {"sessionId": session_id})
            middle = time.perf_counter()
            (await http.get(_session_path(session_id))).raise_for_status()
            ended = time.perf_counter()
            if result.is_error:
                raise RuntimeError(f"get_session failed: {result.content}")
            if i >= WARM_UP:
                mcp_ms.append((middle - started) * 1000)
                plain_ms.append((ended - middle) * 1000)
    return mcp_ms, plain_ms


def _stdio(base_url: str, session_id: str, calls: int) -> tuple[list[float], list[float]]:
    mcp_ms: list[float] = []
    plain_ms: list[float] = []
    with (
        StdioServer(quant_mcp_argv("serve"), quant_mcp_env(base_url)) as server,
        httpx.Client(base_url=base_url, headers=_headers()) as http,
    ):
        server.initialize()
        for i in range(WARM_UP + calls):
            started = time.perf_counter()
            server.call_tool("get_session", {"sessionId": session_id})
            middle = time.perf_counter()
            http.get(_session_path(session_id)).raise_for_status()
            ended = time.perf_counter()
            if i >= WARM_UP:
                mcp_ms.append((middle - started) * 1000)
                plain_ms.append((ended - middle) * 1000)
    return mcp_ms, plain_ms


def _rows(way: str, mcp_ms: list[float], plain_ms: list[float], target: str) -> list[dict]:
    rows = []
    for q in (50, 99):
        value, baseline = percentile(mcp_ms, q), percentile(plain_ms, q)
        note = f"{value - baseline:+.2f} ms added; {len(mcp_ms)} calls, alternating with plain httpx"
        rows.append(row("per-call overhead", f"get_session {way} p{q} (ms)", value, baseline, note + (target if q == 50 else "")))
    return rows


def main(quick: bool = False) -> list[dict]:
    calls = 200 if quick else 1000
    with simulator_process() as base_url:
        session_id = create_session(base_url)
        in_memory = anyio.run(_in_memory, base_url, session_id, calls)
        stdio = _stdio(base_url, session_id, calls)
    return [*_rows("in-memory", *in_memory, "; target < 1 ms"), *_rows("stdio", *stdio, "")]


if __name__ == "__main__":
    cli_main(main)
