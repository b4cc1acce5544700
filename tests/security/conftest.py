"""The shared deployment under attack: quant-mcp's HTTP service on uvicorn (127.0.0.1), two
inbound identities (two static tokens), two tenants (two Quant tokens bound to two
organisations by the simulator), and a real gateway between quant-mcp and the simulator that
behaves as gateways do: it sets a cookie on every answer, and can be told to quote the
request's Authorization header back in an error body."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from mcp import Client
from starlette.types import Receive, Scope, Send

from quant_mcp.http import build_http_app
from quant_mcp.simulator import Simulator
from tests.conftest import OTHER_ORG, OTHER_TOKEN, TEST_ORG, TEST_TOKEN, make_settings
from tests.http.conftest import connect, loopback_socket, serve_app

ALICE_INBOUND = "inbound-alice-4f9a2c71e0"
BOB_INBOUND = "inbound-bob-8d3e5b62f1"
ALICE = {"Authorization": f"Bearer {ALICE_INBOUND}", "X-Quant-Token": TEST_TOKEN, "X-Quant-Organization": TEST_ORG}
BOB = {"Authorization": f"Bearer {BOB_INBOUND}", "X-Quant-Token": OTHER_TOKEN, "X-Quant-Organization": OTHER_ORG}
MULTI = {"http_tenancy": "multi", "api_token": None, "organization": None}
SECRETS = (TEST_TOKEN, OTHER_TOKEN, ALICE_INBOUND, BOB_INBOUND)
_ORG = re.compile(r"/organi[sz]ations/([^/]+)")


@dataclass
class Gateway:
    """A reverse proxy in front of the simulator, on its own loopback port."""

    upstream: str
    url: str = ""
    set_cookie: bool = True
    quote_authorization: str | None = None  # a path regex: answer 400 quoting the Authorization header
    cookies_seen: list[tuple[str, str | None]] = field(default_factory=list)  # (organisation, Cookie header)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        path = scope["path"] + (f"?{scope['query_string'].decode()}" if scope["query_string"] else "")
        found = _ORG.search(scope["path"])
        organisation = found.group(1) if found else ""
        self.cookies_seen.append((organisation, headers.get("cookie")))
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        extra = [(b"set-cookie", f"gw_affinity={organisation or 'none'}; Path=/".encode())] if self.set_cookie else []
        if self.quote_authorization and re.search(self.quote_authorization, scope["path"]):
            quoted = f'{{"message": "Gateway refused the request (headers: authorization={headers.get("authorization")})"}}'
            await send(
                {"type": "http.response.start", "status": 400, "headers": [(b"content-type", b"application/json"), *extra]}
            )
            await send({"type": "http.response.body", "body": quoted.encode()})
            return
        forwarded = {k: v for k, v in headers.items() if k not in ("host", "content-length", "cookie")}
        async with httpx.AsyncClient(base_url=self.upstream, timeout=30) as web:
            request = web.build_request(scope["method"], path, headers=forwarded, content=body)
            response = await web.send(request, stream=True)
            try:
                keep = [
                    (k.encode(), v.encode())
                    for k, v in response.headers.items()
                    if k not in ("content-length", "transfer-encoding")
                ]
                await send({"type": "http.response.start", "status": response.status_code, "headers": keep + extra})
                async for chunk in response.aiter_raw():
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
                await send({"type": "http.response.body", "body": b""})
            finally:
                await response.aclose()


@pytest.fixture
async def simulator() -> AsyncIterator[Simulator]:
    async with Simulator(tokens={TEST_TOKEN: TEST_ORG, OTHER_TOKEN: OTHER_ORG}) as sim:
        yield sim


@pytest.fixture
async def gateway(simulator: Simulator) -> AsyncIterator[Gateway]:
    proxy = Gateway(simulator.base_url)
    async with serve_app(proxy) as url:
        proxy.url = url
        yield proxy


@asynccontextmanager
async def shared_service(
    simulator: Simulator, *, base_url: str | None = None, stateless: bool = False, **overrides: Any
) -> AsyncIterator[str]:
    """quant-mcp's HTTP service: multi-tenant, two inbound identities, upstream at ``base_url``
    (the gateway) or the simulator; ``overrides`` are settings."""
    values = MULTI | {"http_auth": "static", "http_tokens": f"{ALICE_INBOUND},{BOB_INBOUND}"} | overrides
    if base_url:
        values["base_url"] = base_url
    settings = make_settings(simulator, **values)
    sock = loopback_socket()
    app = build_http_app(settings, stateless=stateless, port=sock.getsockname()[1])
    async with serve_app(app, sock) as url:
        yield url


@asynccontextmanager
async def as_alice(url: str, mode: str = "auto", **options: Any) -> AsyncIterator[Client]:
    async with connect(url, mode=mode, headers=ALICE, **options) as client:
        yield client


@asynccontextmanager
async def as_bob(url: str, mode: str = "auto", **options: Any) -> AsyncIterator[Client]:
    async with connect(url, mode=mode, headers=BOB, **options) as client:
        yield client


def leaks(text: str) -> list[str]:
    """The secrets (or any 12 characters of one) found in ``text``."""
    return [s for s in SECRETS if any(s[i : i + 12] in text for i in range(len(s) - 11))]
