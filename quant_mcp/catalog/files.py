"""File storage for AI workloads: small files inline as base64, large ones through a presigned URL.

A direct upload carries the bytes in the request (up to about 7 MB; larger is a 413). For a
larger file, ask for ``requestUploadUrl`` and PUT the bytes to the returned ``uploadUrl``.
Reading a file's metadata also returns a download URL that works for one hour.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, StringConstraints, model_validator

from quant_mcp.catalog.base import (
    QUERY,
    V3,
    ApiResult,
    Base64,
    Operation,
    PathId,
    Route,
    ToolArguments,
    Toolset,
)

FileId = PathId


class ListFilesArguments(ToolArguments):
    filter: Annotated[str | None, QUERY, Field(description="Metadata to match, as JSON text.")] = None
    limit: Annotated[int | None, QUERY, Field(ge=1, le=200)] = None
    cursor: Annotated[str | None, QUERY] = None


class UploadFileArguments(ToolArguments):
    content_type: Annotated[str, StringConstraints(min_length=1, max_length=255)] = Field(
        description="MIME type, e.g. 'image/png' or 'application/pdf'."
    )
    content: Base64 | None = Field(None, description="The file's bytes, base64-encoded (direct upload, up to about 7 MB).")
    request_upload_url: bool | None = Field(None, description="true: get an `uploadUrl` to PUT a large file to.")
    size: int | None = Field(None, ge=0, description="File size in bytes (with requestUploadUrl).")
    filename: str | None = None
    metadata: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _one_way(self) -> UploadFileArguments:
        if (self.content is None) == (not self.request_upload_url):
            raise ValueError("give either `content` (base64 bytes) or `requestUploadUrl: true`, not both or neither")
        return self


class FileArguments(ToolArguments):
    file_id: FileId


class StoredFile(ApiResult):
    file_id: str | None = None
    filename: str | None = None
    content_type: str | None = None
    size: int | None = None
    metadata: dict[str, Any] | None = None
    created_at: str | None = None
    s3_uri: str | None = None
    url: str | None = None


class FileList(ApiResult):
    files: list[StoredFile]
    next_cursor: str | None = None
    has_more: bool | None = None


class FileUploaded(StoredFile):
    upload_url: str | None = Field(None, description="With requestUploadUrl: PUT the file's bytes here.")
    s3_key: str | None = None
    expires_in: int | None = None


class FileDeleted(ApiResult):
    message: str | None = None
    file_id: str | None = None


OPERATIONS = [
    Operation(
        name="list_files",
        toolset=Toolset.FILES,
        title="List files",
        description=("Stored files, filtered by metadata and paged."),
        route=Route("GET", V3 + "/files"),
        arguments=ListFilesArguments,
        result=FileList,
        read_only=True,
        idempotent=True,
        operation_ids=("listFiles",),
        summary=lambda r: f"{len(r['files'])} file(s)" + (", more available" if r.get("hasMore") else ""),
    ),
    Operation(
        name="upload_file",
        toolset=Toolset.FILES,
        title="Upload file",
        description=("Store a file: up to ~7 MB inline as base64; larger, ask for an `uploadUrl` and PUT the bytes there."),
        route=Route("POST", V3 + "/files"),
        arguments=UploadFileArguments,
        result=FileUploaded,
        operation_ids=("uploadFile",),
        summary=lambda r: f"Stored file {r.get('fileId')}" + (" (upload URL issued)" if r.get("uploadUrl") else ""),
    ),
    Operation(
        name="get_file",
        toolset=Toolset.FILES,
        title="Get file",
        description="A stored file's metadata and a download URL valid for an hour.",
        route=Route("GET", V3 + "/files/{fileId}"),
        arguments=FileArguments,
        result=StoredFile,
        read_only=True,
        idempotent=True,
        operation_ids=("getFile",),
        summary=lambda r: f"{r.get('filename')} ({r.get('contentType')}, {r.get('size')} bytes)",
    ),
    Operation(
        name="delete_file",
        toolset=Toolset.FILES,
        title="Delete file",
        description="Delete a stored file, permanently.",
        route=Route("DELETE", V3 + "/files/{fileId}"),
        arguments=FileArguments,
        result=FileDeleted,
        destructive=True,
        idempotent=True,
        operation_ids=("deleteFile",),
        summary=lambda r: r.get("message") or "File deleted",
    ),
]
