"""Tool schema snapshots: any change to a tool's interface shows up here as a reviewed diff.

``tests/toolsnaps/<tool>.json`` holds each tool as clients receive it from ``tools/list``: name,
title, description, input schema, output schema and annotations. Agents and client
configurations break silently when these drift, so a change must be deliberate:

    UPDATE_TOOLSNAPS=1 .venv/bin/pytest tests/surface/test_toolsnaps.py

rewrites the snapshots (and removes those of tools that no longer exist); commit the diff.
"""

from __future__ import annotations

import difflib
import json
import os
from pathlib import Path
from typing import Any

import pytest

from quant_mcp.config import Settings
from quant_mcp.server import build_server

pytestmark = pytest.mark.anyio

SNAPSHOTS = Path(__file__).parent.parent / "toolsnaps"
UPDATE = os.environ.get("UPDATE_TOOLSNAPS") == "1"


async def _listed(**settings: Any) -> dict[str, str]:
    server = build_server(Settings(_env_file=None, api_token="unused", organization="unused", **settings))
    return {
        tool.name: json.dumps(tool.model_dump(mode="json", by_alias=True, exclude_none=True), indent=2, sort_keys=True) + "\n"
        for tool in await server.list_tools()
    }


async def _every_tool() -> dict[str, str]:
    """Every catalog tool, the discovery tools of --dynamic-toolsets and the three of search mode."""
    return await _listed(toolsets=["all"]) | await _listed(dynamic_toolsets=True) | await _listed(tool_mode="search")


async def test_tool_interfaces_match_their_snapshots():
    tools = await _every_tool()
    if UPDATE:
        SNAPSHOTS.mkdir(exist_ok=True)
        for stale in set(SNAPSHOTS.glob("*.json")) - {SNAPSHOTS / f"{name}.json" for name in tools}:
            stale.unlink()
        for name, text in tools.items():
            (SNAPSHOTS / f"{name}.json").write_text(text, encoding="utf-8")
    changed = []
    for name, text in sorted(tools.items()):
        path = SNAPSHOTS / f"{name}.json"
        if not path.exists():
            changed.append(f"{name}: new tool without a snapshot")
            continue
        saved = path.read_text(encoding="utf-8")
        if saved != text:
            diff = difflib.unified_diff(
                saved.splitlines(), text.splitlines(), f"toolsnaps/{name}.json", f"{name} now", lineterm=""
            )
            changed.append("\n".join(diff))
    assert not changed, (
        "Tool interfaces changed. If intended, run UPDATE_TOOLSNAPS=1 pytest tests/surface/test_toolsnaps.py "
        "and commit the snapshots.\n\n" + "\n\n".join(changed)
    )


async def test_no_snapshot_outlives_its_tool():
    tools = await _every_tool()
    stale = sorted(path.stem for path in SNAPSHOTS.glob("*.json") if path.stem not in tools)
    assert not stale, f"snapshots of tools that no longer exist (UPDATE_TOOLSNAPS=1 removes them): {stale}"
