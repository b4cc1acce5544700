"""Usage: the organisation's AI requests and tokens for a month."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from quant_mcp.catalog.base import LEGACY, QUERY, V3, ApiResult, Operation, Route, Toolset, ToolArguments

Month = Annotated[str, StringConstraints(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$")]


class UsageArguments(ToolArguments):
    month: Annotated[
        Month | None, QUERY, Field(description="Month as YYYY-MM, e.g. '2026-11' (default: the current month).")
    ] = None


class ModelUsage(ApiResult):
    requests: int | None = None
    tokens: int | None = None


class UsageStats(ApiResult):
    total_requests: int | None = Field(None, alias="total_requests")
    total_tokens: int | None = Field(None, alias="total_tokens")
    by_model: dict[str, ModelUsage] | None = Field(None, alias="by_model", description="Requests and tokens per model id.")


OPERATIONS = [
    Operation(
        name="get_usage_stats",
        toolset=Toolset.USAGE,
        title="Get AI usage statistics",
        description=(
            "Get the organisation's AI usage for a month: total requests, total tokens, and both per "
            "model. `month` is YYYY-MM and defaults to the current month."
        ),
        route=Route("GET", V3 + "/usage"),
        legacy_route=Route("GET", LEGACY + "/usage"),
        arguments=UsageArguments,
        result=UsageStats,
        read_only=True,
        idempotent=True,
        operation_ids=("getAIUsageStats", "legacyGetAIUsageStats"),
        summary=lambda r: f"{r.get('total_requests', 0)} request(s), {r.get('total_tokens', 0)} token(s)",
    ),
]
