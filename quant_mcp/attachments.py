"""Attachments: the media of a chat request, checked and made ready to stream to the API.

Chat messages carry media in three forms (``catalog/content.py``): the API's own image, video
and document blocks with base64 bytes, a local ``file``, and an MCP embedded ``resource``.
:func:`prepared` turns the body of a chat carrying any of them into a
:class:`~quant_mcp.client.StreamedBody`, after these checks, all made before a request is sent:

* a local file is read only from inside the allowed directories: ``QUANT_ALLOWED_DIRS`` and the
  client's MCP roots (asked for over the 2025-era back-channel, and only from a local client);
  over HTTP not at all unless ``QUANT_HTTP_FILE_ATTACHMENTS`` is on. Paths are compared after
  resolving every symlink and the file is opened without following one, so a link that points
  outside is refused, and a path that changes under the check is refused too. Refusals name the
  path as given and the directories as configured, never where a path resolves;
* the format is told from the content (magic bytes), never from a name alone;
* a model that cannot take a kind of media (Nova Micro: text only; Claude: images only) is refused;
* the request, as it will be sent, must fit the API's 25 MB.

Why stream: a 25 MB file is 33 MB of base64. Building the JSON in memory would hold the file, its
base64, the JSON text and its encoded bytes at once; instead the body is written piece by piece,
each file chunk base64-encoded as it is read, so memory stays near one chunk per attachment.
"""

from __future__ import annotations

import base64
import errno
import json
import os
import re
import stat
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from itertools import zip_longest
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import unquote, urlparse
from uuid import uuid4

import anyio
import mcp.types as types
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.shared.exceptions import MCPError, NoBackChannelError
from mcp.shared.message import ServerMessageMetadata
from pydantic import ValidationError

from quant_mcp.catalog.content import (
    FORMATS,
    MAX_PAYLOAD_BYTES,
    ChatMessage,
    DocumentBlock,
    FileBlock,
    ImageBlock,
    MediaKind,
    ResourceBlock,
    ResourceContents,
    VideoBlock,
    accepted_media,
    detect_format,
)
from quant_mcp.client import StreamedBody

if TYPE_CHECKING:
    from quant_mcp.config import Settings


class Conversation(Protocol):
    """The arguments of a chat that may carry attachments."""

    messages: list[ChatMessage]
    model_id: str


CHUNK = 3 * 256 * 1024  # bytes read per step: a multiple of 3, so every piece encodes without padding
HEAD = 4096  # bytes read to tell a format (PDF may start anywhere in the first 1024)
TAIL = 64 * 1024  # bytes read from the end: a zip's central directory names docx/xlsx parts
ROOTS_TIMEOUT = 5.0


@dataclass(frozen=True)
class Media:
    """One attachment as it will be sent: what it is, and how to write its base64 text."""

    kind: MediaKind
    format: str
    label: str  # how messages name it: a path, a resource URI, or "an image block"
    size: int  # bytes, decoded
    encoded_length: int  # base64 characters
    chunks: Callable[[], AsyncIterator[bytes]]  # a fresh pass over the base64 text
    name: str | None = None  # documents only

    def block(self, placeholder: str) -> dict[str, Any]:
        spec: dict[str, Any] = {"format": self.format, "source": {"bytes": placeholder}}
        if self.kind == "document":
            spec["name"] = self.name
        return {self.kind: spec}


def _inline(encoded: str) -> Callable[[], AsyncIterator[bytes]]:
    """Pieces of base64 text the request already holds (no decoding, no copy of the whole)."""
    step = CHUNK // 3 * 4

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(encoded), step):
            yield encoded[start : start + step].encode("ascii")

    return chunks


def _from_file(fd: int, size: int, label: str) -> Callable[[], AsyncIterator[bytes]]:
    """The base64 of an open file, read and encoded one chunk at a time (``pread``: re-readable)."""

    async def chunks() -> AsyncIterator[bytes]:
        for offset in range(0, size, CHUNK):
            wanted = min(CHUNK, size - offset)
            data = await anyio.to_thread.run_sync(os.pread, fd, wanted, offset)
            if len(data) != wanted:
                raise ToolError(f"{label} shrank while it was being sent; the request was abandoned. Try again.")
            yield base64.b64encode(data)

    return chunks


def _decoded_size(encoded: str) -> int:
    return len(encoded) // 4 * 3 - encoded[-2:].count("=")


def _ends(encoded: str) -> tuple[bytes, bytes]:
    """The first HEAD and last TAIL bytes of base64 text, decoding only those pieces."""
    head = base64.b64decode(encoded[: HEAD // 3 * 4])
    tail = base64.b64decode(encoded[-(TAIL // 3 * 4) :]) if len(encoded) > HEAD // 3 * 4 else b""
    return head, tail


def _document_name(stem: str) -> str:
    """A file's stem as a document name the API takes: letters, digits, spaces, - ( ) [ ]."""
    name = re.sub(r"\s+", " ", re.sub(r"[^A-Za-z0-9()\[\] -]+", "-", stem)).strip(" -")
    return name[:200] or "document"


# ----------------------------------------------------------------------------- allowed directories


async def client_roots(ctx: Context) -> tuple[list[Path], str]:
    """The client's MCP roots as local directories, and a sentence on where they came from.

    Roots name directories on the client's machine, so they count only for a local client
    (stdio, in-memory): over HTTP they are ignored. Only 2025-era sessions can ask for them;
    the 2026-07-28 protocol has no server-to-client requests.
    """
    if ctx.headers is not None:
        return [], "MCP roots are not used over HTTP (they name directories on the client's machine)"
    capabilities = ctx.client_capabilities
    if capabilities is None or capabilities.roots is None:
        return [], "the client shares no MCP roots"
    try:
        result = await ctx.session.send_request(
            types.ListRootsRequest(),
            types.ListRootsResult,
            request_read_timeout_seconds=ROOTS_TIMEOUT,
            metadata=ServerMessageMetadata(related_request_id=ctx.request_id),
        )
    except NoBackChannelError:
        return [], f"this MCP session (protocol {ctx.protocol_version}) cannot ask the client for its roots"
    except (MCPError, ValidationError) as exc:
        return [], f"the client did not list its roots ({exc})"
    paths = [Path(unquote(urlparse(str(root.uri)).path)) for root in result.roots if str(root.uri).startswith("file:")]
    return [Path(os.path.realpath(path)) for path in paths], "the client's MCP roots"


def _open_inside(requested: Path, allowed: list[Path], where: str) -> tuple[int, int]:
    """Open a regular file whose real path lies inside ``allowed``; return (fd, size). Blocking.

    Refusals name the path as the caller gave it and the directories as configured, never
    where a path resolves on this server (that would map its disk for a remote caller).
    """
    outside = (
        f"Refused to attach {requested}: it is outside the directories this server may read ({where}); "
        "a symbolic link on the way counts where it leads. Nothing was sent."
    )
    changed = f"Refused to attach {requested}: it changed while it was being checked. Nothing was sent."
    try:
        real = Path(os.path.realpath(requested))  # may raise when a link is swapped for a file mid-way
    except (OSError, RuntimeError):
        raise ToolError(changed) from None
    if not any(real.is_relative_to(directory) for directory in allowed):
        raise ToolError(outside)
    try:
        # O_NOFOLLOW: a symlink swapped in after the check is not followed; O_NONBLOCK: a FIFO cannot hang us.
        fd = os.open(real, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # a symbolic link appeared where the check saw none
            raise ToolError(changed) from None
        raise ToolError(f"Cannot attach {requested}: {exc.strerror or 'it cannot be opened'}.") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ToolError(f"Cannot attach {requested}: it is not a regular file.")
        opened = Path(os.readlink(f"/proc/self/fd/{fd}")) if os.path.isdir("/proc/self/fd") else real
        if not any(opened.is_relative_to(directory) for directory in allowed):  # a directory swapped mid-way
            raise ToolError(changed)
    except OSError:
        os.close(fd)
        raise ToolError(changed) from None
    except BaseException:
        os.close(fd)
        raise
    return fd, info.st_size


def _requested_path(spec: str) -> Path:
    path = Path(unquote(urlparse(spec).path)) if spec.startswith("file:") else Path(spec).expanduser()
    if not path.is_absolute():
        raise ToolError(f"Cannot attach {spec!r}: give an absolute path (or a file:// URI).")
    if "\x00" in str(path):  # the OS refuses it with ValueError, not OSError
        raise ToolError(f"Cannot attach {spec!r}: a path cannot contain a NUL character.")
    return path


# ----------------------------------------------------------------------------- preparing a request


@dataclass
class _Collector:
    """Walks a conversation once: turns every media source into a :class:`Media` (opening files
    inside the allowed directories) and every message into its wire form with placeholders."""

    ctx: Context
    allowed_dirs: list[str]
    files: AsyncExitStack
    marker: str = field(default_factory=lambda: f"quant-mcp-attachment-{uuid4().hex}-")
    media: list[Media] = field(default_factory=list)
    http_files: bool = False  # QUANT_HTTP_FILE_ATTACHMENTS: HTTP clients may attach the server's files
    _allowed: tuple[list[Path], str] | None = None

    async def message(self, message: ChatMessage) -> dict[str, Any]:
        if isinstance(message.content, str):
            return {"role": message.role, "content": message.content}
        return {"role": message.role, "content": [await self._block(block) for block in message.content]}

    async def _block(self, block: Any) -> dict[str, Any]:
        if (
            isinstance(block, ImageBlock | VideoBlock | DocumentBlock)
            and getattr(block, next(iter(type(block).model_fields))).source.bytes is None
        ):
            return block.model_dump(mode="json", by_alias=True, exclude_none=True)  # an s3Location: nothing to carry
        if isinstance(block, ImageBlock | VideoBlock | DocumentBlock):
            kind = next(iter(type(block).model_fields))
            spec = getattr(block, kind)
            encoded = spec.source.bytes
            item = Media(
                kind,
                spec.format,
                f"the {kind} block",
                _decoded_size(encoded),
                len(encoded),
                _inline(encoded),
                getattr(spec, "name", None),
            )
        elif isinstance(block, FileBlock):
            item = await self._file(block.file.path, block.file.name)
        elif isinstance(block, ResourceBlock):
            if block.resource.text is not None:
                return self._resource_text(block.resource)
            item = self._resource_blob(block.resource)
        else:
            return block.model_dump(mode="json", by_alias=True, exclude_none=True)
        self.media.append(item)
        return item.block(f"{self.marker}{len(self.media) - 1}")

    async def _file(self, spec: str, name: str | None) -> Media:
        requested = _requested_path(spec)
        allowed, where = await self._allowed_directories(spec)
        fd, size = await anyio.to_thread.run_sync(_open_inside, requested, allowed, where)
        self.files.callback(os.close, fd)
        head = await anyio.to_thread.run_sync(os.pread, fd, HEAD, 0)
        tail = await anyio.to_thread.run_sync(os.pread, fd, TAIL, max(0, size - TAIL)) if size > HEAD else b""
        found = detect_format(head, tail, requested.suffix)
        if found is None:
            raise ToolError(f"Cannot attach {requested}: its content is none of the formats Quant AI takes: {FORMATS}.")
        kind, fmt = found
        return Media(
            kind,
            fmt,
            str(requested),
            size,
            (size + 2) // 3 * 4,
            _from_file(fd, size, str(requested)),
            name or _document_name(requested.stem),
        )

    def _resource_blob(self, resource: ResourceContents) -> Media:
        encoded = resource.blob or ""
        uri_path = Path(unquote(urlparse(resource.uri).path))
        found = detect_format(*_ends(encoded), resource.mime_type or uri_path.suffix)
        if found is None:
            raise ToolError(
                f"Cannot attach the resource {resource.uri}: its content is none of the formats Quant AI takes: {FORMATS}."
            )
        kind, fmt = found
        return Media(
            kind,
            fmt,
            f"the resource {resource.uri}",
            _decoded_size(encoded),
            len(encoded),
            _inline(encoded),
            _document_name(uri_path.stem),
        )

    def _resource_text(self, resource: ResourceContents) -> dict[str, Any]:
        """Text goes to the model as text, labelled with its URI; CSV goes as a CSV document."""
        text = resource.text or ""
        uri_path = Path(unquote(urlparse(resource.uri).path))
        if detect_format(b"", hint=resource.mime_type or uri_path.suffix) == ("document", "csv"):
            encoded = base64.b64encode(text.encode()).decode("ascii")
            item = Media(
                "document",
                "csv",
                f"the resource {resource.uri}",
                len(text.encode()),
                len(encoded),
                _inline(encoded),
                _document_name(uri_path.stem),
            )
            self.media.append(item)
            return item.block(f"{self.marker}{len(self.media) - 1}")
        return {"text": f"[{resource.uri}]\n{text}"}

    async def _allowed_directories(self, spec: str) -> tuple[list[Path], str]:
        """Real paths of QUANT_ALLOWED_DIRS and the client's roots, and a sentence naming them as
        configured. Over HTTP, none unless QUANT_HTTP_FILE_ATTACHMENTS is on: the files are the
        server's, and a remote client of any tenant has no business reading its disk."""
        if self.ctx.headers is not None and not self.http_files:
            raise ToolError(
                f"Refused to attach {spec}: this server does not read its own files for HTTP clients "
                "(QUANT_HTTP_FILE_ATTACHMENTS is off). Send the content instead, as an image, video or document block "
                "(base64) or an embedded resource. Nothing was sent."
            )
        if self._allowed is None:
            configured = [Path(os.path.realpath(path)) for path in self.allowed_dirs]
            roots, roots_note = await client_roots(self.ctx)
            named = [str(path) for path in self.allowed_dirs] + [str(root) for root in roots]
            if named:
                where = ", ".join(named) + f"; from QUANT_ALLOWED_DIRS and {roots_note}"
            else:
                where = f"none: QUANT_ALLOWED_DIRS is not set and {roots_note}"
            self._allowed = configured + roots, where
        return self._allowed


def _needs_preparation(messages: list[ChatMessage]) -> bool:
    media = (ImageBlock, VideoBlock, DocumentBlock, FileBlock, ResourceBlock)
    return any(isinstance(m.content, list) and any(isinstance(b, media) for b in m.content) for m in messages)


def _check_model(model_id: str, media: list[Media]) -> None:
    accepted = accepted_media(model_id)
    refused = [item for item in media if accepted is not None and item.kind not in accepted]
    if refused:
        takes = "text only" if not accepted else "text and " + " and ".join(sorted(accepted)) + " only"
        raise ToolError(
            f"{model_id} takes {takes}, so it cannot take {refused[0].label} ({refused[0].kind}, {refused[0].format}). "
            "Choose a model that accepts it (amazon.nova-lite-v1:0 and amazon.nova-pro-v1:0 take images, video and "
            "documents; list_models shows capabilities) or leave the attachment out. Nothing was sent."
        )


def _streamed_body(body: dict[str, Any], media: list[Media], marker: str) -> StreamedBody:
    """The JSON text of ``body``, with each placeholder replaced by its attachment's base64, streamed."""
    text = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
    parts = re.split(re.escape(marker) + r"(\d+)", text)
    literals = [part.encode() for part in parts[0::2]]
    order = [media[int(index)] for index in parts[1::2]]

    async def chunks() -> AsyncIterator[bytes]:
        for literal, item in zip_longest(literals, order):
            yield literal
            if item is not None:
                async for piece in item.chunks():
                    yield piece

    return StreamedBody(sum(map(len, literals)) + sum(item.encoded_length for item in order), chunks)


def _megabytes(size: int) -> str:
    return f"{size / 1_048_576:.1f} MB"


@asynccontextmanager
async def prepared(arguments: Conversation, body: Any, ctx: Context, settings: Settings) -> AsyncIterator[Any]:
    """The request body of a chat, ready to send: media checked and streamed in (a
    :class:`StreamedBody`); ``body`` unchanged when no message carries media.

    Files stay open until the block exits, so what was checked is exactly what is sent.
    """
    if not _needs_preparation(arguments.messages):
        yield body
        return
    async with AsyncExitStack() as files:
        collector = _Collector(ctx, settings.allowed_dirs, files, http_files=settings.http_file_attachments)
        wire_messages = [await collector.message(message) for message in arguments.messages]
        _check_model(arguments.model_id, collector.media)
        streamed = _streamed_body({**body, "messages": wire_messages}, collector.media, collector.marker)
        if streamed.length > MAX_PAYLOAD_BYTES:
            media_size = sum(item.size for item in collector.media)
            raise ToolError(
                f"The request would be {_megabytes(streamed.length)}: {_megabytes(media_size)} of attachments, sent "
                f"base64-encoded (4 bytes for every 3). Quant AI takes at most 25 MB per request, so attachments can "
                f"total about 18.7 MB. Attach fewer or smaller files. Nothing was sent."
            )
        yield streamed
