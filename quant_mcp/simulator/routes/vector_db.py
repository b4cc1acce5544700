"""AIVectorDatabase: collections, document upload and semantic query.

Documents are chunked (at most `CHUNK_WORDS` words per chunk) and embedded with
the collection's dimensions; a query ranks chunks by real cosine similarity,
keeps those at or above `threshold` and returns at most `limit`. A query can
also be a raw `vector`, or a metadata listing (`listByMetadata` + `filter`) with
cursor paging.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from time import perf_counter
from typing import Any, Literal

from pydantic import Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..core.errors import ApiError, bad_request, found_or_404
from ..core.requests import WireModel, organisation_data, parse_body, simulator_state
from ..core.routing import v3
from ..core.state import timestamp
from ..engine.catalog import DEFAULT_EMBEDDING_MODEL
from ..engine.embeddings import cosine_similarity, embed
from ..services.models import require_model

CHUNK_WORDS = 200


class CreateCollection(WireModel):
    name: str = Field(min_length=1)
    # Required by the current API, optional in client 4.8.0: default to Titan v2 like the Drupal module.
    embedding_model: str = DEFAULT_EMBEDDING_MODEL
    description: str = ""
    dimensions: Literal[256, 512, 1024, 8192] = 1024


class DocumentMetadata(WireModel):
    title: str | None = None
    source_url: str | None = Field(None, validation_alias="source_url")
    section: str | None = None
    tags: list[str] | None = None


class UploadDocument(WireModel):
    content: str = Field(min_length=1)
    key: str | None = Field(None, max_length=512)
    metadata: DocumentMetadata | None = None
    vector: list[float] | None = None  # the live dialect stores a client-computed vector as given (one chunk)


class UploadDocuments(WireModel):
    documents: list[UploadDocument] = Field(min_length=1)


class QueryFilter(WireModel):
    exact: dict[str, Any] = Field(default_factory=dict)
    contains: dict[str, list[str]] = Field(default_factory=dict)


class QueryCollection(WireModel):
    query: str | None = Field(None, min_length=3, max_length=1000)
    vector: list[float] | None = None
    limit: int | None = Field(None, ge=1, le=20)
    count: int | None = Field(None, ge=1, le=20)  # client 4.8.0's name for limit
    threshold: float = Field(0.7, ge=0, le=1)
    include_embeddings: bool = False
    filter: QueryFilter | None = None
    list_by_metadata: bool = False
    cursor: str | None = None
    sort_by: Literal["created_at", "document_id"] = "created_at"
    sort_order: Literal["asc", "desc"] = "desc"


@dataclass
class VectorDocument:
    id: str
    content: str
    key: str | None
    metadata: dict[str, Any]
    embedding: list[float]
    created_at: datetime

    def matches(self, wanted: QueryFilter | None) -> bool:
        """`exact`: every field equals; `contains`: each field holds (or, for text, includes) one of the values."""
        if wanted is None:
            return True
        if any(self.metadata.get(name) != value for name, value in wanted.exact.items()):
            return False
        for name, values in wanted.contains.items():
            held = self.metadata.get(name)
            items = held if isinstance(held, list) else []
            text = held if isinstance(held, str) else ""
            if not any(value in items or (text and value in text) for value in values):
                return False
        return True


@dataclass
class Collection:
    id: str
    name: str
    description: str
    embedding_model: str
    dimensions: int
    created_at: datetime
    updated_at: datetime
    documents: list[VectorDocument] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {
            "collectionId": self.id,
            "name": self.name,
            "description": self.description,
            "documentCount": len(self.documents),
            "embeddingModel": self.embedding_model,
            "createdAt": timestamp(self.created_at),
        }

    def detail(self) -> dict[str, Any]:
        return {**self.summary(), "dimensions": self.dimensions, "updatedAt": timestamp(self.updated_at)}


class CollectionStore(dict[str, Collection]):
    """One organisation's collections by id."""


def requested_collection(request: Request) -> Collection:
    """The collection named by the path's `collectionId` (404 when unknown); the documents routes use it too."""
    collection_id = request.path_params["collectionId"]
    return found_or_404(organisation_data(request).get(CollectionStore).get(collection_id), "Collection", collection_id)


def _chunks(text: str) -> list[str]:
    words = text.split()
    return [" ".join(words[start : start + CHUNK_WORDS]) for start in range(0, len(words), CHUNK_WORDS)] or [text]


async def create_collection(request: Request) -> Response:
    body = await parse_body(request, CreateCollection)
    require_model(body.embedding_model, "embeddings", field="embeddingModel")
    store = organisation_data(request).get(CollectionStore)
    if any(existing.name == body.name for existing in store.values()):
        raise ApiError(409, f"A collection named '{body.name}' already exists")
    now = simulator_state(request).now()
    collection = Collection(str(uuid.uuid4()), body.name, body.description, body.embedding_model, body.dimensions, now, now)
    store[collection.id] = collection
    created = {
        key: value
        for key, value in collection.detail().items()
        if key in ("collectionId", "name", "description", "embeddingModel", "dimensions")
    }
    return JSONResponse({"success": True, "collection": created, "message": "Collection created"}, status_code=201)


async def list_collections(request: Request) -> Response:
    collections = [c.summary() for c in organisation_data(request).get(CollectionStore).values()]
    return JSONResponse({"collections": collections, "count": len(collections)})


async def get_collection(request: Request) -> Response:
    return JSONResponse({"collection": requested_collection(request).detail()})


async def delete_collection(request: Request) -> Response:
    collection = requested_collection(request)
    del organisation_data(request).get(CollectionStore)[collection.id]
    return JSONResponse({"success": True, "message": f"Collection '{collection.name}' and its documents deleted"})


async def upload_documents(request: Request) -> Response:
    body = await parse_body(request, UploadDocuments)
    collection = requested_collection(request)
    now = simulator_state(request).now()
    created: list[str] = []
    live = simulator_state(request).live
    for index, document in enumerate(body.documents):
        if live and document.vector is not None and len(document.vector) != collection.dimensions:
            raise bad_request(f"documents[{index}].vector", f"must have {collection.dimensions} numbers")
    for document in body.documents:
        if document.key is not None:  # re-uploading a key replaces its earlier chunks
            collection.documents = [d for d in collection.documents if d.key != document.key]
        metadata = document.metadata.model_dump(exclude_none=True) if document.metadata else {}
        if live and document.vector is not None:
            stored = VectorDocument(str(uuid.uuid4()), document.content, document.key, metadata, document.vector, now)
            collection.documents.append(stored)
            created.append(stored.id)
            continue
        for chunk in _chunks(document.content):
            stored = VectorDocument(str(uuid.uuid4()), chunk, document.key, metadata, embed(chunk, collection.dimensions), now)
            collection.documents.append(stored)
            created.append(stored.id)
    collection.updated_at = now
    return JSONResponse(
        {"success": True, "documentIds": created, "chunksCreated": len(created), "message": f"{len(created)} chunk(s) stored"}
    )


def _result(document: VectorDocument, similarity: float | None, with_embedding: bool) -> dict[str, Any]:
    result: dict[str, Any] = {"documentId": document.id, "content": document.content, "metadata": document.metadata}
    if similarity is not None:
        result["similarity"] = result["score"] = round(similarity, 6)  # `score` is client 4.8.0's name
    if with_embedding:
        result["embedding"] = document.embedding
    return result


async def query_collection(request: Request) -> Response:
    started = perf_counter()
    body = await parse_body(request, QueryCollection)
    collection = requested_collection(request)
    limit = body.limit or body.count or 5
    candidates = [d for d in collection.documents if d.matches(body.filter)]
    has_more, next_cursor, pagination = False, None, None
    if body.list_by_metadata:
        mode = "metadata"
        sort_key = (lambda d: d.created_at) if body.sort_by == "created_at" else (lambda d: d.id)
        ordered = sorted(candidates, key=sort_key, reverse=body.sort_order == "desc")
        offset = int(body.cursor) if body.cursor and body.cursor.isdigit() else 0
        page = ordered[offset : offset + limit]
        has_more = offset + limit < len(ordered)
        next_cursor = str(offset + limit) if has_more else None
        pagination = {"sortBy": body.sort_by, "sortOrder": body.sort_order, "limit": limit}
        results = [_result(d, None, body.include_embeddings) for d in page]
    else:
        if body.vector is not None:
            mode, target = "vector", body.vector
            if len(target) != collection.dimensions:
                raise bad_request("vector", f"must have {collection.dimensions} numbers, the collection's dimensions")
        elif body.query is not None:
            mode, target = "text", embed(body.query, collection.dimensions)
        else:
            raise bad_request("query", "is required (or vector, or listByMetadata with filter)")
        scored = sorted(((cosine_similarity(target, d.embedding), d) for d in candidates), key=lambda pair: -pair[0])
        results = [_result(d, score, body.include_embeddings) for score, d in scored if score >= body.threshold][:limit]
    return JSONResponse(
        {
            "results": results,
            "query": body.query,
            "searchMode": mode,
            "filter": body.filter.model_dump() if body.filter else None,
            "count": len(results),
            "executionTimeMs": int((perf_counter() - started) * 1000),
            "collectionId": collection.id,
            "hasMore": has_more,
            "nextCursor": next_cursor,
            "pagination": pagination,
        }
    )


ROUTES = [
    *v3("GET", "/vector-db/collections", list_collections, "listVectorCollections"),
    *v3("POST", "/vector-db/collections", create_collection, "createVectorCollection"),
    *v3("GET", "/vector-db/collections/{collectionId}", get_collection, "getVectorCollection"),
    *v3("DELETE", "/vector-db/collections/{collectionId}", delete_collection, "deleteVectorCollection"),
    *v3("POST", "/vector-db/collections/{collectionId}/documents", upload_documents, "uploadVectorDocuments"),
    *v3("POST", "/vector-db/collections/{collectionId}/query", query_collection, "queryVectorCollection"),
]
