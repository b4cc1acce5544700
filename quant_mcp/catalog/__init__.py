"""The operation catalog: every Quant AI endpoint quant-mcp serves, one Operation each.

Each module describes one API group, which is one toolset. Importing a module builds its
pydantic models, the largest part of start-up, so a server imports only the modules of the
toolsets it offers (:func:`operations_in`). ``OPERATIONS`` (the whole catalog in a stable
order) and ``OPERATIONS_BY_NAME`` import the other modules on first use, through the module
``__getattr__`` below; ``from quant_mcp.catalog import OPERATIONS`` works as usual.
Operations of the reference that are not tools are listed, with reasons, in ``exclusions``.
"""

from __future__ import annotations

from collections.abc import Collection
from functools import cache
from importlib import import_module
from typing import Any

from quant_mcp.catalog.base import Operation, Toolset

TOOLSET_MODULES: dict[Toolset, str] = {
    Toolset.SESSIONS: "sessions",
    Toolset.INFERENCE: "inference",
    Toolset.MODELS: "models",
    Toolset.USAGE: "usage",
    Toolset.CONFIG: "config",
    Toolset.AGENTS: "agents",
    Toolset.TOOLS: "ai_tools",
    Toolset.CUSTOM_TOOLS: "custom_tools",
    Toolset.VECTOR_DB: "vector_db",
    Toolset.FILES: "files",
    Toolset.ORCHESTRATIONS: "orchestrations",
    Toolset.SKILLS: "skills",
    Toolset.SLACK_BOTS: "slack_bots",
    Toolset.TASKS: "tasks",
    Toolset.GOVERNANCE: "governance",
    Toolset.FILTER_POLICIES: "filter_policies",
    Toolset.AI_SEARCH: "ai_search",
}


def operations_in(toolsets: Collection[Toolset]) -> list[Operation]:
    """The operations of these toolsets, in catalog order, importing only their modules."""
    return [
        op
        for toolset in Toolset
        if toolset in toolsets
        for op in import_module(f"{__name__}.{TOOLSET_MODULES[toolset]}").OPERATIONS
    ]


@cache
def _whole_catalog() -> tuple[list[Operation], dict[str, Operation]]:
    operations = operations_in(set(Toolset))
    by_name = {op.name: op for op in operations}
    assert len(by_name) == len(operations), "tool names must be unique"
    return operations, by_name


def __getattr__(name: str) -> Any:
    """``OPERATIONS`` and ``OPERATIONS_BY_NAME``, built (and their modules imported) on first use."""
    if name == "OPERATIONS":
        return _whole_catalog()[0]
    if name == "OPERATIONS_BY_NAME":
        return _whole_catalog()[1]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["OPERATIONS", "OPERATIONS_BY_NAME", "TOOLSET_MODULES", "Operation", "Toolset", "operations_in"]
