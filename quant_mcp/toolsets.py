"""Which tools a client sees: startup selection, dynamic toolsets and per-request read-only.

* Startup: ``select_operations`` picks the catalog tools a configuration offers (toolsets,
  single tools, exclusions, ``--read-only``) and imports only the catalog modules it needs.
  Unknown toolset or tool names stop the server with a :class:`SelectionError` listing the
  valid ones, rather than offering silently less than asked.
* ``--dynamic-toolsets``: the server starts with three discovery tools only
  (``list_toolsets``, ``describe_toolset``, ``enable_toolset``), so an agent facing 100+
  tools first sees a short menu and adds the groups it needs. Enabling a toolset registers
  its tools and tells clients of both protocol eras that the tool list changed. The tool
  list is the server's, so over shared HTTP every client sees what any client enabled.
* ``X-Quant-Read-Only: true`` on an HTTP request: that request's tool list leaves out every
  tool that writes, and calling one is refused, whatever the server offers to others.

Exclusions and ``--read-only`` hold in every mode (:func:`offers`).
"""

from __future__ import annotations

import logging
from typing import Any

from mcp.server import MCPServer
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.mcpserver import Context
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from pydantic import BaseModel, Field

from quant_mcp import catalog, sdk, subscriptions
from quant_mcp.catalog import Operation, Toolset, operations_in
from quant_mcp.catalog.base import DEFAULT_TOOLSETS
from quant_mcp.config import Settings
from quant_mcp.shared_state import SharedState, ToolsListChanged
from quant_mcp.tools import build_tools

log = logging.getLogger("quant_mcp.toolsets")

READ_ONLY_HEADER = "x-quant-read-only"
_TRUE = frozenset({"1", "true", "yes", "on"})

# ----------------------------------------------------------------------------- startup selection


class SelectionError(ValueError):
    """A toolset or tool name in the configuration that does not exist; the message lists the valid ones."""


def _expand_toolsets(names: list[str]) -> set[Toolset]:
    """``all``, ``default`` and toolset names to the toolsets they mean, refusing unknown names."""
    valid = {toolset.value: toolset for toolset in Toolset}
    unknown = sorted(set(names) - set(valid) - {"all", "default"})
    if unknown:
        raise SelectionError(
            f"Unknown toolset(s) {', '.join(unknown)} in QUANT_TOOLSETS / --toolsets. "
            f"Valid: all, default ({', '.join(DEFAULT_TOOLSETS)}), {', '.join(valid)}."
        )
    if "all" in names:
        return set(Toolset)
    chosen = {valid[name] for name in names if name in valid}
    if "default" in names:
        chosen |= {toolset for toolset in Toolset if toolset.default}
    return chosen


def _check_tool_names(names: list[str], setting: str) -> None:
    if not names:
        return  # the whole catalog is imported only to check names that were given
    known = catalog.OPERATIONS_BY_NAME
    unknown = sorted(set(names) - set(known))
    if unknown:
        raise SelectionError(
            f"Unknown tool(s) {', '.join(unknown)} in {setting}. Valid tools: {', '.join(known)} "
            "(`quant-mcp tools` prints them with their toolsets)."
        )


def check_selection(settings: Settings) -> set[Toolset]:
    """The toolsets the configuration selects, after refusing any unknown toolset or tool name."""
    _check_tool_names(settings.tools, "QUANT_TOOLS / --tools")
    _check_tool_names(settings.exclude_tools, "QUANT_EXCLUDE_TOOLS / --exclude-tools")
    return _expand_toolsets(settings.toolsets)


def offers(op: Operation, settings: Settings) -> bool:
    """Exclusions and read-only mode, which hold however a tool was selected."""
    return op.name not in settings.exclude_tools and (op.read_only or not settings.read_only)


def select_operations(settings: Settings) -> list[Operation]:
    """The catalog tools this configuration offers, in catalog order.

    A tool is offered when its toolset is selected (``toolsets``: names, ``default``, ``all``)
    or it is named in ``tools``, and :func:`offers` holds. With ``dynamic_toolsets`` this is
    what the discovery tools may enable: every toolset, whatever ``toolsets`` says.
    """
    toolsets = check_selection(settings)
    if settings.dynamic_toolsets:
        toolsets = set(Toolset)
    extra = set(settings.tools)
    pool = catalog.OPERATIONS if extra or settings.dynamic_toolsets else operations_in(toolsets)
    return [op for op in pool if (op.toolset in toolsets or op.name in extra) and offers(op, settings)]


# ----------------------------------------------------------------------------- per-request read-only


def _asks_read_only(ctx: ServerRequestContext[Any, Any]) -> bool:
    headers = getattr(ctx.request, "headers", None)  # None on stdio and in memory
    return headers is not None and str(headers.get(READ_ONLY_HEADER, "")).strip().lower() in _TRUE


def _writes(tool_name: object) -> bool:
    op = catalog.OPERATIONS_BY_NAME.get(str(tool_name))
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


async def _announce_tools_changed(ctx: Context) -> None:
    """Tell clients of both eras to re-list tools: the 2026 subscription bus and the 2025 session."""
    for notify in (ctx.notify_tools_changed, ctx.session.send_tool_list_changed):
        try:
            await notify()
        except Exception as exc:
            log.debug("tool list change not delivered: %s", type(exc).__name__)


class DynamicToolsets:
    """The toolsets an agent can enable at run time, and which it has.

    A toolset's catalog module is imported the first time it is listed, described or enabled,
    so a dynamic server starts without loading any of them.
    """

    SHARED_KEY = "toolsets:enabled"

    def __init__(self, server: MCPServer[Any], settings: Settings, shared: SharedState | None = None) -> None:
        self.server = server
        self.settings = settings
        self.shared = shared
        self.enabled: set[Toolset] = set()
        if shared is not None:
            shared.on_remote(self._remote_change)

    def _add(self, toolset: Toolset) -> list[str]:
        operations = self.available(toolset)
        for tool in build_tools(operations):
            sdk.add_tool(self.server, tool)
        self.enabled.add(toolset)
        return [op.name for op in operations]

    async def sync(self) -> bool:
        """Enable here what another replica enabled (the choice is shared through Redis); True if any."""
        if self.shared is None:
            return False
        names = await self.shared.get(self.SHARED_KEY) or []
        missing = {Toolset(name) for name in names if name in Toolset._value2member_map_} - self.enabled
        for toolset in missing:
            self._add(toolset)
        return bool(missing)

    async def _remote_change(self, event: object) -> None:
        if isinstance(event, ToolsListChanged) and await self.sync():
            await subscriptions.tell_everyone_tools_changed(self.server)

    def available(self, toolset: Toolset) -> list[Operation]:
        return [op for op in operations_in({toolset}) if offers(op, self.settings)]

    def info(self, toolset: Toolset) -> ToolsetInfo:
        return ToolsetInfo(
            name=toolset.value,
            description=toolset.description,
            tools=len(self.available(toolset)),
            enabled=toolset in self.enabled,
            default=toolset.default,
        )

    async def list_toolsets(self) -> ToolsetList:
        """List the toolsets (groups of Quant AI tools) this server can enable, with what each is for, how many tools it adds and whether it is on. Enable one with enable_toolset; describe_toolset shows its tools first."""
        return ToolsetList(toolsets=[self.info(toolset) for toolset in Toolset])

    async def describe_toolset(self, toolset: Toolset) -> ToolsetDetails:
        """Show the tools a toolset would add (name, title, whether read-only, description) before enabling it."""
        return ToolsetDetails(
            name=toolset.value,
            description=toolset.description,
            enabled=toolset in self.enabled,
            tools=[
                ToolInfo(name=op.name, title=op.title, readOnly=op.read_only, description=op.description)
                for op in self.available(toolset)
            ],
        )

    async def enable_toolset(self, toolset: Toolset, ctx: Context) -> ToolsetEnabled:
        """Add a toolset's tools to this server's tool list, and tell the client that the list changed. Enabling one that is already on changes nothing."""
        if toolset in self.enabled:
            return ToolsetEnabled(toolset=toolset.value, added=[], message=f"Toolset {toolset.value} was already enabled.")
        names = self._add(toolset)
        if self.shared is not None:  # before the announcement: other replicas read it when they hear it
            await self.shared.put(self.SHARED_KEY, sorted(t.value for t in self.enabled))
        await _announce_tools_changed(ctx)
        return ToolsetEnabled(toolset=toolset.value, added=names, message=f"Enabled {toolset.value}: {len(names)} tool(s) added.")


def register_discovery_tools(server: MCPServer[Any], settings: Settings, shared: SharedState | None = None) -> DynamicToolsets:
    """Start ``server`` with only the three discovery tools (and, with ``shared``, what other replicas enabled: see ``sync``)."""
    toolsets = DynamicToolsets(server, settings, shared)
    # They change no Quant data, so they stay available in read-only mode.
    reads = ToolAnnotations(read_only_hint=True, idempotent_hint=True, open_world_hint=False)
    server.add_tool(toolsets.list_toolsets, name="list_toolsets", title="List toolsets", annotations=reads)
    server.add_tool(toolsets.describe_toolset, name="describe_toolset", title="Describe toolset", annotations=reads)
    server.add_tool(toolsets.enable_toolset, name="enable_toolset", title="Enable toolset", annotations=reads)
    return toolsets
