"""What metrics, logging and audit cost per call: ``get_session`` through two in-memory servers
against the same simulator, one with everything on (the ``observe`` call middleware, the
upstream hooks, JSON log lines with the audit line written to a file) and one with it all off
(neither in the chain, so no audit line either). Calls alternate between the two (which
goes first swaps each time), so both see the same machine. Target: at most 0.1 ms added at p50.

    .venv/bin/python -m tests.benchmarks.bench_observability [--quick]
"""

from __future__ import annotations

import logging
import os
import time
from contextlib import AsyncExitStack

import anyio
from mcp import Client

import quant_mcp.client
import quant_mcp.server
from quant_mcp.audit import observe
from quant_mcp.config import Settings
from quant_mcp.observability import configure_logging
from quant_mcp.server import build_server
from tests.benchmarks._common import ORGANISATION, TOKEN, cli_main, create_session, percentile, row, simulator_process

BENCHMARK = "observability"
WARM_UP = 50


async def _client(stack: AsyncExitStack, settings: Settings, on: bool) -> Client:
    """An in-memory client on a server built with observability on or off."""
    middleware, hooks = quant_mcp.server.CALL_MIDDLEWARE, quant_mcp.client.upstream_hooks
    if not on:
        quant_mcp.server.CALL_MIDDLEWARE = tuple(m for m in middleware if m is not observe)
        quant_mcp.client.upstream_hooks = lambda family: {"request": [], "response": []}
    try:  # the lifespan (entered here) reads both
        return await stack.enter_async_context(Client(build_server(settings)))
    finally:
        quant_mcp.server.CALL_MIDDLEWARE, quant_mcp.client.upstream_hooks = middleware, hooks


async def _measure(base_url: str, session_id: str, calls: int) -> tuple[list[float], list[float], int]:
    settings = Settings(_env_file=None, base_url=base_url, api_token=TOKEN, organization=ORGANISATION, log_format="json")
    handler = configure_logging(settings)
    sink = open(os.devnull, "w")
    handler.setStream(sink)
    written = 0

    class Count(logging.Filter):
        def filter(self, record: logging.LogRecord) -> bool:
            nonlocal written
            written += record.name == "quant_mcp.audit"
            return True

    handler.addFilter(Count())
    on_ms: list[float] = []
    off_ms: list[float] = []
    try:
        async with AsyncExitStack() as stack:
            with_it = await _client(stack, settings, on=True)
            without = await _client(stack, settings, on=False)
            arguments = {"sessionId": session_id}

            async def timed(client: Client) -> float:
                started = time.perf_counter()
                result = await client.call_tool("get_session", arguments)
                elapsed = (time.perf_counter() - started) * 1000
                if result.is_error:
                    raise RuntimeError(f"get_session failed: {result.content}")
                return elapsed

            for i in range(WARM_UP + calls):
                # Which goes first swaps every time: the second of two calls in a row runs warmer.
                if i % 2:
                    on, off = await timed(with_it), await timed(without)
                else:
                    off, on = await timed(without), await timed(with_it)
                if i >= WARM_UP:
                    on_ms.append(on)
                    off_ms.append(off)
    finally:
        logging.getLogger().removeHandler(handler)
        sink.close()
    return on_ms, off_ms, written


async def _own_cost(rounds: int) -> tuple[list[float], list[float]]:
    """The ``observe`` middleware and both upstream hooks around a call that does nothing else,
    against the bare call: what they cost by themselves, without the noise of a whole call."""
    from types import SimpleNamespace

    import httpx

    from quant_mcp import catalog
    from quant_mcp.observability import upstream_hooks
    from quant_mcp.pipeline import Call, Outcome, Runtime

    settings = Settings(_env_file=None, api_token=TOKEN, organization=ORGANISATION)
    op = catalog.OPERATIONS_BY_NAME["get_session"]
    ctx = SimpleNamespace(headers=None, request_context=SimpleNamespace(request=None))
    call = Call(op, op.arguments.model_validate({"sessionId": "s-1"}), ctx, Runtime(settings, None), ORGANISATION, None, None)  # type: ignore[arg-type]
    hooks = upstream_hooks("v3")
    request = httpx.Request("GET", "https://example.invalid/api/v3/x")
    response = httpx.Response(200, request=request)
    outcome = Outcome({})

    async def bare(call: Call) -> Outcome:
        return outcome

    async def upstream(call: Call) -> Outcome:
        await hooks["request"][0](request)
        await hooks["response"][0](response)
        return outcome

    with_ms: list[float] = []
    without_ms: list[float] = []
    for i in range(rounds):
        started = time.perf_counter()
        await observe(call, upstream)
        middle = time.perf_counter()
        await bare(call)
        ended = time.perf_counter()
        if i >= WARM_UP:
            with_ms.append((middle - started) * 1000)
            without_ms.append((ended - middle) * 1000)
    return with_ms, without_ms


def main(quick: bool = False) -> list[dict]:
    calls = 300 if quick else 2000
    with simulator_process() as base_url:
        session_id = create_session(base_url)
        on_ms, off_ms, written = anyio.run(_measure, base_url, session_id, calls)
    if written < calls:
        raise RuntimeError(f"only {written} audit lines for {calls} calls: the 'on' server did not audit")
    own, bare = anyio.run(_own_cost, 2000 if quick else 20000)
    rows = [
        row(
            BENCHMARK,
            "observe + hooks, own cost p50 (ms)",
            percentile(own, 50),
            percentile(bare, 50),
            f"{percentile(own, 50) - percentile(bare, 50):+.4f} ms: audit line (JSON), metrics, log context, request id; target <= +0.1 ms",
        )
    ]
    for q in (50, 99):
        value, baseline = percentile(on_ms, q), percentile(off_ms, q)
        note = f"{value - baseline:+.3f} ms added; {len(on_ms)} calls each, alternating"
        rows.append(
            row(BENCHMARK, f"get_session in-memory p{q} (ms)", value, baseline, note + ("; target <= +0.1 ms" if q == 50 else ""))
        )
    return rows


if __name__ == "__main__":
    cli_main(main)
