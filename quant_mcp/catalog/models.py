"""Models: which foundation models the organisation can use, and what each can do."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from quant_mcp.catalog.base import LEGACY, QUERY, V3, ApiResult, Operation, Route, ToolArguments, Toolset
from quant_mcp.catalog.inference import ModelId


class ListModelsArguments(ToolArguments):
    feature: Annotated[
        Literal["chat", "embeddings", "image_generation", "vision", "streaming", "all"] | None,
        QUERY,
    ] = None


class GetModelArguments(ToolArguments):
    model_id: ModelId


class ModelSummary(ApiResult):
    id: str | None = Field(None, description="Pass this as modelId.")
    name: str | None = None
    provider: str | None = None
    capabilities: dict[str, Any] | None = Field(
        None, description="What the model supports, e.g. supportsTools, supportsVision (or text, toolUse, ...)."
    )
    max_output_tokens: int | None = Field(None, description="Most tokens one answer may have (maxTokens is lowered to it).")


class ModelList(ApiResult):
    models: list[ModelSummary]
    count: int | None = None


class ModelDetails(ApiResult):
    id: str | None = None
    name: str | None = None
    provider: str | None = None
    description: str | None = None
    context_window: int | None = None
    max_output_tokens: int | None = None
    capabilities: dict[str, bool] | None = None
    pricing: dict[str, Any] | None = Field(None, description="inputPerMToken, outputPerMToken, currency.")
    release_date: str | None = None
    deprecated: bool | None = None
    available: bool | None = None


def _legacy_models(data: Any) -> dict[str, Any]:
    """Legacy answers a bare array whose ``capabilities`` is a list of names."""
    models = [
        {**model, "capabilities": {name: True for name in model.get("capabilities") or []}}
        if isinstance(model.get("capabilities"), list)
        else model
        for model in data or []
    ]
    return {"models": models, "count": len(models)}


OPERATIONS = [
    Operation(
        name="list_models",
        toolset=Toolset.MODELS,
        title="List models",
        description=("The models you can use, with their capabilities: pick a `modelId` here."),
        route=Route("GET", V3 + "/models"),
        legacy_route=Route("GET", LEGACY + "/models", fields=frozenset(), response=_legacy_models),
        arguments=ListModelsArguments,
        result=ModelList,
        read_only=True,
        idempotent=True,
        operation_ids=("listAIModels", "legacyListAIModels"),
        summary=lambda r: f"{len(r['models'])} model(s): " + ", ".join(str(m.get("id")) for m in r["models"]),
    ),
    Operation(
        name="get_model",
        toolset=Toolset.MODELS,
        title="Get model details",
        description=("One model's limits, capabilities, pricing and availability."),
        route=Route("GET", V3 + "/models/{modelId}"),
        arguments=GetModelArguments,
        result=ModelDetails,
        read_only=True,
        idempotent=True,
        operation_ids=("getAIModel",),
        summary=lambda r: f"{r.get('name') or r.get('id')}: context {r.get('contextWindow')} tokens",
    ),
]
