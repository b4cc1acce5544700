"""Usage: the organisation's AI requests and tokens for a month, and the caller's own spend and quota."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from quant_mcp.catalog.base import LEGACY, QUERY, V3, ApiResult, NoArguments, Operation, Route, ToolArguments, Toolset

Month = Annotated[str, StringConstraints(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$")]


class UsageArguments(ToolArguments):
    month: Annotated[Month | None, QUERY, Field(description="YYYY-MM; default this month.")] = None
    group_by: Annotated[
        Literal["model", "user", "token"] | None,
        QUERY,
    ] = None
    include: Annotated[Literal["daily"] | None, QUERY, Field(description="A 30-day series.")] = None
    user_id: Annotated[str | None, QUERY] = None  # v3 routes
    token_id: Annotated[str | None, QUERY] = None  # v3 routes


class ModelUsage(ApiResult):
    requests: int | None = None
    tokens: int | None = None


class UsageStats(ApiResult):
    total_requests: int | None = Field(None, alias="total_requests")
    total_tokens: int | None = Field(None, alias="total_tokens")
    by_model: dict[str, ModelUsage] | None = Field(None, alias="by_model", description="Requests and tokens per model id.")


class MonthSpend(ApiResult):
    spend_cents: int | None = None
    request_count: int | None = None


class DaySpend(ApiResult):
    spend_cents: int | None = None


class Limit(ApiResult):
    limit_cents: int | None = None
    used_percent: float | None = None
    remaining_cents: int | None = None
    resets_at: str | None = Field(None, description="Daily limit only.")


class Quota(ApiResult):
    monthly_limit: Limit | None = None
    daily_limit: Limit | None = None


class MyUsage(ApiResult):
    user_id: str | None = None
    current_month: str | None = Field(None, description="YYYY-MM.")
    monthly: MonthSpend | None = None
    daily: DaySpend | None = None
    quota: Quota | None = Field(None, description="The caller's spend limits and how much of each is used.")


def _my_usage_summary(result: dict) -> str:
    spend = (result.get("monthly") or {}).get("spendCents")
    used = ((result.get("quota") or {}).get("monthlyLimit") or {}).get("usedPercent")
    return f"You spent {spend} cents in {result.get('currentMonth')}" + (
        f" ({used:g}% of your monthly limit)" if isinstance(used, int | float) else ""
    )


OPERATIONS = [
    Operation(
        name="get_usage_stats",
        toolset=Toolset.USAGE,
        title="Get AI usage statistics",
        description=("The organisation's AI requests and tokens for a month, per model (or user, token)."),
        route=Route("GET", V3 + "/usage"),
        legacy_route=Route("GET", LEGACY + "/usage", fields=frozenset({"month"})),
        arguments=UsageArguments,
        result=UsageStats,
        read_only=True,
        idempotent=True,
        operation_ids=("getAIUsageStats", "legacyGetAIUsageStats"),
        summary=lambda r: f"{r.get('total_requests', 0)} request(s), {r.get('total_tokens', 0)} token(s)",
    ),
    Operation(
        name="get_my_usage",
        toolset=Toolset.USAGE,
        title="Get my AI usage and quota",
        description=("Your own AI spend and quota (monthly and daily): check it before a costly run."),
        route=Route("GET", V3 + "/usage/me"),
        arguments=NoArguments,
        result=MyUsage,
        read_only=True,
        idempotent=True,
        operation_ids=("getMyUsage",),
        summary=_my_usage_summary,
    ),
]
