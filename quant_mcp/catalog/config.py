"""AI configuration: the organisation's enabled models and chat defaults (snake_case on the wire)."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from quant_mcp.catalog.base import LEGACY, V3, ApiResult, NoArguments, Operation, PathId, Route, ToolArguments, Toolset


class UpdateConfigArguments(ToolArguments):
    model_config = ConfigDict(alias_generator=None)  # this body is snake_case on the wire

    enabled_models: list[PathId] | None = Field(None, max_length=100)
    default_model: PathId | None = Field(None)
    max_tokens: int | None = Field(None, ge=1, le=65536)
    temperature: float | None = Field(None, ge=0, le=2)


class AIConfig(ApiResult):
    model_config = ConfigDict(alias_generator=None)

    enabled_models: list[str] | None = None
    default_model: str | None = None
    max_tokens: int | None = None
    temperature: float | None = None


OPERATIONS = [
    Operation(
        name="get_ai_config",
        toolset=Toolset.CONFIG,
        title="Get AI configuration",
        description=("The organisation's enabled models and chat defaults."),
        route=Route("GET", V3 + "/config"),
        legacy_route=Route("GET", LEGACY + "/config"),
        arguments=NoArguments,
        result=AIConfig,
        read_only=True,
        idempotent=True,
        operation_ids=("getAIConfig", "legacyGetAIConfig"),
        summary=lambda r: f"Default model {r.get('default_model')}; {len(r.get('enabled_models') or [])} model(s) enabled",
    ),
    Operation(
        name="update_ai_config",
        toolset=Toolset.CONFIG,
        title="Update AI configuration",
        description=("Change the enabled models or chat defaults; only the fields given change."),
        route=Route("PUT", V3 + "/config"),
        legacy_route=Route("PUT", LEGACY + "/config"),
        arguments=UpdateConfigArguments,
        result=AIConfig,
        idempotent=True,
        operation_ids=("updateAIConfig", "legacyUpdateAIConfig"),
        summary=lambda r: "AI configuration updated",
    ),
]
