"""Bad input is refused with a sentence that names the problem, before any request leaves the
process; upstream failures come back as tool errors with their status and meaning."""

from __future__ import annotations

import base64

import pytest

from quant_mcp.simulator import Fault
from tests.conftest import MODEL, TEST_TOKEN, text_of

pytestmark = pytest.mark.anyio

USER = [{"role": "user", "content": "hi"}]
BIG = base64.b64encode(b"\0" * (25 * 1024 * 1024 + 3)).decode()

REFUSED = [
    ("list_sessions", {"limit": "ten"}, "limit"),
    ("list_sessions", {"limit": 101}, "limit"),
    ("list_sessions", {"offset": -1}, "offset"),
    ("create_session", {"userId": "u", "expirationMinutes": 4}, "expirationMinutes"),
    ("create_session", {"userId": "u", "surprise": True}, "surprise"),
    ("chat", {"messages": USER}, "modelId"),
    ("chat", {"modelId": MODEL}, "messages"),
    ("chat", {"modelId": MODEL, "messages": [{"role": "robot", "content": "hi"}]}, "role"),
    ("chat", {"modelId": MODEL, "messages": USER, "temperature": 3}, "temperature"),
    (
        "chat",
        {
            "modelId": MODEL,
            "messages": [{"role": "user", "content": [{"image": {"format": "png", "source": {"bytes": "not base64!"}}}]}],
        },
        "base64",
    ),
    (
        "chat",
        {
            "modelId": MODEL,
            "messages": [{"role": "user", "content": [{"image": {"format": "tiff", "source": {"bytes": "AAAA"}}}]}],
        },
        "format",
    ),
    (
        "chat",
        {
            "modelId": MODEL,
            "messages": [
                {"role": "user", "content": [{"document": {"format": "pdf", "name": "a.pdf", "source": {"bytes": BIG}}}]}
            ],
        },
        "25 MB",
    ),
    ("get_usage_stats", {"month": "2026-13"}, "month"),
    ("get_usage_stats", {"month": "November"}, "month"),
    ("list_models", {"feature": "telepathy"}, "feature"),
    ("update_session", {"sessionId": "abc", "newMessages": [{"role": "system", "content": "x"}]}, "role"),
]
BAD_IDS = ["../etc", "..", "a/b", "a?b=1", "a#frag", "a\x00b", "a\nb", "%2e%2e", " a", "x" * 300, ""]


@pytest.mark.parametrize(("tool", "arguments", "named"), REFUSED, ids=[f"{t}-{n}" for t, _, n in REFUSED])
async def test_invalid_arguments_are_refused_without_a_request(mcp_client, simulator, tool, arguments, named):
    result = await mcp_client.call_tool(tool, arguments)
    message = text_of(result)
    assert result.is_error
    assert named in message, message
    assert "Nothing was sent" in message
    assert simulator.state.requests == []


@pytest.mark.parametrize("bad_id", BAD_IDS, ids=repr)
@pytest.mark.parametrize("tool", ["get_session", "delete_session", "extend_session", "update_session"])
async def test_ids_that_could_escape_the_path_are_refused(mcp_client, simulator, tool, bad_id):
    result = await mcp_client.call_tool(tool, {"sessionId": bad_id})
    assert result.is_error and "sessionId" in text_of(result)
    assert simulator.state.requests == []


async def test_unknown_ids_and_models_report_the_upstream_status(mcp_client):
    missing = await mcp_client.call_tool("get_session", {"sessionId": "00000000-0000-4000-8000-000000000000"})
    assert missing.is_error and "404" in text_of(missing) and "not found" in text_of(missing)
    model = await mcp_client.call_tool("get_model", {"modelId": "no.such-model"})
    assert model.is_error and "MODEL_NOT_FOUND" in text_of(model)


@pytest.mark.parametrize(("status", "meaning"), [(500, "failed internally"), (502, "gateway"), (503, "temporarily unavailable")])
async def test_upstream_errors_become_tool_errors_and_the_server_keeps_serving(mcp_client, simulator, status, meaning):
    simulator.state.add_fault(Fault(mode="status", status=status, path="/models", count=10))
    failed = await mcp_client.call_tool("list_models", {})
    assert failed.is_error and str(status) in text_of(failed) and meaning in text_of(failed)
    simulator.state.clear_faults()
    assert not (await mcp_client.call_tool("list_models", {})).is_error


async def test_token_never_appears_in_results_or_errors(mcp_client, simulator):
    outputs = [
        await mcp_client.call_tool("list_models", {}),
        await mcp_client.call_tool("get_session", {"sessionId": "nope"}),
        await mcp_client.call_tool("chat", {"modelId": "no.such-model", "messages": USER}),
    ]
    simulator.state.add_fault(Fault(mode="status", status=401, path="/models", count=1))
    outputs.append(await mcp_client.call_tool("list_models", {}))
    for result in outputs:
        assert TEST_TOKEN not in text_of(result)
        assert TEST_TOKEN not in str(result.structured_content)
