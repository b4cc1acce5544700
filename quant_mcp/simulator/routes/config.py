"""AIConfig: the organisation's AI defaults (v3 and legacy), snake_case on the wire.

PUT merges the fields it is given and, although the reference documents no reply
body, answers the resulting configuration so a caller can see what it set. Both
dialects serve it; the live service may not (the route is gone from newer API
versions): a `status` fault with status 404 on `/ai/config$` plays that.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from pydantic import Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..core.errors import bad_request
from ..core.requests import SnakeWireModel, organisation_data, parse_body
from ..core.routing import legacy, v3
from ..engine.catalog import DEFAULT_CHAT_MODEL, MODELS


def _chat_models() -> list[str]:
    return [spec.id for spec in MODELS.values() if spec.is_chat and not spec.live_only]


@dataclass
class AIConfig:
    enabled_models: list[str] = field(default_factory=_chat_models)
    default_model: str = DEFAULT_CHAT_MODEL
    max_tokens: int = 4096
    temperature: float = 0.7


class UpdateConfig(SnakeWireModel):
    enabled_models: list[str] | None = None
    default_model: str | None = None
    max_tokens: int | None = Field(None, ge=1, le=65536)
    temperature: float | None = Field(None, ge=0, le=2)


async def get_config(request: Request) -> Response:
    return JSONResponse(asdict(organisation_data(request).get(AIConfig)))


async def update_config(request: Request) -> Response:
    body = await parse_body(request, UpdateConfig)
    for index, model_id in enumerate(body.enabled_models or []):
        if model_id not in MODELS:
            raise bad_request(f"enabled_models[{index}]", f"unknown model '{model_id}'")
    if body.default_model is not None and body.default_model not in MODELS:
        raise bad_request("default_model", f"unknown model '{body.default_model}'")
    config = organisation_data(request).get(AIConfig)
    changes: dict[str, Any] = body.model_dump(
        include={"enabled_models", "default_model", "max_tokens", "temperature"}, exclude_none=True
    )
    for name, value in changes.items():
        setattr(config, name, value)
    return JSONResponse(asdict(config))


ROUTES = [
    *v3("GET", "/config", get_config, "getAIConfig"),
    *v3("PUT", "/config", update_config, "updateAIConfig"),
    *legacy("GET", "/config", get_config, "legacyGetAIConfig"),
    *legacy("PUT", "/config", update_config, "legacyUpdateAIConfig"),
]
