"""The operation catalog: every Quant AI endpoint quant-mcp serves, one Operation each.

Each module describes one API group. ``OPERATIONS`` is the whole catalog in a stable order;
the server filters it (toolsets, read-only, single tools) and turns each entry into a tool.
Operations of the reference that are not tools are listed, with reasons, in ``exclusions``.
"""

from __future__ import annotations

from quant_mcp.catalog import (
    agents,
    ai_search,
    ai_tools,
    config,
    custom_tools,
    files,
    filter_policies,
    governance,
    inference,
    models,
    orchestrations,
    sessions,
    skills,
    slack_bots,
    tasks,
    usage,
    vector_db,
)
from quant_mcp.catalog.base import Operation, Toolset

OPERATIONS: list[Operation] = [
    *sessions.OPERATIONS,
    *inference.OPERATIONS,
    *models.OPERATIONS,
    *usage.OPERATIONS,
    *config.OPERATIONS,
    *agents.OPERATIONS,
    *ai_tools.OPERATIONS,
    *custom_tools.OPERATIONS,
    *vector_db.OPERATIONS,
    *files.OPERATIONS,
    *orchestrations.OPERATIONS,
    *skills.OPERATIONS,
    *slack_bots.OPERATIONS,
    *tasks.OPERATIONS,
    *governance.OPERATIONS,
    *filter_policies.OPERATIONS,
    *ai_search.OPERATIONS,
]

OPERATIONS_BY_NAME: dict[str, Operation] = {op.name: op for op in OPERATIONS}
assert len(OPERATIONS_BY_NAME) == len(OPERATIONS), "tool names must be unique"

__all__ = ["OPERATIONS", "OPERATIONS_BY_NAME", "Operation", "Toolset"]
