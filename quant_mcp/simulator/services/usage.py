"""Usage statistics: every chat call (v3, legacy, streamed, agent) is counted here.

Counts are kept per organisation, per month of the simulated clock and per model,
and reported in the shape both usage routes document:
`{total_requests, total_tokens, by_model: {<modelId>: {requests, tokens}}}`.
Requests and cost are also kept per day, for the spend reports (governance, usage/me).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any


def month_of(moment: datetime) -> str:
    return moment.strftime("%Y-%m")


class UsageLedger:
    def __init__(self) -> None:
        self._counts: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
        self._days: dict[date, list[float]] = defaultdict(lambda: [0, 0.0])  # requests, cost in cents

    def record(self, moment: datetime, model_id: str, tokens: int, cost_cents: float = 0.0) -> None:
        entry = self._counts[month_of(moment)][model_id]
        entry[0] += 1
        entry[1] += tokens
        day = self._days[moment.date()]
        day[0] += 1
        day[1] += cost_cents

    def spend(self, first: date, last: date) -> tuple[int, float]:
        """Requests and cost in cents over the days `first`..`last` (inclusive)."""
        days = [totals for day, totals in self._days.items() if first <= day <= last]
        return int(sum(totals[0] for totals in days)), sum(totals[1] for totals in days)

    def report(self, month: str) -> dict[str, Any]:
        by_model = {model: {"requests": n, "tokens": t} for model, (n, t) in self._counts.get(month, {}).items()}
        return {
            "total_requests": sum(item["requests"] for item in by_model.values()),
            "total_tokens": sum(item["tokens"] for item in by_model.values()),
            "by_model": by_model,
        }
