"""The simulated AI: deterministic replies, capabilities, tools, structured output, usage,
config, embeddings, images, vector search, custom tools and agents."""

from __future__ import annotations

import base64
import json
import math
import struct
import zlib
from typing import Any

import httpx
import jsonschema
import pytest

from quant_mcp.simulator import Simulator

from .conftest import CANVAS, CLAUDE, LEGACY, LITE, MICRO, PNG_BASE64, PRO, TITAN, V3, user

pytestmark = pytest.mark.anyio

MEDIA = {
    "image": {"image": {"format": "png", "source": {"bytes": PNG_BASE64}}},
    "video": {"video": {"format": "mp4", "source": {"bytes": PNG_BASE64}}},
    "document": {"document": {"format": "pdf", "name": "spec", "source": {"bytes": PNG_BASE64}}},
}


async def chat(http: httpx.AsyncClient, **body: Any) -> httpx.Response:
    return await http.post(f"{V3}/chat", json={"modelId": LITE, "messages": [user("Hello simulator")], **body})


async def test_replies_are_a_deterministic_function_of_the_input(http: httpx.AsyncClient) -> None:
    first, again = (await chat(http)).json(), (await chat(http)).json()
    other = (await chat(http, messages=[user("Something else")])).json()
    pro = (await chat(http, modelId=PRO)).json()
    assert first["response"] == again["response"] and first["usage"] == again["usage"]
    assert first["response"]["content"] != other["response"]["content"] != pro["response"]["content"]
    assert "Hello simulator" in first["response"]["content"] and len(first["response"]["content"].split()) >= 6
    assert first["requestId"] != again["requestId"]
    usage = first["usage"]
    assert usage["inputTokens"] == 2 and usage["outputTokens"] == len(first["response"]["content"].split())
    assert usage["totalTokens"] == usage["inputTokens"] + usage["outputTokens"] and usage["costCents"] > 0
    assert (first["model"], first["finishReason"], first["response"]["role"]) == (LITE, "stop", "assistant")


async def test_max_tokens_and_stop_sequences_cut_the_reply(http: httpx.AsyncClient) -> None:
    cut = (await chat(http, maxTokens=3)).json()
    assert cut["finishReason"] == "length" and len(cut["response"]["content"].split()) == 3
    stopped = (await chat(http, stopSequences=["reply"])).json()
    assert stopped["finishReason"] == "stop" and stopped["response"]["content"] == "Simulated Nova Lite "


@pytest.mark.parametrize(
    ("model", "accepted"),
    [(LITE, {"image", "video", "document"}), (PRO, {"image", "video", "document"}), (MICRO, set()), (CLAUDE, {"image"})],
)
async def test_each_model_accepts_only_its_media(http: httpx.AsyncClient, model: str, accepted: set[str]) -> None:
    for kind, block in MEDIA.items():
        response = await chat(http, modelId=model, messages=[user([block, {"text": "Describe it"}])])
        if kind in accepted:
            assert response.status_code == 200 and f"1 {kind}" in response.json()["response"]["content"]
        else:
            assert response.status_code == 400
            message = response.json()["message"]
            assert model in message and kind in message and message.startswith(f"messages[0].content[0].{kind}")


async def test_non_chat_models_refuse_chat(http: httpx.AsyncClient) -> None:
    for model in (TITAN, CANVAS):
        response = await chat(http, modelId=model)
        assert response.status_code == 400 and response.json()["message"].startswith("modelId")


async def test_a_tool_config_gets_a_tool_use_whose_input_validates(http: httpx.AsyncClient) -> None:
    schema = {
        "type": "object",
        "properties": {
            "city": {"type": "string", "minLength": 2},
            "days": {"type": "integer", "minimum": 1, "maximum": 7},
            "unit": {"enum": ["C", "F"]},
        },
        "required": ["city", "days", "unit"],
    }
    tools = {"tools": [{"toolSpec": {"name": "forecast", "inputSchema": {"json": schema}}}, {"toolSpec": {"name": "other"}}]}
    body = (await chat(http, toolConfig=tools, messages=[user("Forecast for Oslo")])).json()
    tool_use = body["response"]["toolUse"]
    assert body["finishReason"] == "tool_use" and tool_use["name"] == "forecast"
    jsonschema.validate(tool_use["input"], schema)
    assert tool_use["input"]["city"] == "Forecast for Oslo"

    result = {"toolResult": {"toolUseId": tool_use["toolUseId"], "content": [{"text": "Sunny, 21C"}]}}
    answer = (
        await chat(
            http,
            toolConfig=tools,
            messages=[user("Forecast for Oslo"), {"role": "assistant", "content": [{"toolUse": tool_use}]}, user([result])],
        )
    ).json()
    assert answer["finishReason"] == "stop" and "Sunny, 21C" in answer["response"]["content"]


async def test_auto_executed_builtin_tools_leave_an_execution(http: httpx.AsyncClient) -> None:
    schema = {"type": "object", "properties": {"expression": {"type": "string"}}, "required": ["expression"]}
    config = {
        "tools": [{"toolSpec": {"name": "calculate", "inputSchema": {"json": schema}}}],
        "autoExecute": True,
        "allowedTools": ["calculate"],
    }
    tool_use = (await chat(http, toolConfig=config, messages=[user("(2 + 3) * 4")])).json()["response"]["toolUse"]
    assert tool_use["status"] == "complete" and tool_use["result"] == {"expression": "(2 + 3) * 4", "result": 20}
    execution = (await http.get(f"{V3}/tools/executions/{tool_use['executionId']}")).json()
    assert (
        execution["toolName"] == "calculate" and execution["result"]["result"] == 20 and isinstance(execution["createdAt"], int)
    )
    listed = (await http.get(f"{V3}/tools/executions", params={"status": "complete"})).json()
    assert [e["executionId"] for e in listed["executions"]] == [tool_use["executionId"]] and listed["orgId"] == "org-a"
    assert (await http.get(f"{V3}/tools/executions", params={"status": "failed"})).json()["count"] == 0
    names = (await http.get(f"{V3}/tools/names")).json()
    assert set(names["tools"]) == {"get_weather", "calculate", "search_web", "generate_image"} and names["count"] == 4


async def test_response_format_gets_json_that_validates(http: httpx.AsyncClient) -> None:
    schema = {
        "type": "object",
        "properties": {
            "title": {"type": "string", "minLength": 3},
            "tags": {"type": "array", "items": {"type": "string"}, "minItems": 2},
            "score": {"type": "number", "minimum": 0.5, "maximum": 1},
            "kind": {"enum": ["a", "b"]},
            "meta": {"$ref": "#/$defs/meta"},
        },
        "required": ["title", "tags", "score", "kind", "meta"],
        "$defs": {"meta": {"type": "object", "properties": {"id": {"type": "string", "format": "uuid"}}, "required": ["id"]}},
    }
    body = (await chat(http, responseFormat={"type": "json", "jsonSchema": schema})).json()
    jsonschema.validate(json.loads(body["response"]["content"]), schema, format_checker=jsonschema.FormatChecker())


async def test_usage_counts_the_chat_calls_made_per_model_and_month(http: httpx.AsyncClient, sim: Simulator) -> None:
    assert (await http.get(f"{V3}/usage")).json() == {"total_requests": 0, "total_tokens": 0, "by_model": {}}
    tokens = [
        (await chat(http)).json()["usage"]["totalTokens"],
        (await chat(http, modelId=MICRO)).json()["usage"]["totalTokens"],
    ]
    await http.post(f"{LEGACY}/chat", json={"modelId": MICRO, "messages": [user("legacy")]})
    async with http.stream("POST", f"{V3}/chat/stream", json={"modelId": LITE, "messages": [user("streamed")]}) as stream:
        await stream.aread()
    await chat(http, modelId="no-such-model")  # refused: not counted
    usage = (await http.get(f"{V3}/usage")).json()
    assert usage["total_requests"] == 4
    assert usage["by_model"][LITE]["requests"] == 2 and usage["by_model"][MICRO]["requests"] == 2
    assert usage["by_model"][LITE]["tokens"] > tokens[0] and usage["total_tokens"] > sum(tokens)
    assert (await http.get(f"{LEGACY}/usage")).json() == usage

    sim.state.advance_clock(40 * 24 * 3600)  # next month: a fresh page
    assert (await http.get(f"{V3}/usage")).json()["total_requests"] == 0
    assert (await http.get(f"{V3}/usage", params={"month": "1999-01"})).json()["total_requests"] == 0
    for bad in ("2025-13", "2025-1", "May"):
        response = await http.get(f"{V3}/usage", params={"month": bad})
        assert response.status_code == 400 and response.json()["message"].startswith("month")
    assert (await http.get(f"{V3}/usage", params={"groupBy": "planet"})).status_code == 422


async def test_config_round_trips_on_both_route_families(http: httpx.AsyncClient) -> None:
    initial = (await http.get(f"{V3}/config")).json()
    assert initial["default_model"] == LITE and LITE in initial["enabled_models"]
    change = {"enabled_models": [MICRO, PRO], "default_model": PRO, "max_tokens": 900, "temperature": 0.1}
    assert (await http.put(f"{V3}/config", json=change)).json() == change
    assert (await http.get(f"{LEGACY}/config")).json() == change
    assert (await http.put(f"{LEGACY}/config", json={"temperature": 1.5})).json() == change | {"temperature": 1.5}
    bad = await http.put(f"{V3}/config", json={"enabled_models": [LITE, "nope"]})
    assert bad.status_code == 400 and bad.json()["message"].startswith("enabled_models[1]")


async def test_models_list_filters_by_feature_and_details_capabilities(http: httpx.AsyncClient) -> None:
    async def ids(feature: str) -> set[str]:
        return {m["id"] for m in (await http.get(f"{V3}/models", params={"feature": feature})).json()["models"]}

    assert await ids("all") == {LITE, MICRO, PRO, CLAUDE, TITAN, CANVAS}
    assert await ids("chat") == {LITE, MICRO, PRO, CLAUDE}
    assert await ids("embeddings") == {TITAN}
    assert await ids("vision") == {LITE, PRO, CLAUDE}
    assert (await http.get(f"{V3}/models", params={"feature": "telepathy"})).status_code == 400
    micro = (await http.get(f"{V3}/models/{MICRO}")).json()
    assert micro["capabilities"]["supportsVision"] is False and micro["capabilities"]["supportsTools"] is True
    legacy = {m["id"]: m["capabilities"] for m in (await http.get(f"{LEGACY}/models")).json()}
    assert legacy[CLAUDE] == ["text", "image", "streaming", "tools"] and legacy[TITAN] == ["embeddings"]


async def test_embeddings_have_the_requested_dimension_and_are_deterministic(http: httpx.AsyncClient) -> None:
    one = (await http.post(f"{V3}/embeddings", json={"input": "static sites at the edge", "dimensions": 256})).json()
    assert one["dimension"] == 256 and len(one["embeddings"]) == 256 and one["model"] == TITAN
    assert math.isclose(math.sqrt(sum(v * v for v in one["embeddings"])), 1.0)
    several = (
        await http.post(
            f"{V3}/embeddings", json={"input": ["static sites at the edge", "x"], "dimensions": 512, "normalize": False}
        )
    ).json()
    assert [len(v) for v in several["embeddings"]] == [512, 512] and max(several["embeddings"][0]) == 1.0
    again = (await http.post(f"{V3}/embeddings", json={"input": "static sites at the edge", "dimensions": 256})).json()
    assert again["embeddings"] == one["embeddings"] and one["usage"] == {"inputTokens": 5, "totalTokens": 5}
    assert (await http.post(f"{V3}/embeddings", json={"input": "x", "modelId": LITE})).status_code == 400
    assert (await http.post(f"{V3}/embeddings", json={"input": ["x"] * 101})).status_code == 400


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height of a PNG, after checking its signature and every chunk's CRC."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, kinds = 8, []
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind, payload = data[position + 4 : position + 8], data[position + 8 : position + 8 + length]
        assert struct.unpack(">I", data[position + 8 + length : position + 12 + length])[0] == zlib.crc32(kind + payload)
        kinds.append(kind)
        position += 12 + length
    assert kinds[0] == b"IHDR" and kinds[-1] == b"IEND"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


async def test_image_generation_returns_real_deterministic_pngs(http: httpx.AsyncClient) -> None:
    request = {
        "taskType": "TEXT_IMAGE",
        "textToImageParams": {"text": "a lighthouse"},
        "imageGenerationConfig": {"width": 1024, "height": 512, "numberOfImages": 2},
    }
    images = (await http.post(f"{V3}/image-generation", json=request)).json()["images"]
    assert len(images) == 2 and images[0] != images[1]
    assert png_size(base64.b64decode(images[0])) == (64, 32)
    assert (await http.post(f"{V3}/image-generation", json=request)).json()["images"] == images
    other = request | {"textToImageParams": {"text": "a windmill"}}
    assert (await http.post(f"{V3}/image-generation", json=other)).json()["images"][0] != images[0]
    assert (await http.post(f"{V3}/image-generation", json=request | {"modelId": LITE})).status_code == 400


async def test_vector_query_ranks_by_similarity_with_threshold_and_limit(http: httpx.AsyncClient) -> None:
    created = await http.post(f"{V3}/vector-db/collections", json={"name": "kb", "embeddingModel": TITAN, "dimensions": 512})
    collection = created.json()["collection"]["collectionId"]
    documents = [
        {
            "content": "Quant deploys static sites to a global edge network",
            "key": "edge",
            "metadata": {"title": "Edge", "tags": ["cdn"]},
        },
        {"content": "Static sites are fast and cheap to host", "key": "static", "metadata": {"tags": ["hosting"]}},
        {"content": "Bananas are yellow fruit", "key": "fruit"},
    ]
    uploaded = (await http.post(f"{V3}/vector-db/collections/{collection}/documents", json={"documents": documents})).json()
    assert uploaded["chunksCreated"] == 3 and len(uploaded["documentIds"]) == 3
    assert (await http.get(f"{V3}/vector-db/collections/{collection}")).json()["collection"]["documentCount"] == 3

    async def query(**body: Any) -> dict[str, Any]:
        response = await http.post(f"{V3}/vector-db/collections/{collection}/query", json=body)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    ranked = await query(query="static sites edge network", threshold=0.0, limit=3)
    assert [r["metadata"].get("title") for r in ranked["results"]][:1] == ["Edge"]
    scores = [r["similarity"] for r in ranked["results"]]
    assert scores == sorted(scores, reverse=True) and scores[0] > 0.5 and scores[-1] == 0.0 and ranked["searchMode"] == "text"
    assert len((await query(query="static sites edge network", threshold=0.0, limit=1))["results"]) == 1
    assert {r["content"] for r in (await query(query="static sites edge network", threshold=0.4))["results"]} <= {
        documents[0]["content"],
        documents[1]["content"],
    }
    assert (await query(query="static sites edge network"))["results"][0]["score"] >= 0.7  # default threshold 0.7

    listing = await query(
        listByMetadata=True, filter={"contains": {"tags": ["cdn", "hosting"]}}, limit=1, sortBy="document_id", sortOrder="asc"
    )
    assert listing["searchMode"] == "metadata" and listing["hasMore"] is True and listing["count"] == 1
    rest = await query(
        listByMetadata=True,
        filter={"contains": {"tags": ["cdn", "hosting"]}},
        limit=1,
        sortBy="document_id",
        sortOrder="asc",
        cursor=listing["nextCursor"],
    )
    assert rest["hasMore"] is False and rest["results"][0]["documentId"] > listing["results"][0]["documentId"]

    by_vector = await query(vector=[0.0] * 512)
    assert by_vector["searchMode"] == "vector" and by_vector["results"] == []
    bad_vector = await http.post(f"{V3}/vector-db/collections/{collection}/query", json={"vector": [1.0, 2.0]})
    assert bad_vector.status_code == 400 and bad_vector.json()["message"].startswith("vector")
    nothing = await http.post(f"{V3}/vector-db/collections/{collection}/query", json={})
    assert nothing.status_code == 400 and nothing.json()["message"].startswith("query")

    replaced = {"documents": [{"content": "Bananas are now blue", "key": "fruit"}]}
    await http.post(f"{V3}/vector-db/collections/{collection}/documents", json=replaced)
    assert (await http.get(f"{V3}/vector-db/collections")).json()["collections"][0]["documentCount"] == 3
    assert (await http.delete(f"{V3}/vector-db/collections/{collection}")).json()["success"] is True
    assert (await http.get(f"{V3}/vector-db/collections/{collection}")).status_code == 404


async def test_custom_tools_accept_both_client_generations_and_upsert(http: httpx.AsyncClient) -> None:
    current = {
        "name": "lookup",
        "description": "Look up",
        "edgeFunctionCode": "export default () => 1",
        "inputSchema": '{"type": "object"}',
    }
    first = await http.post(f"{V3}/custom-tools", json=current)
    assert first.status_code == 201 and first.json()["isUpdate"] is False and first.json()["edgeFunctionUrl"]
    old_style = {
        "name": "lookup",
        "description": "Look up v2",
        "edgeFunctionUrl": "https://fn.example/lookup",
        "inputSchema": {"type": "object"},
    }
    second = (await http.post(f"{V3}/custom-tools", json=old_style)).json()
    assert second["isUpdate"] is True and second["tool"]["inputSchema"] == '{"type": "object"}'
    assert (await http.get(f"{V3}/custom-tools")).json()["count"] == 1
    assert (await http.get(f"{V3}/custom-tools/lookup")).json()["tool"]["description"] == "Look up v2"
    for body, field in (
        (current | {"inputSchema": "{oops"}, "inputSchema"),
        ({**current, "edgeFunctionCode": None}, "edgeFunctionCode"),
        (current | {"name": "a/b"}, "name"),
    ):
        response = await http.post(f"{V3}/custom-tools", json=body)
        assert response.status_code == 400 and response.json()["message"].startswith(field)


async def test_agents_crud_and_chat_in_a_session(http: httpx.AsyncClient) -> None:
    body = {"name": "Helper", "description": "Helps", "systemPrompt": "Be helpful.", "modelId": MICRO, "group": "support"}
    agent = (await http.post(f"{V3}/agents", json=body)).json()["agent"]
    agent_id = agent["agentId"]
    assert agent["systemPrompt"] == "Be helpful." and agent["isGlobal"] is False
    assert [a["agentId"] for a in (await http.get(f"{V3}/agents", params={"group": "support"})).json()["agents"]] == [agent_id]
    assert (await http.get(f"{V3}/agents", params={"group": "sales"})).json()["agents"] == []
    updated = (await http.put(f"{V3}/agents/{agent_id}", json={"maxTokens": 4, "guardrailPreset": "protected"})).json()["agent"]
    assert (updated["maxTokens"], updated["guardrailPreset"], updated["name"]) == (4, "protected", "Helper")
    cleared = (await http.put(f"{V3}/agents/{agent_id}", json={"guardrailPreset": None})).json()["agent"]
    assert "guardrailPreset" not in cleared
    assert (await http.put(f"{V3}/agents/{agent_id}", json={"modelId": None})).status_code == 400

    first = (await http.post(f"{V3}/agents/{agent_id}/chat", json={"message": "hello agent", "userId": "u-9"})).json()
    assert first["response"]["stopReason"] == "length" and len(first["response"]["text"].split()) == 4
    session_id = first["sessionId"]
    await http.post(f"{V3}/agents/{agent_id}/chat", json={"message": "again", "sessionId": session_id})
    session = (await http.get(f"{V3}/sessions/{session_id}")).json()
    assert session["model"] == MICRO and session["title"] == "Helper" and len(session["messages"]) == 4
    queued = await http.post(f"{V3}/agents/{agent_id}/chat", json={"message": "later", "async": True})
    assert queued.status_code == 202 and queued.json()["agentId"] == agent_id
    poll = await http.get(f"{V3}{queued.json()['pollUrl'].removeprefix('/ai')}")
    assert poll.json()["status"] == "complete" and poll.json()["result"]["response"]["role"] == "assistant"
    assert (await http.delete(f"{V3}/agents/{agent_id}")).json()["success"] is True
    assert (await http.post(f"{V3}/agents/{agent_id}/chat", json={"message": "x"})).status_code == 404
