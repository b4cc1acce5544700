"""The tool table: every catalog tool, its toolset, whether it is on by default, route and annotations (``quant-mcp tools``)."""

from __future__ import annotations

from quant_mcp.catalog import OPERATIONS, Operation
from quant_mcp.config import Settings


def _hints(op: Operation) -> str:
    hints = ["read-only" if op.read_only else "writes"]
    if op.destructive:
        hints.append("destructive")
    if op.idempotent:
        hints.append("idempotent")
    return ", ".join(hints)


def tool_rows(settings: Settings) -> list[dict[str, str]]:
    from quant_mcp.toolsets import select_operations

    # --dynamic-toolsets: the server starts with the discovery tools only, whatever the selection.
    enabled = set() if settings.dynamic_toolsets else {op.name for op in select_operations(settings)}
    rows = []
    for op in OPERATIONS:
        route = f"flow {op.flow}" if op.flow else "{0.method} {0.path}".format(op.route_for(settings.api_routes))
        rows.append(
            {
                "tool": op.name,
                "what": op.title,
                "toolset": op.toolset.value,
                "default": "yes" if op.toolset.default else "",
                "enabled": "yes" if op.name in enabled else "",
                "route": route,
                "annotations": _hints(op),
            }
        )
    return rows


def print_tool_table(settings: Settings, *, markdown: bool = False) -> int:
    rows = tool_rows(settings)
    if markdown:  # the README's table: what each tool is, not what this configuration enables
        columns = ["tool", "what", "toolset", "default", "route", "annotations"]
        print("| " + " | ".join(columns) + " |")
        print("|" + "---|" * len(columns))
        for row in rows:
            print("| " + " | ".join(f"`{row[c]}`" if c in ("tool", "route") else row[c] for c in columns) + " |")
    else:
        columns = ["tool", "toolset", "default", "enabled", "route", "annotations"]
        widths = {c: max(len(c), *(len(r[c]) for r in rows)) for c in columns}
        print("  ".join(c.upper().ljust(widths[c]) for c in columns))
        for row in rows:
            print("  ".join(row[c].ljust(widths[c]) for c in columns))
    read_only = sum(1 for row in rows if row["annotations"].startswith("read-only"))
    default = sum(1 for row in rows if row["default"])
    summary = f"\n{len(rows)} tools in all: {default} on by default, {read_only} read-only"
    if not markdown:
        if settings.dynamic_toolsets:
            summary += "; none at start with --dynamic-toolsets: the server offers list_toolsets, describe_toolset "
            summary += "and enable_toolset, and enable_toolset adds a toolset's tools on request"
        else:
            summary += f"; {sum(1 for row in rows if row['enabled'])} enabled with this configuration"
    print(summary + ".")
    return 0
