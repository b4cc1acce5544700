"""Every LIVE-DIALECT.md shape replayed end to end: simulator (live dialect) over loopback ->
quant-mcp -> the SDK's client. Each test checks what the agent receives and what went upstream."""

from __future__ import annotations

import json

import pytest

from quant_mcp.simulator import Fault
from tests.conftest import MODEL, text_of
from tests.live.conftest import Progress, connect, sent

pytestmark = pytest.mark.anyio

WEATHER = {
    "tools": [
        {
            "toolSpec": {
                "name": "get_weather",
                "description": "Weather for a city.",
                "inputSchema": {"json": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}},
            }
        }
    ]
}
SERVER_TOOL = {
    "tools": [{"toolSpec": {"name": "calculate", "inputSchema": {"json": {"type": "object"}}}}],
    "autoExecute": True,
    "allowedTools": ["calculate"],
}


def chat(text: str = "Hello there", **extra) -> dict:
    return {"modelId": MODEL, "messages": [{"role": "user", "content": text}], **extra}


def ok(result) -> dict:
    assert not result.is_error, text_of(result)
    return result.structured_content


# ----------------------------------------------------------------------------- buffered chat


async def test_buffered_content_blocks_become_text_with_bedrock_and_normalised_reasons(live):
    async with connect(live) as client:
        answer = ok(await client.call_tool("chat", chat("Hello there")))
        cut = ok(await client.call_tool("chat", chat("one two three four five", maxTokens=2)))
        tool = ok(await client.call_tool("chat", chat("Paris", toolConfig=WEATHER)))
    upstream = sent(live, "POST", "/chat")[0].body
    assert upstream["messages"][0]["content"] == "Hello there"
    assert 'you said "Hello there"' in answer["response"]["content"]
    assert answer["stopReason"] == "end_turn" and answer["finishReason"] == "stop" and answer["model"] == MODEL
    assert cut["stopReason"] == "max_tokens" and cut["finishReason"] == "length"
    assert tool["finishReason"] == "tool_use" and tool["response"]["toolUse"]["name"] == "get_weather"
    assert tool["response"]["content"] == "Calling the get_weather tool."  # the toolUse block carries no text


# ----------------------------------------------------------------------------- streams


async def test_a_tool_call_reported_across_frames_reaches_the_agent_once_and_the_summary_text_is_not_doubled(live):
    progress = Progress()
    async with connect(live) as client:
        result = ok(await client.call_tool("chat_stream", chat("Paris", toolConfig=WEATHER), progress_callback=progress))
    assert result["response"]["content"] == "Calling the get_weather tool." == progress.text
    assert result["response"]["toolUse"]["name"] == "get_weather" and isinstance(result["response"]["toolUse"], dict)
    assert result["finishReason"] == "tool_use" and result["stopReason"] == "tool_use" and result["complete"] is True
    assert sum("asks for tool get_weather" in note for note in progress.notes()) == 1


async def test_server_side_tool_results_reach_the_agent_as_progress_and_in_the_result(live):
    progress = Progress()
    async with connect(live) as client:
        result = ok(await client.call_tool("chat_stream", chat("2+2", toolConfig=SERVER_TOOL), progress_callback=progress))
    assert result["serverTools"][0]["name"] == "calculate" and "result" in result["serverTools"][0]
    assert any(n.startswith("[running server-side tool calculate") for n in progress.notes())
    assert any("server-side tool calculate finished" in n for n in progress.notes())
    assert "toolUse" not in result["response"] and result["finishReason"] == "stop"


async def test_an_agent_tool_request_ends_the_turn_incomplete_and_agent_id_is_sent(live):
    async with connect(live) as client:
        result = ok(await client.call_tool("chat_stream", chat("Paris", toolConfig=WEATHER, agentId="agent-7")))
    assert sent(live, "POST", "/chat/stream")[0].body["agentId"] == "agent-7"
    assert result["complete"] is False and result["finishReason"] == "tool_request" and result["stopReason"] == "tool_request"
    assert result["response"]["toolUse"]["name"] == "get_weather"


async def test_a_done_with_an_orchestration_to_poll(live):
    live.state.add_fault(Fault(mode="orchestration_done", path="/chat/stream$"))
    async with connect(live) as client:
        result = ok(await client.call_tool("chat_stream", chat()))
    assert result["complete"] is False and result["orchestration"]["pollUrl"].startswith("https://dashboard.quantcdn.io/")


async def test_unreadable_frames_are_skipped_and_counted(live):
    live.state.add_fault(Fault(mode="unreadable_frame", path="/chat/stream$"))
    progress = Progress()
    async with connect(live) as client:
        result = ok(await client.call_tool("chat_stream", chat("one two three"), progress_callback=progress))
    assert result["skippedFrames"] == 2 and result["complete"] is True
    assert result["response"]["content"] == progress.text and "one two three" in progress.text


async def test_a_long_silence_while_a_server_tool_runs_is_not_a_timeout_but_one_without_is(live):
    live.state.add_fault(Fault(mode="silent_tool", path="/chat/stream$", delay=1.0))
    async with connect(live, timeout=0.4, stream_timeout=10.0) as client:
        result = ok(await client.call_tool("chat_stream", chat()))
        assert result["serverTools"] == [{"name": "web_search", "result": {"hits": 1}}]
        live.state.add_fault(Fault(mode="slow_stream", path="/chat/stream$", delay=1.0))
        stalled = await client.call_tool("chat_stream", chat())
    assert stalled.is_error and "no data for 0.4 s (QUANT_TIMEOUT)" in text_of(stalled)


# ----------------------------------------------------------------------------- requests and errors


async def test_a_laravel_422_shows_each_fields_messages(live):
    auto = {**WEATHER, "autoExecute": True}  # the service needs allowedTools with autoExecute
    async with connect(live) as client:
        result = await client.call_tool("chat", chat(toolConfig=auto))
    message = text_of(result)
    assert result.is_error and "Quant API 422" in message
    assert (
        "Fields: toolConfig.allowedTools: The toolConfig.allowedTools field is required when toolConfig.autoExecute is true."
        in message
    )


async def test_max_tokens_is_clamped_to_the_models_limit_and_the_list_is_cached(live):
    async with connect(live) as client:
        first = ok(await client.call_tool("chat", chat(maxTokens=9000)))
        second = ok(await client.call_tool("chat_stream", chat(maxTokens=6000)))
        within = ok(await client.call_tool("chat", chat(maxTokens=100)))
    assert [r.body["maxTokens"] for r in sent(live, "POST", "/chat")] == [5000, 100]
    assert sent(live, "POST", "/chat/stream")[0].body["maxTokens"] == 5000
    assert first["maxTokensClamped"] == {"requested": 9000, "sent": 5000}
    assert second["maxTokensClamped"] == {"requested": 6000, "sent": 5000} and "maxTokensClamped" not in within
    assert len(sent(live, "GET", "/models")) == 1


async def test_structured_output_in_drupals_shape_is_sent_as_given(live):
    schema = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
    drupal = {"type": "json_schema", "name": "place", "strict": True, "schema": schema}
    async with connect(live) as client:
        answer = ok(await client.call_tool("chat", chat("Paris", response_format=drupal)))
        both = await client.call_tool("chat", chat("x", response_format=drupal, responseFormat={"jsonSchema": schema}))
    assert sent(live, "POST", "/chat")[0].body["response_format"] == drupal
    assert "city" in json.loads(answer["response"]["content"])
    assert not both.is_error  # both shapes are passed on; the service decides


async def test_the_chat_apps_document_formats_and_s3_sources_are_sent(live):
    blocks = [
        {"text": "Summarise"},
        {"document": {"format": "md", "name": "notes", "source": {"bytes": "IyBIZWxsbw=="}}},
        {"image": {"format": "png", "source": {"s3Location": {"uri": "s3://bucket/cat.png"}}}},
    ]
    async with connect(live) as client:
        ok(await client.call_tool("chat", {"modelId": MODEL, "messages": [{"role": "user", "content": blocks}]}))
    assert sent(live, "POST", "/chat")[0].body["messages"][0]["content"] == blocks


async def test_custom_tools_send_tool_name_and_an_object_schema_and_read_it_back(live):
    code = "export default async (input) => ({ ok: true });"
    async with connect(live) as client:
        created = ok(
            await client.call_tool(
                "create_custom_tool",
                {
                    "toolName": "lookup_order",
                    "description": "Look up an order.",
                    "edgeFunctionCode": code,
                    "inputSchema": '{"type": "object", "properties": {"id": {"type": "string"}}}',
                    "timeoutSeconds": 60,
                },
            )
        )
        listed = ok(await client.call_tool("list_custom_tools", {}))
        fetched = ok(await client.call_tool("get_custom_tool", {"toolName": "lookup_order"}))
        old_spelling = ok(
            await client.call_tool(
                "create_custom_tool",
                {"name": "other_tool", "description": "d", "edgeFunctionCode": code, "inputSchema": {"type": "object"}},
            )
        )
    body = sent(live, "POST", "/custom-tools")[0].body
    assert body["toolName"] == body["name"] == "lookup_order" and body["timeoutSeconds"] == 60
    assert body["inputSchema"] == {"type": "object", "properties": {"id": {"type": "string"}}}
    assert created["tool"]["toolName"] == created["tool"]["name"] == "lookup_order"
    assert [t["toolName"] for t in listed["tools"]] == ["lookup_order"] and listed["tools"][0]["name"] == "lookup_order"
    assert fetched["tool"]["toolName"] == "lookup_order" and old_spelling["tool"]["toolName"] == "other_tool"


async def test_vector_documents_with_own_metadata_and_vectors_and_deletes_by_metadata(live):
    vector = [1.0] + [0.0] * 255
    async with connect(live) as client:
        created = ok(
            await client.call_tool(
                "create_vector_collection", {"name": "docs", "embeddingModel": "amazon.titan-embed-text-v2:0", "dimensions": 256}
            )
        )
        collection = created["collectionId"] if "collectionId" in created else created["collection"]["collectionId"]
        ok(
            await client.call_tool(
                "upload_vector_documents",
                {
                    "collectionId": collection,
                    "documents": [{"content": "Refunds take 5 days.", "metadata": {"team": "billing"}, "vector": vector}],
                },
            )
        )
        hits = ok(
            await client.call_tool("query_vector_collection", {"collectionId": collection, "vector": vector, "threshold": 0.5})
        )
        deleted = ok(
            await client.call_tool(
                "delete_vector_documents", {"collectionId": collection, "metadata": {"field": "team", "values": ["billing"]}}
            )
        )
    upload = sent(live, "POST", f"/{collection}/documents")[0].body
    assert upload["documents"][0]["vector"] == vector and upload["documents"][0]["metadata"] == {"team": "billing"}
    assert hits["results"][0]["metadata"] == {"team": "billing"}
    assert deleted["deletedCount"] == 1


async def test_model_list_features_and_limits(live):
    async with connect(live) as client:
        images = ok(await client.call_tool("list_models", {"feature": "image_generation"}))
        chat_models = ok(await client.call_tool("list_models", {"feature": "chat"}))
    assert sent(live, "GET", "/models")[0].query == {"feature": "image_generation"}
    assert [m["id"] for m in images["models"]] == ["amazon.nova-canvas-v1:0"]
    sonnet = next(m for m in chat_models["models"] if m["id"] == "anthropic.claude-sonnet-4-5")
    assert sonnet["maxOutputTokens"] == 64000 and sonnet["capabilities"]["supportsVision"] is True


async def test_the_ai_config_404_is_explained(live):
    live.state.add_fault(Fault(mode="status", status=404, path="/ai/config$"))
    async with connect(live) as client:
        result = await client.call_tool("get_ai_config", {})
    assert result.is_error and "does not offer AI configuration on that route" in text_of(result)


async def test_a_success_answer_of_an_unforeseen_shape_is_passed_through_as_a_success(live):
    live.state.add_fault(Fault(mode="unexpected_shape", method="GET", path="/models$"))
    async with connect(live) as client:
        result = await client.call_tool("list_models", {})
    assert not result.is_error, text_of(result)  # the SDK client validated it against the output schema too
    assert text_of(result).startswith("The Quant API carried out list_models (it answered with a success status)")
    assert "Do not repeat the request" in text_of(result)
    assert result.structured_content["upstreamAnswer"]["data"]["models"]


async def test_buffered_chat_waits_its_own_timeout(live):
    async with connect(live, timeout=0.3, chat_timeout=3.0, max_retries=0) as client:
        live.state.add_fault(Fault(mode="latency", delay=0.8, path="/chat$"))
        patient = await client.call_tool("chat", chat())
        live.state.add_fault(Fault(mode="latency", delay=0.8, path="/sessions$"))
        impatient = await client.call_tool("list_sessions", {})
    assert not patient.is_error, text_of(patient)
    assert impatient.is_error and "did not answer" in text_of(impatient)
