"""Upstream fault matrix: every simulator fault mode against every kind of tool.

Each case injects one fault for the duration of one call (it hits every matching request,
so retries meet it too) and checks, from the simulator's request log and the tool result:

* no hang: the call ends within a bound set by the configured timeouts (``anyio.fail_after``);
* retries: a tool that is safe to repeat (read, list, delete) is retried within the budget
  (``max_retries``) on 429/5xx and broken connections; anything else is sent exactly once,
  so nothing is created, appended or billed twice;
* a tool error that names the failure;
* the server keeps serving: once the fault is gone the same kind of call succeeds.

Stream-only faults (truncated SSE, slow stream, error event) leave JSON answers alone, so
for the other tools the expected outcome is plain success.
"""

from __future__ import annotations

import functools
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import anyio
import pytest
from mcp import Client

from quant_mcp.server import build_server
from quant_mcp.simulator import Fault, Simulator
from tests.conftest import MODEL, make_settings, text_of
from tests.reliability.conftest import TALLY, assert_readable_error

pytestmark = pytest.mark.anyio

PROMPT = " ".join(f"word{i}" for i in range(24))  # streams as about 30 events
TIMEOUT = 1.0  # QUANT_TIMEOUT for these cases
STREAM_TIMEOUT = 2.0  # QUANT_STREAM_TIMEOUT
MAX_RETRIES = 2
RETRY_AFTER = 1  # seconds, sent with every 429
# Longest legitimate path: a timeout, or three attempts with two Retry-After waits; plus slack
# for a loaded machine. A hang (a slow stream trickling for 15 s) exceeds it by far.
BOUND = max(TIMEOUT, STREAM_TIMEOUT, MAX_RETRIES * RETRY_AFTER) + 3.0


@dataclass(frozen=True)
class Kind:
    """One kind of tool: which tool, with what arguments, and the request it makes."""

    tool: str
    method: str
    path: str  # regex for the request's path, {session} filled in
    repeatable: bool  # safe to repeat: retried on 429/5xx and broken connections
    streams: bool = False
    needs_session: bool = False

    def arguments(self, session: str) -> dict[str, Any]:
        chat = {"modelId": MODEL, "messages": [{"role": "user", "content": PROMPT}]}
        return {
            "get_session": {"sessionId": session},
            "list_models": {},
            "create_session": {"userId": "fault-matrix"},
            "update_session": {"sessionId": session, "newMessages": [{"role": "user", "content": "hi"}]},
            "delete_session": {"sessionId": session},
            "chat": chat,
            "chat_stream": chat,
        }[self.tool]


KINDS = {
    "read": Kind("get_session", "GET", r"/sessions/{session}$", repeatable=True, needs_session=True),
    "list": Kind("list_models", "GET", r"/models$", repeatable=True),
    "create": Kind("create_session", "POST", r"/sessions$", repeatable=False),
    "update": Kind("update_session", "PUT", r"/sessions/{session}$", repeatable=False, needs_session=True),
    "delete": Kind("delete_session", "DELETE", r"/sessions/{session}$", repeatable=True, needs_session=True),
    "chat": Kind("chat", "POST", r"/chat$", repeatable=False),
    "stream": Kind("chat_stream", "POST", r"/chat/stream$", repeatable=False, streams=True),
}


@dataclass(frozen=True)
class Mode:
    """One fault mode: how to inject it, whether it is worth a retry, and what the error says."""

    fault: dict[str, Any]
    retryable: bool
    says: str  # expected in the error of a JSON call
    stream_says: str | None = None  # expected in the error of a streamed call (None: same)
    stream_tolerated: bool = False  # a streamed call reads past it and succeeds (an unreadable frame is skipped)
    stream_only: bool = False  # JSON answers are untouched


MODES = {
    "latency": Mode(
        {"mode": "latency", "delay": TIMEOUT * 3}, retryable=False, says="did not answer", stream_says="did not answer"
    ),
    "429": Mode({"mode": "status", "status": 429, "retry_after": RETRY_AFTER}, retryable=True, says="429"),
    "500": Mode({"mode": "status", "status": 500}, retryable=True, says="500"),
    "502": Mode({"mode": "status", "status": 502}, retryable=True, says="502"),
    "503": Mode({"mode": "status", "status": 503}, retryable=True, says="503"),
    "drop": Mode({"mode": "drop"}, retryable=True, says="connection to the Quant API broke", stream_says="broke off"),
    "malformed_json": Mode({"mode": "malformed_json"}, retryable=False, says="not valid JSON", stream_tolerated=True),
    "truncated_sse": Mode(
        {"mode": "truncated_sse"}, retryable=False, says="", stream_says="ended before its final `done` event", stream_only=True
    ),
    "slow_stream": Mode(
        {"mode": "slow_stream", "delay": 0.5}, retryable=False, says="", stream_says="QUANT_STREAM_TIMEOUT", stream_only=True
    ),
    "error_event": Mode(
        {"mode": "error_event"}, retryable=False, says="", stream_says="the API reported an error", stream_only=True
    ),
}


@pytest.fixture
async def client(simulator: Simulator) -> AsyncIterator[Client]:
    settings = make_settings(
        simulator,
        timeout=TIMEOUT,
        chat_timeout=TIMEOUT,  # a buffered chat waits QUANT_CHAT_TIMEOUT, not QUANT_TIMEOUT
        stream_timeout=STREAM_TIMEOUT,
        max_retries=MAX_RETRIES,
        retry_max_wait=RETRY_AFTER + 1.0,
    )
    async with Client(build_server(settings)) as connected:
        yield connected


async def new_session(client: Client) -> str:
    result = await client.call_tool("create_session", {"userId": "fault-matrix"})
    assert not result.is_error, text_of(result)
    return result.structured_content["sessionId"]


def requests_to(simulator: Simulator, method: str, pattern: str, since: int) -> int:
    return sum(1 for r in simulator.state.requests[since:] if r.method == method and re.search(pattern, r.path))


async def within_bound(call: Callable[[], Awaitable[Any]]) -> Any:
    with anyio.fail_after(BOUND):
        return await call()


@pytest.mark.parametrize("kind_name", list(KINDS))
@pytest.mark.parametrize("mode_name", list(MODES))
async def test_fault(client: Client, simulator: Simulator, mode_name: str, kind_name: str) -> None:
    mode, kind = MODES[mode_name], KINDS[kind_name]
    TALLY["fault matrix: cases run"] += 1
    session = await new_session(client) if kind.needs_session else ""
    path = kind.path.format(session=session)
    simulator.state.add_fault(Fault(**mode.fault, method=kind.method, path=path, count=None))
    since = len(simulator.state.requests)

    result = await within_bound(lambda: client.call_tool(kind.tool, kind.arguments(session)))

    simulator.state.clear_faults()
    sent = requests_to(simulator, kind.method, path, since)
    if (mode.stream_only and not kind.streams) or (mode.stream_tolerated and kind.streams):
        assert not result.is_error, text_of(result)
        assert sent == 1
    else:
        message = assert_readable_error(kind.tool, result)
        expected = mode.stream_says if kind.streams and mode.stream_says else mode.says
        assert expected in message, message
        retried = mode.retryable and kind.repeatable
        assert sent == (1 + MAX_RETRIES if retried else 1), f"{sent} request(s) for {kind.tool} under {mode_name}: {message}"

    # The server keeps serving: the same kind of call, fault gone, succeeds.
    session = await new_session(client) if kind.needs_session else ""
    again = await within_bound(lambda: client.call_tool(kind.tool, kind.arguments(session)))
    assert not again.is_error, text_of(again)
    TALLY["fault matrix: cases passed"] += 1


@pytest.mark.parametrize("mode", ["429", "503", "drop"])
async def test_a_passing_fault_on_a_read_is_retried_and_the_call_succeeds(
    client: Client, simulator: Simulator, mode: str
) -> None:
    session = await new_session(client)
    path = KINDS["read"].path.format(session=session)
    simulator.state.add_fault(Fault(**MODES[mode].fault, method="GET", path=path, count=1))
    since = len(simulator.state.requests)

    result = await within_bound(lambda: client.call_tool("get_session", {"sessionId": session}))

    assert not result.is_error, text_of(result)
    assert requests_to(simulator, "GET", path, since) == 2


async def test_a_retry_after_beyond_the_budget_is_an_error_at_once(client: Client, simulator: Simulator) -> None:
    simulator.state.add_fault(Fault(mode="status", status=429, retry_after=600, method="GET", path="/models$", count=None))
    since = len(simulator.state.requests)

    result = await within_bound(lambda: client.call_tool("list_models", {}))

    message = assert_readable_error("list_models", result)
    assert "429" in message and "Retry after 600 s" in message
    assert requests_to(simulator, "GET", "/models$", since) == 1


async def test_an_unreachable_api_is_a_clear_error_without_a_hang(simulator: Simulator) -> None:
    settings = make_settings(
        simulator, base_url="http://127.0.0.1:9", timeout=TIMEOUT, connect_timeout=TIMEOUT, max_retries=MAX_RETRIES
    )
    async with Client(build_server(settings)) as unreachable:
        for tool, arguments in [("list_models", {}), ("create_session", {"userId": "u"})]:
            result = await within_bound(functools.partial(unreachable.call_tool, tool, arguments))
            assert "Could not connect to the Quant API" in assert_readable_error(tool, result)
