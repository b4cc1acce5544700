"""AIUsage: `GET usage/me`, the calling user's spend this month and today, against their quota.

The quota comes from the governance budgets: the user's entry in
`spendLimits.userOverrides` when there is one (`unlimited: true` = no quota, null),
else the per-user budgets. A limit without a budget is null. The daily limit
resets at the next UTC midnight of the simulated clock.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..core.requests import organisation_data, simulator_state
from ..core.routing import v3
from ..core.state import timestamp
from ..services.governance import Governance, against_budget, calling_user, spend_of
from ..services.usage import UsageLedger, month_of


def _limit(used_cents: int, limit_cents: int | None, **extra: Any) -> dict[str, Any] | None:
    use = against_budget(used_cents, limit_cents)
    return {"limitCents": limit_cents, **use, **extra} if use else None


def _own_or(own: int | None, default: int | None) -> int | None:
    """The user's own limit when set (0 included), else the per-user default."""
    return own if own is not None else default


def _next_midnight(now: datetime) -> datetime:
    return datetime.combine(now.date() + timedelta(days=1), time(), tzinfo=now.tzinfo)


async def my_usage(request: Request) -> Response:
    now = simulator_state(request).now()
    user_id = calling_user(request)
    spend = spend_of(organisation_data(request).get(UsageLedger), now)
    limits = organisation_data(request).get(Governance).config["spendLimits"]
    override = limits["userOverrides"].get(user_id) or {}
    monthly = _own_or(override.get("monthlyCents"), limits["perUserMonthlyBudgetCents"])
    daily = _own_or(override.get("dailyCents"), limits["perUserDailyBudgetCents"])
    quota = None
    if not override.get("unlimited"):
        quota = {
            "monthlyLimit": _limit(spend.month_cents, monthly),
            "dailyLimit": _limit(spend.today_cents, daily, resetsAt=timestamp(_next_midnight(now))),
        }
    return JSONResponse(
        {
            "userId": user_id,
            "currentMonth": month_of(now),
            "monthly": {"spendCents": spend.month_cents, "requestCount": spend.month_requests},
            "daily": {"spendCents": spend.today_cents},
            "quota": quota,
        }
    )


ROUTES = [*v3("GET", "/usage/me", my_usage, "getMyUsage")]
