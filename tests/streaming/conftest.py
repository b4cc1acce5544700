"""Helpers for the streaming, attachment and inference-group tests.

Media samples are the smallest byte strings that carry each format's real signature, built
the way the format's files begin (docx and xlsx are real zips), so format detection is tested
on what it would meet on disk.
"""

from __future__ import annotations

import contextlib
import io
import zipfile
from collections.abc import AsyncIterator
from typing import Any

import pytest
from mcp import Client

from quant_mcp.server import build_server
from quant_mcp.simulator import RequestRecord, Simulator
from tests.conftest import MODEL, make_settings

TEXT_ONLY_MODEL = "amazon.nova-micro-v1:0"
CLAUDE = "anthropic.claude-3-5-sonnet-20241022-v2:0"  # takes images only
# 24 words: the simulator echoes them, so a reply streams as about 30 one-word deltas.
LONG_PROMPT = " ".join(f"word{i}" for i in range(24))


def _zip(*names: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        for name in names:
            archive.writestr(name, "<x/>")
    return buffer.getvalue()


SAMPLES: dict[str, tuple[str, str, bytes]] = {
    # name: (kind, format, bytes)
    "png": ("image", "png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40),
    "jpeg": ("image", "jpeg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 40),
    "gif": ("image", "gif", b"GIF89a" + b"\x01\x00\x01\x00" + b"\x00" * 40),
    "webp": ("image", "webp", b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 40),
    "pdf": ("document", "pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"),
    "mp4": ("video", "mp4", b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2mp41" + b"\x00" * 40),
    "mov": ("video", "mov", b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00qt  " + b"\x00" * 40),
    "mkv": ("video", "mkv", b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x88matroska" + b"\x00" * 40),
    "webm": ("video", "webm", b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm" + b"\x00" * 40),
    "docx": ("document", "docx", _zip("word/document.xml")),
    "xlsx": ("document", "xlsx", _zip("xl/workbook.xml")),
    "csv": ("document", "csv", b"name,score\nada,3\n"),
}


def chat_arguments(content: Any, model: str = MODEL, **extra: Any) -> dict[str, Any]:
    return {"modelId": model, "messages": [{"role": "user", "content": content}], **extra}


def api_requests(simulator: Simulator, suffix: str = "") -> list[RequestRecord]:
    """The API requests the simulator received whose path ends with ``suffix``."""
    return [record for record in simulator.state.requests if record.path.endswith(suffix)]


def sent_blocks(record: RequestRecord) -> list[Any]:
    """The content blocks of the last message of a chat request, as the API received them."""
    return record.body["messages"][-1]["content"]


@pytest.fixture
async def client_for(simulator: Simulator, era: str) -> AsyncIterator[Any]:
    """``await client_for(**settings)``: an in-memory client in this test's era, with these settings."""
    async with contextlib.AsyncExitStack() as stack:

        async def open_client(client_options: dict[str, Any] | None = None, **overrides: Any) -> Client:
            server = build_server(make_settings(simulator, **overrides))
            return await stack.enter_async_context(Client(server, mode=era, **(client_options or {})))

        yield open_client
