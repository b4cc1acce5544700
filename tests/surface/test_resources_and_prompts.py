"""Resources for models, usage, agents and vector collections; completions; the workflow prompts."""

from __future__ import annotations

import json
from datetime import date

import pytest
from mcp import Client
from mcp.types import PromptReference, ResourceTemplateReference

from quant_mcp.server import build_server
from tests.conftest import MODEL, make_settings, text_of

pytestmark = pytest.mark.anyio


def ok(result):
    assert not result.is_error, text_of(result)
    return result.structured_content


async def read(client: Client, uri: str):
    contents = (await client.read_resource(uri)).contents[0]
    assert contents.mime_type == "application/json"
    return json.loads(contents.text)


@pytest.fixture
async def client(simulator, era):
    async with Client(build_server(make_settings(simulator, toolsets=["all"])), mode=era) as client:
        yield client


async def test_resources_and_templates_are_listed(client):
    assert {str(r.uri) for r in (await client.list_resources()).resources} == {
        "quant://sessions",
        "quant://models",
        "quant://agents",
        "quant://vector-collections",
    }
    assert {t.uri_template for t in (await client.list_resource_templates()).resource_templates} == {
        "quant://sessions/{sessionId}",
        "quant://models/{modelId}",
        "quant://usage/{month}",
        "quant://agents/{agentId}",
        "quant://vector-collections/{collectionId}",
    }


async def test_model_and_usage_resources_read_what_the_tools_return(client):
    models = await read(client, "quant://models")
    assert models == ok(await client.call_tool("list_models", {}))
    assert (await read(client, f"quant://models/{MODEL}"))["id"] == MODEL
    month = date.today().strftime("%Y-%m")
    assert await read(client, f"quant://usage/{month}") == ok(await client.call_tool("get_usage_stats", {"month": month}))


async def test_agent_and_collection_resources_follow_the_data(client):
    assert (await read(client, "quant://agents"))["agents"] == []
    agent = ok(
        await client.call_tool(
            "create_agent", {"name": "Helper", "description": "Helps", "systemPrompt": "Be brief.", "modelId": MODEL}
        )
    )["agent"]
    assert [a["agentId"] for a in (await read(client, "quant://agents"))["agents"]] == [agent["agentId"]]
    assert (await read(client, f"quant://agents/{agent['agentId']}"))["agent"]["name"] == "Helper"

    created = ok(
        await client.call_tool("create_vector_collection", {"name": "kb", "embeddingModel": "amazon.titan-embed-text-v2:0"})
    )
    collection_id = created["collection"]["collectionId"]
    assert [c["name"] for c in (await read(client, "quant://vector-collections"))["collections"]] == ["kb"]
    assert (await read(client, f"quant://vector-collections/{collection_id}"))["collection"]["collectionId"] == collection_id


async def test_an_unknown_item_is_a_not_found_error(client):
    with pytest.raises(Exception, match="404|not found"):
        await client.read_resource("quant://agents/3f0c1a52-0000-4000-8000-000000000000")


async def test_template_variables_complete(client):
    async def complete(template: str, name: str, value: str) -> list[str]:
        answer = await client.complete(
            ResourceTemplateReference(type="ref/resource", uri=template), {"name": name, "value": value}
        )
        return answer.completion.values

    assert MODEL in await complete("quant://models/{modelId}", "modelId", "amazon.nova")
    assert all(value.startswith("amazon.nova") for value in await complete("quant://models/{modelId}", "modelId", "amazon.nova"))
    months = await complete("quant://usage/{month}", "month", "")
    assert months[0] == date.today().strftime("%Y-%m") and len(months) == 12
    created = ok(
        await client.call_tool("create_vector_collection", {"name": "kb", "embeddingModel": "amazon.titan-embed-text-v2:0"})
    )
    collection_id = created["collection"]["collectionId"]
    assert await complete("quant://vector-collections/{collectionId}", "collectionId", collection_id[:4]) == [collection_id]
    prompt = PromptReference(type="ref/prompt", name="answer_from_collection")
    assert (await client.complete(prompt, {"name": "collectionId", "value": ""})).completion.values == [collection_id]


async def test_prompts_embed_the_session_they_work_on(client):
    assert {p.name for p in (await client.list_prompts()).prompts} == {
        "continue_session",
        "summarise_session",
        "answer_from_collection",
    }
    session_id = ok(await client.call_tool("create_session", {"userId": "u-1"}))["sessionId"]
    ok(
        await client.call_tool(
            "update_session", {"sessionId": session_id, "newMessages": [{"role": "user", "content": "Plan the launch"}]}
        )
    )

    summary = await client.get_prompt("summarise_session", {"sessionId": session_id, "style": "detailed"})
    embedded = summary.messages[0].content
    assert embedded.type == "resource" and str(embedded.resource.uri) == f"quant://sessions/{session_id}"
    assert "Plan the launch" in embedded.resource.text
    assert "section by section" in summary.messages[1].content.text

    follow_up = await client.get_prompt("continue_session", {"sessionId": session_id, "message": "Add a timeline"})
    assert "Add a timeline" in follow_up.messages[1].content.text and "chat_in_session" in follow_up.messages[1].content.text


async def test_answer_from_collection_brings_the_matching_passages(client):
    created = ok(
        await client.call_tool("create_vector_collection", {"name": "kb", "embeddingModel": "amazon.titan-embed-text-v2:0"})
    )
    collection_id = created["collection"]["collectionId"]
    ok(
        await client.call_tool(
            "upload_vector_documents",
            {
                "collectionId": collection_id,
                "documents": [{"content": "Leave requests are approved by your manager.", "metadata": {"title": "Leave policy"}}],
            },
        )
    )
    prompt = await client.get_prompt(
        "answer_from_collection", {"collectionId": collection_id, "question": "Who approves leave requests?"}
    )
    text = prompt.messages[0].content.text
    assert "Who approves leave requests?" in text
    assert "[1] Leave policy" in text and "approved by your manager" in text


async def test_a_prompt_for_an_unknown_session_fails_clearly(client):
    with pytest.raises(Exception, match="404|not found"):
        await client.get_prompt("summarise_session", {"sessionId": "3f0c1a52-0000-4000-8000-000000000000"})
