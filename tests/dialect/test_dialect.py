"""quant_mcp.dialect on its own: every shape LIVE-DIALECT.md lists, read as the agent should see it."""

from __future__ import annotations

import json

import pytest

from quant_mcp.dialect import StreamError, StreamReader, field_messages, finish_reason, read_chat, text_of

# ----------------------------------------------------------------------------- buffered chat


@pytest.mark.parametrize(
    "content",
    [
        "Hello there",
        [{"text": "Hello "}, {"text": "there"}],
        [{"type": "text", "text": "Hello "}, {"type": "text", "text": "there"}],
        ["Hello ", "there"],
        [{"type": "text", "text": "Hello "}, {"image": {"format": "png"}}, "there"],
    ],
    ids=["string", "text-blocks", "typed-blocks", "bare-strings", "mixed"],
)
def test_buffered_content_in_every_shape_is_flattened_into_text(content):
    answer = read_chat({"response": {"role": "assistant", "content": content}, "stopReason": "end_turn", "modelId": "m"})
    assert answer["response"]["content"] == "Hello there"
    assert answer["stopReason"] == "end_turn" and answer["finishReason"] == "stop"
    assert answer["model"] == "m" and answer["modelId"] == "m"


def test_buffered_tool_uses_from_the_list_and_from_blocks_each_once():
    call = {"toolUseId": "tu-1", "name": "get_weather", "input": {"city": "Paris"}}
    answer = read_chat(
        {
            "response": {"content": [{"text": "Let me check."}, {"toolUse": call}], "toolUse": [call]},
            "stopReason": "tool_use",
            "requestId": "r-1",
        }
    )
    assert answer["response"]["content"] == "Let me check."
    assert answer["response"]["toolUse"] == call
    assert answer["finishReason"] == "tool_use" and answer["requestId"] == "r-1"


def test_two_tool_calls_stay_a_list():
    calls = [{"toolUseId": f"tu-{i}", "name": "t", "input": {"i": i}} for i in range(2)]
    assert read_chat({"response": {"content": "", "toolUse": calls}})["response"]["toolUse"] == calls


@pytest.mark.parametrize(
    ("where", "value", "expected"),
    [
        ("stopReason", "max_tokens", "length"),
        ("stop_reason", "max_tokens", "length"),
        ("finishReason", "length", "length"),
        ("finish_reason", "stop", "stop"),
        ("stopReason", "maxTokens", "length"),
        ("stopReason", "END_TURN", "stop"),
        ("stopReason", "tool-use", "tool_use"),
        ("stopReason", "tool_request", "tool_request"),
        ("stopReason", "guardrail_intervened", "content_filter"),
        ("stopReason", "something_new", "stop"),
    ],
)
def test_stop_reasons_in_any_spelling_and_place(where, value, expected):
    top = read_chat({"response": {"content": "x"}, where: value})
    nested = read_chat({"response": {"content": "x", where: value}})
    assert top["finishReason"] == nested["finishReason"] == expected
    assert top["stopReason"] == nested["stopReason"] == value


def test_legacy_string_response_and_unknown_fields_pass_through():
    answer = read_chat({"response": "plain", "model": "m", "extra": {"kept": True}})
    assert answer["response"] == {"role": "assistant", "content": "plain"}
    assert answer["extra"] == {"kept": True}
    assert read_chat(["not", "an", "object"]) == ["not", "an", "object"]


def test_finish_reason_defaults():
    assert finish_reason(None) == "stop"
    assert finish_reason(None, has_tool_use=True) == "tool_use"
    assert text_of(None) == "" and text_of({"type": "image", "text": "x"}) == ""


# ----------------------------------------------------------------------------- streams


def feed(reader: StreamReader, frames: list[tuple[str, object]]) -> list:
    steps = []
    for event, data in frames:
        steps += reader.feed(event, data if isinstance(data, str) else json.dumps(data))
        if reader.finished:
            break
    return steps


def test_the_spec_stream_start_deltas_done_without_response():
    reader = StreamReader()
    steps = feed(
        reader,
        [
            ("start", {"requestId": "r1", "model": "m", "streaming": True}),
            ("content", {"delta": "Hello", "complete": False}),
            ("content", {"delta": " world", "complete": False}),
            ("done", {"complete": True, "usage": {"totalTokens": 3}}),
        ],
    )
    result = reader.result()
    assert [s.message for s in steps if s.kind == "text"] == ["Hello", " world"]
    assert result["response"] == {"role": "assistant", "content": "Hello world"}
    assert result["finishReason"] == "stop" and result["complete"] is True and result["chunks"] == 2
    assert result["requestId"] == "r1" and result["usage"] == {"totalTokens": 3}


def test_drupal_frames_tool_call_across_frames_reported_once_and_summary_text_not_doubled():
    call = {"toolUseId": "tu-9", "name": "lookup", "input": {"q": "x"}}
    reader = StreamReader()
    steps = feed(
        reader,
        [
            ("", {"requestId": "r", "model": "m", "streaming": True}),
            ("", {"delta": "Checking."}),
            ("", {"toolUseId": "tu-9", "name": "lookup"}),  # announce
            ("", {"toolUseId": "tu-9", "name": "lookup", "input": {"q": "x"}}),  # inline input
            ("", {"toolUse": [call]}),  # top-level toolUse
            (
                "",
                {"stopReason": "tool_use", "usage": {"outputTokens": 5}, "response": {"content": "Checking.", "toolUse": [call]}},
            ),
        ],
    )
    result = reader.result()
    assert result["response"]["content"] == "Checking."
    assert result["response"]["toolUse"] == call
    assert result["finishReason"] == "tool_use" and result["stopReason"] == "tool_use"
    assert sum("lookup" in s.message for s in steps if s.kind == "progress") == 1


def test_complete_true_on_a_delta_ends_the_answer():
    reader = StreamReader()
    feed(reader, [("", {"delta": "All"}), ("", {"delta": " done", "complete": True}), ("", {"delta": "never read"})])
    assert reader.finished and reader.result()["response"]["content"] == "All done"


def test_chat_app_frames_server_tools_session_and_status():
    reader = StreamReader()
    steps = feed(
        reader,
        [
            ("session", {"sessionId": "s-1"}),
            ("tool_start", {"name": "web_search"}),
            ("tool_input_progress", {"name": "web_search"}),
            ("tool_complete", {"name": "web_search", "result": {"hits": 2}}),
            ("orchestration_status", {"message": "Synthesising"}),
            ("content", {"delta": "Two hits."}),
            ("done", {"complete": True}),
        ],
    )
    result = reader.result()
    assert result["sessionId"] == "s-1" and result["serverTools"] == [{"name": "web_search", "result": {"hits": 2}}]
    assert result["status"] == "Synthesising" and "toolUse" not in result["response"]
    messages = [s.message for s in steps if s.kind == "progress"]
    assert any("web_search finished" in m and '"hits": 2' in m for m in messages) and "[Synthesising]" in messages


def test_tools_running_while_a_server_tool_has_not_completed():
    reader = StreamReader()
    reader.feed("tool_start", '{"name": "a"}')
    assert reader.tools_running
    reader.feed("tool_complete", '{"name": "a", "result": 1}')
    assert not reader.tools_running


def test_done_asking_for_a_client_tool():
    reader = StreamReader()
    feed(
        reader,
        [
            ("tool_request", {"name": "client_tool", "toolUseId": "tu-c"}),
            ("done", {"complete": False, "stopReason": "tool_request"}),
        ],
    )
    result = reader.result()
    assert result["complete"] is False and result["finishReason"] == "tool_request"
    assert result["response"]["toolUse"] == {"toolUseId": "tu-c", "name": "client_tool", "input": {}}


def test_done_with_an_orchestration_to_poll():
    reader = StreamReader()
    poll = "https://dashboard.quantcdn.io/api/v3/organizations/o/ai/orchestrations/x"
    feed(reader, [("content", {"delta": "Working"}), ("done", {"complete": False, "orchestration": {"pollUrl": poll}})])
    result = reader.result()
    assert result["complete"] is False and result["orchestration"] == {"pollUrl": poll}


def test_unreadable_frames_are_skipped_and_counted():
    reader = StreamReader()
    feed(
        reader,
        [
            ("content", {"delta": "a"}),
            ("content", '{"delta": "b'),
            ("content", "[1, 2]"),
            ("content", {"delta": "c"}),
            ("done", {"complete": True}),
        ],
    )
    result = reader.result()
    assert result["response"]["content"] == "ac" and result["skippedFrames"] == 2


def test_nothing_readable_is_a_failure():
    reader = StreamReader()
    feed(reader, [("content", "not json"), ("content", "{broken")])
    with pytest.raises(StreamError, match="no readable event arrived .2 frame"):
        reader.result()


def test_truncated_stream_fails_with_the_text_so_far_unless_frames_were_skipped():
    reader = StreamReader()
    feed(reader, [("content", {"delta": "partial"})])
    with pytest.raises(StreamError, match="truncated") as caught:
        reader.result()
    assert caught.value.partial_text == "partial"
    skipped = StreamReader()
    feed(skipped, [("content", {"delta": "partial"}), ("done", "{not json")])
    result = skipped.result()
    assert result["response"]["content"] == "partial" and result["skippedFrames"] == 1 and "warning" in result


def test_an_error_event_fails_with_the_text_received():
    reader = StreamReader()
    feed(reader, [("content", {"delta": "so far"})])
    with pytest.raises(StreamError, match="model overloaded") as caught:
        reader.feed("error", '{"error": "model overloaded"}')
    assert caught.value.partial_text == "so far"


def test_summary_text_is_used_when_no_delta_came():
    reader = StreamReader()
    feed(reader, [("done", {"complete": True, "stopReason": "end_turn", "response": {"content": [{"text": "Whole"}]}})])
    assert reader.result()["response"]["content"] == "Whole"


# ----------------------------------------------------------------------------- 422


def test_laravel_422_field_messages():
    body = {
        "message": "The given data was invalid.",
        "errors": {"toolName": ["The tool name field is required."], "inputSchema": ["must be an object", "x"]},
    }
    assert (
        field_messages(json.dumps(body).encode())
        == "toolName: The tool name field is required. | inputSchema: must be an object; x"
    )
    assert field_messages(b"not json") == "" and field_messages({"message": "m"}) == ""


def test_the_dialect_module_is_pure():
    """dialect.py reads data and nothing else: it imports no other quant_mcp module and does no I/O."""
    import ast
    from pathlib import Path

    import quant_mcp.dialect as module

    tree = ast.parse(Path(module.__file__).read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not {name for name in imported if name.startswith("quant_mcp")}
    assert imported <= {"__future__", "json", "collections.abc", "dataclasses", "typing"}
