"""The 12 seed tools end to end: the SDK's in-memory client, a server wired to the simulator,
both protocol eras and both route families."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from mcp import Client

from quant_mcp.server import build_server
from tests.conftest import MODEL, TEST_ORG, make_settings, text_of
from tests.contract.openapi_contract import validate_request

pytestmark = pytest.mark.anyio

SEED_TOOLS = {
    "chat",
    "chat_stream",
    "create_session",
    "list_sessions",
    "get_session",
    "update_session",
    "extend_session",
    "delete_session",
    "list_models",
    "get_usage_stats",
    "get_ai_config",
    "update_ai_config",
}


def ok(result):
    assert not result.is_error, text_of(result)
    return result.structured_content


@pytest.mark.parametrize("routes", ["v3", "legacy"])
async def test_all_seed_tools_end_to_end(simulator, era, routes):
    server = build_server(make_settings(simulator, api_routes=routes))
    async with Client(server, mode=era) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
        assert SEED_TOOLS <= names

        models = ok(await client.call_tool("list_models", {}))
        model_ids = {m["id"] for m in models["models"]}
        assert MODEL in model_ids

        create_args = {"userId": "u-1", "sessionGroup": "g-1"} if routes == "v3" else {"model": MODEL, "title": "T"}
        created = ok(await client.call_tool("create_session", create_args))
        session_id = created["sessionId"]
        assert session_id

        listed = ok(await client.call_tool("list_sessions", {"limit": 10}))
        assert session_id in {s["id"] for s in listed["sessions"]}
        assert listed["count"] == len(listed["sessions"])

        answer = ok(await client.call_tool("chat", {"modelId": MODEL, "messages": [{"role": "user", "content": "Hello there"}]}))
        reply = answer["response"]["content"]
        assert reply and answer["response"]["role"] == "assistant"

        deltas: list[str] = []

        async def on_progress(progress, total, message):
            deltas.append(message)

        streamed = ok(
            await client.call_tool(
                "chat_stream",
                {"modelId": MODEL, "messages": [{"role": "user", "content": "Hello there"}]},
                progress_callback=on_progress,
            )
        )
        assert streamed["response"]["content"] == "".join(deltas)
        assert len(deltas) > 1, "a multi-word answer arrives in several deltas"
        assert streamed["response"]["content"] == reply, "the simulator's models are deterministic"

        updated = ok(
            await client.call_tool(
                "update_session",
                {
                    "sessionId": session_id,
                    "newMessages": [{"role": "user", "content": "Hello there"}, {"role": "assistant", "content": reply}],
                    "tokensUsed": 42,
                },
            )
        )
        assert updated["totalMessages"] >= 2 and updated["totalTokens"] >= 42

        fetched = ok(await client.call_tool("get_session", {"sessionId": session_id}))
        assert [m["content"] for m in fetched["messages"]][-2:] == ["Hello there", reply]

        extended = ok(await client.call_tool("extend_session", {"sessionId": session_id, "additionalMinutes": 30}))
        assert extended["expiresAt"]

        month = datetime.now(UTC).strftime("%Y-%m")
        usage = ok(await client.call_tool("get_usage_stats", {"month": month}))
        assert usage["total_requests"] >= 2 and usage["by_model"][MODEL]["requests"] >= 2

        ok(await client.call_tool("update_ai_config", {"default_model": MODEL, "max_tokens": 777, "temperature": 0.3}))
        config = ok(await client.call_tool("get_ai_config", {}))
        assert config["default_model"] == MODEL and config["max_tokens"] == 777

        ok(await client.call_tool("delete_session", {"sessionId": session_id}))
        gone = await client.call_tool("get_session", {"sessionId": session_id})
        assert gone.is_error and "404" in text_of(gone)

    # Every request the server sent is one the reference allows, on the chosen route family
    # (update and extend have only v3 routes, so they use them in both families).
    prefix = "/api/v3/organizations/" if routes == "v3" else "/organisations/"
    served = set()
    for record in simulator.state.requests:
        operation = validate_request(record.method, record.path, query=record.query, body=record.body)
        served.add(operation.operation_id)
        assert record.path.startswith(prefix) or operation.operation_id in ("updateAISession", "extendAISession")
    assert len(served) == len(SEED_TOOLS)


async def test_results_carry_structured_content_and_readable_text(mcp_client):
    result = await mcp_client.call_tool("list_models", {})
    text = text_of(result)
    first_line, _, data = text.partition("\n")
    assert first_line.endswith(")") or "model(s)" in first_line
    assert json.loads(data) == result.structured_content


async def test_tools_carry_annotations_schemas_and_descriptions(mcp_client):
    tools = {tool.name: tool for tool in (await mcp_client.list_tools()).tools}
    for name in SEED_TOOLS:
        tool = tools[name]
        assert len(tool.description) > 30, f"{name} needs a description that says when to use it"
        assert tool.output_schema and tool.output_schema.get("type") == "object"
        assert tool.annotations.open_world_hint is not False  # left out: the protocol's default, true
        assert tool.input_schema["additionalProperties"] is False
        assert "organisation" in tool.input_schema["properties"]
    assert tools["get_session"].annotations.read_only_hint is True
    assert tools["delete_session"].annotations.destructive_hint is not False  # left out: the default, true
    assert tools["create_session"].annotations.destructive_hint is False
    assert not tools["create_session"].annotations.read_only_hint
    assert tools["list_sessions"].input_schema["properties"]["limit"]["maximum"] == 100
    assert tools["get_usage_stats"].input_schema["properties"]["month"]["pattern"]
    assert tools["list_models"].input_schema["properties"]["feature"]["enum"]


async def test_organisation_defaults_to_configured_and_can_be_overridden(simulator):
    server = build_server(make_settings(simulator, organization=None))
    async with Client(server) as client:
        missing = await client.call_tool("list_sessions", {})
        assert missing.is_error and "QUANT_ORGANIZATION" in text_of(missing)
        assert not simulator.state.requests
        ok(await client.call_tool("list_sessions", {"organisation": TEST_ORG}))
    assert simulator.state.requests[-1].organisation == TEST_ORG


async def test_route_family_specific_arguments_are_refused_before_sending(simulator):
    async with Client(build_server(make_settings(simulator, api_routes="legacy"))) as client:
        result = await client.call_tool("list_sessions", {"userId": "u-1"})
    assert result.is_error and "userId" in text_of(result) and "legacy" in text_of(result)
    assert not simulator.state.requests
