"""AI governance and spend: an organisation's policy and budgets, and what its chat calls cost.

The governance routes read and replace the policy; `GET usage/me` reads the budgets
(as the calling user's quota). Spend is what the chat calls actually cost (the
usage ledger's daily totals), rounded to whole cents as the API reports it. The
simulator does not tell an organisation's users apart: the calling user's spend
is the organisation's spend, and the user is named after a hash of the token.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from starlette.requests import Request

from .usage import UsageLedger


def default_config() -> dict[str, Any]:
    """The policy of an organisation that never changed it: AI on, every model allowed, no budgets."""
    return {
        "aiEnabled": True,
        "modelPolicy": "unrestricted",
        "modelList": [],
        "mandatoryGuardrailPreset": None,
        "mandatoryFilterPolicies": [],
        "spendLimits": {
            "monthlyBudgetCents": None,
            "dailyBudgetCents": None,
            "perUserMonthlyBudgetCents": None,
            "perUserDailyBudgetCents": None,
            "warningThresholdPercent": None,
            "interfaceLimits": {},
            "userOverrides": {},
        },
        "version": 1,
    }


class Governance:
    """One organisation's governance configuration, in its wire shape (without `orgId`)."""

    def __init__(self) -> None:
        self.config = default_config()


def calling_user(request: Request) -> str:
    """A stable user id for the bearer token (a hash: the token itself never appears)."""
    token = request.headers.get("authorization", "").partition(" ")[2]
    return "user-" + hashlib.sha256(token.encode()).hexdigest()[:12]


@dataclass(frozen=True)
class Spend:
    month_requests: int
    month_cents: int
    today_requests: int
    today_cents: int


def spend_of(ledger: UsageLedger, now: datetime) -> Spend:
    """The spend of the current month and of today (UTC, simulated clock)."""
    today = now.date()
    month_requests, month_cost = ledger.spend(today.replace(day=1), today)
    today_requests, today_cost = ledger.spend(today, today)
    return Spend(month_requests, round(month_cost), today_requests, round(today_cost))


def against_budget(used_cents: int, budget_cents: int | None) -> dict[str, Any] | None:
    """`{usedPercent, remainingCents}` of a budget, or None when there is no budget."""
    if budget_cents is None:
        return None
    used = round(100 * used_cents / budget_cents, 2) if budget_cents else 100.0
    return {"usedPercent": used, "remainingCents": max(0, budget_cents - used_cents)}
