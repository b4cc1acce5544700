"""Chat sessions as resources: list, read, complete, and change notifications in both eras."""

from __future__ import annotations

import json

import anyio
import pytest
from mcp import Client
from mcp.types import ResourceTemplateReference

from quant_mcp.server import build_server
from tests.conftest import make_settings

pytestmark = pytest.mark.anyio


async def _create(client: Client, user: str = "u-res") -> str:
    result = await client.call_tool("create_session", {"userId": user})
    assert not result.is_error
    return result.structured_content["sessionId"]


async def test_sessions_are_listed_read_and_completed(mcp_client):
    resources = {str(r.uri) for r in (await mcp_client.list_resources()).resources}
    templates = {t.uri_template for t in (await mcp_client.list_resource_templates()).resource_templates}
    assert "quant://sessions" in resources and "quant://sessions/{sessionId}" in templates

    first, second = await _create(mcp_client), await _create(mcp_client)
    await mcp_client.call_tool(
        "update_session", {"sessionId": first, "newMessages": [{"role": "user", "content": "remember me"}]}
    )
    listing = await mcp_client.read_resource("quant://sessions")
    assert listing.contents[0].mime_type == "application/json"
    assert {first, second} <= {s["id"] for s in json.loads(listing.contents[0].text)["sessions"]}

    session = json.loads((await mcp_client.read_resource(f"quant://sessions/{first}")).contents[0].text)
    assert session["id"] == first and session["messages"][-1]["content"] == "remember me"

    completion = await mcp_client.complete(
        ResourceTemplateReference(type="ref/resource", uri="quant://sessions/{sessionId}"),
        {"name": "sessionId", "value": first[:4]},
    )
    assert first in completion.completion.values
    assert all(value.startswith(first[:4]) for value in completion.completion.values)


async def test_reading_an_unknown_session_is_a_not_found_error(mcp_client):
    with pytest.raises(Exception, match="404|not found"):
        await mcp_client.read_resource("quant://sessions/00000000-0000-4000-8000-000000000000")


async def test_session_changes_are_announced_to_2026_clients(simulator):
    async with Client(build_server(make_settings(simulator))) as client:
        session_id = await _create(client)
        uri = f"quant://sessions/{session_id}"
        events = []
        async with client.listen(resources_list_changed=True, resource_subscriptions=[uri]) as subscription:
            await client.call_tool("update_session", {"sessionId": session_id, "tokensUsed": 5})
            with anyio.fail_after(5):
                async for event in subscription:
                    events.append(event)
                    if any(getattr(e, "uri", None) == uri for e in events):
                        break
        assert any(getattr(e, "uri", None) == uri for e in events)


@pytest.mark.filterwarnings("ignore:resources/subscribe is removed:mcp.MCPDeprecationWarning")  # a 2025 client
async def test_session_changes_are_announced_to_2025_clients(simulator):
    received = []

    async def on_message(message):
        received.append(message)

    async with Client(build_server(make_settings(simulator)), mode="legacy", message_handler=on_message) as client:
        assert client.server_capabilities.resources.list_changed, "2025 clients must be told lists can change"
        assert client.server_capabilities.resources.subscribe, "2025 clients must be able to subscribe"
        session_id = await _create(client)
        await client.subscribe_resource(f"quant://sessions/{session_id}")  # updates go to subscribers only
        await client.call_tool("delete_session", {"sessionId": session_id})
        await anyio.sleep(0.05)
    methods = [getattr(getattr(m, "root", m), "method", None) for m in received]
    assert "notifications/resources/list_changed" in methods
    updated = [
        getattr(m, "root", m)
        for m in received
        if getattr(getattr(m, "root", m), "method", "") == "notifications/resources/updated"
    ]
    assert any(str(n.params.uri) == f"quant://sessions/{session_id}" for n in updated)
