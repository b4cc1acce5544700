"""Usage statistics: every chat call (v3, legacy, streamed, agent) is counted here.

Counts are kept per organisation, per month of the simulated clock and per model,
and reported in the shape both usage routes document:
`{total_requests, total_tokens, by_model: {<modelId>: {requests, tokens}}}`.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any


def month_of(moment: datetime) -> str:
    return moment.strftime("%Y-%m")


class UsageLedger:
    def __init__(self) -> None:
        self._counts: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))

    def record(self, moment: datetime, model_id: str, tokens: int) -> None:
        entry = self._counts[month_of(moment)][model_id]
        entry[0] += 1
        entry[1] += tokens

    def report(self, month: str) -> dict[str, Any]:
        by_model = {model: {"requests": n, "tokens": t} for model, (n, t) in self._counts.get(month, {}).items()}
        return {
            "total_requests": sum(item["requests"] for item in by_model.values()),
            "total_tokens": sum(item["tokens"] for item in by_model.values()),
            "by_model": by_model,
        }
