"""The two-replica soak in short mode, for CI: clients of both eras behind the round-robin proxy,
two replicas sharing a real Redis, a few seconds: no error at all. Figures are the benchmark's
business (tests/benchmarks/bench_replicas.py runs the full 2-minute soak with 50 clients)."""

from __future__ import annotations

from tests.benchmarks.bench_replicas import soak_replicas


def test_a_short_soak_across_two_replicas_serves_every_call() -> None:
    result, starts, ends = soak_replicas(8.0, clients=20)
    assert result.errors == [], f"{len(result.errors)} error(s), first: {result.errors[:3]}"
    assert len(result.calls) >= 20 * 10, "every client completed at least one whole scenario"
    assert len(starts) == len(ends) == 2
