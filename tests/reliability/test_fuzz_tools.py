"""Fuzzed tool input: every tool (QUANT_TOOLSETS=all), arguments drawn from its own published
input schema, about half valid and half broken on purpose (tests/reliability/schema_strategies.py).

For every call: no crash (the SDK's bare "Error executing tool X"), no protocol-level error, no
hang. For a call the tool's schema refuses: a readable tool error that names the problem and
not one request to the Quant API (the simulator's request log is read before and after). For
a call the schema accepts: an answer, or a readable error. Hypothesis runs derandomized (the
same calls on every run) without a database; the end of the run prints how many calls were
made, and how many were valid and broken.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import anyio
import pytest
from hypothesis import assume
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from mcp import Client

from quant_mcp.config import Settings
from quant_mcp.server import build_server, select_operations
from quant_mcp.simulator import Simulator
from tests.conftest import make_settings, text_of
from tests.reliability.conftest import TALLY, accepted_example, assert_readable_error, is_crash
from tests.reliability.schema_strategies import (
    broken_arguments,
    draw_examples,
    valid_arguments,
)

pytestmark = pytest.mark.anyio

TOOLS = [op.name for op in select_operations(Settings(_env_file=None, toolsets=["all"]))]
CALLS_PER_TOOL = 95  # x 110 tools: over 10,000 calls
CALL_LIMIT = 20.0  # seconds; far above any answer from the simulator, so only a hang trips it


@dataclass
class Fuzz:
    client: Client
    simulator: Simulator
    schemas: dict[str, dict[str, Any]]
    validators: dict[str, Draft202012Validator]


@pytest.fixture
async def fuzz(simulator: Simulator) -> AsyncIterator[Fuzz]:
    """Every tool, wired to the simulator; no retries, so a refused call costs no back-off."""
    server = build_server(make_settings(simulator, toolsets=["all"], max_retries=0))
    async with Client(server) as client:
        schemas = {tool.name: tool.input_schema for tool in (await client.list_tools()).tools}
        assert sorted(schemas) == sorted(TOOLS)
        yield Fuzz(client, simulator, schemas, {name: Draft202012Validator(s) for name, s in schemas.items()})


def fuzzed_calls(schema: dict[str, Any], validator: Draft202012Validator, count: int) -> list[tuple[str, dict[str, Any]]]:
    """``count`` calls as (what was done, arguments), about two in three broken so that the
    schema refuses them."""
    valid = valid_arguments(schema)

    @st.composite
    def call(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
        if draw(st.sampled_from([False, True, True]), label="break it"):
            how, arguments = draw(broken_arguments(schema, valid), label="broken arguments")
            assume(not validator.is_valid(arguments))  # a breakage that landed in a field taking anything
            return how, arguments
        return "valid", draw(valid, label="arguments")

    return draw_examples(call(), count)


@pytest.mark.parametrize("tool", TOOLS)
async def test_fuzzed_arguments_never_crash_and_invalid_ones_never_leave_the_process(fuzz: Fuzz, tool: str) -> None:
    validator = fuzz.validators[tool]
    problems: list[str] = []
    for how, arguments in fuzzed_calls(fuzz.schemas[tool], validator, CALLS_PER_TOOL):
        invalid = not validator.is_valid(arguments)
        requests_before = len(fuzz.simulator.state.requests)
        with anyio.fail_after(CALL_LIMIT):
            result = await fuzz.client.call_tool(tool, arguments)  # a protocol-level error raises here
        sent = len(fuzz.simulator.state.requests) - requests_before
        TALLY["fuzz: calls made"] += 1
        TALLY[f"fuzz: calls with arguments the schema {'refuses' if invalid else 'accepts'}"] += 1
        TALLY["fuzz: crashes"] += is_crash(tool, text_of(result))
        if invalid:
            TALLY["fuzz: upstream requests from invalid input"] += sent
        try:
            check(tool, result, invalid, sent)
        except AssertionError as exc:
            problems.append(f"{how}: {shorten(str(exc))}\n    arguments: {shorten(arguments)}")
    assert not problems, f"{len(problems)} bad answer(s) from {tool}:\n" + "\n".join(problems[:5])


def check(tool: str, result: Any, invalid: bool, sent: int) -> None:
    """What every fuzzed call must get: no crash; for arguments the schema refuses, a readable
    refusal and no request; for arguments it accepts, an answer or a readable error."""
    text = text_of(result)
    assert not is_crash(tool, text), f"crashed: {text!r}"
    if invalid:
        message = assert_readable_error(tool, result)
        assert f"Invalid arguments for {tool}" in message and "Nothing was sent to the Quant API" in message, message
        assert sent == 0, f"refused by the schema, yet {sent} request(s) went upstream"
    elif result.is_error:
        assert_readable_error(tool, result)
        TALLY[f"fuzz: valid calls {'answered with an upstream error' if sent else 'refused before sending'}"] += 1


def shorten(value: Any) -> str:
    shown = value if isinstance(value, str) else repr(value)
    return shown if len(shown) < 400 else shown[:400] + f"... ({len(shown)} characters)"


JSON_TEXT = ['["a", "b"]', '{"key": "value"}']  # text that happens to be JSON is still text


def free_text_fields(schema: dict[str, Any]) -> list[str]:
    """Top-level string arguments that take any text of this length."""
    return [
        name
        for name, field in schema.get("properties", {}).items()
        if field.get("type") == "string" and not {"pattern", "enum", "const"} & set(field) and field.get("maxLength", 100) >= 20
    ]


@pytest.mark.parametrize("tool", TOOLS)
async def test_a_string_argument_holding_json_text_stays_a_string(fuzz: Fuzz, tool: str) -> None:
    """The SDK parses a JSON-looking string into a list or object for any argument not
    annotated exactly ``str``; an optional string must still take it as text."""
    base = accepted_example(tool)
    for field in free_text_fields(fuzz.schemas[tool]):
        for text in JSON_TEXT:
            message = text_of(await fuzz.client.call_tool(tool, {**base, field: text}))
            assert f"{field} input should be a valid string" not in message, message
            TALLY["fuzz: JSON-looking text in string arguments"] += 1
