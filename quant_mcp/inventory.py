"""The tool table: every catalog tool, its toolset, whether it is on by default, route and annotations (``quant-mcp tools``)."""

from __future__ import annotations

from quant_mcp.catalog import OPERATIONS, Operation
from quant_mcp.config import DEFAULT_TOOLSETS, Settings


def _hints(op: Operation) -> str:
    hints = ["read-only" if op.read_only else "writes"]
    if op.destructive:
        hints.append("destructive")
    if op.idempotent:
        hints.append("idempotent")
    return ", ".join(hints)


def tool_rows(settings: Settings) -> list[dict[str, str]]:
    from quant_mcp.toolsets import select_operations

    enabled = {op.name for op in select_operations(settings)}
    rows = []
    for op in OPERATIONS:
        route = op.route_for(settings.api_routes)
        rows.append(
            {
                "tool": op.name,
                "toolset": op.toolset.value,
                "default": "yes" if op.toolset in DEFAULT_TOOLSETS else "",
                "enabled": "yes" if op.name in enabled else "",
                "route": f"{route.method} {route.path}",
                "annotations": _hints(op),
            }
        )
    return rows


def print_tool_table(settings: Settings, *, markdown: bool = False) -> int:
    rows = tool_rows(settings)
    columns = ["tool", "toolset", "default", "enabled", "route", "annotations"]
    if markdown:
        print("| " + " | ".join(columns) + " |")
        print("|" + "---|" * len(columns))
        for row in rows:
            print("| " + " | ".join(f"`{row[c]}`" if c in ("tool", "route") else row[c] for c in columns) + " |")
    else:
        widths = {c: max(len(c), *(len(r[c]) for r in rows)) for c in columns}
        print("  ".join(c.upper().ljust(widths[c]) for c in columns))
        for row in rows:
            print("  ".join(row[c].ljust(widths[c]) for c in columns))
    counts = {column: sum(1 for row in rows if row[column]) for column in ("default", "enabled")}
    read_only = sum(1 for row in rows if row["annotations"].startswith("read-only"))
    print(
        f"\n{len(rows)} tools in all: {counts['default']} on by default, {read_only} read-only; "
        f"{counts['enabled']} enabled with this configuration"
        + (" (enable_toolset adds them on request)." if settings.dynamic_toolsets else ".")
    )
    return 0
