"""The published input schema and the validator agree: for every tool, on the reliability
suite's generated arguments (valid ones, and ones broken on purpose), the JSON Schema an agent
reads accepts exactly what the tool's own validation accepts.

Each tool is checked in process, through the same argument handling a call goes through
(``build_tool(op).fn_metadata``), so the test costs no server and no requests. A difference
either way is a bug: a schema that refuses what works misleads agents; a validator that refuses
what the schema allows sends them round in circles. Cross-field rules a JSON Schema cannot say
(``model_validator``) are the one allowed difference, listed in ``CROSS_FIELD_RULES``.
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


def _accepted_by_validator(tool: str, arguments: dict[str, Any]) -> bool:
    metadata = build_tool(OPERATIONS_BY_NAME[tool]).fn_metadata
    validated = metadata.validate_arguments(metadata.pre_parse_json(arguments))
    return not isinstance(validated["arguments"], InvalidArguments)


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
        by_schema, by_validator = checker.is_valid(arguments), _accepted_by_validator(tool, arguments)
        if by_schema != by_validator:
            side = "schema accepts, validator refuses" if by_schema else "validator accepts, schema refuses"
            disagreements.append(f"{side}: {str(arguments)[:300]}")
    assert not disagreements, f"{tool}: {len(disagreements)} disagreement(s)\n" + "\n".join(disagreements[:5])
