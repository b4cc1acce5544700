"""chat_in_session: read the session, chat with its history (streamed), append both turns;
all or nothing when the model fails, the answer kept when only the append fails."""

from __future__ import annotations

import anyio
import pytest
from mcp import Client

from quant_mcp.server import build_server
from quant_mcp.simulator import Fault
from tests.conftest import TEST_ORG, make_settings, text_of
from tests.streaming.conftest import CLAUDE, MODEL, SAMPLES, api_requests

pytestmark = pytest.mark.anyio


async def new_session(client) -> str:
    created = await client.call_tool("create_session", {"userId": "session-tester"})
    assert not created.is_error, text_of(created)
    return created.structured_content["sessionId"]


async def history(client, session_id: str) -> list[dict]:
    return (await client.call_tool("get_session", {"sessionId": session_id})).structured_content["messages"]


async def test_a_turn_is_streamed_then_both_messages_and_the_usage_are_appended(simulator, client_for):
    client = await client_for()
    session_id = await new_session(client)
    deltas: list[str] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        deltas.append(message or "")

    first = await client.call_tool("chat_in_session", {"sessionId": session_id, "message": "My name is Ada."})
    second = await client.call_tool(
        "chat_in_session", {"sessionId": session_id, "message": "What is my name?"}, progress_callback=on_progress
    )

    assert not second.is_error, text_of(second)
    answer = second.structured_content
    assert answer["appended"] is True and answer["sessionId"] == session_id and "warning" not in answer
    assert "".join(deltas) == answer["response"]["content"] and len(deltas) > 3
    assert answer["totalMessages"] == 4
    assert answer["totalTokens"] == first.structured_content["usage"]["totalTokens"] + answer["usage"]["totalTokens"]
    assert await history(client, session_id) == [
        {"role": "user", "content": "My name is Ada."},
        {"role": "assistant", "content": first.structured_content["response"]["content"]},
        {"role": "user", "content": "What is my name?"},
        {"role": "assistant", "content": answer["response"]["content"]},
    ]
    streamed = api_requests(simulator, "/chat/stream")[-1].body
    assert [m["content"] for m in streamed["messages"]] == [
        "My name is Ada.",
        first.structured_content["response"]["content"],
        "What is my name?",
    ]
    assert streamed["modelId"] == MODEL  # the session's model
    assert "sessionId" not in streamed  # the flow appends itself; the API must not append too


async def test_model_id_overrides_the_sessions_model(simulator, client_for):
    client = await client_for()
    session_id = await new_session(client)

    result = await client.call_tool(
        "chat_in_session", {"sessionId": session_id, "message": "Hi", "modelId": CLAUDE, "temperature": 0.2}
    )

    assert not result.is_error, text_of(result)
    sent = api_requests(simulator, "/chat/stream")[-1].body
    assert sent["modelId"] == CLAUDE and sent["temperature"] == 0.2


@pytest.mark.parametrize(
    "fault", [Fault(mode="status", status=500, path="/chat/stream$"), Fault(mode="truncated_sse", path="/chat/stream$")]
)
async def test_when_inference_fails_the_session_is_left_unchanged(simulator, client_for, fault):
    client = await client_for()
    session_id = await new_session(client)
    await client.call_tool("chat_in_session", {"sessionId": session_id, "message": "First."})
    before = await history(client, session_id)
    simulator.state.add_fault(fault)

    result = await client.call_tool("chat_in_session", {"sessionId": session_id, "message": "Second."})

    assert result.is_error
    assert await history(client, session_id) == before
    assert [r.method for r in api_requests(simulator, session_id)].count("PUT") == 1  # the first turn's only


async def test_when_the_append_fails_the_answer_comes_back_with_a_warning(simulator, client_for):
    client = await client_for()
    session_id = await new_session(client)
    simulator.state.add_fault(Fault(mode="status", status=403, method="PUT", path=f"/sessions/{session_id}$"))

    result = await client.call_tool("chat_in_session", {"sessionId": session_id, "message": "Remember this."})

    assert not result.is_error
    answer = result.structured_content
    assert answer["appended"] is False and "Remember this." in answer["response"]["content"]
    assert f"The answer was NOT saved to session {session_id}" in answer["warning"] and "403" in answer["warning"]
    assert text_of(result).startswith("WARNING: The answer was NOT saved")
    assert await history(client, session_id) == []


async def test_an_unknown_session_is_a_clear_error_and_no_chat(simulator, client_for):
    client = await client_for()

    result = await client.call_tool("chat_in_session", {"sessionId": "00000000-0000-4000-8000-000000000000", "message": "Hi"})

    assert result.is_error and "404" in text_of(result)
    assert api_requests(simulator, "/chat/stream") == []


async def test_attachments_reach_the_model_and_the_session_keeps_a_note(simulator, client_for, tmp_path):
    photo = tmp_path / "photo.png"
    photo.write_bytes(SAMPLES["png"][2])
    client = await client_for(allowed_dirs=[str(tmp_path)])
    session_id = await new_session(client)

    result = await client.call_tool(
        "chat_in_session", {"sessionId": session_id, "message": [{"file": {"path": str(photo)}}, {"text": "What is it?"}]}
    )

    assert not result.is_error, text_of(result)
    assert "with 1 image" in result.structured_content["response"]["content"]
    assert (await history(client, session_id))[0] == {"role": "user", "content": f"[attached file {photo}]\nWhat is it?"}


@pytest.mark.filterwarnings("ignore:resources/subscribe is removed:mcp.MCPDeprecationWarning")  # a 2025 client
async def test_the_session_resource_is_announced_as_updated(simulator):
    received = []

    async def on_message(message) -> None:
        received.append(getattr(message, "root", message))

    async with Client(build_server(make_settings(simulator)), mode="legacy", message_handler=on_message) as client:
        session_id = await new_session(client)
        await client.subscribe_resource(f"quant://sessions/{session_id}")  # updates go to subscribers only
        received.clear()
        await client.call_tool("chat_in_session", {"sessionId": session_id, "message": "Hi"})
        await anyio.sleep(0.05)

    updated = [m for m in received if getattr(m, "method", "") == "notifications/resources/updated"]
    assert [str(m.params.uri) for m in updated] == [f"quant://sessions/{session_id}"]


async def test_on_legacy_routes_the_session_is_read_and_chatted_there_and_appended_on_v3(simulator, client_for):
    client = await client_for(api_routes="legacy")
    created = await client.call_tool("create_session", {"model": MODEL})
    session_id = created.structured_content["sessionId"]

    result = await client.call_tool("chat_in_session", {"sessionId": session_id, "message": "Hello"})

    assert not result.is_error and result.structured_content["appended"] is True, text_of(result)
    assert [(r.method, r.path.split("/ai/")[0]) for r in simulator.state.requests[1:]] == [
        ("GET", f"/organisations/{TEST_ORG}"),
        ("POST", f"/organisations/{TEST_ORG}"),
        ("PUT", f"/api/v3/organizations/{TEST_ORG}"),  # the legacy family documents no update route
    ]
