"""The live dialect over HTTP: the simulator answers as LIVE-DIALECT.md says the live service does."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest

from quant_mcp.simulator import Fault, Simulator, SimulatorState
from tests.simulator.conftest import CLAUDE, LITE, ORG_A, ORG_B, TOKEN_A, TOKEN_B, V3, user

pytestmark = pytest.mark.anyio


@pytest.fixture
def state() -> SimulatorState:
    return SimulatorState(tokens={TOKEN_A: ORG_A, TOKEN_B: ORG_B})  # the default dialect: live


@pytest.fixture
async def live(state: SimulatorState) -> AsyncIterator[httpx.AsyncClient]:
    async with Simulator(state=state) as sim:
        headers = {"Authorization": f"Bearer {TOKEN_A}"}
        async with httpx.AsyncClient(base_url=sim.base_url, headers=headers, timeout=10) as http:
            yield http


def frames(text: str) -> list[tuple[str, str]]:
    """(event name or "", data) per SSE frame."""
    out = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        out.append((lines.get("event", ""), lines["data"]))
    return out


TOOLS = {
    "tools": [
        {
            "toolSpec": {
                "name": "get_weather",
                "inputSchema": {"json": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}},
            }
        }
    ]
}


async def test_the_default_dialect_is_live_and_the_control_api_switches_it(live: httpx.AsyncClient, state: SimulatorState):
    assert state.dialect == "live" and (await live.get("/_simulator/dialect")).json() == {"dialect": "live"}
    assert (await live.put("/_simulator/dialect", json={"dialect": "spec"})).json() == {"dialect": "spec"}
    assert state.dialect == "spec"
    assert (await live.put("/_simulator/dialect", json={"dialect": "other"})).status_code == 400


async def test_buffered_chat_answers_content_blocks_and_a_bedrock_stop_reason(live: httpx.AsyncClient):
    answer = (await live.post(f"{V3}/chat", json={"modelId": LITE, "messages": [user("hello there")]})).json()
    assert isinstance(answer["response"]["content"], list) and answer["response"]["content"][0]["type"] == "text"
    assert "hello there" in answer["response"]["content"][0]["text"]
    assert answer["stopReason"] == "end_turn" and "finishReason" not in answer
    assert answer["modelId"] == LITE and answer["requestId"].startswith("req-")
    cut = (await live.post(f"{V3}/chat", json={"modelId": LITE, "maxTokens": 2, "messages": [user("a b c d e")]})).json()
    assert cut["stopReason"] == "max_tokens"
    tool = (await live.post(f"{V3}/chat", json={"modelId": LITE, "toolConfig": TOOLS, "messages": [user("Paris")]})).json()
    assert tool["stopReason"] == "tool_use" and tool["response"]["toolUse"][0]["name"] == "get_weather"
    assert {"toolUse": tool["response"]["toolUse"][0]} in tool["response"]["content"]


async def test_the_stream_reports_a_tool_call_across_several_frames_and_repeats_the_text_in_a_summary(live: httpx.AsyncClient):
    body = {"modelId": LITE, "toolConfig": TOOLS, "messages": [user("Paris")], "sessionId": None}
    got = frames((await live.post(f"{V3}/chat/stream", json=body)).text)
    kinds = [name for name, _ in got]
    assert kinds[0] == "start" and kinds[-1] == "done" and "content" in kinds
    datas = [json.loads(data) for _, data in got]
    use_id = next(d["toolUseId"] for d in datas if "toolUseId" in d)
    assert sum(1 for d in datas if d.get("toolUseId") == use_id) == 2  # announce, inline input
    assert any(d.get("toolUse") for d in datas)  # the top-level toolUse frame
    summary = next(d for d in datas if "response" in d)
    assert summary["stopReason"] == "tool_use" and summary["response"]["content"] == "Calling the get_weather tool."
    assert datas[-1] == {"complete": True}


async def test_server_side_tools_and_agent_tool_requests(live: httpx.AsyncClient):
    tools = {
        "tools": [{"toolSpec": {"name": "calculate", "inputSchema": {"json": {"type": "object"}}}}],
        "autoExecute": True,
        "allowedTools": ["calculate"],
    }
    got = frames(
        (await live.post(f"{V3}/chat/stream", json={"modelId": LITE, "toolConfig": tools, "messages": [user("2+2")]})).text
    )
    assert [name for name, _ in got][1:4] == ["tool_start", "tool_input_progress", "tool_complete"]
    assert "result" in json.loads(got[3][1])
    agent = frames(
        (
            await live.post(
                f"{V3}/chat/stream", json={"modelId": LITE, "agentId": "a-1", "toolConfig": TOOLS, "messages": [user("x")]}
            )
        ).text
    )
    assert agent[-2][0] == "tool_request" and json.loads(agent[-1][1]) == {
        "complete": False,
        "stopReason": "tool_request",
        "usage": json.loads(agent[-1][1])["usage"],
    }


async def test_stream_fault_modes_of_the_live_service(live: httpx.AsyncClient, state: SimulatorState):
    body = {"modelId": LITE, "messages": [user("one two")]}
    state.add_fault(Fault(mode="unreadable_frame", path="/chat/stream$"))
    got = frames((await live.post(f"{V3}/chat/stream", json=body)).text)
    unreadable = [data for _, data in got if not data.startswith("{") or not data.endswith("}")]
    assert len(unreadable) == 2
    state.add_fault(Fault(mode="orchestration_done", path="/chat/stream$"))
    done = json.loads(frames((await live.post(f"{V3}/chat/stream", json=body)).text)[-1][1])
    assert done["complete"] is False and done["orchestration"]["pollUrl"].startswith("https://")
    state.add_fault(Fault(mode="silent_tool", path="/chat/stream$", delay=0.3))
    response = await live.post(f"{V3}/chat/stream", json=body)
    assert [name for name, _ in frames(response.text)][1:3] == ["tool_start", "tool_complete"]
    record = state.requests[-1]
    gaps = [b - a for a, b in zip(record.stream_chunk_times, record.stream_chunk_times[1:], strict=False)]
    assert max(gaps) >= 0.25


async def test_validation_failures_are_laravel_422s(live: httpx.AsyncClient):
    response = await live.post(f"{V3}/chat", json={"modelId": LITE, "messages": [{"role": "user"}]})
    assert response.status_code == 422
    assert response.json() == {
        "message": "The messages.0.content field is required.",
        "errors": {"messages.0.content": ["The messages.0.content field is required."]},
    }
    too_many = await live.post(f"{V3}/chat", json={"modelId": LITE, "maxTokens": 9000, "messages": [user("x")]})
    assert too_many.status_code == 422 and "maxTokens" in too_many.json()["errors"]


async def test_requests_the_live_service_takes(live: httpx.AsyncClient):
    doc = {"document": {"format": "md", "name": "notes", "source": {"bytes": "IyBoaQ=="}}}
    s3 = {"image": {"format": "png", "source": {"s3Location": {"uri": "s3://bucket/cat.png"}}}}
    assert (
        await live.post(f"{V3}/chat", json={"modelId": LITE, "messages": [user([{"text": "read"}, doc, s3])]})
    ).status_code == 200
    drupal = {
        "type": "json_schema",
        "name": "answer",
        "strict": True,
        "schema": {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]},
    }
    structured = (
        await live.post(f"{V3}/chat", json={"modelId": LITE, "response_format": drupal, "messages": [user("x")]})
    ).json()
    assert "ok" in json.loads(structured["response"]["content"][0]["text"])


async def test_custom_tools_take_and_answer_tool_name(live: httpx.AsyncClient):
    body = {
        "toolName": "lookup",
        "description": "d",
        "edgeFunctionCode": "export default () => 1",
        "inputSchema": {"type": "object"},
        "timeoutSeconds": 30,
    }
    created = await live.post(f"{V3}/custom-tools", json=body)
    assert created.status_code == 201 and created.json()["tool"]["toolName"] == "lookup" and "name" not in created.json()["tool"]
    assert (await live.get(f"{V3}/custom-tools")).json()["tools"][0]["toolName"] == "lookup"
    old = await live.post(f"{V3}/custom-tools", json={**{k: v for k, v in body.items() if k != "toolName"}, "name": "lookup"})
    assert old.status_code == 422 and "toolName" in old.json()["errors"]
    text = await live.post(f"{V3}/custom-tools", json={**body, "inputSchema": '{"type": "object"}'})
    assert text.status_code == 422 and "inputSchema" in text.json()["errors"]


async def test_models_config_and_vectors(live: httpx.AsyncClient):
    models = (await live.get(f"{V3}/models", params={"feature": "chat"})).json()["models"]
    ids = {m["id"] for m in models}
    assert {"anthropic.claude-sonnet-4-5", CLAUDE, "amazon.nova-micro-v1:0"} <= ids
    assert all("maxOutputTokens" in m and "supportsTools" in m["capabilities"] for m in models)
    images = (await live.get(f"{V3}/models", params={"feature": "image_generation"})).json()["models"]
    assert [m["id"] for m in images] == ["amazon.nova-canvas-v1:0"]
    collection = (await live.post(f"{V3}/vector-db/collections", json={"name": "c", "dimensions": 256})).json()["collection"][
        "collectionId"
    ]
    vector = [1.0] + [0.0] * 255
    added = await live.post(
        f"{V3}/vector-db/collections/{collection}/documents",
        json={"documents": [{"content": "x", "metadata": {"author": "me"}, "vector": vector}]},
    )
    assert added.status_code == 200, added.text
    hits = (await live.post(f"{V3}/vector-db/collections/{collection}/query", json={"vector": vector, "threshold": 0.5})).json()
    assert hits["results"][0]["metadata"] == {"author": "me"}


def test_the_simulate_command_takes_the_dialect():
    from quant_mcp.simulator.cli import _parser

    assert _parser().parse_args([]).dialect == "live"
    assert _parser().parse_args(["--dialect", "spec"]).dialect == "spec"
    with pytest.raises(SystemExit):
        _parser().parse_args(["--dialect", "other"])
