"""Run every benchmark and print one table: ``.venv/bin/python -m tests.benchmarks.run [--quick]``.

Each ``bench_*.py`` module exposes ``main(quick: bool = False) -> list[dict]`` returning rows
``{benchmark, metric, value, baseline, ratio, note}``. A module that is missing or fails
becomes one row saying so, and the others still run. What a benchmark needs beyond the
test extras (the FastMCP peer) it installs itself, under ``.bench-cache/``.
"""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys
import time
import traceback
from typing import Any

from tests.benchmarks._common import ROOT, print_table

MODULES = [
    "bench_cold_start",
    "bench_overhead",
    "bench_peer",
    "bench_agent_cost",
    "bench_relay",
    "bench_memory",
    "bench_http",
    "bench_http_servers",
    "bench_workers",
    "bench_soak",
    "bench_observability",
    "bench_replicas",
]


def ensure_test_extras() -> None:
    """A fresh clone may have the package but not the test extras the benchmarks use."""
    try:
        import httpx  # noqa: F401
        import yaml  # noqa: F401
    except ImportError:
        print("installing quant-mcp[test] ...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "-e", f"{ROOT}[test]"], check=True)


def run_module(name: str, quick: bool) -> list[dict[str, Any]]:
    try:
        module = importlib.import_module(f"tests.benchmarks.{name}")
    except ModuleNotFoundError as exc:
        if exc.name == f"tests.benchmarks.{name}":
            return [{"benchmark": name, "metric": "-", "note": "skipped: module not written yet"}]
        raise
    return module.main(quick=quick)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks.run", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs: a smoke test of the benchmarks, noisy figures")
    parser.add_argument("--only", action="append", choices=MODULES, help="run just this module (repeatable)")
    args = parser.parse_args(argv)
    ensure_test_extras()
    rows: list[dict[str, Any]] = []
    failed = 0
    for name in args.only or MODULES:
        started = time.perf_counter()
        print(f"running {name} ...", file=sys.stderr, flush=True)
        try:
            rows += run_module(name, args.quick)
        except Exception as exc:
            failed += 1
            traceback.print_exc()
            rows.append({"benchmark": name, "metric": "-", "note": f"FAILED: {type(exc).__name__}: {exc}"[:200]})
        print(f"  {name}: {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    print_table(rows)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
