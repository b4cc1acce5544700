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
    unlimited: bool | None = Field(None, description="true: no spend limit for this user.")


class SpendLimits(WireModel):
    monthly_budget_cents: int | None = Field(None, ge=0, description="Organisation budget per month.")
    daily_budget_cents: int | None = Field(None, ge=0, description="Organisation budget per day.")
    per_user_monthly_budget_cents: int | None = Field(None, ge=0)
    per_user_daily_budget_cents: int | None = Field(None, ge=0)
    warning_threshold_percent: int | None = Field(None, ge=0, le=100, description="Warn when this share of a budget is used.")
    interface_limits: dict[str, InterfaceLimit] | None = Field(None, description="Limits per interface (e.g. 'slack', 'api').")
    user_overrides: dict[str, UserOverride] | None = Field(None, description="Limits per user id.")


class UpdateGovernanceArguments(ToolArguments):
    ai_enabled: bool = Field(description="false switches AI off for the whole organisation.")
    model_policy: ModelPolicy = Field(description="unrestricted, or allow/block the models in `modelList`.")
    model_list: list[PathId] | None = Field(None, description="Model ids the policy allows or blocks.")
    mandatory_guardrail_preset: Literal["official", "official-sensitive", "protected"] | None = Field(
        None, description="Guardrail preset every request must use."
    )
    mandatory_filter_policies: list[PathId] | None = Field(None, description="Filter policy ids every request must pass.")
    spend_limits: SpendLimits | None = None
    version: int | None = Field(None, description="The `version` you last read, to refuse overwriting a concurrent change.")


class GovernanceConfig(ApiResult):
    org_id: str | None = None
    ai_enabled: bool | None = None
    model_policy: str | None = Field(None, description="unrestricted | allowlist | blocklist")
    model_list: list[str] | None = None
    mandatory_guardrail_preset: str | None = None
    mandatory_filter_policies: list[str] | None = None
    spend_limits: dict[str, Any] | None = Field(
        None, description="Budgets in cents: organisation, per user, per interface, overrides."
    )
    version: int | None = Field(None, description="Send it back with update_governance_config.")


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
    budget: Budget | None = Field(None, description="Monthly budget use.")
    daily_budget: Budget | None = None
    user_total: UserSpend | None = Field(None, description="The calling user's own spend.")


def _spend_summary(result: dict[str, Any]) -> str:
    total = (result.get("orgTotal") or {}).get("spendCents")
    used = (result.get("budget") or {}).get("usedPercent")
    return f"Spent {total} cents this month" + (f" ({used:g}% of budget)" if isinstance(used, int | float) else "")


OPERATIONS = [
    Operation(
        name="get_governance_config",
        toolset=Toolset.GOVERNANCE,
        title="Get AI governance",
        description=(
            "Read the organisation's AI governance: whether AI is enabled, the model policy and list, "
            "mandatory guardrail preset and filter policies, spend limits (cents), and the `version` to send "
            "back when updating."
        ),
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
        description=(
            "Write the organisation's AI governance. It is a PUT of the whole configuration: `aiEnabled` and "
            "`modelPolicy` are required, and the model list, mandatory guardrail preset and filter policies and "
            "spend limits should all be sent as you want them kept. Read it first with get_governance_config "
            "and pass its `version` to avoid overwriting a concurrent change. `aiEnabled: false` switches AI "
            "off for everyone."
        ),
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
        description=(
            "Summarise AI spend in cents: the organisation's month and today (with request counts), budget "
            "use and what remains, and the caller's own monthly and daily spend."
        ),
        route=Route("GET", V3 + "/governance/spend"),
        arguments=NoArguments,
        result=GovernanceSpend,
        read_only=True,
        idempotent=True,
        operation_ids=("getGovernanceSpend",),
        summary=_spend_summary,
    ),
]
