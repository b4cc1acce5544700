"""Stateless HTTP answers a call with one JSON body unless the call asks for progress, and then
with an SSE stream carrying it; a client hanging up cancels its call either way."""

from __future__ import annotations

import json
import time

import anyio
import pytest

from quant_mcp import sdk
from quant_mcp.http import PlainAnswers
from quant_mcp.observability import REGISTRY
from quant_mcp.simulator.core.faults import Fault
from tests.conftest import text_of
from tests.http.conftest import CLIENT_TOKEN, connect, http_service

pytestmark = pytest.mark.anyio

HEADERS = {
    "Authorization": f"Bearer {CLIENT_TOKEN}",
    "Accept": "application/json, text/event-stream",
    "Content-Type": "application/json",
}
ERA_HEADERS = {
    "2025": {"MCP-Protocol-Version": "2025-11-25"},
    "2026": {"MCP-Protocol-Version": "2026-07-28", "Mcp-Method": "tools/call", "Mcp-Name": "list_models"},
}
ERA_META = {
    "2025": {},
    "2026": {
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientInfo": {"name": "t", "version": "1"},
        "io.modelcontextprotocol/clientCapabilities": {},
    },
}


def list_models(era: str, progress_token: str | None = None) -> tuple[dict, dict]:
    """A ``tools/call`` of list_models in ``era``: its headers and its body."""
    meta = ERA_META[era] | ({"progressToken": progress_token} if progress_token is not None else {})
    params = {"name": "list_models", "arguments": {}} | ({"_meta": meta} if meta else {})
    return HEADERS | ERA_HEADERS[era], {"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": params}


def cancelled_calls() -> float:
    return REGISTRY.get_sample_value("quant_mcp_tool_calls_total", {"tool": "list_models", "outcome": "cancelled"}) or 0.0


@pytest.mark.parametrize("era", ["2025", "2026"])
async def test_a_call_without_a_progress_token_is_answered_with_one_json_body(simulator, web, era):
    headers, body = list_models(era)
    async with http_service(simulator, stateless=True) as url:
        answer = await web.post(f"{url}/mcp", json=body, headers=headers)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    body = answer.json()
    assert body["id"] == 7 and body["result"]["isError"] is False
    assert body["result"]["structuredContent"]["models"], "the whole tool result, in the one body"


@pytest.mark.parametrize("era", ["2025", "2026"])
async def test_a_call_with_a_progress_token_is_answered_with_a_stream_of_its_progress(simulator, web, era):
    simulator.state.add_fault(Fault(mode="latency", delay=1.0, count=1))
    headers, body = list_models(era, "p-1")
    async with http_service(simulator, stateless=True, progress_interval=0.1) as url:
        answer = await web.post(f"{url}/mcp", json=body, headers=headers)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/event-stream")
    events = [json.loads(line[5:]) for line in answer.text.splitlines() if line.startswith("data:") and line[5:].strip()]
    progress = [event for event in events if event.get("method") == "notifications/progress"]
    assert len(progress) >= 5 and all(event["params"]["progressToken"] == "p-1" for event in progress)
    assert events[-1]["id"] == 7 and events[-1]["result"]["isError"] is False


async def test_the_sdk_client_hears_progress_and_results_over_stateless_http(simulator):
    """What a real client does: a progress callback on one call and none on the next (the 2025
    era: the Python SDK's own 2026-era client does not hand a POST's progress to its callback)."""
    simulator.state.add_fault(Fault(mode="latency", delay=0.6, count=1))
    heard: list[float] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        heard.append(progress)

    async with http_service(simulator, stateless=True, progress_interval=0.1) as url, connect(url, mode="legacy") as client:
        with_progress = await client.call_tool("list_models", {}, progress_callback=on_progress)
        without = await client.call_tool("list_models", {})
    assert not with_progress.is_error and not without.is_error, text_of(with_progress) + text_of(without)
    assert len(heard) >= 3


@pytest.mark.parametrize("era", ["2025", "2026"])
@pytest.mark.parametrize("progress_token", [None, "p-2"], ids=["json", "stream"])
async def test_a_client_hanging_up_cancels_its_call(simulator, era, progress_token):
    simulator.state.add_fault(Fault(mode="latency", delay=8.0, count=1))
    headers, call = list_models(era, progress_token)
    async with http_service(simulator, stateless=True) as url:
        before = cancelled_calls()
        body = json.dumps(call).encode()
        head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        request = f"POST /mcp HTTP/1.1\r\nHost: {url[7:]}\r\n{head}Content-Length: {len(body)}\r\n\r\n".encode() + body
        host, port = url[7:].split(":")
        async with await anyio.connect_tcp(host, int(port)) as connection:
            await connection.send(request)
            with anyio.fail_after(5):
                while simulator.state.faults.active():  # taken: the call waits upstream
                    await anyio.sleep(0.02)
        hung_up = time.monotonic()  # the connection is closed: the call must end now, not in 8 s
        with anyio.fail_after(3):
            while cancelled_calls() == before:
                await anyio.sleep(0.02)
        assert time.monotonic() - hung_up < 3


@pytest.mark.parametrize(
    ("chunks", "in_json"),
    [
        ([b'{"id": 1, "params": {}}'], True),
        ([b'{"id": 1, "params": {"_meta": {"progressToken": 3}}}'], False),
        ([b'{"id": 1, "params": {"a": "', b'x"}}'], False),  # still arriving: a stream, and every byte passed on
    ],
    ids=["no token", "token", "in two chunks"],
)
async def test_the_choice_is_made_on_the_body_and_the_body_reaches_the_sdk_whole(chunks, in_json):
    messages = [{"type": "http.request", "body": chunk, "more_body": n < len(chunks) - 1} for n, chunk in enumerate(chunks)]
    messages.append({"type": "http.disconnect"})
    seen: dict = {}

    async def receive() -> dict:
        if len(messages) == 1:
            await anyio.sleep(1)  # the disconnect comes only after the answer
        return messages.pop(0)

    async def sdk_app(scope, receive, send) -> None:  # stands for the SDK: reads the whole body, answers
        seen["in_json"] = bool(sdk.JsonAnswerChosenPerRequest())
        body, more = b"", True
        while more:
            message = await receive()
            body, more = body + message["body"], message["more_body"]
        seen["body"] = body
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    sent: list[dict] = []

    async def send(message: dict) -> None:
        sent.append(message)

    with anyio.fail_after(5):
        await PlainAnswers(sdk_app)({"type": "http", "method": "POST"}, receive, send)
    assert seen == {"in_json": in_json, "body": b"".join(chunks)}
    assert [message["type"] for message in sent] == ["http.response.start", "http.response.body"]
