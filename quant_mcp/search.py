"""Search mode (``QUANT_TOOL_MODE=search``, ``--tool-mode search``): three tools that reach every
operation, for clients without a tool search of their own.

* ``find_operations``: operations whose name, title, description or toolset match some words.
* ``describe_operation``: one operation's whole interface, as its typed tool would publish it.
* ``call_operation``: run one by name. It runs the operation's own typed tool (the one
  :func:`quant_mcp.tools.build_tool` makes), so validation, refusals, the pipeline and the
  answer are exactly a typed call's; only the error prefix names the operation, as it would.

What an operation is offered follows the configuration as for typed tools (exclusions,
``--read-only``, and ``X-Quant-Read-Only`` on an HTTP request); toolsets do not limit search
mode, which is the point of it. The three tools cost about 2,000 characters of ``tools/list``
in all, where every typed tool costs 140,000.
"""

from __future__ import annotations

import logging
import re
from functools import cache
from typing import Annotated, Any

from mcp.server import MCPServer
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError, UnexpectedToolError
from mcp.server.mcpserver.tools.base import Tool
from mcp.types import CallToolResult, InputRequiredResult, TextContent, ToolAnnotations
from pydantic import BaseModel, Field

from quant_mcp import catalog
from quant_mcp.catalog import Operation
from quant_mcp.config import Settings
from quant_mcp.tools import annotations_for, build_tool
from quant_mcp.toolsets import asks_read_only, offers

log = logging.getLogger("quant_mcp.search")

SEARCH_INSTRUCTIONS = """ Every operation is reached through three tools: find_operations (by words), \
describe_operation (its arguments), then call_operation with its name and arguments."""

_WORD = re.compile(r"[a-z0-9]+")
# Words too common in the catalog to tell operations apart.
_COMMON = frozenset("a an and the of to for in on with by or is it its as at from this that my your".split())


class Found(BaseModel):
    name: str
    title: str
    toolset: str
    read_only: bool = Field(alias="readOnly")
    description: str


class FoundOperations(BaseModel):
    operations: list[Found]
    more: int = Field(description="Matches left out past `limit`.")


class OperationInterface(BaseModel):
    name: str
    title: str
    toolset: str
    description: str
    input_schema: dict[str, Any] = Field(alias="inputSchema")
    output_schema: dict[str, Any] | None = Field(None, alias="outputSchema")
    annotations: dict[str, Any]


def _words(text: str) -> list[str]:
    return [word for word in _WORD.findall(text.lower()) if word not in _COMMON]


def _stem(word: str) -> str:
    """Singular and plural, verb and noun meet: sessions/session, embeddings/embedding."""
    for suffix in ("ies", "ing", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return word


def _stems(text: str) -> frozenset[str]:
    return frozenset(map(_stem, _words(text)))


@cache
def _index(name: str) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """The stems of an operation's name and toolset, title, and description."""
    op = catalog.OPERATIONS_BY_NAME[name]
    return _stems(f"{op.name} {op.toolset.value}"), _stems(op.title), _stems(op.description)


def score(op: Operation, query: str) -> int:
    """How well ``query`` matches ``op``: a word in the name or toolset counts 3, in the title 2,
    in the description 1; and 2 more when the query holds every word of the name."""
    name, title, description = _index(op.name)
    stems = set(map(_stem, _words(query)))
    points = sum(3 * (stem in name) + 2 * (stem in title) + (stem in description) for stem in stems)
    return points + 2 * (points > 0 and _stems(op.name.replace("_", " ")) <= stems)


class Search:
    """The operations one server reaches in search mode, and the three tools over them."""

    def __init__(self, settings: Settings, confirm: bool) -> None:
        self.settings = settings
        self.confirm = confirm

    def offered(self, ctx: Context | None) -> list[Operation]:
        read_only = ctx is not None and asks_read_only(ctx.request_context)
        return [op for op in catalog.OPERATIONS if offers(op, self.settings) and (op.read_only or not read_only)]

    def operation(self, name: str, ctx: Context) -> tuple[Operation, str]:
        op = catalog.OPERATIONS_BY_NAME.get(name)
        if op is None or all(other is not op for other in self.offered(ctx)):
            hint = "" if op is None else " here (excluded, or it changes data and this server or request is read-only)"
            raise ToolError(f"No operation {name!r}{hint}; find_operations lists those you can use.")
        return op, name

    async def find_operations(
        self,
        query: Annotated[str, Field(min_length=1, max_length=500, description="Words, e.g. 'upload file' or 'agent chat'.")],
        ctx: Context,
        limit: Annotated[int, Field(ge=1, le=50)] = 8,
    ) -> FoundOperations:
        """Find Quant AI operations by words: best matches first. Then describe_operation, then call_operation."""
        ranked = sorted(
            ((score(op, query), index, op) for index, op in enumerate(self.offered(ctx))), key=lambda item: (-item[0], item[1])
        )
        matches = [op for points, _, op in ranked if points > 0]
        return FoundOperations(
            operations=[
                Found(name=op.name, title=op.title, toolset=op.toolset.value, readOnly=op.read_only, description=op.description)
                for op in matches[:limit]
            ],
            more=max(0, len(matches) - limit),
        )

    async def describe_operation(
        self, name: Annotated[str, Field(min_length=1, max_length=100, description="From find_operations.")], ctx: Context
    ) -> OperationInterface:
        """One operation's arguments (JSON Schema), result and hints, to call it with call_operation."""
        op, name = self.operation(name, ctx)
        tool = typed_tool(op, name, self.confirm)
        hints = annotations_for(op).model_dump(by_alias=True, exclude_none=True)
        return OperationInterface(
            name=name,
            title=op.title,
            toolset=op.toolset.value,
            description=tool.description or "",
            inputSchema=tool.parameters,
            outputSchema=tool.fn_metadata.output_schema,
            annotations=hints,
        )

    async def call_operation(
        self,
        name: Annotated[str, Field(min_length=1, max_length=100, description="From find_operations.")],
        ctx: Context,
        arguments: Annotated[dict[str, Any], Field(description="As describe_operation shows.")] | None = None,
    ) -> CallToolResult | InputRequiredResult:
        """Call a Quant AI operation by name; the answer is what its own tool returns."""
        op, name = self.operation(name, ctx)
        try:
            return await typed_tool(op, name, self.confirm).run(arguments or {}, ctx)
        except ToolError as exc:  # what the typed tool's caller would read, under the operation's name
            if isinstance(exc, UnexpectedToolError):
                log.exception("operation %r raised an unexpected exception", name)
            return CallToolResult(is_error=True, content=[TextContent(type="text", text=str(exc))])


@cache
def typed_tool(op: Operation, name: str, confirm: bool) -> Tool:
    return build_tool(op, name, confirm=confirm)


def register_search_tools(server: MCPServer[Any], settings: Settings, *, confirm: bool = True) -> Search:
    """Give ``server`` the three search-mode tools (``confirm``: destructive operations ask the user first)."""
    search = Search(settings, confirm)
    reads = ToolAnnotations(read_only_hint=True, idempotent_hint=True, open_world_hint=False)
    server.add_tool(search.find_operations, name="find_operations", title="Find operations", annotations=reads)
    server.add_tool(search.describe_operation, name="describe_operation", title="Describe an operation", annotations=reads)
    # It runs whatever it is given; in read-only mode that is only operations that change nothing.
    calls = ToolAnnotations(read_only_hint=True) if settings.read_only else ToolAnnotations()
    server.add_tool(search.call_operation, name="call_operation", title="Call an operation", annotations=calls)
    return search
