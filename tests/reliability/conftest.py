"""Shared pieces of the reliability suite: what a readable tool error is, and the tally of
fuzzed calls and fault cases that the end of the run prints (``pytest -rA`` not needed)."""

from __future__ import annotations

import functools
from collections import Counter
from typing import Any

from hypothesis import HealthCheck, Phase, find, settings

from quant_mcp.catalog import OPERATIONS_BY_NAME
from quant_mcp.schemas import input_schema
from tests.conftest import text_of
from tests.reliability.schema_strategies import valid_arguments

# Figures the suite reports at the end of the run (printed by pytest_terminal_summary).
TALLY: Counter[str] = Counter()


def is_crash(tool: str, text: str) -> bool:
    """The SDK's text for an unexpected exception: the tool's name and no reason."""
    return text.strip() == f"Error executing tool {tool}" or text.count("Error executing tool") > 1


def assert_readable_error(tool: str, result: Any) -> str:
    """A tool error an agent can act on: flagged as an error, a reason after the tool's name,
    short, no traceback, no pydantic dump; returns its text."""
    text = text_of(result)
    assert result.is_error, f"{tool} answered without an error: {text[:300]}"
    assert not is_crash(tool, text), f"{tool} crashed (no reason given): {text!r}"
    prefix = f"Error executing tool {tool}: "
    assert text.startswith(prefix) and len(text) > len(prefix) + 10, text[:300]
    assert len(text) < 4000, f"{tool}: an error of {len(text)} characters is not a sentence: {text[:300]}..."
    for leak in ("Traceback", "errors.pydantic.dev", "For further information visit"):
        assert leak not in text, f"{tool}: {leak!r} in the error: {text[:500]}"
    return text


@functools.cache
def accepted_example(tool: str) -> dict[str, Any]:
    """Small arguments the tool accepts: the first such draw (derandomized, so the same every run)."""
    model = OPERATIONS_BY_NAME[tool].arguments

    def accepted(arguments: dict[str, Any]) -> bool:
        if len(repr(arguments)) > 2000:  # small and readable in a failure message
            return False
        try:
            model.model_validate(arguments)
        except ValueError:
            return False
        return True

    search = settings(
        database=None, derandomize=True, max_examples=5000, phases=[Phase.generate], suppress_health_check=list(HealthCheck)
    )
    return find(valid_arguments(input_schema(model)), accepted, settings=search)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if TALLY:
        terminalreporter.write_sep("-", "reliability figures")
        for key in sorted(TALLY):
            terminalreporter.write_line(f"{key}: {TALLY[key]}")
