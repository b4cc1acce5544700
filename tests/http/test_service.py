"""The HTTP service itself: health and readiness, Host/Origin validation, the body size limit,
the loopback-only rule without auth, stateless concurrency, and the real CLI entry point."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import anyio
import pytest
from starlette.responses import Response

from quant_mcp.config import Settings
from quant_mcp.http import bind_problem, build_http_app, serve_http
from tests.conftest import OTHER_ORG, OTHER_TOKEN, TEST_ORG, TEST_TOKEN, text_of
from tests.http.conftest import (
    CLIENT_TOKEN,
    client_headers,
    connect,
    free_port,
    http_service,
    loopback_socket,
    serve_app,
    serve_env,
    wait_until_ready,
)

pytestmark = pytest.mark.anyio

AUTH = {"Authorization": f"Bearer {CLIENT_TOKEN}"}
MCP_HEADERS = AUTH | {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


def initialize(padding: int = 0) -> dict:
    """An initialize request, optionally padded to make the body bigger."""
    return {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-11-25",
            "capabilities": {},
            "clientInfo": {"name": "t", "version": "1", "description": "x" * padding},
        },
    }


# ----------------------------------------------------------------------------- health


async def test_healthz_and_readyz(web, simulator):
    async with http_service(simulator) as url:
        assert (await web.get(f"{url}/healthz")).json() == {"status": "ok"}
        ready = await web.get(f"{url}/readyz")
        assert ready.status_code == 200 and ready.json() == {"status": "ready"}


async def test_upstreamz_is_503_when_the_quant_api_does_not_answer(web, simulator):
    async with http_service(simulator, base_url=f"http://127.0.0.1:{free_port()}") as url:
        assert (await web.get(f"{url}/healthz")).status_code == 200  # alive, and
        assert (await web.get(f"{url}/readyz")).status_code == 200  # ready (the outage is not this replica's), but
        ready = await web.get(f"{url}/upstreamz")
        assert ready.status_code == 503
        assert "does not answer" in ready.json()["reason"]


async def test_upstreamz_is_503_when_the_quant_api_fails(web, simulator):
    probes = []

    async def failing(scope, receive, send):  # an upstream that answers every request with 503
        probes.append(scope["path"])
        await Response("down for maintenance", status_code=503)(scope, receive, send)

    async with serve_app(failing) as upstream, http_service(simulator, base_url=upstream) as url:
        ready = await web.get(f"{url}/upstreamz")
        assert ready.status_code == 503 and ready.json()["reason"] == "the Quant API answered 503"
        async with anyio.create_task_group() as tg:  # a burst of unauthenticated probes: served from the cache
            for _ in range(20):
                tg.start_soon(web.get, f"{url}/upstreamz")
    assert probes == ["/"]


async def test_simulate_mode_serves_the_built_in_simulator(web):
    settings = Settings(_env_file=None, http_auth="static", http_tokens=CLIENT_TOKEN)  # no Quant token, no base URL
    sock = loopback_socket()
    async with serve_app(build_http_app(settings, simulate=True, port=sock.getsockname()[1]), sock) as url:
        ready = await web.get(f"{url}/upstreamz")  # probes the simulator the lifespan started, not the real API
        assert ready.status_code == 200, ready.text
        async with connect(url) as client:
            result = await client.call_tool("list_models", {})
            assert not result.is_error, text_of(result)


# ----------------------------------------------------------------------------- Host / Origin / size


async def test_bad_origin_and_host_are_rejected(web, simulator):
    async with http_service(simulator) as url:
        evil_origin = await web.post(f"{url}/mcp", json=initialize(), headers=MCP_HEADERS | {"Origin": "http://evil.example"})
        assert evil_origin.status_code == 403
        evil_host = await web.post(f"{url}/mcp", json=initialize(), headers=MCP_HEADERS | {"Host": "evil.example"})
        assert evil_host.status_code == 421
        local_origin = await web.post(f"{url}/mcp", json=initialize(), headers=MCP_HEADERS | {"Origin": url})
        assert local_origin.status_code == 200


async def test_configured_hosts_and_origins_are_accepted(web, simulator):
    allowed = {"http_allowed_hosts": "mcp.internal:*,mcp.internal", "http_allowed_origins": "https://app.example.test"}
    async with http_service(simulator, http_public_url="https://mcp.example.test/mcp", **allowed) as url:
        for extra in (
            {"Host": "mcp.internal"},
            {"Host": "mcp.internal:8443"},
            {"Host": "mcp.example.test"},  # the public URL's host
            {"Origin": "https://app.example.test"},
            {"Origin": "https://mcp.example.test"},
        ):
            response = await web.post(f"{url}/mcp", json=initialize(), headers=MCP_HEADERS | extra)
            assert response.status_code == 200, extra
        response = await web.post(
            f"{url}/mcp", json=initialize(), headers=MCP_HEADERS | {"Origin": "https://app.example.test.evil"}
        )
        assert response.status_code == 403


async def test_star_host_turns_host_and_origin_checks_off(web, simulator):
    async with http_service(simulator, http_allowed_hosts="*") as url:  # a proxy in front owns Host
        anything = MCP_HEADERS | {"Host": "whatever.example", "Origin": "https://whatever.example"}
        assert (await web.post(f"{url}/mcp", json=initialize(), headers=anything)).status_code == 200
        assert (
            await web.post(f"{url}/mcp", json=initialize(), headers=anything | {"Authorization": "Bearer x"})
        ).status_code == 401


async def test_oversized_body_is_413_before_anything_happens(web, simulator):
    async with http_service(simulator, http_max_body_bytes=20_000) as url:
        assert (await web.post(f"{url}/mcp", json=initialize(10_000), headers=MCP_HEADERS)).status_code == 200
        too_big = await web.post(f"{url}/mcp", json=initialize(30_000), headers=MCP_HEADERS)
        assert too_big.status_code == 413

        async def chunks():  # no Content-Length: the limit holds for a streamed body too
            for _ in range(30):
                yield b" " * 1000

        streamed = await web.post(f"{url}/mcp", content=chunks(), headers=MCP_HEADERS)
        assert streamed.status_code == 413
        without_auth = await web.post(f"{url}/mcp", json=initialize(30_000), headers={"Content-Type": "application/json"})
        assert without_auth.status_code == 401  # authentication comes first
    assert simulator.state.requests == []


# ----------------------------------------------------------------------------- binding


def test_non_loopback_needs_auth_or_force():
    plain = Settings(_env_file=None)
    for host in ("127.0.0.1", "localhost", "::1", "127.0.0.5"):
        assert bind_problem(plain, host) is None, host
    for host in ("0.0.0.0", "::", "192.168.1.10", "example.com"):
        assert "refusing to listen" in bind_problem(plain, host), host
    assert bind_problem(Settings(_env_file=None, http_auth="static"), "0.0.0.0") is None
    assert bind_problem(Settings(_env_file=None, http_force_insecure=True), "0.0.0.0") is None


def test_serve_http_refuses_before_binding(capsys):
    assert serve_http(Settings(_env_file=None), host="0.0.0.0", port=free_port(), stateless=True, simulate=False) == 2
    assert "refusing to listen on 0.0.0.0" in capsys.readouterr().err
    jwt_without_url = Settings(
        _env_file=None, http_auth="jwt", http_jwt_issuer="https://a.test", http_jwt_jwks_url="https://a.test/k"
    )
    assert serve_http(jwt_without_url, host="0.0.0.0", port=free_port(), stateless=True, simulate=False) == 2
    assert "QUANT_HTTP_PUBLIC_URL" in capsys.readouterr().err


def test_cli_refuses_non_loopback_without_auth():
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUANT_")}
    done = subprocess.run(
        [sys.executable, "-m", "quant_mcp", "serve", "--transport", "http", "--host", "0.0.0.0", "--port", str(free_port())],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert done.returncode == 2
    assert "refusing to listen on 0.0.0.0" in done.stderr and "--force-insecure" in done.stderr
    assert done.stdout == ""


# ----------------------------------------------------------------------------- stateless scale-out


@pytest.mark.parametrize("tenancy", ["single", "multi"])
async def test_stateless_serves_many_concurrent_clients(simulator, tenancy):
    clients = 40
    failures: list[str] = []
    overrides = {"http_tenancy": tenancy} if tenancy == "multi" else {}
    async with http_service(simulator, stateless=True, **overrides) as url:

        async def one(n: int) -> None:
            token, org = (TEST_TOKEN, TEST_ORG) if n % 2 else (OTHER_TOKEN, OTHER_ORG)
            headers = client_headers(token, org) if tenancy == "multi" else client_headers()
            try:
                async with connect(url, mode="legacy" if n % 3 == 0 else "auto", headers=headers) as client:
                    for name, arguments in (("list_models", {}), ("create_session", {"userId": f"u{n}"})):
                        result = await client.call_tool(name, arguments)
                        if result.is_error:
                            failures.append(f"{n} {name}: {text_of(result)}")
            except Exception as exc:
                failures.append(f"{n}: {type(exc).__name__}: {exc}")

        with anyio.fail_after(90):
            async with anyio.create_task_group() as tg:
                for n in range(clients):
                    tg.start_soon(one, n)
    assert failures == []
    assert sum(1 for r in simulator.state.requests if r.method == "POST") == clients
    assert all(r.status < 400 for r in simulator.state.requests)


# ----------------------------------------------------------------------------- the real command


async def test_cli_serves_http_and_stops_cleanly(simulator):
    port = free_port()
    env = serve_env(simulator)
    argv = [sys.executable, "-m", "quant_mcp", "serve", "--transport", "http", "--port", str(port)]
    argv += ["--auth", "static", "--stateless"]
    url = f"http://127.0.0.1:{port}"
    async with await anyio.open_process(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as process:
        try:
            await wait_until_ready(url)
            async with connect(url) as client:
                assert "list_models" in {tool.name for tool in (await client.list_tools()).tools}
                assert not (await client.call_tool("list_models", {})).is_error
        finally:
            process.send_signal(signal.SIGTERM)  # what docker stop and Kubernetes send
            with anyio.fail_after(20):
                code = await process.wait()
        stderr = b"".join([chunk async for chunk in process.stderr]).decode()
    assert code in (0, -signal.SIGTERM)  # uvicorn re-raises the signal after a graceful shutdown
    assert "Traceback" not in stderr
    assert f"MCP endpoint {url}/mcp (auth static, single tenant, stateless)" in stderr
    assert TEST_TOKEN not in stderr and CLIENT_TOKEN not in stderr
