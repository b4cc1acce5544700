"""Search mode: three tools reach every operation with the typed tools' validation, refusals,
read-only behaviour and answers (real clients, the simulator behind)."""

from __future__ import annotations

import re

import pytest
from mcp import Client

from quant_mcp.catalog import OPERATIONS
from quant_mcp.search import score
from quant_mcp.server import build_server
from quant_mcp.toolsets import READ_ONLY_HEADER
from tests.conftest import make_settings as settings_for
from tests.conftest import text_of
from tests.http.conftest import client_headers, connect, http_service

pytestmark = pytest.mark.anyio

MODEL = "amazon.nova-lite-v1:0"


def search_server(simulator, **overrides):  # type: ignore[no-untyped-def]
    return build_server(settings_for(simulator, tool_mode="search", **overrides))


def same(answer):  # type: ignore[no-untyped-def]
    """An answer without what differs between two calls of the same operation (the request id)."""
    if answer is None or isinstance(answer, dict):
        return answer and {key: value for key, value in answer.items() if key != "requestId"}
    return re.sub(r'"requestId":"[^"]*"', "", answer)


async def found(client: Client, query: str, limit: int = 8) -> list[str]:
    result = await client.call_tool("find_operations", {"query": query, "limit": limit})
    assert not result.is_error, text_of(result)
    return [op["name"] for op in result.structured_content["operations"]]


def test_every_operation_is_found_first_by_its_own_title_or_in_the_top_three():
    for op in OPERATIONS:
        ranked = sorted(OPERATIONS, key=lambda other: -score(other, op.title))
        assert op in ranked[:3], f"{op.name} is not among the best matches of its title {op.title!r}"


async def test_words_an_agent_would_use_find_the_operation(simulator, era):
    async with Client(search_server(simulator), mode=era) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
        assert names == {"find_operations", "describe_operation", "call_operation"}
        assert "upload_file" in (await found(client, "upload a file"))[:2]
        assert "chat_in_session" in (await found(client, "continue a chat session"))[:3]
        assert "get_my_usage" in (await found(client, "my usage this month"))[:3]
        assert "create_embeddings" in (await found(client, "embeddings"))[:1]
        assert await found(client, "xylophone") == []


async def test_describe_shows_the_typed_tools_own_interface(simulator, era):
    typed = {tool.name: tool for tool in await build_server(settings_for(simulator, toolsets=["all"])).list_tools()}
    async with Client(search_server(simulator), mode=era) as client:
        for name in ("chat", "upload_file", "get_session"):
            result = await client.call_tool("describe_operation", {"name": name})
            interface = result.structured_content
            assert interface["inputSchema"] == typed[name].input_schema
            assert interface["outputSchema"] == typed[name].output_schema
            assert interface["description"] == typed[name].description


async def test_calls_answer_and_refuse_exactly_as_the_typed_tools(simulator, era):
    calls = [
        ("list_models", {}),
        ("get_model", {"modelId": MODEL}),
        ("get_model", {"modelId": "../etc"}),  # refused by validation, nothing sent
        ("chat", {"messages": [{"role": "user", "content": "Hello"}], "modelId": MODEL}),
        ("chat", {"messages": [], "modelId": MODEL, "surprise": 1}),
        ("get_session", {"sessionId": "no-such-session"}),  # refused by the API (404)
    ]
    async with (
        Client(build_server(settings_for(simulator, toolsets=["all"])), mode=era) as typed,
        Client(search_server(simulator), mode=era) as search,
    ):
        for name, arguments in calls:
            expected = await typed.call_tool(name, arguments)
            got = await search.call_tool("call_operation", {"name": name, "arguments": arguments})
            assert got.is_error == expected.is_error, name
            assert same(text_of(got)) == same(text_of(expected)), name
            assert same(got.structured_content) == same(expected.structured_content), name
        unknown = await search.call_tool("call_operation", {"name": "no_such_tool", "arguments": {}})
        assert unknown.is_error and "find_operations" in text_of(unknown)


async def test_read_only_mode_reaches_only_what_changes_nothing(simulator, era):
    async with Client(search_server(simulator, read_only=True), mode=era) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
        assert all(tool.annotations.read_only_hint for tool in tools.values())
        assert "delete_session" not in await found(client, "delete session", limit=50)
        refused = await client.call_tool("call_operation", {"name": "delete_session", "arguments": {"sessionId": "s-1"}})
        assert refused.is_error and "read-only" in text_of(refused)
        assert not (await client.call_tool("call_operation", {"name": "list_sessions", "arguments": {}})).is_error
    assert not [r for r in simulator.state.requests if r.method == "DELETE"]


async def test_the_read_only_header_holds_for_call_operation(simulator, era):
    async with http_service(simulator, tool_mode="search") as url:
        async with connect(url, mode=era, headers=client_headers() | {READ_ONLY_HEADER: "true"}) as reader:
            created = await reader.call_tool(
                "call_operation",
                {
                    "name": "create_vector_collection",
                    "arguments": {"name": "docs", "embeddingModel": "amazon.titan-embed-text-v2:0"},
                },
            )
            assert created.is_error and READ_ONLY_HEADER in text_of(created)
            assert "create_vector_collection" not in await found(reader, "create vector collection", limit=50)
    assert not [r for r in simulator.state.requests if r.method == "POST"], "the refused call sent nothing"


async def test_dynamic_toolsets_still_work_for_a_release_and_say_they_are_deprecated(simulator, caplog):
    with caplog.at_level("WARNING", logger="quant_mcp"):
        server = build_server(settings_for(simulator, dynamic_toolsets=True))
    assert "deprecated" in caplog.text and "QUANT_TOOL_MODE=search" in caplog.text
    assert {tool.name for tool in await server.list_tools()} == {"list_toolsets", "describe_toolset", "enable_toolset"}
