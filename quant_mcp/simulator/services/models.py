"""Looking up a model by id, the way every operation that takes a model id does."""

from __future__ import annotations

from ..core.errors import ApiError, bad_request
from ..engine.catalog import MODELS, ModelKind, ModelSpec

_KIND_NAMES = {"chat": "chat", "embeddings": "embeddings", "image": "image generation"}


def find_model(model_id: str) -> ModelSpec:
    """The model `model_id`, else the reference's documented model 404: `{message, code: "MODEL_NOT_FOUND"}`."""
    spec = MODELS.get(model_id)
    if spec is None:
        raise ApiError(404, f"Model '{model_id}' not found", error=None, code="MODEL_NOT_FOUND")
    return spec


def require_model(model_id: str, kind: ModelKind, field: str = "modelId") -> ModelSpec:
    """The model `model_id`: 404 MODEL_NOT_FOUND when unknown, 400 when it cannot do `kind`."""
    spec = find_model(model_id)
    if spec.kind != kind:
        raise bad_request(field, f"model '{model_id}' does not support {_KIND_NAMES[kind]}")
    return spec
