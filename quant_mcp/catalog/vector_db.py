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

CollectionId = Annotated[
    PathId, Field(description="Collection id (a UUID), from list_vector_collections or create_vector_collection.")
]
DocumentKey = Annotated[str, StringConstraints(min_length=1, max_length=512)]


class CreateCollectionArguments(ToolArguments):
    name: Text = Field(description="Unique name within the organisation (409 if taken).")
    embedding_model: PathId = Field(
        description="Embedding model id that fixes the vector size, e.g. 'amazon.titan-embed-text-v2:0'."
    )
    description: str | None = Field(None, description="What the collection holds.")
    dimensions: int | None = Field(
        None, ge=1, description="Vector size, when the model supports several (Titan v2: 1024 by default)."
    )


class CollectionArguments(ToolArguments):
    collection_id: CollectionId


class ListDocumentsArguments(ToolArguments):
    collection_id: CollectionId
    key: Annotated[str | None, QUERY, Field(description="Only documents stored under this key.")] = None
    limit: Annotated[int | None, QUERY, Field(ge=1, le=100, description="Page size, up to 100 (default 50).")] = None
    offset: Annotated[int | None, QUERY, Field(ge=0, description="Documents to skip, for paging (default 0).")] = None


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
    content: Text = Field(description="The document's text; the server chunks and embeds it.")
    key: DocumentKey | None = Field(None, description="Your key for the document, to filter or delete by later.")
    metadata: DocumentMetadata | None = None
    vector: list[float] | None = Field(
        None, min_length=1, max_length=8192, description="Your own embedding of the content (the collection's dimensions)."
    )


class UploadDocumentsArguments(ToolArguments):
    collection_id: CollectionId
    documents: list[NewDocument] = Field(min_length=1, description="Documents to add.")


class MetadataMatch(WireModel):
    field: str = Field(description="Metadata field name, e.g. 'section'.")
    values: list[str] = Field(min_length=1, description="Delete documents whose field has any of these values.")


class DeleteDocumentsArguments(ToolArguments):
    collection_id: CollectionId
    purge_all: Literal[True] | None = Field(None, description="true: delete every document in the collection.")
    document_ids: list[PathId] | None = Field(None, min_length=1, description="Delete these document ids.")
    keys: list[DocumentKey] | None = Field(None, min_length=1, description="Delete documents stored under these keys.")
    metadata: MetadataMatch | None = Field(None, description="Delete documents whose metadata field matches.")

    @model_validator(mode="after")
    def _exactly_one_mode(self) -> DeleteDocumentsArguments:
        modes = [name for name in ("purge_all", "document_ids", "keys", "metadata") if getattr(self, name) is not None]
        if len(modes) != 1:
            raise ValueError("give exactly one of purgeAll, documentIds, keys or metadata")
        return self


class QueryFilter(WireModel):
    exact: dict[str, Any] | None = Field(None, description="Metadata fields that must equal these values.")
    contains: dict[str, list[str]] | None = Field(None, description="Metadata list fields that must contain these values.")


class QueryArguments(ToolArguments):
    collection_id: CollectionId
    query: Annotated[str, StringConstraints(min_length=3, max_length=1000)] | None = Field(
        None, description="Text to search for, 3-1000 characters (the server embeds it)."
    )
    vector: list[float] | None = Field(
        None, min_length=1, description="A query embedding you computed; its size must match the collection's."
    )
    list_by_metadata: bool | None = Field(None, description="true: skip similarity search and list documents matching `filter`.")
    filter: QueryFilter | None = Field(None, description="Metadata filter (required with listByMetadata).")
    limit: int | None = Field(None, ge=1, le=20, description="Most results, 1-20 (default 5).")
    threshold: float | None = Field(None, ge=0, le=1, description="Lowest similarity to return, 0-1 (default 0.7).")
    include_embeddings: bool | None = Field(None, description="Return each result's vector too.")
    cursor: str | None = Field(None, description="`nextCursor` of the previous page (metadata listing).")
    sort_by: Literal["created_at", "document_id"] | None = Field(None, description="Metadata listing order (default created_at).")
    sort_order: Literal["asc", "desc"] | None = Field(None, description="Default desc.")

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
    chunks_created: int | None = Field(None, description="Chunks embedded in all.")
    message: str | None = None


class DocumentsDeleted(ApiResult):
    message: str | None = None
    collection_id: str | None = None
    deleted_count: int | None = None


class Match(ApiResult):
    document_id: str | None = None
    content: str | None = Field(None, description="The matching chunk's text.")
    similarity: float | None = Field(None, description="0-1, higher is closer.")
    score: float | None = Field(None, description="Older API versions' name for similarity.")
    metadata: dict[str, Any] | None = None
    embedding: list[float] | None = None


class QueryResult(ApiResult):
    results: list[Match]
    query: str | None = None
    search_mode: str | None = Field(None, description="text | vector | metadata")
    filter: dict[str, Any] | None = None
    count: int | None = None
    execution_time_ms: int | None = None
    collection_id: str | None = None
    has_more: bool | None = None
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next page.")
    pagination: dict[str, Any] | None = None


OPERATIONS = [
    Operation(
        name="list_vector_collections",
        toolset=Toolset.VECTOR_DB,
        title="List vector collections",
        description=(
            "List the organisation's vector collections: id, name, description, embedding model and "
            "document count. Use a `collectionId` with query_vector_collection to search one."
        ),
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
            "Create an empty vector collection with a unique `name` and the `embeddingModel` that fixes its "
            "vector size (e.g. 'amazon.titan-embed-text-v2:0', 1024 dimensions). Fails with 409 if the name is "
            "taken. Returns the new `collectionId`; add text with upload_vector_documents."
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
        description="Get one vector collection: name, description, embedding model, dimensions, document count and timestamps.",
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
        description="Delete a vector collection and every document in it, permanently.",
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
        "List the documents stored in a vector collection, optionally only those under one `key`; page with "
        "`limit` (up to 100, default 50) and `offset`.",
        "listVectorDocuments",
        read_only=True,
        idempotent=True,
    ),
    Operation(
        name="upload_vector_documents",
        toolset=Toolset.VECTOR_DB,
        title="Add documents to a collection",
        description=(
            "Add text documents to a vector collection; the server splits them into chunks and embeds them, "
            "so they become searchable with query_vector_collection. Give each a `key` to filter or delete by "
            "later, and `metadata` (title, source_url, section, tags) that comes back with search results. "
            "Returns the new document ids and the number of chunks created."
        ),
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
        description=(
            "Delete documents from a vector collection, permanently. Choose exactly one way: `documentIds`, "
            "`keys`, `metadata` ({field, values}), or `purgeAll: true` to empty the collection. Returns how "
            "many were deleted."
        ),
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
        description=(
            "Semantic search in a vector collection, to ground an answer in stored documents. Give `query` "
            "text (3-1000 characters; the server embeds it), or a `vector` you computed, or "
            "`listByMetadata: true` with a `filter` to list documents by metadata (paged with `cursor`). "
            "`limit` 1-20 (default 5) and `threshold` 0-1 (default 0.7) shape the results. Returns matching "
            "chunks with their text, similarity and metadata. Changes nothing."
        ),
        route=Route("POST", V3 + "/vector-db/collections/{collectionId}/query"),
        arguments=QueryArguments,
        result=QueryResult,
        read_only=True,
        idempotent=True,
        operation_ids=("queryVectorCollection",),
        summary=lambda r: f"{len(r['results'])} match(es)",
    ),
]
