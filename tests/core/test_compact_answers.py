"""Compact answers: the text is a summary plus the JSON once, bulky parts summarised, never past
25,000 tokens; structured content stays complete."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mcp import Client

from quant_mcp.server import build_server
from quant_mcp.tools import MAX_TEXT_BYTES, readable
from tests.conftest import make_settings, text_of

pytestmark = pytest.mark.anyio


async def test_embeddings_show_count_dimensions_and_first_values_in_the_text(simulator, era):
    texts = ["The quick brown fox", "jumps over", "the lazy dog"]
    async with Client(build_server(make_settings(simulator, toolsets=["embeddings"])), mode=era) as client:
        result = await client.call_tool("create_embeddings", {"input": texts})
    assert not result.is_error, text_of(result)
    vectors = result.structured_content["embeddings"]
    assert len(vectors) == 3 and all(len(vector) == 1024 for vector in vectors), "structured content is complete"
    text = text_of(result)
    assert text.startswith("3 vector(s) of 1024 dimensions")
    assert text.count("<1024 numbers: ") == 3
    assert len(text) < 1_000, f"{len(text)} characters for three vectors"


async def test_a_long_list_shows_the_first_items_that_fit_and_says_how_many(simulator, era):
    async with Client(build_server(make_settings(simulator)), mode=era) as client:
        created = await client.call_tool("create_session", {"userId": "u-1"})
        session = created.structured_content["sessionId"]
        turns = [{"role": "user", "content": f"turn {i}: " + "words " * 100} for i in range(80)]  # ~50 KB
        assert not (await client.call_tool("update_session", {"sessionId": session, "newMessages": turns})).is_error
        result = await client.call_tool("get_session", {"sessionId": session})
    assert len(result.structured_content["messages"]) == 80, "structured content is complete"
    text = text_of(result)
    assert len(text.encode()) <= MAX_TEXT_BYTES
    shown = json.loads(text.splitlines()[-1])  # after the summary line
    assert 0 < len(shown["messages"]) < 80
    assert shown["note"] == f"showing the first {len(shown['messages'])} of 80 messages; structuredContent has all of them"


json_values = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=False) | st.text(max_size=3000),
    lambda inner: st.lists(inner, max_size=40) | st.dictionaries(st.text(max_size=10), inner, max_size=8),
    max_leaves=200,
)


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.text(max_size=10), json_values, max_size=6), st.sampled_from(["a", "é", "語", "🙂"]))
def test_no_text_passes_the_limit_whatever_the_answer(answer, char):
    answer = {**answer, "padding": char * 30_000}
    text = readable(answer, MAX_TEXT_BYTES)
    assert len(text.encode()) <= MAX_TEXT_BYTES  # bytes bound tokens, byte-level tokenizers included
