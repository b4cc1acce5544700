"""Traces, against real parts: an OTLP/HTTP receiver on 127.0.0.1 (decoding what the exporter
sends with ``opentelemetry.proto``), ``quant-mcp serve`` as a subprocess with the standard
``OTEL_*`` variables pointing at it, and the simulator behind a recorder of the headers it gets."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from subprocess import DEVNULL, PIPE
from typing import Any

import anyio
import pytest
from mcp.shared.exceptions import MCPError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest, ExportTraceServiceResponse
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from quant_mcp.simulator.app import create_app
from quant_mcp.simulator.core.faults import Fault
from quant_mcp.simulator.core.state import SimulatorState
from tests.conftest import TEST_ORG, TEST_TOKEN
from tests.http.conftest import CLIENT_TOKEN, connect, serve_app
from tests.ops.conftest import ROOT, replica_env, replicas

pytestmark = pytest.mark.anyio

ERROR = Status.StatusCode.STATUS_CODE_ERROR
ECHO_SESSION = "echo-my-headers"  # the upstream answers 403 quoting the Authorization header it got


@dataclass
class Exported:
    """One span as it arrived, with its resource's service name and its instrumentation scope."""

    service: str
    scope: str
    span: Span

    @property
    def attributes(self) -> dict[str, Any]:
        return {kv.key: getattr(kv.value, kv.value.WhichOneof("value")) for kv in self.span.attributes}

    @property
    def status(self) -> int:
        return self.span.status.code


class Receiver:
    """An OTLP/HTTP trace receiver: keeps every export's bytes, and decodes them."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        self.app = Starlette(routes=[Route("/v1/traces", self.traces, methods=["POST"])])

    async def traces(self, request: Request) -> Response:
        assert request.headers["content-type"] == "application/x-protobuf"
        self.bodies.append(await request.body())
        return Response(ExportTraceServiceResponse().SerializeToString(), media_type="application/x-protobuf")

    def spans(self) -> list[Exported]:
        found = []
        for body in self.bodies:
            export = ExportTraceServiceRequest.FromString(body)
            for resource_spans in export.resource_spans:
                service = next(kv.value.string_value for kv in resource_spans.resource.attributes if kv.key == "service.name")
                for scope_spans in resource_spans.scope_spans:
                    found += [Exported(service, scope_spans.scope.name, span) for span in scope_spans.spans]
        return found

    async def wait_for(self, *wanted: Callable[[Exported], bool], seconds: float = 15) -> list[Exported]:
        """The first span that fits each of ``wanted``, once all have arrived."""
        with anyio.move_on_after(seconds):
            while True:
                spans = self.spans()
                matches = [next((s for s in spans if fits(s)), None) for fits in wanted]
                if all(matches):
                    return matches  # type: ignore[return-value]
                await anyio.sleep(0.05)
        raise AssertionError(f"not exported within {seconds} s; spans so far: {[s.span.name for s in self.spans()]}")


def recording(app: ASGIApp, seen: list[tuple[str, dict[str, str]]]) -> ASGIApp:
    """``app`` (the simulator), noting each request's path and headers; GET .../sessions/ECHO_SESSION
    answers 403 quoting the Authorization header back, as some gateways do."""

    async def upstream(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = {name.decode(): value.decode() for name, value in scope["headers"]}
            seen.append((scope["path"], headers))
            if scope["path"].endswith(f"/sessions/{ECHO_SESSION}"):
                message = f"Forbidden for {headers.get('authorization')}"
                await JSONResponse({"error": message, "message": message}, status_code=403)(scope, receive, send)
                return
        await app(scope, receive, send)

    return upstream


@asynccontextmanager
async def traced_service() -> AsyncIterator[tuple[str, Receiver, SimulatorState, list[tuple[str, dict[str, str]]]]]:
    """The receiver, the recorded simulator, and one ``quant-mcp serve --transport http`` exporting to the receiver."""
    receiver = Receiver()
    state = SimulatorState(tokens={TEST_TOKEN: TEST_ORG}, dialect="spec")
    seen: list[tuple[str, dict[str, str]]] = []
    async with serve_app(receiver.app) as otlp, serve_app(recording(create_app(state), seen)) as upstream:
        env = replica_env(
            upstream,
            None,
            QUANT_HTTP_AUTH="static",
            QUANT_HTTP_TOKENS=CLIENT_TOKEN,
            QUANT_TIMEOUT="2",
            OTEL_EXPORTER_OTLP_ENDPOINT=otlp,
            OTEL_BSP_SCHEDULE_DELAY="50",
        )
        async with replicas(1, env) as (replica,):
            yield replica.url, receiver, state, seen


def named(name: str, request_id: str | None = None) -> Callable[[Exported], bool]:
    return lambda s: s.span.name == name and (request_id is None or s.attributes.get("quant.request_id") == request_id)


def child_of(parent: Exported, name: str) -> Callable[[Exported], bool]:
    return lambda s: s.span.name == name and s.span.parent_span_id == parent.span.span_id


async def test_a_tool_call_exports_the_sdks_span_ours_and_the_upstream_request_in_one_trace():
    async with traced_service() as (url, receiver, state, seen):
        async with connect(url, headers={"Authorization": f"Bearer {CLIENT_TOKEN}", "X-Request-Id": "trace-ok"}) as client:
            assert not (await client.call_tool("list_models", {})).is_error
        (tool,) = await receiver.wait_for(named("tool list_models", "trace-ok"))
        sdk, upstream = await receiver.wait_for(
            lambda s: s.span.span_id == tool.span.parent_span_id, child_of(tool, "upstream GET")
        )

        assert sdk.scope == "mcp-python-sdk" and sdk.span.name == "tools/call list_models"
        assert sdk.span.kind == Span.SpanKind.SPAN_KIND_SERVER and sdk.attributes["gen_ai.tool.name"] == "list_models"
        assert tool.scope == "quant_mcp" and tool.attributes["gen_ai.tool.name"] == "list_models"
        assert upstream.span.kind == Span.SpanKind.SPAN_KIND_CLIENT
        assert upstream.attributes["url.path"].endswith("/models") and upstream.attributes["http.response.status_code"] == 200
        assert sdk.span.trace_id == tool.span.trace_id == upstream.span.trace_id
        assert {s.service for s in (sdk, tool, upstream)} == {"quant-mcp"}
        assert tool.status != ERROR and upstream.status != ERROR

        # the trace context went upstream, naming the upstream span as the parent
        (headers,) = [h for path, h in seen if path.endswith("/models") and h.get("x-request-id") == "trace-ok"]
        version, trace_id, parent_id, flags = headers["traceparent"].split("-")
        assert (version, trace_id, parent_id) == ("00", tool.span.trace_id.hex(), upstream.span.span_id.hex())
        assert int(flags, 16) & 1  # sampled (the newer SDKs also set 0x02, a random trace id)


async def test_failed_calls_mark_their_spans_as_errors_and_no_token_is_ever_exported():
    async with traced_service() as (url, receiver, state, seen):
        headers = {"Authorization": f"Bearer {CLIENT_TOKEN}", "X-Request-Id": "trace-403"}
        async with connect(url, headers=headers) as client:
            refused = await client.call_tool("get_session", {"sessionId": ECHO_SESSION})
            with pytest.raises(MCPError) as unread:  # the same through a resource: an error reply, in the SDK's span
                await client.read_resource(f"quant://sessions/{ECHO_SESSION}")
        assert refused.is_error and TEST_TOKEN not in str(refused) and TEST_TOKEN not in str(unread.value)
        tool, sdk = await receiver.wait_for(named("tool get_session", "trace-403"), named("tools/call get_session"))
        (read,) = await receiver.wait_for(named("resources/read"))
        (upstream,) = await receiver.wait_for(child_of(tool, "upstream GET"))
        assert tool.status == ERROR and sdk.status == ERROR and read.status == ERROR
        assert "Quant API 403" in tool.span.status.message and "[redacted]" in tool.span.status.message
        assert upstream.status == ERROR and upstream.attributes["http.response.status_code"] == 403

        # no answer at all: the request times out (QUANT_TIMEOUT=2), and its span still ends, as an error
        state.add_fault(Fault(mode="latency", delay=2.5, method="GET", path="/models$"))
        headers["X-Request-Id"] = "trace-timeout"
        async with connect(url, headers=headers) as client:
            assert (await client.call_tool("list_models", {})).is_error
        (tool,) = await receiver.wait_for(named("tool list_models", "trace-timeout"))
        (upstream,) = await receiver.wait_for(child_of(tool, "upstream GET"))
        assert tool.status == ERROR and upstream.status == ERROR

    exported = b"".join(receiver.bodies)
    assert TEST_TOKEN.encode() not in exported and CLIENT_TOKEN.encode() not in exported
    assert seen and all(h.get("authorization") == f"Bearer {TEST_TOKEN}" for _, h in seen)  # it was there to leak


async def test_stdio_flushes_its_spans_at_exit_and_keeps_stdout_pure_protocol():
    receiver = Receiver()
    async with serve_app(receiver.app) as otlp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("QUANT_")} | {
            "OTEL_EXPORTER_OTLP_ENDPOINT": otlp,
            "OTEL_BSP_SCHEDULE_DELAY": "60000",  # so the spans arrive only if the exit flushes them
            "OTEL_RESOURCE_ATTRIBUTES": "service.name=mcp-on-a-desktop,deployment.environment=test",
        }
        messages = [
            {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
                "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}},
            {"jsonrpc": "2.0", "method": "notifications/initialized"},
            {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "list_models", "arguments": {}}},
        ]  # fmt: skip

        def converse() -> tuple[list[str], int]:
            """Send the messages, read until the call's answer, then close stdin (the client leaves)."""
            command = [sys.executable, "-m", "quant_mcp", "serve", "--simulate"]
            with subprocess.Popen(command, stdin=PIPE, stdout=PIPE, stderr=DEVNULL, text=True, env=env, cwd=ROOT) as process:
                assert process.stdin and process.stdout
                process.stdin.write("".join(json.dumps(m) + "\n" for m in messages))
                process.stdin.flush()
                lines = [process.stdout.readline()]
                while lines[-1] and '"id":2' not in lines[-1]:
                    lines.append(process.stdout.readline())
                process.stdin.close()
                lines += process.stdout.readlines()
                return lines, process.wait(30)

        lines, status = await anyio.to_thread.run_sync(converse)
        (tool,) = await receiver.wait_for(named("tool list_models"), seconds=0)  # already here: the exit waited for it
    replies = [json.loads(line) for line in lines]  # every line of stdout a JSON-RPC message
    assert status == 0 and [r.get("id") for r in replies if "id" in r] == [1, 2] and not replies[-1]["result"]["isError"]
    assert tool.service == "mcp-on-a-desktop" and tool.status != ERROR
