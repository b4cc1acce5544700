"""The operation catalog: every Quant AI endpoint quant-mcp serves, one Operation each.

Each module describes one API group. ``OPERATIONS`` is the whole catalog in a stable order;
the server filters it (toolsets, read-only, single tools) and turns each entry into a tool.
"""

from __future__ import annotations

from quant_mcp.catalog import config, inference, models, sessions, usage
from quant_mcp.catalog.base import Operation, Toolset

OPERATIONS: list[Operation] = [
    *sessions.OPERATIONS,
    *inference.OPERATIONS,
    *models.OPERATIONS,
    *usage.OPERATIONS,
    *config.OPERATIONS,
]

OPERATIONS_BY_NAME: dict[str, Operation] = {op.name: op for op in OPERATIONS}
assert len(OPERATIONS_BY_NAME) == len(OPERATIONS), "tool names must be unique"

__all__ = ["OPERATIONS", "OPERATIONS_BY_NAME", "Operation", "Toolset"]
