"""Usage: the organisation's AI requests and tokens for a month, and the caller's own spend and quota."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from quant_mcp.catalog.base import LEGACY, QUERY, V3, ApiResult, NoArguments, Operation, Route, ToolArguments, Toolset

Month = Annotated[str, StringConstraints(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$")]


class UsageArguments(ToolArguments):
    month: Annotated[Month | None, QUERY, Field(description="Month as YYYY-MM, e.g. '2026-11' (default: the current month).")] = (
        None
    )
    group_by: Annotated[
        Literal["model", "user", "token"] | None,
        QUERY,
        Field(description="Break the totals down by model (default), user or API token (v3 routes)."),
    ] = None
    include: Annotated[Literal["daily"] | None, QUERY, Field(description="daily: add a 30-day series (v3 routes).")] = None
    user_id: Annotated[str | None, QUERY, Field(description="Scope the daily series to one user (v3 routes).")] = None
    token_id: Annotated[str | None, QUERY, Field(description="Scope the daily series to one API token (v3 routes).")] = None


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
        description=(
            "Get the organisation's AI usage for a month: total requests, total tokens, and both per "
            "model. `month` is YYYY-MM and defaults to the current month. On v3 routes `groupBy` (model, "
            "user, token) changes the breakdown and `include: daily` adds a 30-day series."
        ),
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
        description=(
            "Get the calling user's own AI spend (this month and today, in cents, with request count) and "
            "quota: monthly and daily limits, the share used and what remains. Use it before a costly run."
        ),
        route=Route("GET", V3 + "/usage/me"),
        arguments=NoArguments,
        result=MyUsage,
        read_only=True,
        idempotent=True,
        operation_ids=("getMyUsage",),
        summary=_my_usage_summary,
    ),
]
