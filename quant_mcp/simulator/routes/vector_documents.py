"""AIVectorDatabase documents: listing and deleting the chunks stored in a collection.

The listing's body is undocumented; the simulator answers `{documents: [{documentId,
key, content, metadata, createdAt}], count, total, limit, offset, collectionId}`,
oldest first (one entry per stored chunk, as query results are). A delete names
exactly one mode: `purgeAll: true`, `documentIds`, `keys` or `metadata: {field,
values}` (chunks whose metadata field equals, or for a list contains, one of the values).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..core.errors import bad_request
from ..core.requests import WireModel, parse_body, parse_query, simulator_state
from ..core.routing import v3
from ..core.state import timestamp
from .vector_db import VectorDocument, requested_collection


class ListDocuments(WireModel):
    key: str | None = None
    limit: int = Field(50, ge=1, le=100)
    offset: int = Field(0, ge=0)


class MetadataMatch(WireModel):
    field: str = Field(min_length=1)
    values: list[str] = Field(min_length=1)


class DeleteDocuments(WireModel):
    purge_all: bool | None = None
    document_ids: list[str] | None = None
    keys: list[str] | None = None
    metadata: MetadataMatch | None = None

    def modes(self) -> list[str]:
        """The wire names of the modes this body names (`purgeAll` only counts when true)."""
        return [
            str(info.validation_alias)
            for name, info in type(self).model_fields.items()
            if getattr(self, name) not in (None, False)
        ]

    def doomed(self, document: VectorDocument) -> bool:
        if self.purge_all:
            return True
        if self.document_ids is not None:
            return document.id in self.document_ids
        if self.keys is not None:
            return document.key in self.keys
        assert self.metadata is not None
        held = document.metadata.get(self.metadata.field)
        return any(value == held or (isinstance(held, list) and value in held) for value in self.metadata.values)


def _document(document: VectorDocument) -> dict[str, Any]:
    return {
        "documentId": document.id,
        "key": document.key,
        "content": document.content,
        "metadata": document.metadata,
        "createdAt": timestamp(document.created_at),
    }


async def list_documents(request: Request) -> Response:
    query = parse_query(request, ListDocuments)
    collection = requested_collection(request)
    matching = [d for d in collection.documents if query.key is None or d.key == query.key]
    shown = matching[query.offset : query.offset + query.limit]
    return JSONResponse(
        {
            "documents": [_document(d) for d in shown],
            "count": len(shown),
            "total": len(matching),
            "limit": query.limit,
            "offset": query.offset,
            "collectionId": collection.id,
        }
    )


async def delete_documents(request: Request) -> Response:
    body = await parse_body(request, DeleteDocuments)
    modes = body.modes()
    if len(modes) != 1:
        raise bad_request("body", "name exactly one of purgeAll: true, documentIds, keys or metadata: {field, values}")
    collection = requested_collection(request)
    kept = [d for d in collection.documents if not body.doomed(d)]
    deleted = len(collection.documents) - len(kept)
    collection.documents = kept
    collection.updated_at = simulator_state(request).now()
    return JSONResponse(
        {"message": f"{deleted} document chunk(s) deleted ({modes[0]})", "collectionId": collection.id, "deletedCount": deleted}
    )


ROUTES = [
    *v3("GET", "/vector-db/collections/{collectionId}/documents", list_documents, "listVectorDocuments"),
    *v3("DELETE", "/vector-db/collections/{collectionId}/documents", delete_documents, "deleteVectorDocuments"),
]
