"""``printf '<requests>' | quant-mcp serve``: stdin ends while a call is in flight, and the call is
answered before the server leaves; a call the client cancelled is not waited for; the wait ends
after QUANT_DRAIN_SECONDS."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from functools import partial

import anyio
import pytest

from quant_mcp.simulator.core.faults import Fault
from tests.conftest import TEST_ORG, TEST_TOKEN

pytestmark = pytest.mark.anyio

INITIALIZE = [
    {"jsonrpc": "2.0", "id": 1, "method": "initialize",
     "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}},
    {"jsonrpc": "2.0", "method": "notifications/initialized"},
]  # fmt: skip
CALL = {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "list_models", "arguments": {}}}
CANCEL = {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 2}}


def piped(simulator, messages: list[dict], **env: str) -> tuple[list[dict], int, float]:  # type: ignore[no-untyped-def]
    """Every message written to ``quant-mcp serve`` at once and stdin closed, as ``printf | quant-mcp
    serve`` does: the replies on stdout, the exit status, and the seconds the process took."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("QUANT_")} | {
        "QUANT_API_TOKEN": TEST_TOKEN,
        "QUANT_ORGANIZATION": TEST_ORG,
        "QUANT_BASE_URL": simulator.base_url,
        **env,
    }
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "quant_mcp", "serve"],
        input="".join(json.dumps(m) + "\n" for m in messages),
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
    )
    return [json.loads(line) for line in done.stdout.splitlines()], done.returncode, time.monotonic() - started


async def test_a_call_in_flight_when_stdin_ends_is_answered(simulator):
    simulator.state.add_fault(Fault(mode="latency", delay=1.5, count=1))
    replies, status, _ = await anyio.to_thread.run_sync(piped, simulator, [*INITIALIZE, CALL])
    assert status == 0
    assert [reply.get("id") for reply in replies] == [1, 2]
    assert replies[-1]["result"]["isError"] is False, replies[-1]
    assert replies[-1]["result"]["structuredContent"]["models"]


async def test_a_call_the_client_cancelled_is_not_waited_for(simulator):
    simulator.state.add_fault(Fault(mode="latency", delay=20.0, count=1))
    replies, status, took = await anyio.to_thread.run_sync(piped, simulator, [*INITIALIZE, CALL, CANCEL])
    assert status == 0 and took < 15
    assert [reply.get("id") for reply in replies] == [1]


async def test_the_wait_ends_after_the_drain_seconds(simulator):
    simulator.state.add_fault(Fault(mode="latency", delay=20.0, count=1))
    drain = partial(piped, QUANT_DRAIN_SECONDS="1")
    replies, status, took = await anyio.to_thread.run_sync(drain, simulator, [*INITIALIZE, CALL])
    assert status == 0 and took < 15
    assert replies[0]["id"] == 1
    assert all("result" not in reply for reply in replies[1:])  # the call was cut short, not answered as done
