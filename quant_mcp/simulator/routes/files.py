"""AIFileStorage: an organisation's stored files (direct base64 upload or a presigned upload URL).

A direct upload carries the bytes as base64 `content`, at most `DIRECT_UPLOAD_LIMIT`
decoded bytes ("up to ~7 MB"; 413 beyond, pointing at `requestUploadUrl`). With
`requestUploadUrl: true` the answer holds a presigned `uploadUrl` instead; as no
upload can ever reach the simulator through it, the file is recorded at once with
the declared `size`. Only metadata is kept, never the bytes. Download and upload
URLs use the reserved `.invalid` domain: they identify the file but are never fetched.
"""

from __future__ import annotations

import base64
import json
import mimetypes
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from pydantic import Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..core.errors import ApiError, bad_request, found_or_404
from ..core.requests import WireModel, organisation_data, parse_body, parse_query, simulator_state
from ..core.routing import v3
from ..core.state import timestamp
from ..services.paging import page

DIRECT_UPLOAD_LIMIT = 7 * 1024 * 1024
URL_LIFETIME = timedelta(hours=1)
_BUCKET = "quant-ai-files-simulator"


class UploadFile(WireModel):
    content_type: str = Field(min_length=1)
    content: str | None = None
    request_upload_url: bool = False
    size: int | None = Field(None, ge=0)
    filename: str | None = Field(None, min_length=1, max_length=255)
    metadata: dict[str, Any] = Field(default_factory=dict)


class ListFiles(WireModel):
    filter: str | None = None
    limit: int = Field(50, ge=1, le=200)
    cursor: str | None = None


@dataclass
class StoredFile:
    id: str
    organisation: str
    filename: str
    content_type: str
    size: int
    metadata: dict[str, Any]
    created_at: datetime

    @property
    def s3_key(self) -> str:
        return f"{self.organisation}/{self.id}/{self.filename}"

    def summary(self) -> dict[str, Any]:
        return {
            "fileId": self.id,
            "filename": self.filename,
            "contentType": self.content_type,
            "size": self.size,
            "metadata": self.metadata,
            "createdAt": timestamp(self.created_at),
        }

    def signed_url(self, host: str, now: datetime) -> str:
        """A presigned-style URL of the file on `host`, valid for `URL_LIFETIME` from `now`."""
        expires = int((now + URL_LIFETIME).timestamp())
        return f"https://{host}.quant-simulator.invalid/{quote(self.s3_key)}?expires={expires}"

    def detail(self, now: datetime) -> dict[str, Any]:
        """The summary plus where the file lives and a download URL valid for an hour from `now`."""
        return {**self.summary(), "s3Uri": f"s3://{_BUCKET}/{self.s3_key}", "url": self.signed_url("files", now)}

    def matches(self, wanted: dict[str, Any]) -> bool:
        """`filter` semantics: each key equals the file's `contentType`/`filename`, or else its metadata value."""
        fields = {"contentType": self.content_type, "filename": self.filename}
        return all((fields[key] if key in fields else self.metadata.get(key)) == value for key, value in wanted.items())


class FileStore(dict[str, StoredFile]):
    """One organisation's files by id."""


def _file(request: Request) -> StoredFile:
    file_id = request.path_params["fileId"]
    return found_or_404(organisation_data(request).get(FileStore).get(file_id), "File", file_id)


def _decoded_size(content: str) -> int:
    try:
        return len(base64.b64decode(content, validate=True))
    except ValueError as exc:  # binascii.Error, or non-ASCII text
        raise bad_request("content", "must be base64") from exc


async def upload_file(request: Request) -> Response:
    body = await parse_body(request, UploadFile)
    if body.request_upload_url == (body.content is not None):
        raise bad_request("content", "send the file as base64 content, or requestUploadUrl: true (not both)")
    size = (body.size or 0) if body.request_upload_url else _decoded_size(body.content or "")
    if size > DIRECT_UPLOAD_LIMIT and not body.request_upload_url:
        raise ApiError(
            413,
            f"The file is {size} bytes; direct uploads take at most {DIRECT_UPLOAD_LIMIT}. "
            "Send requestUploadUrl: true with the size, then upload to the returned uploadUrl.",
        )
    now = simulator_state(request).now()
    file_id = str(uuid.uuid4())
    filename = body.filename or f"file-{file_id[:8]}{mimetypes.guess_extension(body.content_type) or ''}"
    stored = StoredFile(file_id, request.path_params["organisation"], filename, body.content_type, size, body.metadata, now)
    organisation_data(request).get(FileStore)[file_id] = stored
    answer = stored.detail(now)
    if body.request_upload_url:
        upload_url = stored.signed_url("uploads", now)
        answer.update(uploadUrl=upload_url, s3Key=stored.s3_key, expiresIn=int(URL_LIFETIME.total_seconds()))
    return JSONResponse(answer, status_code=201)


async def list_files(request: Request) -> Response:
    query = parse_query(request, ListFiles)
    try:
        wanted = json.loads(query.filter) if query.filter else {}
    except json.JSONDecodeError as exc:
        raise bad_request("filter", f"is not valid JSON ({exc})") from exc
    if not isinstance(wanted, dict):
        raise bad_request("filter", 'must be a JSON object, e.g. {"contentType": "image/png"}')
    files = [f for f in reversed(organisation_data(request).get(FileStore).values()) if f.matches(wanted)]
    shown, next_cursor = page(files, query.limit, query.cursor)
    return JSONResponse({"files": [f.summary() for f in shown], "nextCursor": next_cursor, "hasMore": next_cursor is not None})


async def get_file(request: Request) -> Response:
    return JSONResponse(_file(request).detail(simulator_state(request).now()))


async def delete_file(request: Request) -> Response:
    stored = _file(request)
    del organisation_data(request).get(FileStore)[stored.id]
    return JSONResponse({"message": "File deleted", "fileId": stored.id})


ROUTES = [
    *v3("GET", "/files", list_files, "listFiles"),
    *v3("POST", "/files", upload_file, "uploadFile"),
    *v3("GET", "/files/{fileId}", get_file, "getFile"),
    *v3("DELETE", "/files/{fileId}", delete_file, "deleteFile"),
]
