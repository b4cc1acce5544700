"""The layers of ARCHITECTURE.md hold: no import cycle in quant_mcp (imports inside functions
included, ``if TYPE_CHECKING`` imports aside), the catalog imports nothing of quant_mcp
outside itself, the pipeline imports no MCP face, and only ``sdk.py`` touches the SDK's
private attributes. Read from the source with ``ast``, so nothing is imported to check it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import quant_mcp

PACKAGE = Path(quant_mcp.__file__).parent
FACES = {"quant_mcp.server", "quant_mcp.tools", "quant_mcp.resources", "quant_mcp.prompts", "quant_mcp.toolsets",
         "quant_mcp.http", "quant_mcp.cli", "quant_mcp.subscriptions", "quant_mcp.apps", "quant_mcp.search"}  # fmt: skip
PRIVATE_SDK = re.compile(r"\._(lowlevel_server|connection|tool_manager|lifespan_state|resource_manager|prompt_manager)\b")


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.If) -> bool:
    return isinstance(node.test, ast.Name | ast.Attribute) and "TYPE_CHECKING" in ast.unparse(node.test)


def _imports(path: Path) -> set[str]:
    """The quant_mcp modules a file imports, anywhere in it but under ``if TYPE_CHECKING``."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("quant_mcp"))
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("quant_mcp"):
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text()))
    return found


def _graph() -> dict[str, set[str]]:
    modules = {_module_name(path): path for path in PACKAGE.rglob("*.py") if "simulator" not in path.parts}
    return {name: {m for m in _imports(path) if m in modules and m != name} for name, path in modules.items()}


def test_no_import_cycles() -> None:
    graph = _graph()
    done: set[str] = set()

    def walk(module: str, stack: list[str]) -> None:
        if module in stack:
            raise AssertionError("import cycle: " + " -> ".join([*stack[stack.index(module) :], module]))
        if module in done:
            return
        for target in sorted(graph[module]):
            walk(target, [*stack, module])
        done.add(module)

    for module in sorted(graph):
        walk(module, [])


def test_the_catalog_imports_only_itself() -> None:
    for module, targets in _graph().items():
        if module.startswith("quant_mcp.catalog"):
            outside = {t for t in targets if not t.startswith("quant_mcp.catalog") and t != "quant_mcp"}
            assert not outside, f"{module} imports {outside}: the catalog is pure data"


def test_the_pipeline_imports_no_mcp_face() -> None:
    graph = _graph()
    runtime = {"quant_mcp.pipeline", "quant_mcp.flows", "quant_mcp.streaming", "quant_mcp.attachments", "quant_mcp.client",
               "quant_mcp.progress"}  # fmt: skip
    for module in runtime:
        assert not graph[module] & FACES, f"{module} imports {graph[module] & FACES}"


def test_private_sdk_attributes_only_in_the_adapter() -> None:
    users = sorted(
        _module_name(path) for path in PACKAGE.rglob("*.py") if PRIVATE_SDK.search(path.read_text()) and path.name != "sdk.py"
    )
    assert not users, f"private SDK attributes outside quant_mcp/sdk.py: {users}"
