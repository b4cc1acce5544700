"""The soak in short mode, for CI: 50 MCP clients over Streamable HTTP for about 10 s must see
no error at all. Figures are printed, never asserted: speed is the benchmark's business
(tests/benchmarks/bench_soak.py, which also runs the full 2-minute soak)."""

from __future__ import annotations

from tests.benchmarks._common import percentile
from tests.benchmarks.bench_soak import CLIENTS, soak
from tests.reliability.conftest import TALLY


def test_a_short_soak_serves_every_call_without_an_error() -> None:
    result = soak(10.0)

    TALLY["soak (short): calls served"] += len(result.calls)
    TALLY["soak (short): errors"] += len(result.errors)
    TALLY["soak (short): p50 ms"] += round(percentile(result.latencies(), 50))
    TALLY["soak (short): p99 ms"] += round(percentile(result.latencies(), 99))
    TALLY["soak (short): server RSS start MiB"] += round(result.rss_start_mb)
    TALLY["soak (short): server RSS end MiB"] += round(result.rss_end_mb)
    assert result.errors == [], f"{len(result.errors)} error(s), first: {result.errors[:3]}"
    assert len(result.calls) >= CLIENTS * 10, "every client completed at least one whole scenario"
