"""Running it as a service: log lines, request ids, /metrics, probes, and the drain on SIGTERM,
against `quant-mcp serve --transport http` subprocesses (and stdio ones) on 127.0.0.1."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import anyio
import httpx
import pytest

from quant_mcp.config import Settings
from tests.conftest import text_of
from tests.core.test_seed_tools import MODEL as MODEL_ID
from tests.http.conftest import CLIENT_TOKEN, connect, free_port, http_service
from tests.ops.conftest import Replica, get, replica_env, replicas

pytestmark = pytest.mark.anyio


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


async def until(condition, seconds: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    with anyio.fail_after(seconds):
        while not condition():
            await anyio.sleep(0.05)


async def test_json_logs_carry_request_ids_and_an_access_line_per_request_at_the_default_level(simulator):
    async with replicas(1, replica_env(simulator.base_url, None)) as (replica,):
        given = await get(f"{replica.url}/healthz", headers={"X-Request-Id": "agent-req-42"})
        made = await get(f"{replica.url}/healthz", headers={"X-Request-Id": "bad id\twith spaces"})
        assert given.headers["x-request-id"] == "agent-req-42"
        assert made.headers["x-request-id"] != "bad id\twith spaces" and len(made.headers["x-request-id"]) == 32
        async with connect(replica.url, headers={"X-Request-Id": "mcp-call-7"}) as client:
            result = await client.call_tool("list_models", {})
            assert not result.is_error
        await until(lambda: "mcp-call-7" in replica.stderr())
        lines = json_lines(replica.stderr())
    access = [line for line in lines if line["logger"] == "quant_mcp.access"]
    assert {"time", "level", "logger", "message", "request_id", "method", "path", "status", "duration_ms"} <= set(access[0])
    health = [line["request_id"] for line in access if line["path"] == "/healthz"]
    assert health == ["agent-req-42", made.headers["x-request-id"]]
    assert any(line["path"] == "/mcp" and line["request_id"] == "mcp-call-7" and line["status"] == 200 for line in access)


async def test_text_logs_have_time_level_and_logger(simulator):
    async with replicas(1, replica_env(simulator.base_url, None, QUANT_LOG_FORMAT="text")) as (replica,):
        await get(f"{replica.url}/healthz", headers={"X-Request-Id": "text-1"})
        await until(lambda: "text-1" in replica.stderr())
        line = next(line for line in replica.stderr().splitlines() if "text-1" in line)
    stamp, level, logger, *rest = line.split(" ")
    assert stamp.endswith("Z") and "T" in stamp and level == "INFO" and logger == "quant_mcp.access"
    assert "GET /healthz 200" in line and "request_id=text-1" in line


async def test_metrics_sit_behind_the_mcp_endpoints_auth(simulator, web):
    async with http_service(simulator) as url, connect(url, mode="legacy"):  # one 2025-era session open
        assert (await web.get(f"{url}/metrics")).status_code == 401
        assert (await web.get(f"{url}/metrics", headers={"Authorization": "Bearer wrong"})).status_code == 401
        metrics = await web.get(f"{url}/metrics", headers={"Authorization": f"Bearer {CLIENT_TOKEN}"})
        assert metrics.status_code == 200 and metrics.headers["content-type"].startswith("text/plain")
        for name in ("quant_mcp_in_flight_calls", "quant_mcp_open_sessions", "quant_mcp_redis_up", "quant_mcp_draining"):
            assert f"\n{name} " in metrics.text
        assert "\nquant_mcp_open_sessions 1.0" in metrics.text


async def test_metrics_port_serves_them_apart_without_auth(simulator):
    port = free_port()
    env = replica_env(simulator.base_url, None, QUANT_METRICS_PORT=str(port))
    async with replicas(1, env) as (replica,):
        assert (await get(f"{replica.url}/metrics")).status_code == 404  # not on the MCP port
        apart = await get(f"http://127.0.0.1:{port}/metrics")
        assert apart.status_code == 200 and "quant_mcp_http_requests_in_flight" in apart.text


async def test_readiness_does_not_depend_on_the_quant_api_but_upstreamz_says_how_it_is(web):
    dead = f"http://127.0.0.1:{free_port()}"
    async with replicas(1, replica_env(dead, None)) as (replica,):
        assert (await web.get(f"{replica.url}/readyz")).json() == {"status": "ready"}
        upstream = await web.get(f"{replica.url}/upstreamz")
        assert upstream.status_code == 503 and "does not answer" in upstream.json()["reason"]


async def test_sigterm_drains_in_flight_calls_fails_readiness_at_once_and_exits_0(simulator, web):
    """A call that takes 3 s is in flight when SIGTERM comes: readiness fails at once, a request
    that still arrives is served with Connection: close, the call finishes with its answer, then
    the process exits 0."""
    async with httpx.AsyncClient(base_url=f"{simulator.base_url}/_simulator") as control:
        await control.post("/faults", json={"mode": "latency", "delay": 3, "path": "/models$", "count": 1})
    replica = Replica(replica_env(simulator.base_url, None, QUANT_DRAIN_SECONDS="30"))
    try:
        from tests.http.conftest import wait_until_ready

        await wait_until_ready(replica.url)
        async with connect(replica.url, headers={}) as client:
            answer: dict = {}

            async def slow_call() -> None:
                answer["result"] = await client.call_tool("list_models", {})

            async with anyio.create_task_group() as tg:
                tg.start_soon(slow_call)
                await anyio.sleep(1.0)
                replica.process.send_signal(signal.SIGTERM)
                await anyio.sleep(0.3)
                ready = await web.get(f"{replica.url}/readyz")
                assert ready.status_code == 503 and ready.json() == {"status": "draining"}
                assert (await web.get(f"{replica.url}/healthz")).status_code == 200  # alive while draining
                late = await web.get(f"{replica.url}/mcp", headers={"Accept": "application/json"})
                assert late.status_code != 503 and late.headers["connection"] == "close"
                assert replica.process.poll() is None  # still finishing the call
        assert not answer["result"].is_error, text_of(answer["result"])
        assert MODEL_ID in json.dumps(answer["result"].structured_content)
        started = time.monotonic()
        assert await anyio.to_thread.run_sync(replica.process.wait, 10) == 0
        assert time.monotonic() - started < 5
        assert "Traceback" not in replica.stderr()
    finally:
        if replica.process.poll() is None:
            replica.process.kill()


async def test_standing_streams_do_not_hold_the_drain(simulator, era):
    """A client that only listens (2025 GET stream, 2026 subscriptions/listen) holds no work:
    SIGTERM ends its stream and the process exits well before the drain time."""
    replica = Replica(replica_env(simulator.base_url, None, QUANT_DRAIN_SECONDS="60"))
    try:
        from tests.http.conftest import wait_until_ready

        await wait_until_ready(replica.url)
        async with connect(replica.url, mode=era, headers={}) as client:
            await client.list_tools()
            with anyio.move_on_after(15):
                if era == "auto":
                    async with client.listen(tools_list_changed=True):
                        await anyio.sleep(0.5)
                        started = time.monotonic()
                        replica.process.send_signal(signal.SIGTERM)
                        code = await anyio.to_thread.run_sync(replica.process.wait, 10)
                else:
                    await anyio.sleep(0.5)  # the 2025 client holds its GET stream open
                    started = time.monotonic()
                    replica.process.send_signal(signal.SIGTERM)
                    code = await anyio.to_thread.run_sync(replica.process.wait, 10)
        assert code == 0 and time.monotonic() - started < 8
    finally:
        if replica.process.poll() is None:
            replica.process.kill()


# ------------------------------------------------------------------ stdio


def _stdio(*prefix: str) -> subprocess.Popen[bytes]:
    code = "import sys; from quant_mcp.cli import main; sys.exit(main(['serve', '--simulate']))"
    return subprocess.Popen(
        [*prefix, sys.executable, "-c", code],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={k: v for k, v in os.environ.items() if not k.startswith("QUANT_")},
    )


def _wait_started(process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 20
    line = b""
    while time.monotonic() < deadline and b"simulator" not in line:
        line = process.stderr.readline()  # the simulator warning is the last startup line
    assert b"simulator" in line


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_stdio_exits_promptly_on_a_signal_without_a_traceback(sig):
    process = _stdio()
    _wait_started(process)
    process.send_signal(sig)
    _, err = process.communicate(timeout=5)
    assert process.returncode == 0 and b"Traceback" not in err


def test_stdio_exits_on_sigterm_as_pid_1():
    """As PID 1 (a container without an init), a signal nobody handles is ignored: `docker
    stop` would wait and kill. A new PID namespace makes the server PID 1 here."""
    unshare = shutil.which("unshare")
    if unshare is None or subprocess.run([unshare, "--pid", "--fork", "true"], capture_output=True).returncode != 0:
        pytest.skip("needs unshare --pid (root or user namespaces)")
    process = _stdio(unshare, "--pid", "--fork", "--kill-child")
    _wait_started(process)
    inner = subprocess.run(["pgrep", "-P", str(process.pid)], capture_output=True, text=True).stdout.split()
    os.kill(int(inner[0]), signal.SIGTERM)
    _, err = process.communicate(timeout=5)
    assert process.returncode == 0 and b"Traceback" not in err


def test_the_token_can_come_from_a_mounted_file(tmp_path):
    (tmp_path / "token").write_text("qc_from-a-file\n")
    settings = Settings(_env_file=None, api_token_file=tmp_path / "token")
    assert settings.token_value() == "qc_from-a-file"
    assert Settings(_env_file=None, api_token="env-wins", api_token_file=tmp_path / "token").token_value() == "env-wins"
    with pytest.raises(ValueError, match="QUANT_API_TOKEN_FILE cannot be read"):
        Settings(_env_file=None, api_token_file=tmp_path / "missing")


async def test_tool_calls_limit_refusals_and_upstream_requests_are_counted(simulator, web):
    async with http_service(simulator, limit_tool_calls_per_minute=1) as url:
        async with connect(url, headers={"Authorization": f"Bearer {CLIENT_TOKEN}", "X-Request-Id": "count-me"}) as client:
            assert not (await client.call_tool("list_models", {})).is_error
            refused = await client.call_tool("list_models", {})
        assert refused.is_error and "(request id count-me)" in text_of(refused)
        text = (await web.get(f"{url}/metrics", headers={"Authorization": f"Bearer {CLIENT_TOKEN}"})).text
    samples = {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line and line[0] != "#"}
    assert samples['quant_mcp_tool_calls_total{outcome="ok",tool="list_models"}'] >= 1
    assert samples['quant_mcp_tool_calls_total{outcome="refused",tool="list_models"}'] >= 1
    assert samples['quant_mcp_limit_refusals_total{limit="calls"}'] >= 1
    assert samples['quant_mcp_upstream_requests_total{route_family="v3",status="200"}'] >= 1
    assert any(key.startswith("quant_mcp_tool_call_duration_seconds_bucket") for key in samples)


async def test_the_request_id_goes_upstream_and_into_the_error_text(simulator):
    """One id from the agent's error text to the upstream's own logs (here: what it received)."""
    from mcp import Client
    from starlette.responses import JSONResponse

    from quant_mcp.server import build_server
    from tests.conftest import make_settings
    from tests.http.conftest import serve_app

    received: list[str | None] = []

    async def upstream(scope, receive, send):  # type: ignore[no-untyped-def]  # a Quant API that is down
        received.append(dict(scope["headers"]).get(b"x-request-id", b"").decode() or None)
        await JSONResponse({"message": "maintenance"}, status_code=503)(scope, receive, send)

    async with serve_app(upstream) as url:
        async with Client(build_server(make_settings(simulator, base_url=url, max_retries=0))) as client:
            result = await client.call_tool("list_models", {})
    assert result.is_error and received and received[0]
    assert f"(request id {received[0]})" in text_of(result)
