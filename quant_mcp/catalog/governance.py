"""AI governance: the organisation's guard rails over all AI use, and what it is spending.

One configuration per organisation: whether AI is on at all, which models are allowed,
guardrails and filter policies every request must pass, and spend limits (organisation,
per user, per interface, per-user overrides). Amounts are in cents.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from quant_mcp.catalog.base import V3, ApiResult, NoArguments, Operation, PathId, Route, ToolArguments, Toolset, WireModel

ModelPolicy = Literal["unrestricted", "allowlist", "blocklist"]


class InterfaceLimit(WireModel):
    daily_cents: int | None = Field(None, ge=0)
    monthly_cents: int | None = Field(None, ge=0)


class UserOverride(InterfaceLimit):
    unlimited: bool | None = None


class SpendLimits(WireModel):
    monthly_budget_cents: int | None = Field(None, ge=0)
    daily_budget_cents: int | None = Field(None, ge=0)
    per_user_monthly_budget_cents: int | None = Field(None, ge=0)
    per_user_daily_budget_cents: int | None = Field(None, ge=0)
    warning_threshold_percent: int | None = Field(None, ge=0, le=100)
    interface_limits: dict[str, InterfaceLimit] | None = None
    user_overrides: dict[str, UserOverride] | None = None


class UpdateGovernanceArguments(ToolArguments):
    ai_enabled: bool = Field(description="false switches AI off for the whole organisation.")
    model_policy: ModelPolicy
    model_list: list[PathId] | None = None
    mandatory_guardrail_preset: Literal["official", "official-sensitive", "protected"] | None = Field(
        None, description="Guardrail preset every request must use."
    )
    mandatory_filter_policies: list[PathId] | None = None
    spend_limits: SpendLimits | None = None
    version: int | None = Field(None, description="As last read: a newer change is not overwritten.")


class GovernanceConfig(ApiResult):
    org_id: str | None = None
    ai_enabled: bool | None = None
    model_policy: str | None = None
    model_list: list[str] | None = None
    mandatory_guardrail_preset: str | None = None
    mandatory_filter_policies: list[str] | None = None
    spend_limits: dict[str, Any] | None = Field(
        None, description="Budgets in cents: organisation, per user, per interface, overrides."
    )
    version: int | None = None


class GovernanceSaved(ApiResult):
    success: bool | None = None
    config: GovernanceConfig | None = None


class Spend(ApiResult):
    spend_cents: int | None = None
    request_count: int | None = None


class Budget(ApiResult):
    monthly_budget_cents: int | None = None
    daily_budget_cents: int | None = None
    used_percent: float | None = None
    remaining_cents: int | None = None


class UserSpend(ApiResult):
    monthly_spend_cents: int | None = None
    daily_spend_cents: int | None = None


class GovernanceSpend(ApiResult):
    org_total: Spend | None = Field(None, description="This month, whole organisation.")
    today_total: Spend | None = None
    budget: Budget | None = None
    daily_budget: Budget | None = None
    user_total: UserSpend | None = None


def _spend_summary(result: dict[str, Any]) -> str:
    total = (result.get("orgTotal") or {}).get("spendCents")
    used = (result.get("budget") or {}).get("usedPercent")
    return f"Spent {total} cents this month" + (f" ({used:g}% of budget)" if isinstance(used, int | float) else "")


OPERATIONS = [
    Operation(
        name="get_governance_config",
        toolset=Toolset.GOVERNANCE,
        title="Get AI governance",
        description=("The organisation's AI governance: model policy, mandatory guardrails and filters, spend limits."),
        route=Route("GET", V3 + "/governance"),
        arguments=NoArguments,
        result=GovernanceConfig,
        read_only=True,
        idempotent=True,
        operation_ids=("getGovernanceConfig",),
        summary=lambda r: f"AI {'enabled' if r.get('aiEnabled') else 'disabled'}, model policy {r.get('modelPolicy')}",
    ),
    Operation(
        name="update_governance_config",
        toolset=Toolset.GOVERNANCE,
        title="Update AI governance",
        description=("Replace the AI governance (send all of it, with the `version` read). `aiEnabled: false` switches AI off."),
        route=Route("PUT", V3 + "/governance"),
        arguments=UpdateGovernanceArguments,
        result=GovernanceSaved,
        destructive=True,
        idempotent=True,
        operation_ids=("updateGovernanceConfig",),
        summary=lambda r: "Governance updated",
    ),
    Operation(
        name="get_governance_spend",
        toolset=Toolset.GOVERNANCE,
        title="Get AI spend",
        description=("AI spend in cents: the organisation's month and today, budget left, and yours."),
        route=Route("GET", V3 + "/governance/spend"),
        arguments=NoArguments,
        result=GovernanceSpend,
        read_only=True,
        idempotent=True,
        operation_ids=("getGovernanceSpend",),
        summary=_spend_summary,
    ),
]
