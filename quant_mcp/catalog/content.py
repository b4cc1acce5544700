"""Chat messages and their multimodal content blocks, as the Quant AI API documents them.

A message's ``content`` is a string or a list of blocks; each block has exactly one key:
``text``, ``image``, ``video``, ``document`` (media carry base64 ``source.bytes``), or the
tool blocks ``toolUse`` / ``toolResult``. The whole request may carry at most 25 MB.

Two more blocks are sources an agent can produce more easily than base64: ``file`` (a local
path) and ``resource`` (an MCP embedded resource). They never reach the API as such:
``quant_mcp.attachments`` turns them into image, video or document blocks (or text).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args

from pydantic import (
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    WithJsonSchema,
    model_validator,
)

from quant_mcp.catalog.base import BASE64_PATTERN, Base64, WireModel

MAX_PAYLOAD_BYTES = 25 * 1024 * 1024  # the whole request, as sent (media travel base64-encoded)

CONTENT_DESCRIPTION = (
    "Text or blocks. Media (25 MB): base64, a local file (in MCP roots or QUANT_ALLOWED_DIRS) or an MCP resource."
)


class S3Location(WireModel):
    uri: Annotated[str, StringConstraints(pattern=r"^s3://[^\s]+$", max_length=2048)] = Field(description="s3://bucket/key")


class MediaSource(WireModel):
    bytes: Base64 | None = Field(None, description="The file's bytes, base64-encoded (standard alphabet, padded).")
    s3_location: S3Location | None = Field(None, description="Or an object in S3 the service can read (sent as is).")

    @model_validator(mode="after")
    def _one_source(self) -> MediaSource:
        if (self.bytes is None) == (self.s3_location is None):
            raise ValueError("a media source carries exactly one of `bytes` and `s3Location`")
        return self


class TextBlock(WireModel):
    text: str


class ImageSpec(WireModel):
    format: Literal["png", "jpeg", "gif", "webp"]
    source: MediaSource


class ImageBlock(WireModel):
    image: ImageSpec


class VideoSpec(WireModel):
    format: Literal["mp4", "mov", "mkv", "webm"]
    source: MediaSource


class VideoBlock(WireModel):
    video: VideoSpec


DocumentFormat = Literal["pdf", "csv", "txt", "md", "html", "doc", "docx", "xls", "xlsx"]  # the chat app's list


class DocumentSpec(WireModel):
    format: DocumentFormat
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)] = Field(description="File name shown to the model.")
    source: MediaSource


class DocumentBlock(WireModel):
    document: DocumentSpec = Field(
        description="A document (pdf, csv, txt, md, html, doc, docx, xls, xlsx). Nova Lite and Pro accept documents."
    )


class FileSpec(WireModel):
    path: Annotated[str, StringConstraints(min_length=1, max_length=4096)]  # absolute, or a file:// URI
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None  # a document's name (default: the file's)


class FileBlock(WireModel):
    file: FileSpec  # told apart by content; only inside the client's MCP roots or QUANT_ALLOWED_DIRS


class ResourceContents(WireModel):
    uri: Annotated[str, StringConstraints(min_length=1, max_length=4096)]
    mime_type: str | None = None
    blob: Base64 | None = None
    text: str | None = None

    @model_validator(mode="after")
    def _one_payload(self) -> ResourceContents:
        if (self.blob is None) == (self.text is None):
            raise ValueError("an embedded resource carries exactly one of `blob` and `text`")
        return self


class ResourceBlock(WireModel):
    # A blob is attached like a file (format told from its content); text goes to the model as text (CSV as a document).
    resource: ResourceContents
    type: Literal["resource"] | None = None  # optional, as in MCP's EmbeddedResource


class ToolUseSpec(WireModel):
    tool_use_id: str
    name: str
    input: dict[str, Any]


class ToolUseBlock(WireModel):
    tool_use: ToolUseSpec  # a tool call the assistant made (assistant turns only)


class ToolResultSpec(WireModel):
    tool_use_id: str
    content: list[TextBlock]


class ToolResultBlock(WireModel):
    tool_result: ToolResultSpec  # the result of a tool call (user turns)


def _block_kind(value: Any) -> str | None:
    """A block is told apart by its one key, so a bad block gets the errors of its own kind only.
    An MCP-style block (``{"type": "resource", "resource": ...}``) is told by its ``type``."""
    if isinstance(value, dict):
        kind = value.get("type")
        return kind if isinstance(kind, str) and kind in value else next(iter(value), None)
    return next(iter(type(value).model_fields), None) if isinstance(value, WireModel) else None


def _tag(model: type[WireModel]) -> Any:
    key = next(iter(model.model_fields))
    return Annotated[model, Tag(model.model_fields[key].alias or key)]


def _object(properties: dict[str, Any], *required: str) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        **({"required": list(required)} if required else {}),
        "additionalProperties": False,
    }


def _media(formats: list[str], **extra: Any) -> dict[str, Any]:
    s3 = _object({"uri": {"type": "string", "pattern": r"^s3://[^\s]+$", "maxLength": 2048}}, "uri")
    source = {**_object({"bytes": _BASE64, "s3Location": s3}), "oneOf": [{"required": ["bytes"]}, {"required": ["s3Location"]}]}
    return _object({"format": {"enum": formats, "type": "string"}, **extra, "source": source}, "format", *extra, "source")


_STRING = {"type": "string"}
_BASE64 = {"type": "string", "pattern": BASE64_PATTERN}
_NAME = {"type": "string", "minLength": 1, "maxLength": 200}
_LOCATION = {"type": "string", "minLength": 1, "maxLength": 4096}
BLOCK_KINDS = ("text", "image", "video", "document", "file", "resource", "toolUse", "toolResult")

# What tools/list publishes for one block: the models above, said once and compactly as one
# object whose keys are the block kinds, exactly one of them given (``type`` only beside
# ``resource``). tests/reliability/test_schema_agreement.py holds it to what the models accept.
BLOCK_SCHEMA: dict[str, Any] = {
    **_object(
        {
            "text": _STRING,
            "image": _media(["png", "jpeg", "gif", "webp"]),
            "video": _media(["mp4", "mov", "mkv", "webm"]),
            "document": _media(list(get_args(DocumentFormat)), name=_NAME),
            "file": _object({"path": _LOCATION, "name": _NAME}, "path"),
            "resource": _object({"uri": _LOCATION, "mimeType": _STRING, "blob": _BASE64, "text": _STRING}, "uri"),
            "type": {"const": "resource", "type": "string"},
            "toolUse": _object(
                {"toolUseId": _STRING, "name": _STRING, "input": {"type": "object"}}, "toolUseId", "name", "input"
            ),
            "toolResult": _object(
                {"toolUseId": _STRING, "content": {"type": "array", "items": _object({"text": _STRING}, "text")}},
                "toolUseId",
                "content",
            ),
        }
    ),
    "oneOf": [{"required": [kind]} for kind in BLOCK_KINDS],
    "dependentRequired": {"type": ["resource"]},
}

ContentBlock = Annotated[
    _tag(TextBlock)
    | _tag(ImageBlock)
    | _tag(VideoBlock)
    | _tag(DocumentBlock)
    | _tag(FileBlock)
    | _tag(ResourceBlock)
    | _tag(ToolUseBlock)
    | _tag(ToolResultBlock),
    Discriminator(
        _block_kind,
        custom_error_type="unknown_block",
        custom_error_message=(
            "each content block needs exactly one of the keys text, image, video, document, file, resource, toolUse, toolResult"
        ),
    ),
    WithJsonSchema(BLOCK_SCHEMA),
]
Content = Annotated[
    Annotated[str, Tag("string")] | Annotated[list[ContentBlock], Tag("blocks")],
    Discriminator(lambda v: "string" if isinstance(v, str) else "blocks"),
]


class ChatMessage(WireModel):
    role: Literal["user", "assistant", "system"]
    # The blocks are described here once, for every tool that takes messages.
    content: Content = Field(description=CONTENT_DESCRIPTION)


MediaKind = Literal["image", "video", "document"]
ALL_MEDIA: frozenset[MediaKind] = frozenset({"image", "video", "document"})

# The media each model family takes (the reference's "Media limits", with Nova Micro text-only
# as AWS documents it). A model not listed here is left to the API to judge.
MEDIA_BY_MODEL_FAMILY: dict[str, frozenset[MediaKind]] = {
    "amazon.nova-lite": ALL_MEDIA,
    "amazon.nova-pro": ALL_MEDIA,
    "amazon.nova-micro": frozenset(),
    "anthropic.claude": frozenset({"image"}),
}


def accepted_media(model_id: str) -> frozenset[MediaKind] | None:
    """The media kinds a model accepts, or None when this server does not know the model.
    Families match anywhere in the id, so cross-region ids (``us.amazon.nova-pro-v1:0``) count."""
    return next((kinds for family, kinds in MEDIA_BY_MODEL_FAMILY.items() if family in model_id), None)


# ----------------------------------------------------------------------------- telling a format from bytes

FORMATS = "images (png, jpeg, gif, webp), video (mp4, mov, mkv, webm) and documents (pdf, csv, docx, xlsx)"

# What a name or MIME type says, used only where content alone cannot decide (CSV; a zip).
_HINTS = {
    "text/csv": "csv",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
}
_NOT_VIDEO_BRANDS = {b"heic", b"heix", b"mif1", b"msf1", b"avif", b"M4A ", b"M4B "}  # ISO media that is not video


def detect_format(head: bytes, tail: bytes = b"", hint: str | None = None) -> tuple[MediaKind, str] | None:
    """The media kind and API format of a file from its first and last bytes, or None.

    ``hint`` (an extension or MIME type) only decides what bytes cannot: CSV, which has no
    signature, and a zip whose parts were not in the bytes read.
    """
    hint = _HINTS.get(hint or "", (hint or "").lower().lstrip("."))
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image", "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image", "jpeg"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image", "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image", "webp"
    if b"%PDF-" in head[:1024]:
        return "document", "pdf"
    if head[4:8] == b"ftyp" and head[8:12] not in _NOT_VIDEO_BRANDS:
        return "video", "mov" if head[8:12] == b"qt  " else "mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):  # EBML: Matroska, or its WebM profile
        return "video", "webm" if b"webm" in head[:64] else "mkv"
    if head.startswith(b"PK\x03\x04"):  # docx and xlsx are zips with word/ or xl/ parts
        parts = head + tail
        if b"word/" in parts or hint == "docx":
            return "document", "docx"
        if b"xl/" in parts or hint == "xlsx":
            return "document", "xlsx"
        return None
    if hint == "csv" and b"\x00" not in head:
        return "document", "csv"
    return None
