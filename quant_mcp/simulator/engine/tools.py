"""The built-in tools the reference names (get_weather, calculate, search_web, generate_image).

Each has the `toolSpec` the tools API lists and a deterministic runner, used when
a chat request lets the server execute tools (`toolConfig.autoExecute`).
"""

from __future__ import annotations

import ast
import base64
import hashlib
import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .images import png_image


class ToolFailure(Exception):
    """The tool ran but could not produce a result (e.g. a malformed expression)."""


@dataclass(frozen=True)
class BuiltinTool:
    name: str
    description: str
    input_schema: dict[str, Any]
    run: Callable[[dict[str, Any]], dict[str, Any]]

    def tool_spec(self) -> dict[str, Any]:
        return {"toolSpec": {"name": self.name, "description": self.description, "inputSchema": {"json": self.input_schema}}}


def _string_input(name: str, description: str) -> dict[str, Any]:
    return {"type": "object", "properties": {name: {"type": "string", "description": description}}, "required": [name]}


def _number_from(text: str, low: int, high: int) -> int:
    return low + int(hashlib.sha256(text.encode()).hexdigest(), 16) % (high - low + 1)


def _weather(arguments: dict[str, Any]) -> dict[str, Any]:
    location = str(arguments.get("location", ""))
    conditions = ("sunny", "cloudy", "rainy", "windy")[_number_from(location, 0, 3)]
    return {"location": location, "temperatureC": _number_from(location, -5, 35), "conditions": conditions}


_OPERATORS: dict[type, Callable[..., Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
}


def _evaluate(node: ast.AST) -> float:
    """Arithmetic only: numbers and + - * / % ** (never names, calls or attributes)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float) and not isinstance(node.value, bool):
        return node.value
    if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
        if isinstance(node.op, ast.Pow) and abs(_evaluate(node.right)) > 64:
            raise ToolFailure("exponent too large")
        return float(_OPERATORS[type(node.op)](_evaluate(node.left), _evaluate(node.right)))
    if isinstance(node, ast.UnaryOp) and type(node.op) in _OPERATORS:
        return float(_OPERATORS[type(node.op)](_evaluate(node.operand)))
    raise ToolFailure("only numbers and + - * / % ** are allowed")


def _calculate(arguments: dict[str, Any]) -> dict[str, Any]:
    expression = str(arguments.get("expression", ""))
    try:
        result = _evaluate(ast.parse(expression, mode="eval").body)
    except (SyntaxError, ZeroDivisionError, OverflowError) as exc:
        raise ToolFailure(f"cannot evaluate {expression!r}: {exc}") from exc
    return {"expression": expression, "result": int(result) if result.is_integer() else result}


def _search(arguments: dict[str, Any]) -> dict[str, Any]:
    query = str(arguments.get("query", ""))
    slug = "-".join(query.lower().split())[:60] or "search"
    return {
        "query": query,
        "results": [{"title": f"Result {n} for {query}", "url": f"https://example.com/{slug}/{n}"} for n in (1, 2)],
    }


def _generate_image(arguments: dict[str, Any]) -> dict[str, Any]:
    return {"images": [base64.b64encode(png_image(str(arguments.get("prompt", "")))).decode()]}


BUILTIN_TOOLS: dict[str, BuiltinTool] = {
    tool.name: tool
    for tool in (
        BuiltinTool("get_weather", "Current weather for a location.", _string_input("location", "City or place name"), _weather),
        BuiltinTool(
            "calculate", "Evaluate an arithmetic expression.", _string_input("expression", "e.g. (2 + 3) * 4"), _calculate
        ),
        BuiltinTool("search_web", "Search the web.", _string_input("query", "Search terms"), _search),
        BuiltinTool(
            "generate_image", "Generate an image from a prompt.", _string_input("prompt", "What to draw"), _generate_image
        ),
    )
}
