"""Text embeddings: their own toolset, off by default (most conversations need none; vector
collections embed their documents themselves). The models are in :mod:`quant_mcp.catalog.inference`."""

from __future__ import annotations

from quant_mcp.catalog.base import V3, Operation, Route, Toolset
from quant_mcp.catalog.inference import Embeddings, EmbeddingsArguments, _embeddings_summary

OPERATIONS = [
    Operation(
        name="create_embeddings",
        toolset=Toolset.EMBEDDINGS,
        title="Create text embeddings",
        description=("Embedding vectors for semantic search or similarity: one per input text, in order."),
        route=Route("POST", V3 + "/embeddings"),
        arguments=EmbeddingsArguments,
        result=Embeddings,
        read_only=True,
        idempotent=True,
        operation_ids=("embeddings",),
        summary=_embeddings_summary,
    ),
]
