"""Chat messages and their multimodal content blocks, as the Quant AI API documents them.

A message's ``content`` is a string or a list of blocks; each block has exactly one key:
``text``, ``image``, ``video``, ``document`` (media carry base64 ``source.bytes``), or the
tool blocks ``toolUse`` / ``toolResult``. The whole request may carry at most 25 MB.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, StringConstraints, Tag, field_validator

from quant_mcp.catalog.base import WireModel

MAX_PAYLOAD_BYTES = 25 * 1024 * 1024
_BASE64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")


class MediaSource(WireModel):
    bytes: str = Field(description="The file's bytes, base64-encoded (standard alphabet, padded).")

    @field_validator("bytes")
    @classmethod
    def _is_base64(cls, value: str) -> str:
        if len(value) % 4 or not _BASE64.fullmatch(value):
            raise ValueError("source.bytes is not valid base64 (standard alphabet, length a multiple of 4)")
        return value


class TextBlock(WireModel):
    text: str = Field(description="Plain text.")


class ImageSpec(WireModel):
    format: Literal["png", "jpeg", "gif", "webp"]
    source: MediaSource


class ImageBlock(WireModel):
    image: ImageSpec = Field(description="An image (png, jpeg, gif, webp). Nova and Claude models accept images.")


class VideoSpec(WireModel):
    format: Literal["mp4", "mov", "mkv", "webm"]
    source: MediaSource


class VideoBlock(WireModel):
    video: VideoSpec = Field(description="A video (mp4, mov, mkv, webm). Nova Lite and Pro accept video.")


class DocumentSpec(WireModel):
    format: Literal["pdf", "csv", "docx", "xlsx"]
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)] = Field(
        description="File name shown to the model."
    )
    source: MediaSource


class DocumentBlock(WireModel):
    document: DocumentSpec = Field(description="A document (pdf, csv, docx, xlsx). Nova Lite and Pro accept documents.")


class ToolUseSpec(WireModel):
    tool_use_id: str
    name: str
    input: dict[str, Any]


class ToolUseBlock(WireModel):
    tool_use: ToolUseSpec = Field(description="A tool call the assistant made (assistant turns only).")


class ToolResultSpec(WireModel):
    tool_use_id: str
    content: list[TextBlock]


class ToolResultBlock(WireModel):
    tool_result: ToolResultSpec = Field(description="The result of a tool call (user turns).")


def _block_kind(value: Any) -> str | None:
    """A block is told apart by its one key, so a bad block gets the errors of its own kind only."""
    if isinstance(value, dict):
        return next(iter(value), None)
    return next(iter(type(value).model_fields), None) if isinstance(value, WireModel) else None


def _tag(model: type[WireModel]) -> Any:
    key = next(iter(model.model_fields))
    return Annotated[model, Tag(model.model_fields[key].alias or key)]


ContentBlock = Annotated[
    _tag(TextBlock) | _tag(ImageBlock) | _tag(VideoBlock) | _tag(DocumentBlock) | _tag(ToolUseBlock) | _tag(ToolResultBlock),
    Discriminator(_block_kind, custom_error_type="unknown_block", custom_error_message=(
        "each content block needs exactly one of the keys text, image, video, document, toolUse, toolResult"
    )),
]
MEDIA_BLOCKS = (ImageBlock, VideoBlock, DocumentBlock)
Content = Annotated[
    Annotated[str, Tag("string")] | Annotated[list[ContentBlock], Tag("blocks")],
    Discriminator(lambda v: "string" if isinstance(v, str) else "blocks"),
]


class ChatMessage(WireModel):
    role: Literal["user", "assistant", "system"] = Field(description="Who wrote the turn.")
    content: Content = Field(
        description="A string, or a list of content blocks (put media before the text that refers to it)."
    )


def media_kinds(messages: list[ChatMessage]) -> set[str]:
    """The media block kinds ("image", "video", "document") a conversation carries."""
    kinds: set[str] = set()
    for message in messages:
        if isinstance(message.content, list):
            for block in message.content:
                if isinstance(block, MEDIA_BLOCKS):
                    kinds.add(next(iter(type(block).model_fields)))
    return kinds


def payload_size(messages: list[ChatMessage]) -> int:
    """Decoded size in bytes of every media block (base64 is 4 characters per 3 bytes)."""
    total = 0
    for message in messages:
        if isinstance(message.content, list):
            for block in message.content:
                if isinstance(block, MEDIA_BLOCKS):
                    spec = next(iter(block.__dict__.values()))
                    total += len(spec.source.bytes) * 3 // 4
    return total
