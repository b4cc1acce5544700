"""The soak in short mode, for CI: 50 MCP clients over Streamable HTTP for about 10 s must see
no error at all, while one misbehaving client (another inbound identity) opens sessions it
never closes, as fast as it can. Its extra sessions are refused with 429 (QUANT_LIMIT_SESSIONS)
and nobody else notices. Figures are printed, never asserted: speed is the benchmark's business
(tests/benchmarks/bench_soak.py, which also runs the full 2-minute soak)."""

from __future__ import annotations

from collections import Counter

import anyio
import httpx

from tests.benchmarks._common import http_server, percentile, simulator_process
from tests.benchmarks.bench_soak import CLIENT_TOKEN, CLIENTS, Soak, _run
from tests.reliability.conftest import TALLY

SECONDS = 10.0
MISBEHAVER_TOKEN = "soak-misbehaving-client-token"
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "leaky", "version": "1"}},
}


async def misbehave(url: str, statuses: Counter[int], stop: anyio.Event) -> None:
    """Open a session twenty times a second and never close one."""
    headers = {
        "Authorization": f"Bearer {MISBEHAVER_TOKEN}",
        "Accept": "application/json, text/event-stream",
        "Content-Type": "application/json",
    }
    async with httpx.AsyncClient(timeout=30) as web:
        while not stop.is_set():
            response = await web.post(f"{url}/mcp", json=INITIALIZE, headers=headers)
            statuses[response.status_code] += 1
            await anyio.sleep(0.05)


async def _soak_beside_a_misbehaver(url: str, pid: int, result: Soak, statuses: Counter[int]) -> None:
    stop = anyio.Event()
    async with anyio.create_task_group() as tg:
        tg.start_soon(misbehave, url, statuses, stop)
        try:
            await _run(url, pid, result)
        finally:
            stop.set()


def soak_beside_a_misbehaver(seconds: float) -> tuple[Soak, Counter[int]]:
    """The soak for ``seconds``, with the misbehaving client alongside; the soak's result and the
    HTTP statuses the misbehaver got. ``python -c 'from tests.reliability.test_soak_short import
    soak_beside_a_misbehaver as s; print(s(120))'`` runs the full two minutes."""
    result = Soak(seconds=seconds, clients=CLIENTS)
    statuses: Counter[int] = Counter()
    with simulator_process() as base_url, http_server(base_url, inbound_token=f"{CLIENT_TOKEN},{MISBEHAVER_TOKEN}") as (url, pid):
        anyio.run(_soak_beside_a_misbehaver, url, pid, result, statuses)
    return result, statuses


def test_a_short_soak_serves_every_call_without_an_error_beside_a_misbehaving_client() -> None:
    result, statuses = soak_beside_a_misbehaver(SECONDS)

    TALLY["soak (short): calls served"] += len(result.calls)
    TALLY["soak (short): errors"] += len(result.errors)
    TALLY["soak (short): p50 ms"] += round(percentile(result.latencies(), 50))
    TALLY["soak (short): p99 ms"] += round(percentile(result.latencies(), 99))
    TALLY["soak (short): server RSS start MiB"] += round(result.rss_start_mb)
    TALLY["soak (short): server RSS end MiB"] += round(result.rss_end_mb)
    TALLY["soak (short): misbehaver sessions opened"] += statuses[200]
    TALLY["soak (short): misbehaver sessions refused (429)"] += statuses[429]
    assert result.errors == [], f"{len(result.errors)} error(s), first: {result.errors[:3]}"
    assert len(result.calls) >= CLIENTS * 10, "every client completed at least one whole scenario"
    assert statuses[200] == 50 and statuses[429] > 0, f"the misbehaver is held to QUANT_LIMIT_SESSIONS: {dict(statuses)}"
    assert set(statuses) <= {200, 429}, dict(statuses)
