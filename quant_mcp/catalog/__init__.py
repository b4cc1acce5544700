"""The operation catalog: every Quant AI endpoint quant-mcp serves, one Operation each.

Each module describes one API group, which is one toolset. Importing a module builds its
pydantic models, the largest part of start-up, so a server imports only the modules of the
toolsets it offers (:func:`operations_in`). ``OPERATIONS`` (the whole catalog in a stable
order) and ``OPERATIONS_BY_NAME`` (which also finds an operation by a former name, an alias) import the other modules on first use, through the module
``__getattr__`` below; ``from quant_mcp.catalog import OPERATIONS`` works as usual.
Operations of the reference that are not tools are listed, with reasons, in ``exclusions``.
"""

from __future__ import annotations

from collections.abc import Collection
from functools import cache
from importlib import import_module
from typing import Any

from quant_mcp.catalog.base import Operation, Toolset


def operations_in(toolsets: Collection[Toolset]) -> list[Operation]:
    """The operations of these toolsets, in catalog order, importing only their modules."""
    return [op for toolset in Toolset if toolset in toolsets for op in import_module(f"{__name__}.{toolset.module}").OPERATIONS]


@cache
def _whole_catalog() -> tuple[list[Operation], dict[str, Operation]]:
    operations = operations_in(set(Toolset))
    by_name = {name: op for op in operations for name in (op.name, *op.aliases)}
    assert len(by_name) == sum(1 + len(op.aliases) for op in operations), "tool names and aliases must be unique"
    return operations, by_name


def __getattr__(name: str) -> Any:
    """``OPERATIONS`` and ``OPERATIONS_BY_NAME``, built (and their modules imported) on first use."""
    if name == "OPERATIONS":
        return _whole_catalog()[0]
    if name == "OPERATIONS_BY_NAME":
        return _whole_catalog()[1]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["OPERATIONS", "OPERATIONS_BY_NAME", "Operation", "Toolset", "operations_in"]
