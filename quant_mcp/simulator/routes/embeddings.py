"""AIInference embeddings: deterministic vectors of the requested dimension."""

from __future__ import annotations

from typing import Any, Literal

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..core.errors import bad_request
from ..core.requests import WireModel, parse_body
from ..core.routing import v3
from ..engine.catalog import DEFAULT_EMBEDDING_MODEL
from ..engine.chat import count_tokens
from ..engine.embeddings import embed
from ..services.models import require_model

MAX_TEXTS = 100


class EmbeddingsRequest(WireModel):
    input: Any  # a string (one flat vector back) or up to 100 strings (a list of vectors)
    model_id: str = DEFAULT_EMBEDDING_MODEL
    dimensions: Literal[256, 512, 1024, 8192] = 1024
    normalize: bool = True

    def texts(self) -> list[str]:
        if isinstance(self.input, str):
            return [self.input]
        if not isinstance(self.input, list) or not all(isinstance(text, str) for text in self.input):
            raise bad_request("input", "must be a string or an array of strings")
        if not 1 <= len(self.input) <= MAX_TEXTS:
            raise bad_request("input", f"must hold between 1 and {MAX_TEXTS} texts")
        return list(self.input)


async def embeddings(request: Request) -> Response:
    body = await parse_body(request, EmbeddingsRequest)
    texts = body.texts()
    model = require_model(body.model_id, "embeddings")
    vectors = [embed(text, body.dimensions, body.normalize) for text in texts]
    tokens = sum(count_tokens(text) for text in texts)
    return JSONResponse(
        {
            "embeddings": vectors[0] if isinstance(body.input, str) else vectors,
            "model": model.id,
            "dimension": body.dimensions,
            "usage": {"inputTokens": tokens, "totalTokens": tokens},
        }
    )


ROUTES = [*v3("POST", "/embeddings", embeddings, "embeddings")]
