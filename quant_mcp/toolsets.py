"""Which tools a client sees: startup selection, dynamic toolsets and per-request read-only.

* Startup: ``select_operations`` picks the catalog tools a configuration offers (toolsets,
  single tools, exclusions, ``--read-only``) and imports only the catalog modules it needs.
  Unknown toolset or tool names stop the server with a :class:`SelectionError` listing the
  valid ones, rather than offering silently less than asked.
* ``--dynamic-toolsets``: the server starts with three discovery tools only
  (``list_toolsets``, ``describe_toolset``, ``enable_toolset``), so an agent facing 100+
  tools first sees a short menu and adds the groups it needs. Enabling a toolset registers
  its tools and tells clients of both protocol eras that the tool list changed. The choice
  belongs to the client that made it (its 2025-era session; a sessionless 2026-era client's
  identity, ``limits.identity_of``): other clients of a shared server do not see it.
* ``X-Quant-Read-Only`` on an HTTP request: that request's tool list leaves out every tool
  that writes, calling one is refused, and enabling a toolset adds only its reading tools.
  Every value of every occurrence of the header counts (a gateway may append one); any true
  value wins, and a value that is not clearly false (``0``, ``false``, ``no``, ``off``) makes
  the request read-only too.

Exclusions and ``--read-only`` hold in every mode (:func:`offers`).
"""

from __future__ import annotations

import difflib
import logging
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

from mcp.server import MCPServer
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.mcpserver import Context
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from pydantic import BaseModel, Field

from quant_mcp import catalog, sdk
from quant_mcp.catalog import Operation, Toolset, operations_in
from quant_mcp.catalog.base import DEFAULT_TOOLSETS
from quant_mcp.config import Settings
from quant_mcp.limits import identity_of
from quant_mcp.shared_state import SharedState
from quant_mcp.tools import build_tools

log = logging.getLogger("quant_mcp.toolsets")

READ_ONLY_HEADER = "x-quant-read-only"
_FALSE = frozenset({"0", "false", "no", "off"})
DISCOVERY_TOOLS = frozenset({"list_toolsets", "describe_toolset", "enable_toolset"})
CLIENTS_REMEMBERED = 10_000  # clients whose dynamic toolset choices are kept (least recently used go first)

# ----------------------------------------------------------------------------- startup selection


class SelectionError(ValueError):
    """A toolset or tool name in the configuration that does not exist; the message lists the valid ones."""


def _expand_toolsets(names: list[str]) -> set[Toolset]:
    """``all``, ``default`` and toolset names to the toolsets they mean, refusing unknown names."""
    valid = {toolset.value: toolset for toolset in Toolset}
    unknown = sorted(set(names) - set(valid) - {"all", "default"})
    if unknown:
        guesses = [
            f"{name} (did you mean {' or '.join(closest(name, [*valid, 'all', 'default'])) or 'none close'}?)" for name in unknown
        ]
        raise SelectionError(
            f"Unknown toolset(s) in QUANT_TOOLSETS / --toolsets: {', '.join(guesses)}. "
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
        guesses = [f"{name} (did you mean {' or '.join(closest(name, known)) or 'none close'}?)" for name in unknown]
        raise SelectionError(
            f"Unknown tool(s) in {setting}: {', '.join(guesses)}. `quant-mcp tools` lists every tool with its toolset."
        )


def closest(name: str, candidates: Iterable[str]) -> list[str]:
    """Up to three valid names nearest to a mistyped one."""
    return difflib.get_close_matches(name, list(candidates), n=3, cutoff=0.6)


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


def asks_read_only(ctx: ServerRequestContext[Any, Any]) -> bool:
    """Whether this request is read-only: any value of any ``X-Quant-Read-Only`` that is not clearly false
    (an empty one included: a header sent at all asks for something)."""
    headers = getattr(ctx.request, "headers", None)  # Starlette's Headers over HTTP; None on stdio and in memory
    if headers is None:
        return False
    values = [value.strip().lower() for header in headers.getlist(READ_ONLY_HEADER) for value in header.split(",")]
    return any(value not in _FALSE for value in values)


def _writes(tool_name: object) -> bool:
    op = catalog.OPERATIONS_BY_NAME.get(str(tool_name))
    return op is not None and not op.read_only


async def hide_writing_tools_when_asked(ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
    """Server middleware: honour ``X-Quant-Read-Only`` on the request that carries it.

    ``tools/list`` answers without writing tools; ``tools/call`` of a writing tool is refused
    before anything runs, with the same kind of error as an unknown tool.
    """
    if not asks_read_only(ctx):
        return await call_next(ctx)
    params = ctx.params or {}
    name = params.get("name")
    arguments = params.get("arguments")
    if name == "call_operation" and isinstance(arguments, dict):  # search mode: the operation it runs is what counts
        name = arguments.get("name")
    if ctx.method == "tools/call" and _writes(name):
        return CallToolResult(
            is_error=True,
            content=[
                TextContent(
                    type="text",
                    text=f"{name} changes data, and this request asked for read-only tools ({READ_ONLY_HEADER}). "
                    "Nothing was sent to the Quant API.",
                )
            ],
        )
    result = await call_next(ctx)
    if ctx.method == "tools/list":
        result = _keep_tools(result, lambda name: not _writes(name))
    return result


def _keep_tools(result: HandlerResult, keep: Callable[[str], bool]) -> HandlerResult:
    """A tools/list result with only the tools ``keep`` accepts (a model or its dict)."""
    if isinstance(result, BaseModel):
        result = result.model_dump(mode="json", by_alias=True, exclude_none=True)
    if isinstance(result, dict):
        result = {**result, "tools": [tool for tool in result.get("tools", []) if keep(str(tool.get("name")))]}
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


def client_key(ctx: ServerRequestContext[Any, Any]) -> str:
    """Whose choices these are: the 2025-era session, else the HTTP caller's identity, else the one local client."""
    headers = getattr(ctx.request, "headers", None)
    session = headers.get("mcp-session-id") if headers is not None else None
    if session:
        return f"session:{session}"
    scope = getattr(ctx.request, "scope", None)
    if scope is not None:
        return identity_of(scope, ctx.lifespan_context.settings)
    return "local"


class DynamicToolsets:
    """The toolsets an agent can enable at run time, and which each client has enabled.

    A toolset's catalog module is imported (and its tools registered with the server) the first
    time any client enables it; which tools a client *sees* and may call is its own choice,
    applied per request by :meth:`per_client` (server middleware).
    """

    def __init__(self, settings: Settings, shared: SharedState | None = None) -> None:
        self.settings = settings
        self.server: MCPServer[Any] | None = None
        # client -> toolset -> whether its writing tools were added (False: by a read-only request)
        self._choices: OrderedDict[str, dict[Toolset, bool]] = OrderedDict()
        # With QUANT_REDIS_URL a client's choices are shared: its next request may reach another replica.
        self.shared = shared if shared is not None and shared.enabled else None
        self._registered: set[Toolset] = set()

    def register(self, server: MCPServer[Any]) -> None:
        """Offer the three discovery tools on ``server``."""
        self.server = server
        # They change no Quant data, so they stay available in read-only mode.
        reads = ToolAnnotations(read_only_hint=True, idempotent_hint=True, open_world_hint=False)
        server.add_tool(self.list_toolsets, name="list_toolsets", title="List toolsets", annotations=reads)
        server.add_tool(self.describe_toolset, name="describe_toolset", title="Describe toolset", annotations=reads)
        server.add_tool(self.enable_toolset, name="enable_toolset", title="Enable toolset", annotations=reads)

    def available(self, toolset: Toolset) -> list[Operation]:
        return [op for op in operations_in({toolset}) if offers(op, self.settings)]

    async def chosen(self, ctx: ServerRequestContext[Any, Any]) -> dict[Toolset, bool]:
        key = client_key(ctx)
        if self.shared is not None:
            stored = await self.shared.get(f"toolsets:{key}")
            if stored is not None:  # what this client chose, through whichever replica
                chosen = {Toolset(name): bool(w) for name, w in stored.items() if name in Toolset._value2member_map_}
                self._register(chosen)
                self._remember(key, chosen)
                return chosen
        if key in self._choices:
            self._choices.move_to_end(key)
        return self._choices.get(key, {})

    def _remember(self, key: str, chosen: dict[Toolset, bool]) -> None:
        self._choices[key] = chosen
        self._choices.move_to_end(key)
        while len(self._choices) > CLIENTS_REMEMBERED:
            self._choices.popitem(last=False)

    def _register(self, toolsets: Iterable[Toolset]) -> None:
        """Register the tools of ``toolsets`` on the server, once each: which of them a client
        lists and calls is decided per client (:meth:`visible`)."""
        assert self.server is not None
        for toolset in set(toolsets) - self._registered:
            for tool in build_tools(self.available(toolset), confirm=self.settings.confirm_destructive != "never"):
                sdk.add_tool(self.server, tool)
            self._registered.add(toolset)

    def visible(self, name: str, chosen: dict[Toolset, bool]) -> bool:
        if name in DISCOVERY_TOOLS:
            return True
        op = catalog.OPERATIONS_BY_NAME.get(name)
        return op is not None and op.toolset in chosen and (op.read_only or chosen[op.toolset])

    async def per_client(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        """Server middleware: a client lists and calls only the discovery tools and what it enabled."""
        if ctx.method not in ("tools/list", "tools/call"):
            return await call_next(ctx)
        chosen = await self.chosen(ctx)
        if ctx.method == "tools/call":
            name = str((ctx.params or {}).get("name"))
            op = catalog.OPERATIONS_BY_NAME.get(name)
            if op is not None and not self.visible(name, chosen):
                return CallToolResult(
                    is_error=True,
                    content=[
                        TextContent(
                            type="text",
                            text=f"{name} is not enabled for this client: call enable_toolset with toolset "
                            f"{op.toolset.value!r} first. Nothing was sent to the Quant API.",
                        )
                    ],
                )
            return await call_next(ctx)
        return _keep_tools(await call_next(ctx), lambda name: self.visible(name, chosen))

    def info(self, toolset: Toolset, chosen: dict[Toolset, bool]) -> ToolsetInfo:
        return ToolsetInfo(
            name=toolset.value,
            description=toolset.description,
            tools=len(self.available(toolset)),
            enabled=toolset in chosen,
            default=toolset.default,
        )

    async def list_toolsets(self, ctx: Context) -> ToolsetList:
        """List the toolsets (groups of Quant AI tools) this server can enable, with what each is for, how many tools it adds and whether it is on for you. Enable one with enable_toolset; describe_toolset shows its tools first."""
        chosen = await self.chosen(ctx.request_context)
        return ToolsetList(toolsets=[self.info(toolset, chosen) for toolset in Toolset])

    async def describe_toolset(self, toolset: Toolset, ctx: Context) -> ToolsetDetails:
        """Show the tools a toolset would add (name, title, whether read-only, description) before enabling it."""
        return ToolsetDetails(
            name=toolset.value,
            description=toolset.description,
            enabled=toolset in await self.chosen(ctx.request_context),
            tools=[
                ToolInfo(name=op.name, title=op.title, readOnly=op.read_only, description=op.description)
                for op in self.available(toolset)
            ],
        )

    async def enable_toolset(self, toolset: Toolset, ctx: Context) -> ToolsetEnabled:
        """Add a toolset's tools to your tool list (yours only: other clients of this server choose their own), and tell your client that the list changed. Over a read-only connection only its reading tools are added. Enabling one that is already on changes nothing."""
        request = ctx.request_context
        writing = not asks_read_only(request)
        key = client_key(request)
        chosen = dict(await self.chosen(request))
        self._remember(key, chosen)
        if toolset in chosen and (chosen[toolset] or not writing):
            return ToolsetEnabled(toolset=toolset.value, added=[], message=f"Toolset {toolset.value} was already enabled.")
        self._register([toolset])
        names = [op.name for op in self.available(toolset) if writing or op.read_only]
        chosen[toolset] = writing
        if self.shared is not None:  # before the announcement: a replica that hears it reads this
            await self.shared.put(f"toolsets:{key}", {t.value: w for t, w in chosen.items()})
        await _announce_tools_changed(ctx)
        note = "" if writing else " (reading tools only: this connection is read-only)"
        return ToolsetEnabled(
            toolset=toolset.value, added=names, message=f"Enabled {toolset.value}: {len(names)} tool(s) added{note}."
        )
