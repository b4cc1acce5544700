"""AIGovernance: the organisation's AI policy (GET/PUT) and its spend against the budgets.

PUT requires `aiEnabled` and `modelPolicy`; the other fields keep their value when
omitted. Every update increments `version` (the reference documents no version
conflict here, so a `version` sent is not compared). Validation failures are 422,
as documented: an allowlist or blocklist needs a non-empty `modelList`, and every
listed model must exist. The policy is recorded, not enforced on chat calls.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..core.requests import organisation_data, simulator_state
from ..core.routing import v3
from ..engine.catalog import MODELS
from ..services.governance import Governance, against_budget, spend_of
from ..services.usage import UsageLedger
from ..services.wire import EchoedModel, parse_body_422, unprocessable
from .agents import GuardrailPreset

Cents = int | None


class Limits(EchoedModel):
    daily_cents: Cents = Field(None, ge=0)
    monthly_cents: Cents = Field(None, ge=0)


class UserOverride(Limits):
    unlimited: bool | None = None


class SpendLimits(EchoedModel):
    monthly_budget_cents: Cents = Field(None, ge=0)
    daily_budget_cents: Cents = Field(None, ge=0)
    per_user_monthly_budget_cents: Cents = Field(None, ge=0)
    per_user_daily_budget_cents: Cents = Field(None, ge=0)
    warning_threshold_percent: int | None = Field(None, ge=0, le=100)
    interface_limits: dict[str, Limits] = Field(default_factory=dict)
    user_overrides: dict[str, UserOverride] = Field(default_factory=dict)


class UpdateGovernance(EchoedModel):
    ai_enabled: bool
    model_policy: Literal["unrestricted", "allowlist", "blocklist"]
    model_list: list[str] = Field(default_factory=list)
    mandatory_guardrail_preset: GuardrailPreset | None = None
    mandatory_filter_policies: list[str] = Field(default_factory=list)
    spend_limits: SpendLimits | None = None
    version: int | None = None


def _config(request: Request) -> dict[str, object]:
    return {"orgId": request.path_params["organisation"], **organisation_data(request).get(Governance).config}


async def get_governance(request: Request) -> Response:
    return JSONResponse(_config(request))


async def update_governance(request: Request) -> Response:
    body = await parse_body_422(request, UpdateGovernance)
    governance = organisation_data(request).get(Governance)
    changes = body.to_wire(exclude_unset=True, exclude={"version"})
    merged = {**governance.config, **changes}
    if merged["modelPolicy"] != "unrestricted" and not merged["modelList"]:
        raise unprocessable("modelList", f"must name at least one model when modelPolicy is {merged['modelPolicy']}")
    for index, model_id in enumerate(merged["modelList"]):
        if model_id not in MODELS:
            raise unprocessable(f"modelList[{index}]", f"model '{model_id}' not found")
    if "spendLimits" in changes:
        merged["spendLimits"] = body.spend_limits.to_wire() if body.spend_limits else SpendLimits.model_validate({}).to_wire()
    merged["version"] = governance.config["version"] + 1
    governance.config = merged
    return JSONResponse({"success": True, "config": _config(request)})


async def get_spend(request: Request) -> Response:
    """Month and today totals, each budget's use (null without a budget), and the caller's share."""
    now = simulator_state(request).now()
    spend = spend_of(organisation_data(request).get(UsageLedger), now)
    limits = organisation_data(request).get(Governance).config["spendLimits"]
    monthly, daily = limits["monthlyBudgetCents"], limits["dailyBudgetCents"]
    budget = against_budget(spend.month_cents, monthly)
    daily_budget = against_budget(spend.today_cents, daily)
    return JSONResponse(
        {
            "orgTotal": {"spendCents": spend.month_cents, "requestCount": spend.month_requests},
            "todayTotal": {"spendCents": spend.today_cents, "requestCount": spend.today_requests},
            "budget": {"monthlyBudgetCents": monthly, **budget} if budget else None,
            "dailyBudget": {"dailyBudgetCents": daily, **daily_budget} if daily_budget else None,
            "userTotal": {"monthlySpendCents": spend.month_cents, "dailySpendCents": spend.today_cents},
        }
    )


ROUTES = [
    *v3("GET", "/governance", get_governance, "getGovernanceConfig"),
    *v3("PUT", "/governance", update_governance, "updateGovernanceConfig"),
    *v3("GET", "/governance/spend", get_spend, "getGovernanceSpend"),
]
