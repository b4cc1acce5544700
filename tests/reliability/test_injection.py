"""Injection and escapes: what a caller puts in arguments or headers never changes where a
request goes, and attachments never read outside the allowed directories.

Where requests go is read off the wire: the server's QuantClient is given a recording
transport (the real httpx2 network transport, noting each request's URL before sending it),
so the checks see the exact percent-encoded path and host, as the Quant API would.
"""

from __future__ import annotations

import base64
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx2
import pytest
from mcp import Client

from quant_mcp.catalog import OPERATIONS_BY_NAME
from quant_mcp.catalog.base import QUERY, Operation, Route
from quant_mcp.config import Settings
from quant_mcp.schemas import input_schema
from quant_mcp.server import build_server, select_operations
from quant_mcp.simulator import Simulator
from tests.conftest import MODEL, TEST_TOKEN, make_settings
from tests.http.conftest import client_headers, connect, http_service
from tests.reliability.conftest import TALLY, accepted_example, assert_readable_error
from tests.reliability.schema_strategies import draw_examples, valid_arguments

pytestmark = pytest.mark.anyio

ALL = select_operations(Settings(_env_file=None, toolsets=["all"]))

# Values that try to leave a path segment: traversal (plain, encoded, mixed), separators,
# query and fragment, NUL and CR/LF (header injection), URLs, fullwidth look-alikes, length.
ESCAPES = [
    "..",
    ".",
    "../",
    "../../models",
    "a/../../models",
    "%2e%2e",
    "..%2f..%2fmodels",
    "a%2Fb",
    "/",
    "a/b",
    "a\\b",
    "?x=1",
    "a?limit=1&offset=9",
    "#frag",
    "a#b",
    "\x00",
    "a\x00b",
    "a\r\nHost: evil.example",
    "a b",
    "http://evil.example/x",
    "//evil.example/x",
    "@evil.example",
    "ａ／．．",
    "x" * 10_000,
]
# URLs an attacker might hope becomes the base URL if it lands in any string argument.
SMUGGLED_URLS = [
    "http://evil.example/",
    "https://evil.example:8443/api",
    "//evil.example/x",
    "http://user@evil.example",
    "http://127.0.0.1:9/",
]


class Wiretap(httpx2.AsyncBaseTransport):
    """The real network transport, noting the URL of every request before sending it."""

    def __init__(self) -> None:
        self.inner = httpx2.AsyncHTTPTransport()
        self.urls: list[httpx2.URL] = []

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        self.urls.append(request.url)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.fixture
async def tapped(simulator: Simulator) -> AsyncIterator[tuple[Client, Wiretap]]:
    """Every tool, v3 routes, with a wiretap on the upstream connection."""
    tap = Wiretap()
    async with Client(build_server(make_settings(simulator, toolsets=["all"], max_retries=0), transport=tap)) as client:
        yield client, tap


def path_parameters() -> Iterator[tuple[str, str, str]]:
    """(family, tool, wire name) of every path parameter besides the organisation."""
    for op in ALL:
        if op.flow is not None:  # a composite tool's requests are its parts'
            continue
        for family in ("v3", "legacy") if op.legacy_route else ("v3",):
            for segment in op.route_for(family).path.split("/"):
                if segment.startswith("{") and segment != "{organisation}":
                    yield family, op.name, segment[1:-1]


def on_route(url: httpx2.URL, route: Route, simulator: Simulator, query: set[str]) -> None:
    """The request went to the configured host, and each template segment is exactly one
    segment on the wire: static ones unchanged, each parameter whole (no '/', no dot segment);
    no query parameter the tool does not have."""
    assert (url.scheme, url.host, url.port) == ("http", "127.0.0.1", int(simulator.base_url.rsplit(":", 1)[1])), url
    sent = url.raw_path.split(b"?")[0].decode("ascii").split("/")
    template = route.path.split("/")
    assert len(sent) == len(template), f"{url.raw_path!r} does not have the shape of {route.path}"
    for want, got in zip(template, sent, strict=True):
        if want.startswith("{"):
            assert got and unquote(got) not in (".", "..") and unquote(unquote(got)) not in (".", ".."), url.raw_path
        else:
            assert got == want, url.raw_path
    assert set(url.params) <= query, f"unexpected query parameters in {url}"


def query_names(op: Operation) -> set[str]:
    return {info.alias or name for name, info in op.arguments.model_fields.items() if QUERY in info.metadata}


@pytest.mark.parametrize(("family", "tool", "parameter"), list(path_parameters()))
async def test_path_parameters_never_leave_their_segment(simulator: Simulator, family: str, tool: str, parameter: str) -> None:
    op = OPERATIONS_BY_NAME[tool]
    base = accepted_example(tool)
    tap = Wiretap()
    settings = make_settings(simulator, toolsets=["all"], max_retries=0, api_routes=family)
    async with Client(build_server(settings, transport=tap)) as client:
        for value in ESCAPES:
            sent_before = len(tap.urls)
            result = await client.call_tool(tool, {**base, parameter: value})
            if len(tap.urls) == sent_before:
                assert_readable_error(tool, result)
                TALLY["injection: path values refused before sending"] += 1
            for url in tap.urls[sent_before:]:
                if op.flow is None:
                    on_route(url, op.route_for(family), simulator, query_names(op))
                else:  # a flow calls other operations: each request must fit one of them whole
                    assert any(_fits(url, c.route_for(family), simulator) for c in ALL if c.flow is None), url
                TALLY["injection: path values sent, each within its segment"] += 1


def _fits(url: httpx2.URL, route: Route, simulator: Simulator) -> bool:
    try:
        on_route(url, route, simulator, query={"limit", "offset"})
    except AssertionError:
        return False
    return True


def _strings_replaced(value: Any, text: str) -> Any:
    if isinstance(value, str):
        return text
    if isinstance(value, list):
        return [_strings_replaced(item, text) for item in value]
    if isinstance(value, dict):
        return {key: _strings_replaced(item, text) for key, item in value.items()}
    return value


@pytest.mark.parametrize("tool", [op.name for op in ALL])
async def test_a_url_in_any_string_argument_never_changes_the_host(
    tapped: tuple[Client, Wiretap], simulator: Simulator, tool: str
) -> None:
    client, tap = tapped
    examples = draw_examples(valid_arguments(input_schema(OPERATIONS_BY_NAME[tool].arguments)), 6)
    for arguments in examples:
        for url in SMUGGLED_URLS:
            await client.call_tool(tool, _strings_replaced(arguments, url))
            TALLY["injection: calls with a URL in every string argument"] += 1
    port = int(simulator.base_url.rsplit(":", 1)[1])
    assert {(u.scheme, u.host, u.port) for u in tap.urls} <= {("http", "127.0.0.1", port)}


@pytest.mark.parametrize("organisation", ["..", ".", "a/../..", "%2e%2e", "org?x=1", "org#f", "a\tb"])
async def test_an_organisation_header_cannot_leave_its_segment(simulator: Simulator, organisation: str) -> None:
    """Multi-tenant HTTP: the organisation comes from a header, unchecked by any schema."""
    async with (
        http_service(simulator, http_tenancy="multi", api_token=None, organization=None) as url,
        connect(url, headers=client_headers(TEST_TOKEN, organisation)) as client,
    ):
        result = await client.call_tool("list_sessions", {})
    assert "is not a machine name" in assert_readable_error("list_sessions", result)
    assert simulator.state.requests == []


async def test_a_configured_organisation_cannot_leave_its_segment(simulator: Simulator) -> None:
    async with Client(build_server(make_settings(simulator, organization=".."))) as client:
        result = await client.call_tool("list_sessions", {})
    assert "is not a machine name" in assert_readable_error("list_sessions", result)
    assert simulator.state.requests == []


# ----------------------------------------------------------------------------- attachments

SECRET = b"\x89PNG\r\n\x1a\n" + b"SECRET-ATTACHMENT-MARKER-7f3a" * 4  # a real PNG signature: only the place refuses it


@pytest.fixture
def places(tmp_path: Path) -> dict[str, Path]:
    allowed, secret = tmp_path / "allowed", tmp_path / "secret"
    allowed.mkdir()
    secret.mkdir()
    (allowed / "ok.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 32)
    (secret / "secret.png").write_bytes(SECRET)
    (allowed / "link.png").symlink_to(secret / "secret.png")
    (allowed / "linkdir").symlink_to(secret, target_is_directory=True)
    os.mkfifo(allowed / "fifo.png")
    return {"allowed": allowed, "secret": secret}


def escapes(allowed: Path, secret: Path) -> list[str]:
    return [
        f"{allowed}/../secret/secret.png",
        f"{allowed}/./../secret/secret.png",
        f"{allowed}//..//secret/secret.png",
        f"{secret}/secret.png",
        f"{allowed}/link.png",
        f"{allowed}/linkdir/secret.png",
        f"file://{allowed}/../secret/secret.png",
        f"file://{allowed}/%2e%2e/secret/secret.png",
        f"file://{allowed}/%2E%2E%2Fsecret%2Fsecret.png",
        f"file://evil.example{secret}/secret.png",
        "secret/secret.png",
        "../secret/secret.png",
        "~/secret.png",
        f"{allowed}/ok.png\x00/../../secret/secret.png",
        f"file://{allowed}/ok.png%00",
        f"{allowed}/fifo.png",
        f"{allowed}",
        "/proc/self/environ",
        "/etc/passwd",
        f"{allowed}/{'a' * 300}.png",
    ]


@pytest.mark.parametrize("tool", ["chat", "chat_stream"])
async def test_attachments_cannot_leave_the_allowed_directories(simulator: Simulator, places: dict[str, Path], tool: str) -> None:
    allowed, secret = places["allowed"], places["secret"]
    marker = base64.b64encode(SECRET)[:40].decode()
    async with Client(build_server(make_settings(simulator, allowed_dirs=[str(allowed)]))) as client:

        async def attach(path: str) -> Any:
            content = [{"file": {"path": path}}, {"text": "describe it"}]
            return await client.call_tool(tool, {"modelId": MODEL, "messages": [{"role": "user", "content": content}]})

        for path in escapes(allowed, secret):
            before = len(simulator.state.requests)
            result = await attach(path)
            assert_readable_error(tool, result)
            assert len(simulator.state.requests) == before, f"{path!r} was sent"
            TALLY["injection: attachment escapes refused"] += 1
        assert not (await attach(f"{allowed}/ok.png")).is_error  # the allowed file itself goes through
    assert all(marker not in str(record.body) for record in simulator.state.requests)


async def test_the_route_check_itself_catches_an_escape(simulator: Simulator) -> None:
    route = OPERATIONS_BY_NAME["get_session"].route
    prefix = f"{simulator.base_url}/api/v3/organizations/{TEST_TOKEN[:3]}/ai/sessions"
    for escaped in [
        f"{prefix}/%2e%2e",
        f"{prefix}/a/b",
        f"{prefix}/a?admin=1",
        "http://evil.example/api/v3/organizations/o/ai/sessions/a",
    ]:
        with pytest.raises(AssertionError):
            on_route(httpx2.URL(escaped), route, simulator, query=set())
    on_route(httpx2.URL(f"{prefix}/a%2F..%2Fb"), route, simulator, query=set())  # one encoded segment is fine
