"""Benchmarks: ``python -m tests.benchmarks.run [--quick]`` runs them all and prints one table.

Every figure is a ratio against a baseline measured in the same run (the machines are shared
and noisy); nothing here is a timed test. Each ``bench_*.py`` module exposes
``main(quick: bool = False) -> list[dict]`` and shares its helpers through ``_common``.
"""
