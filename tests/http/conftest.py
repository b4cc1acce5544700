"""The HTTP service under test: a real uvicorn on 127.0.0.1 (ephemeral port, fresh app per
test) and the SDK's Streamable HTTP client talking to it."""

from __future__ import annotations

import os
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

import anyio
import httpx
import httpx2
import pytest
import uvicorn
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from starlette.types import ASGIApp

from quant_mcp.http import build_http_app
from quant_mcp.simulator import Simulator
from tests.conftest import TEST_ORG, TEST_TOKEN, make_settings

CLIENT_TOKEN = "inbound-client-token-7c1d"  # what MCP clients present to our server (not a Quant token)


def loopback_socket() -> socket.socket:
    """A TCP socket on a free loopback port. IPPROTO_TCP explicitly: asyncio only sets
    TCP_NODELAY on sockets whose proto says TCP, and without it every response waits ~40 ms
    for a delayed ACK (Nagle)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    return sock


def free_port() -> int:
    """A loopback port nothing listens on (free at the time of asking)."""
    with loopback_socket() as sock:
        return sock.getsockname()[1]


async def wait_until_ready(url: str, path: str = "/readyz", seconds: float = 30) -> None:
    """Poll ``url + path`` until it answers 200 (a server starting in another process)."""
    async with httpx.AsyncClient() as web:
        with anyio.fail_after(seconds):
            while True:
                try:
                    if (await web.get(url + path)).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await anyio.sleep(0.1)


@asynccontextmanager
async def serve_app(app: ASGIApp, sock: socket.socket | None = None) -> AsyncIterator[str]:
    """Run an ASGI app under uvicorn on a loopback socket (a free port by default); yields its base URL."""
    sock = sock or loopback_socket()
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=2))
    async with anyio.create_task_group() as tg:
        tg.start_soon(partial(server.serve, sockets=[sock]))
        with anyio.fail_after(15):
            while not server.started:
                await anyio.sleep(0.02)
        try:
            yield f"http://127.0.0.1:{sock.getsockname()[1]}"
        finally:
            server.should_exit = True


@asynccontextmanager
async def http_service(simulator: Simulator, *, stateless: bool = False, **overrides: Any) -> AsyncIterator[str]:
    """quant-mcp's HTTP service wired to the simulator (static inbound auth unless overridden)."""
    settings = make_settings(simulator, **({"http_auth": "static", "http_tokens": CLIENT_TOKEN} | overrides))
    sock = loopback_socket()
    app = build_http_app(settings, stateless=stateless, port=sock.getsockname()[1])
    async with serve_app(app, sock) as url:
        yield url


def serve_env(simulator: Simulator) -> dict[str, str]:
    """The environment of a ``quant-mcp serve --transport http --auth static`` subprocess wired to
    the simulator: the developer's own QUANT_* variables left out."""
    return {k: v for k, v in os.environ.items() if not k.startswith("QUANT_")} | {
        "QUANT_HTTP_TOKENS": CLIENT_TOKEN,
        "QUANT_API_TOKEN": TEST_TOKEN,
        "QUANT_ORGANIZATION": TEST_ORG,
        "QUANT_BASE_URL": simulator.base_url,
    }


@asynccontextmanager
async def connect(
    url: str, *, mode: str = "auto", headers: dict[str, str] | None = None, **options: Any
) -> AsyncIterator[Client]:
    """An SDK client on ``url``/mcp; ``headers`` default to the inbound bearer token; ``options``
    go to ``Client`` (e.g. ``message_handler``)."""
    headers = {"Authorization": f"Bearer {CLIENT_TOKEN}"} if headers is None else headers
    async with (
        httpx2.AsyncClient(headers=headers, timeout=30) as http,
        Client(streamable_http_client(f"{url}/mcp", http_client=http), mode=mode, **options) as client,
    ):
        yield client


def client_headers(quant_token: str | None = None, organisation: str | None = None) -> dict[str, str]:
    """Inbound bearer plus, for multi-tenant mode, the caller's own Quant credentials."""
    headers = {"Authorization": f"Bearer {CLIENT_TOKEN}"}
    if quant_token:
        headers["X-Quant-Token"] = quant_token
    if organisation:
        headers["X-Quant-Organization"] = organisation
    return headers


@pytest.fixture
async def web() -> AsyncIterator[httpx.AsyncClient]:
    """A plain async HTTP client for raw requests (never a sync one: it would block the server's loop)."""
    async with httpx.AsyncClient(timeout=10) as client:
        yield client
