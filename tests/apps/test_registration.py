"""How the views are offered: as ``ui://`` resources and tool metadata to hosts that negotiated MCP
Apps, not at all to other clients (whose lists and results stay as they were), and each one a
small self-contained document that can run nothing but its own code and fetch nothing."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest
from mcp import Client
from mcp.server.apps import APP_MIME_TYPE, EXTENSION_ID

from quant_mcp.apps import VIEWS, document
from quant_mcp.server import build_server
from quant_mcp.simulator import Simulator
from tests.apps.conftest import apps_host
from tests.conftest import make_settings

pytestmark = pytest.mark.anyio

BOUND = {tool: view.uri for view in VIEWS for tool in view.tools}


@pytest.mark.parametrize("view", VIEWS, ids=lambda view: view.name)
def test_each_view_is_one_small_document_that_runs_only_its_own_code(view):
    html = document(view)
    assert len(html.encode()) < 100_000
    assert "include:" not in html  # every shared part was inlined
    assert not re.search(r"\b(src|href)=\"(?!data:)", html), "the document loads nothing from elsewhere"
    assert not re.search(r"\bfetch\(|XMLHttpRequest|WebSocket|EventSource|@import|url\(", html)
    policy = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', html)[1]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'none'" and directives["connect-src"] == "'none'"
    assert "unsafe" not in policy
    for kind in ("script", "style"):
        bodies = re.findall(rf"<{kind}>(.*?)</{kind}>", html, re.S)
        assert len(bodies) == 1
        digest = base64.b64encode(hashlib.sha256(bodies[0].encode()).digest()).decode()
        assert directives[f"{kind}-src"] == f"'sha256-{digest}'"


async def test_hosts_with_apps_get_the_views_and_the_bindings(simulator: Simulator, era: str):
    server = build_server(make_settings(simulator, toolsets=["all"]))
    async with Client(server, extensions=[apps_host()], mode=era) as client:
        if era == "auto":  # the SDK states its extensions in 2026-era capabilities only
            assert EXTENSION_ID in (client.server_capabilities.extensions or {})
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
        for name, tool in tools.items():
            ui = (tool.meta or {}).get("ui")
            assert ui == ({"resourceUri": BOUND[name]} if name in BOUND else None), name
        listed = {r.uri: r for r in (await client.list_resources()).resources if r.uri.startswith("ui://")}
        assert set(listed) == {view.uri for view in VIEWS}
        for view in VIEWS:
            assert listed[view.uri].mime_type == APP_MIME_TYPE
            assert listed[view.uri].meta == {"ui": {"csp": {}, "prefersBorder": True}}
            (content,) = (await client.read_resource(view.uri)).contents
            assert content.mime_type == APP_MIME_TYPE and content.text == document(view)


async def test_clients_without_apps_see_exactly_what_they_saw_before(simulator: Simulator, era: str):
    settings = make_settings(simulator, toolsets=["all"])
    async with (
        Client(build_server(settings), mode=era) as plain,
        Client(build_server(settings.model_copy(update={"apps": ["none"]})), mode=era) as without_views,
        Client(build_server(settings), extensions=[apps_host()], mode=era) as host,
    ):
        plain_tools = (await plain.list_tools()).model_dump(mode="json", by_alias=True)
        assert plain_tools == (await without_views.list_tools()).model_dump(mode="json", by_alias=True)
        assert all("ui" not in (tool.get("_meta") or {}) for tool in plain_tools["tools"])
        plain_resources = (await plain.list_resources()).model_dump(mode="json", by_alias=True)
        assert plain_resources == (await without_views.list_resources()).model_dump(mode="json", by_alias=True)
        assert not [r for r in plain_resources["resources"] if r["uri"].startswith("ui://")]

        # The bound tools answer a host with Apps exactly as they answer anyone else.
        created = await plain.call_tool("create_session", {"userId": "user-1"})
        session_id = created.structured_content["sessionId"]
        image = {"textToImageParams": {"text": "a red square"}, "imageGenerationConfig": {"seed": 7}}
        for name, arguments in (("get_usage_stats", {}), ("get_session", {"sessionId": session_id}), ("generate_image", image)):
            assert (await plain.call_tool(name, arguments)) == (await host.call_tool(name, arguments)), name


async def test_views_can_be_turned_off_one_by_one_or_all(simulator: Simulator):
    for chosen, expected in ((["usage"], {"usage"}), (["session", "images"], {"session", "images"}), (["none"], set())):
        server = build_server(make_settings(simulator, apps=chosen, toolsets=["default", "images"]))
        async with Client(server, extensions=[apps_host()]) as client:
            uris = {r.uri for r in (await client.list_resources()).resources if r.uri.startswith("ui://")}
            assert uris == {view.uri for view in VIEWS if view.name in expected}
            bound = {tool.name for tool in (await client.list_tools()).tools if (tool.meta or {}).get("ui")}
            assert bound == {tool for view in VIEWS if view.name in expected for tool in view.tools}
            assert (EXTENSION_ID in (client.server_capabilities.extensions or {})) == bool(expected)
