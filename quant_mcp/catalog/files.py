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

FileId = Annotated[PathId, Field(description="File id (a UUID), from upload_file or list_files.")]


class ListFilesArguments(ToolArguments):
    filter: Annotated[
        str | None, QUERY, Field(description='Metadata filter as a JSON-encoded object, e.g. \'{"collectionId":"col-123"}\'.')
    ] = None
    limit: Annotated[int | None, QUERY, Field(ge=1, le=200, description="Page size, up to 200 (default 50).")] = None
    cursor: Annotated[str | None, QUERY, Field(description="`nextCursor` of the previous page.")] = None


class UploadFileArguments(ToolArguments):
    content_type: Annotated[str, StringConstraints(min_length=1, max_length=255)] = Field(
        description="MIME type, e.g. 'image/png' or 'application/pdf'."
    )
    content: Base64 | None = Field(None, description="The file's bytes, base64-encoded (direct upload, up to about 7 MB).")
    request_upload_url: bool | None = Field(
        None, description="true: upload nothing now and get a presigned `uploadUrl` to PUT the bytes to (large files)."
    )
    size: int | None = Field(None, ge=0, description="File size in bytes (with requestUploadUrl).")
    filename: str | None = Field(None, description="File name, e.g. 'diagram.png'.")
    metadata: dict[str, Any] | None = Field(None, description="Any data to keep with the file; list_files can filter on it.")

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
    size: int | None = Field(None, description="Bytes.")
    metadata: dict[str, Any] | None = None
    created_at: str | None = None
    s3_uri: str | None = None
    url: str | None = Field(None, description="Download URL, valid for one hour.")


class FileList(ApiResult):
    files: list[StoredFile]
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next page.")
    has_more: bool | None = None


class FileUploaded(StoredFile):
    upload_url: str | None = Field(None, description="With requestUploadUrl: PUT the file's bytes here.")
    s3_key: str | None = None
    expires_in: int | None = Field(None, description="Seconds the upload URL stays valid.")


class FileDeleted(ApiResult):
    message: str | None = None
    file_id: str | None = None


OPERATIONS = [
    Operation(
        name="list_files",
        toolset=Toolset.FILES,
        title="List files",
        description=(
            "List stored files (id, name, content type, size, metadata, creation time). `filter` matches "
            "metadata (a JSON-encoded object); page with `limit` (up to 200) and `cursor`."
        ),
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
        description=(
            "Store a file for AI workloads. Small files (up to about 7 MB): send `content` as base64 with its "
            "`contentType`. Larger files: send `requestUploadUrl: true` with `contentType`, `filename` and "
            "`size`, then PUT the bytes to the returned `uploadUrl`. Returns the `fileId` (and a download URL "
            "for direct uploads)."
        ),
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
        description="Get a stored file's metadata and a download `url` that works for one hour.",
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
