"""The context budget: what ``tools/list`` costs every conversation before the agent does anything.

``budget.json`` holds the size in characters of the ``tools/list`` answer (the tools as sent
over the wire, compact JSON) for the default configuration, ``--read-only``, search mode and
each toolset alone. A change that grows one fails here with the per-tool sizes; a change that
shrinks one fails too, asking to lower the budget so the saving is kept:

    UPDATE_BUDGET=1 .venv/bin/pytest tests/budget

rewrites ``budget.json`` (commit it). The targets below are hard limits whatever the file says.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from quant_mcp.catalog import Toolset
from quant_mcp.config import Settings
from quant_mcp.server import build_server
from tests.core.test_seed_tools import SEED_TOOLS

pytestmark = pytest.mark.anyio

BUDGET = Path(__file__).with_name("budget.json")
UPDATE = os.environ.get("UPDATE_BUDGET") == "1"

# Hard limits (characters; ~4 characters a token).
TARGETS = {"default": 24_000, "all": 110_000, "search": 6_000}

CONFIGURATIONS: dict[str, dict[str, Any]] = {
    "default": {},
    "all": {"toolsets": ["all"]},
    "read_only": {"read_only": True},
    "search": {"tool_mode": "search"},
    **{f"toolset:{toolset.value}": {"toolsets": [toolset.value]} for toolset in Toolset},
}


async def listed(**settings: Any) -> dict[str, int]:
    """Each tool's size in characters, serialised as the SDK sends it (compact JSON, aliases, no nulls)."""
    server = build_server(Settings(_env_file=None, api_token="unused", organization="unused", **settings))
    return {
        tool.name: len(tool.model_dump_json(by_alias=True, exclude_none=True)) + 1  # the comma between tools
        for tool in await server.list_tools()
    }


def _table(sizes: dict[str, int]) -> str:
    return "\n".join(f"  {size:>7,}  {name}" for name, size in sorted(sizes.items(), key=lambda item: -item[1]))


async def test_tool_list_stays_within_its_budget():
    measured = {name: await listed(**settings) for name, settings in CONFIGURATIONS.items()}
    totals = {name: sum(sizes.values()) for name, sizes in measured.items()}
    if UPDATE:
        BUDGET.write_text(json.dumps(totals, indent=2) + "\n", encoding="utf-8")
    budget = json.loads(BUDGET.read_text(encoding="utf-8"))

    grown = {name: (total, budget.get(name)) for name, total in totals.items() if total > budget.get(name, 0)}
    assert not grown, (
        "tools/list grew past its budget (characters now, budget):\n"
        + "\n\n".join(f"{name}: {now:,} > {limit or 0:,}\n{_table(measured[name])}" for name, (now, limit) in grown.items())
        + (
            "\n\nEvery conversation pays for these characters. Shorten descriptions or schemas; if the growth "
            "is worth it, run UPDATE_BUDGET=1 pytest tests/budget and commit budget.json."
        )
    )
    shrunk = {name: (total, budget[name]) for name, total in totals.items() if total < budget.get(name, 0)}
    assert not shrunk, (
        "tools/list shrank: keep the saving by lowering the budget (UPDATE_BUDGET=1 pytest tests/budget, "
        "commit budget.json): " + ", ".join(f"{name} {now:,} < {limit:,}" for name, (now, limit) in shrunk.items())
    )
    stale = sorted(set(budget) - set(totals))
    assert not stale, f"budget.json names configurations that no longer exist (UPDATE_BUDGET=1 rewrites it): {stale}"


async def test_targets_hold():
    default = await listed()
    assert SEED_TOOLS <= set(default), f"seed tools missing from the default configuration: {SEED_TOOLS - set(default)}"
    for name, limit in TARGETS.items():
        sizes = default if name == "default" else await listed(**CONFIGURATIONS[name])
        assert sum(sizes.values()) <= limit, f"{name}: {sum(sizes.values()):,} characters > {limit:,}\n{_table(sizes)}"


async def test_the_measure_is_what_the_wire_carries():
    """The size measured here is the tools array of a real stdio tools/list answer."""
    from tests.benchmarks._common import StdioServer, clean_env, quant_mcp_argv

    env = clean_env(QUANT_API_TOKEN="unused", QUANT_ORGANIZATION="unused")
    with StdioServer(quant_mcp_argv("serve", "--read-only"), env, lifetime=60) as server:
        server.initialize()
        tools = server.request("tools/list")["tools"]
    wire = json.dumps(tools, ensure_ascii=False, separators=(",", ":"))
    assert len(wire) == sum((await listed(read_only=True)).values()) + 1  # brackets, and no comma after the last
