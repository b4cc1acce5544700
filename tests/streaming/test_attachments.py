"""Multimodal input on the chat tools: files from allowed directories only, formats told from
content, embedded resources, the 25 MB request limit and models that cannot take media.

Every refusal is checked twice: a clear tool error, and an empty simulator request log."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import mcp.types as types
import pytest

from quant_mcp.attachments import detect_format
from tests.conftest import text_of
from tests.streaming.conftest import CLAUDE, SAMPLES, TEXT_ONLY_MODEL, api_requests, chat_arguments, sent_blocks

pytestmark = pytest.mark.anyio


@pytest.fixture
def allowed(tmp_path: Path) -> Path:
    directory = tmp_path / "allowed"
    directory.mkdir()
    return directory


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    directory = tmp_path / "outside"
    directory.mkdir()
    (directory / "secret.png").write_bytes(SAMPLES["png"][2])
    return directory


def file_block(path: Path | str, **extra: str) -> dict:
    return {"file": {"path": str(path), **extra}}


# ----------------------------------------------------------------------------- formats


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_formats_are_told_from_the_content(name):
    kind, fmt, data = SAMPLES[name]
    hint = ".csv" if name == "csv" else ".bin"  # a name never decides, except for CSV (no signature)
    assert detect_format(data[:4096], data[-65536:], hint) == (kind, fmt)


def test_content_that_is_no_accepted_format_is_not_guessed():
    assert detect_format(b"plain text, no signature", hint=".txt") is None
    assert detect_format(b"name,score\n", hint=".txt") is None  # CSV only when named so
    assert detect_format(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00", hint=".mp4") is None  # an image, not video
    assert detect_format(b"\x89PNG\r\n\x1a\n", hint=".pdf") == ("image", "png")  # content beats the name


@pytest.mark.parametrize("name", sorted(SAMPLES))
async def test_a_file_is_sent_as_the_block_its_content_says(simulator, client_for, allowed, name):
    kind, fmt, data = SAMPLES[name]
    path = allowed / f"sample-{name}.{'csv' if name == 'csv' else 'bin'}"
    path.write_bytes(data)
    client = await client_for(allowed_dirs=[str(allowed)])

    result = await client.call_tool("chat", chat_arguments([file_block(path), {"text": "What is this?"}]))

    assert not result.is_error, text_of(result)
    assert f"with 1 {kind}" in result.structured_content["response"]["content"]
    [record] = api_requests(simulator, "/chat")
    block = sent_blocks(record)[0][kind]
    assert block["format"] == fmt and base64.b64decode(block["source"]["bytes"]) == data
    if kind == "document":
        assert block["name"] == f"sample-{name}"


async def test_a_file_that_is_no_accepted_format_is_refused_without_a_request(simulator, client_for, allowed):
    (allowed / "notes.txt").write_text("just text")
    client = await client_for(allowed_dirs=[str(allowed)])

    result = await client.call_tool("chat", chat_arguments([file_block(allowed / "notes.txt")]))

    assert result.is_error and "none of the formats Quant AI takes" in text_of(result)
    assert api_requests(simulator) == []


# ----------------------------------------------------------------------------- allowed directories


async def test_a_file_outside_the_allowed_directories_is_refused_without_a_request(simulator, client_for, allowed, outside):
    client = await client_for(allowed_dirs=[str(allowed)])

    result = await client.call_tool("chat", chat_arguments([file_block(outside / "secret.png")]))

    assert result.is_error
    assert f"Refused to attach {outside / 'secret.png'}: it is outside the directories this server may read" in text_of(result)
    assert str(allowed) in text_of(result)
    assert api_requests(simulator) == []


async def test_a_symlink_that_escapes_the_allowed_directory_is_refused(simulator, client_for, allowed, outside):
    (allowed / "innocent.png").symlink_to(outside / "secret.png")
    (allowed / "linked-dir").symlink_to(outside, target_is_directory=True)
    client = await client_for(allowed_dirs=[str(allowed)])

    for path in (allowed / "innocent.png", allowed / "linked-dir" / "secret.png", allowed / ".." / "outside" / "secret.png"):
        result = await client.call_tool("chat", chat_arguments([file_block(path)]))
        assert result.is_error and f"Refused to attach {path}: it is outside the directories" in text_of(result), path
        assert str(outside) not in text_of(result), "a refusal never says where a path resolves"

    assert api_requests(simulator) == []


async def test_a_symlink_that_stays_inside_is_followed(simulator, client_for, allowed):
    (allowed / "real.png").write_bytes(SAMPLES["png"][2])
    (allowed / "alias.png").symlink_to(allowed / "real.png")
    client = await client_for(allowed_dirs=[str(allowed)])

    result = await client.call_tool("chat", chat_arguments([file_block(allowed / "alias.png")]))

    assert not result.is_error, text_of(result)


async def test_without_any_allowed_directory_no_file_is_read(simulator, client_for, outside):
    client = await client_for()

    result = await client.call_tool("chat", chat_arguments([file_block(outside / "secret.png")]))

    assert result.is_error and "none: QUANT_ALLOWED_DIRS is not set" in text_of(result)
    assert api_requests(simulator) == []


@pytest.mark.parametrize(
    ("path", "problem"),
    [("relative/photo.png", "give an absolute path"), ("missing.png", "No such file"), (".", "not a regular file")],
)
async def test_unreadable_paths_are_refused_in_plain_words(simulator, client_for, allowed, path, problem):
    client = await client_for(allowed_dirs=[str(allowed)])
    target = path if path.startswith("relative") else str(allowed / path)

    result = await client.call_tool("chat", chat_arguments([file_block(target)]))

    assert result.is_error and problem in text_of(result)
    assert api_requests(simulator) == []


async def test_a_file_uri_is_accepted(simulator, client_for, allowed):
    (allowed / "photo.png").write_bytes(SAMPLES["png"][2])
    client = await client_for(allowed_dirs=[str(allowed)])

    result = await client.call_tool("chat", chat_arguments([file_block((allowed / "photo.png").as_uri())]))

    assert not result.is_error, text_of(result)


async def test_the_clients_roots_allow_files_on_2025_sessions_only(simulator, client_for, era, allowed):
    (allowed / "photo.png").write_bytes(SAMPLES["png"][2])

    async def list_roots(context) -> types.ListRootsResult:
        return types.ListRootsResult(roots=[types.Root(uri=allowed.as_uri(), name="project")])

    client = await client_for({"list_roots_callback": list_roots})  # no QUANT_ALLOWED_DIRS

    result = await client.call_tool("chat", chat_arguments([file_block(allowed / "photo.png")]))

    if era == "legacy":
        assert not result.is_error, text_of(result)
        assert len(api_requests(simulator, "/chat")) == 1
    else:  # 2026-07-28 has no server-to-client requests: the error says why roots did not count
        assert result.is_error
        assert "this MCP session (protocol 2026-07-28) cannot ask the client for its roots" in text_of(result)
        assert api_requests(simulator) == []


# ----------------------------------------------------------------------------- embedded resources


async def test_an_embedded_resource_blob_is_attached_like_a_file(simulator, client_for):
    client = await client_for()
    pdf = SAMPLES["pdf"][2]
    resource = {"type": "resource", "resource": {"uri": "docs://reports/q3 summary.pdf", "blob": base64.b64encode(pdf).decode()}}

    result = await client.call_tool("chat", chat_arguments([resource, {"text": "Summarise."}]))

    assert not result.is_error, text_of(result)
    [record] = api_requests(simulator, "/chat")
    assert sent_blocks(record)[0] == {
        "document": {"format": "pdf", "source": {"bytes": base64.b64encode(pdf).decode()}, "name": "q3 summary"}
    }


async def test_an_embedded_text_resource_is_sent_as_text_and_csv_as_a_document(simulator, client_for):
    client = await client_for()
    notes = {"resource": {"uri": "notes://today", "mimeType": "text/plain", "text": "Buy milk."}}
    table = {"resource": {"uri": "data://scores.csv", "mimeType": "text/csv", "text": "name,score\nada,3\n"}}

    result = await client.call_tool("chat", chat_arguments([notes, table]))

    assert not result.is_error, text_of(result)
    [record] = api_requests(simulator, "/chat")
    text, document = sent_blocks(record)
    assert text == {"text": "[notes://today]\nBuy milk."}
    assert document["document"]["format"] == "csv"
    assert base64.b64decode(document["document"]["source"]["bytes"]) == b"name,score\nada,3\n"


async def test_a_resource_must_carry_blob_or_text(simulator, client_for):
    client = await client_for()

    result = await client.call_tool("chat", chat_arguments([{"resource": {"uri": "x://y"}}]))

    assert result.is_error and "exactly one of `blob` and `text`" in text_of(result)
    assert api_requests(simulator) == []


async def test_the_apis_own_base64_blocks_are_streamed_unchanged(simulator, client_for):
    client = await client_for()
    encoded = base64.b64encode(SAMPLES["jpeg"][2]).decode()
    image = {"image": {"format": "jpeg", "source": {"bytes": encoded}}}

    result = await client.call_tool("chat_stream", chat_arguments([image, {"text": "Describe it."}]))

    assert not result.is_error, text_of(result)
    [record] = api_requests(simulator, "/chat/stream")
    assert sent_blocks(record) == [image, {"text": "Describe it."}]


# ----------------------------------------------------------------------------- limits and models


async def test_the_25_mb_limit_is_enforced_before_anything_is_read_or_sent(simulator, client_for, allowed):
    big = allowed / "huge.png"
    big.write_bytes(SAMPLES["png"][2])
    os.truncate(big, 19 * 1024 * 1024)  # sparse: 19 MB of file is 25.3 MB of base64
    client = await client_for(allowed_dirs=[str(allowed)])

    result = await client.call_tool("chat", chat_arguments([file_block(big)]))

    assert result.is_error
    assert "The request would be 25.3 MB: 19.0 MB of attachments" in text_of(result)
    assert "at most 25 MB per request" in text_of(result)
    assert api_requests(simulator) == []


async def test_an_attachment_just_under_the_limit_streams_through(simulator, client_for, allowed):
    big = allowed / "large.pdf"
    big.write_bytes(SAMPLES["pdf"][2])
    os.truncate(big, 18 * 1024 * 1024)
    client = await client_for(allowed_dirs=[str(allowed)])

    result = await client.call_tool("chat", chat_arguments([file_block(big), {"text": "Read it."}]))

    assert not result.is_error, text_of(result)
    [record] = api_requests(simulator, "/chat")
    assert 24 * 1024 * 1024 < record.body_size <= 25 * 1024 * 1024
    block = sent_blocks(record)[0]["document"]
    assert len(block["source"]["bytes"]) == 4 * (18 * 1024 * 1024 // 3)


@pytest.mark.parametrize(
    ("model", "sample", "takes"),
    [
        (TEXT_ONLY_MODEL, "png", "takes text only"),
        (CLAUDE, "pdf", "takes text and image only"),
        (CLAUDE, "mp4", "takes text and image only"),
    ],
)
async def test_media_a_model_cannot_take_is_refused_before_any_request(simulator, client_for, allowed, model, sample, takes):
    kind, fmt, data = SAMPLES[sample]
    (allowed / "input.bin").write_bytes(data)
    client = await client_for(allowed_dirs=[str(allowed)])

    for tool in ("chat", "chat_stream"):
        result = await client.call_tool(tool, chat_arguments([file_block(allowed / "input.bin")], model=model))
        assert result.is_error
        assert f"{model} {takes}, so it cannot take {allowed / 'input.bin'} ({kind}, {fmt})" in text_of(result)

    assert api_requests(simulator) == []


async def test_claude_takes_images(simulator, client_for):
    client = await client_for()
    image = {"image": {"format": "png", "source": {"bytes": base64.b64encode(SAMPLES["png"][2]).decode()}}}

    result = await client.call_tool("chat", chat_arguments([image], model=CLAUDE))

    assert not result.is_error, text_of(result)


async def test_text_only_models_still_chat_in_text(simulator, client_for):
    client = await client_for()

    result = await client.call_tool("chat", chat_arguments("Hello", model=TEXT_ONLY_MODEL))

    assert not result.is_error and api_requests(simulator, "/chat")[0].body["modelId"] == TEXT_ONLY_MODEL
