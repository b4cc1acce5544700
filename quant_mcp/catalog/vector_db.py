"""Vector database: collections of documents the platform chunks and embeds, for retrieval.

A collection fixes its embedding model (and so its vector size) when it is created. Adding
documents sends their text; the server chunks and embeds it. A query searches by text (the
server embeds it), by a vector you computed, or lists documents by metadata.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, StringConstraints, model_validator

from quant_mcp.catalog.base import (
    QUERY,
    V3,
    ApiResult,
    Confirmation,
    NoArguments,
    Operation,
    PathId,
    Route,
    Text,
    ToolArguments,
    Toolset,
    WireModel,
    undocumented,
)
from quant_mcp.catalog.uris import COLLECTION_URI

CollectionId = PathId  # from list_vector_collections
DocumentKey = Annotated[str, StringConstraints(min_length=1, max_length=512)]


class CreateCollectionArguments(ToolArguments):
    name: Text = Field(description="Unique name within the organisation (409 if taken).")
    embedding_model: PathId = Field(description="Fixes the vector size, e.g. amazon.titan-embed-text-v2:0.")
    description: str | None = None
    dimensions: int | None = Field(None, ge=1, description="When the model has several (Titan v2: 1024).")


class CollectionArguments(ToolArguments):
    collection_id: CollectionId


class ListDocumentsArguments(ToolArguments):
    collection_id: CollectionId
    key: Annotated[str | None, QUERY] = None
    limit: Annotated[int | None, QUERY, Field(ge=1, le=100, description="Page size, up to 100 (default 50).")] = None
    offset: Annotated[int | None, QUERY, Field(ge=0)] = None


class DocumentMetadata(WireModel):
    """Known keys below; any other key of your own is stored too (and can be matched in queries and deletes)."""

    model_config = ConfigDict(extra="allow")
    title: str | None = None
    source_url: str | None = Field(
        None, alias="source_url", description="Where the text came from; returned with search results."
    )
    section: str | None = None
    tags: list[str] | None = None


class NewDocument(WireModel):
    content: Text
    key: DocumentKey | None = Field(None, description="Your key for the document, to filter or delete by later.")
    metadata: DocumentMetadata | None = None
    vector: list[float] | None = Field(
        None, min_length=1, max_length=8192, description="Your own embedding of the content (the collection's dimensions)."
    )


class UploadDocumentsArguments(ToolArguments):
    collection_id: CollectionId
    documents: list[NewDocument] = Field(min_length=1)


class MetadataMatch(WireModel):
    field: str
    values: list[str] = Field(min_length=1)


class DeleteDocumentsArguments(ToolArguments):
    collection_id: CollectionId
    purge_all: Literal[True] | None = Field(None, description="true: delete every document in the collection.")
    document_ids: list[PathId] | None = Field(None, min_length=1)
    keys: list[DocumentKey] | None = Field(None, min_length=1)
    metadata: MetadataMatch | None = None

    @model_validator(mode="after")
    def _exactly_one_mode(self) -> DeleteDocumentsArguments:
        modes = [name for name in ("purge_all", "document_ids", "keys", "metadata") if getattr(self, name) is not None]
        if len(modes) != 1:
            raise ValueError("give exactly one of purgeAll, documentIds, keys or metadata")
        return self


class QueryFilter(WireModel):
    exact: dict[str, Any] | None = None
    contains: dict[str, list[str]] | None = None


class QueryArguments(ToolArguments):
    collection_id: CollectionId
    query: Annotated[str, StringConstraints(min_length=3, max_length=1000)] | None = Field(
        None, description="Text to search for, 3-1000 characters (the server embeds it)."
    )
    vector: list[float] | None = Field(None, min_length=1, description="Your own query embedding, of the collection's size.")
    list_by_metadata: bool | None = Field(None, description="true: skip similarity search and list documents matching `filter`.")
    filter: QueryFilter | None = Field(None, description="Metadata filter (required with listByMetadata).")
    limit: int | None = Field(None, ge=1, le=20, description="Most results, 1-20 (default 5).")
    threshold: float | None = Field(None, ge=0, le=1, description="Lowest similarity to return, 0-1 (default 0.7).")
    include_embeddings: bool | None = None
    cursor: str | None = None
    sort_by: Literal["created_at", "document_id"] | None = None
    sort_order: Literal["asc", "desc"] | None = None

    @model_validator(mode="after")
    def _one_mode(self) -> QueryArguments:
        modes = [m for m in (self.query is not None, self.vector is not None, bool(self.list_by_metadata)) if m]
        if len(modes) != 1:
            raise ValueError("give exactly one of `query` (text), `vector`, or `listByMetadata: true` with a `filter`")
        if self.list_by_metadata and self.filter is None:
            raise ValueError("listByMetadata needs a `filter`")
        return self


class Collection(ApiResult):
    collection_id: str | None = None
    name: str | None = None
    description: str | None = None
    document_count: int | None = None
    embedding_model: str | None = None
    dimensions: int | None = None
    created_at: str | None = None
    updated_at: str | None = None


class CollectionList(ApiResult):
    collections: list[Collection]
    count: int | None = None


class CollectionCreated(ApiResult):
    success: bool | None = None
    collection: Collection | None = None
    message: str | None = None


class CollectionDetails(ApiResult):
    collection: Collection


class DocumentsAdded(ApiResult):
    success: bool | None = None
    document_ids: list[str] | None = None
    chunks_created: int | None = None
    message: str | None = None


class DocumentsDeleted(ApiResult):
    message: str | None = None
    collection_id: str | None = None
    deleted_count: int | None = None


class Match(ApiResult):
    document_id: str | None = None
    content: str | None = None
    similarity: float | None = None
    score: float | None = None
    metadata: dict[str, Any] | None = None
    embedding: list[float] | None = None


class QueryResult(ApiResult):
    results: list[Match]
    query: str | None = None
    search_mode: str | None = None
    filter: dict[str, Any] | None = None
    count: int | None = None
    execution_time_ms: int | None = None
    collection_id: str | None = None
    has_more: bool | None = None
    next_cursor: str | None = None
    pagination: dict[str, Any] | None = None


OPERATIONS = [
    Operation(
        name="list_vector_collections",
        toolset=Toolset.VECTOR_DB,
        title="List vector collections",
        description=("The organisation's vector collections: pick a `collectionId` to search."),
        route=Route("GET", V3 + "/vector-db/collections"),
        arguments=NoArguments,
        result=CollectionList,
        read_only=True,
        idempotent=True,
        operation_ids=("listVectorCollections",),
        summary=lambda r: (
            f"{len(r['collections'])} collection(s)"
            + "".join(f"; {c.get('name')} ({c.get('collectionId')})" for c in r["collections"][:20])
        ),
    ),
    Operation(
        name="create_vector_collection",
        toolset=Toolset.VECTOR_DB,
        title="Create vector collection",
        description=(
            "Create an empty vector collection; its `embeddingModel` fixes the vector size. Add text with "
            "upload_vector_documents."
        ),
        route=Route("POST", V3 + "/vector-db/collections"),
        arguments=CreateCollectionArguments,
        result=CollectionCreated,
        changes=COLLECTION_URI,
        operation_ids=("createVectorCollection",),
        summary=lambda r: f"Created collection {(r.get('collection') or {}).get('collectionId')}",
    ),
    Operation(
        name="get_vector_collection",
        toolset=Toolset.VECTOR_DB,
        title="Get vector collection",
        description="One vector collection's model, dimensions and document count.",
        route=Route("GET", V3 + "/vector-db/collections/{collectionId}"),
        arguments=CollectionArguments,
        result=CollectionDetails,
        read_only=True,
        idempotent=True,
        operation_ids=("getVectorCollection",),
        summary=lambda r: f"Collection {r['collection'].get('name')}: {r['collection'].get('documentCount')} document(s)",
    ),
    Operation(
        name="delete_vector_collection",
        toolset=Toolset.VECTOR_DB,
        title="Delete vector collection",
        description="Delete a vector collection and all its documents, permanently.",
        route=Route("DELETE", V3 + "/vector-db/collections/{collectionId}"),
        arguments=CollectionArguments,
        result=Confirmation,
        destructive=True,
        idempotent=True,
        changes=COLLECTION_URI,
        operation_ids=("deleteVectorCollection",),
        summary=lambda r: r.get("message") or "Collection deleted",
    ),
    undocumented(
        Toolset.VECTOR_DB,
        "list_vector_documents",
        "List documents in a collection",
        Route("GET", V3 + "/vector-db/collections/{collectionId}/documents"),
        ListDocumentsArguments,
        "The documents in a vector collection, paged.",
        "listVectorDocuments",
        read_only=True,
        idempotent=True,
    ),
    Operation(
        name="upload_vector_documents",
        toolset=Toolset.VECTOR_DB,
        title="Add documents to a collection",
        description=("Add text documents to a collection (chunked and embedded server-side) to search them later."),
        route=Route("POST", V3 + "/vector-db/collections/{collectionId}/documents"),
        arguments=UploadDocumentsArguments,
        result=DocumentsAdded,
        changes=COLLECTION_URI,
        operation_ids=("uploadVectorDocuments",),
        summary=lambda r: f"Added {len(r.get('documentIds') or [])} document(s), {r.get('chunksCreated')} chunk(s)",
    ),
    Operation(
        name="delete_vector_documents",
        toolset=Toolset.VECTOR_DB,
        title="Delete documents from a collection",
        description=("Delete documents from a collection by ids, keys or metadata, or all of them."),
        route=Route("DELETE", V3 + "/vector-db/collections/{collectionId}/documents"),
        arguments=DeleteDocumentsArguments,
        result=DocumentsDeleted,
        destructive=True,
        idempotent=True,
        changes=COLLECTION_URI,
        operation_ids=("deleteVectorDocuments",),
        summary=lambda r: f"Deleted {r.get('deletedCount')} document(s)",
    ),
    Operation(
        name="query_vector_collection",
        toolset=Toolset.VECTOR_DB,
        title="Search a vector collection",
        description=("Semantic search in a vector collection, to ground an answer in stored documents."),
        route=Route("POST", V3 + "/vector-db/collections/{collectionId}/query"),
        arguments=QueryArguments,
        result=QueryResult,
        read_only=True,
        idempotent=True,
        operation_ids=("queryVectorCollection",),
        summary=lambda r: f"{len(r['results'])} match(es)",
    ),
]
