"""AIModels: the model catalogue (v3 list and detail, legacy bare-array list).

In the live dialect a list entry carries what Drupal reads from it: `maxOutputTokens` and
`capabilities.{supportsTools, supportsStructuredOutput, supportsVision, supportsMultimodal}`,
and `feature` also takes `image_generation`.
"""

from __future__ import annotations

from typing import Any, Literal

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..core.errors import bad_request
from ..core.requests import WireModel, parse_query, simulator_state
from ..core.routing import legacy, v3
from ..engine.catalog import MODELS, ModelSpec
from ..services.models import find_model

Feature = Literal["chat", "embeddings", "vision", "streaming", "image_generation", "all"]


class ListModels(WireModel):
    feature: Feature = "all"


def _has_feature(spec: ModelSpec, feature: Feature) -> bool:
    return {
        "chat": spec.is_chat,
        "streaming": spec.is_chat,
        "embeddings": spec.kind == "embeddings",
        "vision": "image" in spec.media,
        "image_generation": spec.kind == "image",
        "all": True,
    }[feature]


def _summary(spec: ModelSpec) -> dict[str, Any]:
    capabilities = {
        "text": spec.is_chat,
        "multimodal": bool(spec.media) or spec.kind == "image",
        "embeddings": spec.kind == "embeddings",
        "streaming": spec.is_chat,
        "toolUse": spec.is_chat,
    }
    return {"id": spec.id, "name": spec.name, "provider": spec.provider, "capabilities": capabilities}


def _detail(spec: ModelSpec) -> dict[str, Any]:
    return {
        "id": spec.id,
        "name": spec.name,
        "provider": spec.provider,
        "description": spec.description,
        "contextWindow": spec.context_window,
        "maxOutputTokens": spec.max_output_tokens,
        "capabilities": {
            "supportsTools": spec.is_chat,
            "supportsStructuredOutput": spec.is_chat,
            "supportsMultimodal": bool(spec.media),
            "supportsVision": "image" in spec.media,
            "supportsStreaming": spec.is_chat,
        },
        "pricing": {"inputPerMToken": spec.input_price, "outputPerMToken": spec.output_price, "currency": "USD"},
        "releaseDate": spec.release_date,
        "deprecated": False,
        "available": True,
    }


def _legacy_capabilities(spec: ModelSpec) -> list[str]:
    """The legacy list gave capabilities as strings."""
    if spec.kind == "embeddings":
        return ["embeddings"]
    if spec.kind == "image":
        return ["image-generation"]
    return ["text", *sorted(spec.media), "streaming", "tools"]


def _live_summary(spec: ModelSpec) -> dict[str, Any]:
    detail = _detail(spec)
    return {key: detail[key] for key in ("id", "name", "provider", "maxOutputTokens", "contextWindow", "capabilities")}


async def list_models(request: Request) -> Response:
    feature = parse_query(request, ListModels).feature
    live = simulator_state(request).live
    if feature == "image_generation" and not live:
        raise bad_request("feature", "must be one of chat, embeddings, vision, streaming, all")
    summary = _live_summary if live else _summary
    models = [summary(spec) for spec in MODELS.values() if _has_feature(spec, feature) and (live or not spec.live_only)]
    return JSONResponse({"models": models, "count": len(models)})


async def get_model(request: Request) -> Response:
    return JSONResponse(_detail(find_model(request.path_params["modelId"])))


async def legacy_list_models(request: Request) -> Response:
    return JSONResponse(
        [
            {"id": s.id, "name": s.name, "provider": s.provider, "capabilities": _legacy_capabilities(s)}
            for s in MODELS.values()
            if not s.live_only
        ]
    )


ROUTES = [
    *v3("GET", "/models", list_models, "listAIModels"),
    *v3("GET", "/models/{modelId}", get_model, "getAIModel"),
    *legacy("GET", "/models", legacy_list_models, "legacyListAIModels"),
]
