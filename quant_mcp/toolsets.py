"""Which tools a client sees while the server runs: dynamic toolsets and per-request read-only.

Startup selection (toolsets, single tools, exclusions, ``--read-only``) is
``server.select_operations``. Two things can narrow or grow the list afterwards:

* ``--dynamic-toolsets``: the server starts with three discovery tools only
  (``list_toolsets``, ``describe_toolset``, ``enable_toolset``), so an agent facing 100+
  tools first sees a short menu and adds the groups it needs. Enabling a toolset registers
  its tools and tells clients of both protocol eras that the tool list changed. The tool
  list is the server's, so over shared HTTP every client sees what any client enabled.
* ``X-Quant-Read-Only: true`` on an HTTP request: that request's tool list leaves out every
  tool that writes, and calling one is refused, whatever the server offers to others.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from mcp.server import MCPServer
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.tools.base import Tool
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from pydantic import BaseModel, Field

from quant_mcp.catalog import OPERATIONS_BY_NAME, Operation, Toolset
from quant_mcp.catalog.base import TOOLSET_DESCRIPTIONS
from quant_mcp.config import DEFAULT_TOOLSETS
from quant_mcp.tools import build_tool

log = logging.getLogger("quant_mcp.toolsets")

READ_ONLY_HEADER = "x-quant-read-only"
_TRUE = frozenset({"1", "true", "yes", "on"})

# ----------------------------------------------------------------------------- per-request read-only


def _asks_read_only(ctx: ServerRequestContext[Any, Any]) -> bool:
    headers = getattr(ctx.request, "headers", None)  # None on stdio and in memory
    return headers is not None and str(headers.get(READ_ONLY_HEADER, "")).strip().lower() in _TRUE


def _writes(tool_name: object) -> bool:
    op = OPERATIONS_BY_NAME.get(str(tool_name))
    return op is not None and not op.read_only


async def hide_writing_tools_when_asked(ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
    """Server middleware: honour ``X-Quant-Read-Only`` on the request that carries it.

    ``tools/list`` answers without writing tools; ``tools/call`` of a writing tool is refused
    before anything runs, with the same kind of error as an unknown tool.
    """
    if not _asks_read_only(ctx):
        return await call_next(ctx)
    if ctx.method == "tools/call" and _writes((ctx.params or {}).get("name")):
        name = (ctx.params or {}).get("name")
        return CallToolResult(
            is_error=True,
            content=[
                TextContent(
                    type="text",
                    text=f"{name} changes data, and this request asked for read-only tools ({READ_ONLY_HEADER}: true). "
                    "Nothing was sent to the Quant API.",
                )
            ],
        )
    result = await call_next(ctx)
    if ctx.method == "tools/list" and isinstance(result, dict):
        result = {**result, "tools": [tool for tool in result.get("tools", []) if not _writes(tool.get("name"))]}
    return result


# ----------------------------------------------------------------------------- dynamic toolsets


class ToolsetInfo(BaseModel):
    name: str
    description: str
    tools: int = Field(description="Tools this toolset adds (after the server's exclusions and read-only mode).")
    enabled: bool
    default: bool = Field(description="On by default when toolsets are not dynamic.")


class ToolsetList(BaseModel):
    toolsets: list[ToolsetInfo]


class ToolInfo(BaseModel):
    name: str
    title: str
    read_only: bool = Field(alias="readOnly")
    description: str


class ToolsetDetails(BaseModel):
    name: str
    description: str
    enabled: bool
    tools: list[ToolInfo]


class ToolsetEnabled(BaseModel):
    toolset: str
    added: list[str] = Field(description="Tools now available; call them by name.")
    message: str


def _add_tool(server: MCPServer[Any], tool: Tool) -> None:
    """Register a prebuilt SDK Tool on a running server.

    ``MCPServer.add_tool`` only builds tools from functions, while catalog tools are built by
    ``build_tool`` (input schema from the arguments model, output schema from the result
    model). The constructor's ``tools=[...]`` fills the same private registry this writes to;
    this is the one place that touches it.
    """
    server._tool_manager._tools.setdefault(tool.name, tool)  # noqa: SLF001


async def _announce_tools_changed(ctx: Context) -> None:
    """Tell clients of both eras to re-list tools: the 2026 subscription bus and the 2025 session."""
    for notify in (ctx.notify_tools_changed, ctx.session.send_tool_list_changed):
        try:
            await notify()
        except Exception as exc:  # noqa: BLE001 - a client that cannot take it is not an error
            log.debug("tool list change not delivered: %s", type(exc).__name__)


class DynamicToolsets:
    """The toolsets an agent can enable at run time, and which it has."""

    def __init__(self, server: MCPServer[Any], offered: Sequence[Operation]) -> None:
        self.server = server
        self.available: dict[Toolset, list[Operation]] = {toolset: [] for toolset in Toolset}
        for op in offered:
            self.available[op.toolset].append(op)
        self.enabled: set[Toolset] = set()

    def info(self, toolset: Toolset) -> ToolsetInfo:
        return ToolsetInfo(
            name=toolset.value,
            description=TOOLSET_DESCRIPTIONS[toolset],
            tools=len(self.available[toolset]),
            enabled=toolset in self.enabled,
            default=toolset.value in DEFAULT_TOOLSETS,
        )

    async def list_toolsets(self) -> ToolsetList:
        """List the toolsets (groups of Quant AI tools) this server can enable, with what each is for, how many tools it adds and whether it is on. Enable one with enable_toolset; describe_toolset shows its tools first."""
        return ToolsetList(toolsets=[self.info(toolset) for toolset in Toolset])

    async def describe_toolset(self, toolset: Toolset) -> ToolsetDetails:
        """Show the tools a toolset would add (name, title, whether read-only, description) before enabling it."""
        return ToolsetDetails(
            name=toolset.value,
            description=TOOLSET_DESCRIPTIONS[toolset],
            enabled=toolset in self.enabled,
            tools=[
                ToolInfo(name=op.name, title=op.title, readOnly=op.read_only, description=op.description)
                for op in self.available[toolset]
            ],
        )

    async def enable_toolset(self, toolset: Toolset, ctx: Context) -> ToolsetEnabled:
        """Add a toolset's tools to this server's tool list, and tell the client that the list changed. Enabling one that is already on changes nothing."""
        names = [op.name for op in self.available[toolset]]
        if toolset in self.enabled:
            return ToolsetEnabled(toolset=toolset.value, added=[], message=f"Toolset {toolset.value} was already enabled.")
        for op in self.available[toolset]:
            _add_tool(self.server, build_tool(op))
        self.enabled.add(toolset)
        await _announce_tools_changed(ctx)
        return ToolsetEnabled(
            toolset=toolset.value, added=names, message=f"Enabled {toolset.value}: {len(names)} tool(s) added."
        )


def register_discovery_tools(server: MCPServer[Any], offered: Sequence[Operation]) -> DynamicToolsets:
    """Start ``server`` with only the three discovery tools; ``offered`` is what they may enable."""
    toolsets = DynamicToolsets(server, offered)
    # They change no Quant data, so they stay available in read-only mode.
    reads = ToolAnnotations(read_only_hint=True, idempotent_hint=True, open_world_hint=False)
    server.add_tool(toolsets.list_toolsets, name="list_toolsets", title="List toolsets", annotations=reads)
    server.add_tool(toolsets.describe_toolset, name="describe_toolset", title="Describe toolset", annotations=reads)
    server.add_tool(toolsets.enable_toolset, name="enable_toolset", title="Enable toolset", annotations=reads)
    return toolsets
