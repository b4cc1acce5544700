"""What the official MCP conformance suite (scripts/conformance.sh) relies on, checked in
process for both protocol eras, so that a regression shows up in the ordinary test run.

The runner picks optional scenarios by the capabilities the server declares; if one of
these disappeared, its scenarios would be skipped silently rather than fail.
"""

from __future__ import annotations

import pytest
from mcp import Client
from mcp.types import PromptReference

from quant_mcp.server import build_server
from tests.conftest import make_settings

pytestmark = pytest.mark.anyio


async def test_declares_what_the_conformance_run_exercises(simulator, era: str) -> None:
    async with Client(build_server(make_settings(simulator)), mode=era) as client:
        capabilities = client.server_capabilities
    assert capabilities.tools is not None
    assert capabilities.resources is not None
    assert capabilities.prompts is not None
    assert capabilities.completions is not None


async def test_completion_of_an_unknown_prompt_argument_is_an_empty_list(simulator, era: str) -> None:
    """The suite's completion-complete scenario asks about a prompt of its reference server."""
    async with Client(build_server(make_settings(simulator)), mode=era) as client:
        result = await client.complete(PromptReference(name="test_prompt_with_arguments"), {"name": "arg1", "value": "test"})
    assert result.completion.values == []
