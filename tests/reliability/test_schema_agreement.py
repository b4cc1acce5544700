"""The published input schema and the validator agree: for every tool, on the reliability
suite's generated arguments (valid ones, and ones broken on purpose), the JSON Schema an agent
reads accepts exactly what the tool's own validation accepts.

Each tool is checked in process, through the same argument handling a call goes through
(``build_tool(op).fn_metadata``), so the test costs no server and no requests. A difference
either way is a bug: a schema that refuses what works misleads agents; a validator that refuses
what the schema allows sends them round in circles. Rules across the fields of one object
(``model_validator``: "give exactly one of ..."), which the schema states in words only, are the
one allowed difference: a refusal counts as one when every error points at an object.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from quant_mcp.catalog import OPERATIONS_BY_NAME
from quant_mcp.config import Settings
from quant_mcp.server import select_operations
from quant_mcp.tools import InvalidArguments, build_tool
from tests.reliability.schema_strategies import broken_arguments, draw_examples, valid_arguments

TOOLS = [op.name for op in select_operations(Settings(_env_file=None, toolsets=["all"]))]
DRAWS_PER_TOOL = 40


def _refusal(tool: str, arguments: dict[str, Any]) -> InvalidArguments | None:
    metadata = build_tool(OPERATIONS_BY_NAME[tool]).fn_metadata
    validated = metadata.validate_arguments(metadata.pre_parse_json(arguments))["arguments"]
    return validated if isinstance(validated, InvalidArguments) else None


def _at(value: Any, location: tuple[int | str, ...]) -> Any:
    """The argument an error location points at (pydantic's union tags are skipped)."""
    for part in location:
        if isinstance(value, list) and isinstance(part, int) and part < len(value):
            value = value[part]
        elif isinstance(value, dict) and part in value:
            value = value[part]
    return value


def _cross_field_only(refusal: InvalidArguments, arguments: dict[str, Any]) -> bool:
    errors = refusal.error.errors(include_url=False)
    return all(e["type"] == "value_error" and isinstance(_at(arguments, e["loc"]), dict) for e in errors)


def _draws(schema: dict[str, Any]) -> list[dict[str, Any]]:
    valid = valid_arguments(schema)

    @st.composite
    def one(draw: st.DrawFn) -> dict[str, Any]:
        if draw(st.booleans(), label="break it"):
            return draw(broken_arguments(schema, valid), label="broken")[1]
        return draw(valid, label="valid")

    return draw_examples(one(), DRAWS_PER_TOOL)


@pytest.mark.parametrize("tool", TOOLS)
def test_schema_and_validator_accept_the_same_arguments(tool: str) -> None:
    schema = build_tool(OPERATIONS_BY_NAME[tool]).parameters
    checker = Draft202012Validator(schema)
    disagreements = []
    for arguments in _draws(schema):
        refusal = _refusal(tool, arguments)
        by_schema, by_validator = checker.is_valid(arguments), refusal is None
        if by_schema and refusal is not None and _cross_field_only(refusal, arguments):
            continue
        if by_schema != by_validator:
            side = "schema accepts, validator refuses" if by_schema else "validator accepts, schema refuses"
            disagreements.append(f"{side}: {str(arguments)[:300]}")
    assert not disagreements, f"{tool}: {len(disagreements)} disagreement(s)\n" + "\n".join(disagreements[:5])
