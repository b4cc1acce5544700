"""The core flows in both dialects: seed tools, streaming, chat_in_session and custom tools answer
the agent the same way whether the service speaks the reference's dialect or the live one."""

from __future__ import annotations

import pytest

from tests.conftest import MODEL, text_of
from tests.live.conftest import Progress, connect, sent

pytestmark = pytest.mark.anyio


def ok(result) -> dict:
    assert not result.is_error, text_of(result)
    return result.structured_content


async def test_seed_tools(dialect_sim):
    async with connect(dialect_sim) as client:
        models = ok(await client.call_tool("list_models", {}))
        session = ok(await client.call_tool("create_session", {"userId": "u-1"}))["sessionId"]
        answer = ok(await client.call_tool("chat", {"modelId": MODEL, "messages": [{"role": "user", "content": "Hello there"}]}))
        fetched = ok(await client.call_tool("get_session", {"sessionId": session}))
        usage = ok(await client.call_tool("get_usage_stats", {}))
        config = ok(await client.call_tool("get_ai_config", {}))
    assert MODEL in {m["id"] for m in models["models"]} and fetched["id"] == session
    assert answer["response"] == {"role": "assistant", "content": answer["response"]["content"]}
    assert 'you said "Hello there"' in answer["response"]["content"] and answer["finishReason"] == "stop"
    assert isinstance(usage, dict) and isinstance(config, dict)


async def test_streaming_with_and_without_a_tool_call(dialect_sim):
    tools = {"tools": [{"toolSpec": {"name": "get_weather", "inputSchema": {"json": {"type": "object"}}}}]}
    progress = Progress()
    async with connect(dialect_sim) as client:
        text = ok(
            await client.call_tool(
                "chat_stream",
                {"modelId": MODEL, "messages": [{"role": "user", "content": "one two three"}]},
                progress_callback=progress,
            )
        )
        tool = ok(
            await client.call_tool(
                "chat_stream", {"modelId": MODEL, "messages": [{"role": "user", "content": "x"}], "toolConfig": tools}
            )
        )
    assert text["response"]["content"] == progress.text and "one two three" in progress.text
    assert text["finishReason"] == "stop" and text["complete"] is True and text["chunks"] > 3
    assert tool["finishReason"] == "tool_use" and tool["response"]["toolUse"]["name"] == "get_weather"
    assert tool["response"]["content"] == "Calling the get_weather tool."


async def test_chat_in_session_appends_both_turns(dialect_sim):
    async with connect(dialect_sim) as client:
        session = ok(await client.call_tool("create_session", {"userId": "u-1"}))["sessionId"]
        answer = ok(
            await client.call_tool(
                "chat_in_session", {"sessionId": session, "message": "Remember the word teal", "modelId": MODEL}
            )
        )
        history = ok(await client.call_tool("get_session", {"sessionId": session}))["messages"]
    assert answer["appended"] is True and 'you said "Remember the word teal"' in answer["response"]["content"]
    assert [m["role"] for m in history][-2:] == ["user", "assistant"]
    assert history[-1]["content"] == answer["response"]["content"]  # the text once, not twice


async def test_custom_tools(dialect_sim):
    arguments = {
        "toolName": "lookup_order",
        "description": "Look up an order.",
        "edgeFunctionCode": "export default async () => ({ ok: true });",
        "inputSchema": {"type": "object"},
    }
    async with connect(dialect_sim) as client:
        created = ok(await client.call_tool("create_custom_tool", arguments))
        listed = ok(await client.call_tool("list_custom_tools", {}))
        fetched = ok(await client.call_tool("get_custom_tool", {"toolName": "lookup_order"}))
        ok(await client.call_tool("delete_custom_tool", {"toolName": "lookup_order"}))
        gone = await client.call_tool("get_custom_tool", {"toolName": "lookup_order"})
    assert created["tool"]["toolName"] == created["tool"]["name"] == "lookup_order"
    assert listed["tools"][0]["toolName"] == "lookup_order" and fetched["tool"]["name"] == "lookup_order"
    assert gone.is_error and "404" in text_of(gone)
    assert sent(dialect_sim, "POST", "/custom-tools")[0].body["inputSchema"] == {"type": "object"}
