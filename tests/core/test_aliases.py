"""A renamed tool keeps answering under its former name for a release: the same operation,
said to be deprecated in its description, and subject to the same read-only rules."""

from __future__ import annotations

from dataclasses import replace

import pytest
from mcp import Client

from quant_mcp import catalog, toolsets
from quant_mcp.server import build_server
from quant_mcp.tools import build_tools
from tests.conftest import make_settings, text_of

pytestmark = pytest.mark.anyio


@pytest.fixture
def renamed(monkeypatch: pytest.MonkeyPatch) -> None:
    """list_models, as if it had been called get_models before; delete_session, as if end_session."""
    operations = list(catalog.OPERATIONS)
    for old, name in (("get_models", "list_models"), ("end_session", "delete_session")):
        index = next(i for i, op in enumerate(operations) if op.name == name)
        operations[index] = replace(operations[index], aliases=(old,))
    by_name = {alias: op for op in operations for alias in (op.name, *op.aliases)}
    monkeypatch.setattr(catalog, "_whole_catalog", lambda: (operations, by_name))
    monkeypatch.setattr(toolsets, "operations_in", lambda chosen: [op for op in operations if op.toolset in chosen])


def test_each_alias_follows_its_tool() -> None:
    op = replace(catalog.OPERATIONS_BY_NAME["list_models"], aliases=("get_models",))
    tool, alias = build_tools([op])
    assert (tool.name, alias.name) == ("list_models", "get_models")
    assert alias.description.startswith("Deprecated: renamed to list_models")
    assert alias.parameters == tool.parameters and alias.annotations == tool.annotations


async def test_a_former_name_answers_like_the_tool(simulator, renamed) -> None:
    async with Client(build_server(make_settings(simulator))) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
        assert {"list_models", "get_models", "end_session"} <= names
        old = await client.call_tool("get_models", {})
        new = await client.call_tool("list_models", {})
        assert not old.is_error, text_of(old)
        assert old.structured_content == new.structured_content


async def test_read_only_mode_leaves_out_writing_aliases(simulator, renamed) -> None:
    async with Client(build_server(make_settings(simulator, read_only=True))) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
    assert "get_models" in names and "end_session" not in names and "delete_session" not in names
