"""Toolset selection, single tools, exclusions and read-only mode, seen through real MCP clients."""

from __future__ import annotations

import subprocess
import sys

import pytest
from mcp import Client

from quant_mcp.catalog import OPERATIONS, Toolset
from quant_mcp.catalog.base import DEFAULT_TOOLSETS
from quant_mcp.config import Settings
from quant_mcp.server import build_server
from quant_mcp.toolsets import READ_ONLY_HEADER, SelectionError, select_operations
from tests.conftest import make_settings, text_of
from tests.http.conftest import client_headers, connect, http_service

pytestmark = pytest.mark.anyio


def names_in(*toolsets: str) -> set[str]:
    return {op.name for op in OPERATIONS if op.toolset in toolsets}


async def listed(client: Client) -> dict[str, object]:
    return {tool.name: tool for tool in (await client.list_tools()).tools}


async def test_the_default_toolsets_are_the_seeds_and_stay_small(simulator, era):
    async with Client(build_server(make_settings(simulator)), mode=era) as client:
        tools = await listed(client)
    assert set(tools) == names_in(*DEFAULT_TOOLSETS)
    assert 15 <= len(tools) <= 25, f"{len(tools)} default tools: an agent chooses well from about 20"


@pytest.mark.parametrize(
    ("selection", "expected"),
    [
        ({"toolsets": ["default", "agents"]}, names_in(*DEFAULT_TOOLSETS, "agents")),
        ({"toolsets": ["vector_db", "files"]}, names_in("vector_db", "files")),
        ({"toolsets": ["all"]}, {op.name for op in OPERATIONS}),
        (
            {"toolsets": ["models"], "tools": ["list_agents", "query_vector_collection"]},
            names_in("models") | {"list_agents", "query_vector_collection"},
        ),
        (
            {"toolsets": ["default"], "exclude_tools": ["chat_stream", "delete_session"]},
            names_in(*DEFAULT_TOOLSETS) - {"chat_stream", "delete_session"},
        ),
    ],
    ids=["default+agents", "two-toolsets", "all", "single-tools", "excluded"],
)
async def test_selection_decides_what_clients_see(simulator, era, selection, expected):
    async with Client(build_server(make_settings(simulator, **selection)), mode=era) as client:
        assert set(await listed(client)) == expected


async def test_read_only_mode_offers_no_tool_that_writes(simulator, era):
    async with Client(build_server(make_settings(simulator, toolsets=["all"], read_only=True)), mode=era) as client:
        tools = await listed(client)
        assert tools and all(tool.annotations.read_only_hint for tool in tools.values())
        assert set(tools) == {op.name for op in OPERATIONS if op.read_only}
        refused = await client.call_tool("delete_session", {"sessionId": "s-1"})
        assert refused.is_error and "delete_session" in text_of(refused)
        assert not (await client.call_tool("list_models", {})).is_error
    assert not [r for r in simulator.state.requests if r.method == "DELETE"], "the refused call sent nothing"


@pytest.mark.parametrize(
    ("setting", "value", "listed_as", "suggested"),
    [
        ("toolsets", ["default", "agent"], "agent", "agents"),
        ("tools", ["list_agent"], "list_agent", "list_agents"),
        ("exclude_tools", ["chat_streaming"], "chat_streaming", "chat_stream"),
    ],
)
def test_unknown_names_stop_startup_with_the_closest_valid_ones(setting, value, listed_as, suggested):
    with pytest.raises(SelectionError) as raised:
        select_operations(Settings(_env_file=None, **{setting: value}))
    message = str(raised.value)
    assert f"{listed_as} (did you mean {suggested}" in message
    if setting == "toolsets":  # a short list: all of it
        assert all(toolset.value in message for toolset in Toolset)
    else:  # 110 names would bury the suggestion
        assert "`quant-mcp tools` lists every tool" in message and "get_ai_search_usage" not in message


def test_the_cli_reports_an_unknown_toolset_without_a_traceback():
    done = subprocess.run(
        [sys.executable, "-m", "quant_mcp", "tools", "--toolsets", "default,agentz"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert done.returncode != 0
    assert "agentz (did you mean agents?)" in done.stderr and "slack_bots" in done.stderr
    assert "Traceback" not in done.stderr


async def test_read_only_header_hides_writing_tools_for_that_client_only(simulator, era):
    async with http_service(simulator, toolsets=["all"]) as url:
        async with connect(url, mode=era, headers=client_headers() | {READ_ONLY_HEADER: "true"}) as reader:
            tools = await listed(reader)
            assert set(tools) == {op.name for op in OPERATIONS if op.read_only}
            created = await reader.call_tool(
                "create_vector_collection", {"name": "docs", "embeddingModel": "amazon.titan-embed-text-v2:0"}
            )
            assert created.is_error and READ_ONLY_HEADER in text_of(created)
            assert not (await reader.call_tool("list_vector_collections", {})).is_error
        async with connect(url, mode=era) as writer:
            assert set(await listed(writer)) == {op.name for op in OPERATIONS}
    assert not [r for r in simulator.state.requests if r.method == "POST"], "the refused call sent nothing"


def test_a_server_imports_only_the_catalog_modules_of_its_toolsets():
    """Building the models of unused toolsets would only slow down every start."""
    script = (
        "import sys\n"
        "from quant_mcp.config import Settings\n"
        "from quant_mcp.server import build_server\n"
        "build_server(Settings(_env_file=None, toolsets=sys.argv[1].split(','), dynamic_toolsets=sys.argv[2] == 'dynamic'))\n"
        "print(' '.join(sorted(m.rsplit('.', 1)[1] for m in sys.modules if m.startswith('quant_mcp.catalog.'))))\n"
    )

    def imported(toolsets: str, mode: str = "static") -> set[str]:
        done = subprocess.run(
            [sys.executable, "-c", script, toolsets, mode], capture_output=True, text=True, timeout=60, check=True
        )
        return set(done.stdout.split())

    shared = {"base", "content", "uris"}
    assert imported("default") - shared == {"sessions", "inference", "models", "usage", "config"}
    assert imported("agents") - shared == {"agents"}
    assert imported("default", "dynamic") - shared == set()
