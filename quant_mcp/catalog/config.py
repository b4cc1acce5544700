"""AI configuration: the organisation's enabled models and chat defaults (snake_case on the wire)."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from quant_mcp.catalog.base import LEGACY, V3, ApiResult, NoArguments, Operation, PathId, Route, ToolArguments, Toolset


class UpdateConfigArguments(ToolArguments):
    model_config = ConfigDict(alias_generator=None)  # this body is snake_case on the wire

    enabled_models: list[PathId] | None = Field(None, max_length=100, description="Model ids the organisation may use.")
    default_model: PathId | None = Field(None, description="Model id used when a call names none.")
    max_tokens: int | None = Field(None, ge=1, le=65536, description="Default most tokens to generate.")
    temperature: float | None = Field(None, ge=0, le=2, description="Default sampling temperature, 0-2.")


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
        description=(
            "Read the organisation's AI configuration: enabled models, default model, default max tokens and temperature."
        ),
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
        description=(
            "Change the organisation's AI configuration. Only the fields you pass change. The API returns "
            "no body, so the result echoes the fields that were sent; call get_ai_config to read the "
            "stored configuration."
        ),
        route=Route("PUT", V3 + "/config"),
        legacy_route=Route("PUT", LEGACY + "/config"),
        arguments=UpdateConfigArguments,
        result=AIConfig,
        idempotent=True,
        operation_ids=("updateAIConfig", "legacyUpdateAIConfig"),
        summary=lambda r: "AI configuration updated",
    ),
]
