"""Hypothesis strategies built from a tool's own JSON Schema (what ``tools/list`` publishes).

``valid_arguments(schema)`` draws arguments the schema accepts. ``broken_arguments(schema)``
draws a valid call and then breaks one spot of it the way agents and attackers do: a wrong
type, a number out of bounds or enormous, a string too long (up to a megabyte), off its
pattern or full of control characters and lone surrogates, deep nesting, a required field
removed, an unknown field added. Whether a call is valid is decided by the schema itself (a
``jsonschema`` validator), never by the server under test.

Wrong-type values avoid what pydantic's lax mode and the SDK's JSON pre-parsing legitimately
coerce (``True`` for an integer, ``"5"`` for a number, ``"[1]"`` for a list), so that a value
the schema refuses is one the server must refuse too.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

JsonPath = tuple[str | int, ...]

# Characters that break ids and paths, or text handling: traversal, URL syntax, controls,
# bidi overrides, a lone surrogate, a BOM. (Lone surrogates appear only where the server must
# refuse them: every real transport's JSON parser rejects them before a tool sees them.)
NASTY = ["../", "..", "/", "%2e%2e", "%2F", "?", "#", "\x00", "\n", "\r\n", "\x1b[31m", "\u202e", "\ud800", "\ufeff", " "]

json_leaves = (
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
any_json = st.recursive(
    json_leaves, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=8
)


def _resolve(node: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    """``node`` with its ``$ref`` (``#/$defs/Name``) followed; sibling keywords kept."""
    while "$ref" in node:
        target: Any = root
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    return node


def _alternatives(node: dict[str, Any]) -> list[dict[str, Any]] | None:
    return node.get("oneOf") or node.get("anyOf")


def _types(node: dict[str, Any], root: dict[str, Any]) -> set[str] | None:
    """The JSON types a (resolved) schema node accepts; None when it accepts anything."""
    alternatives = _alternatives(node)
    if alternatives is not None:
        found: set[str] = set()
        for alternative in alternatives:
            types = _types(_resolve(alternative, root), root)
            if types is None:
                return None
            found |= types
        return found
    if "const" in node or "enum" in node:
        values = node.get("enum", [node.get("const")])
        return {_json_type(value) for value in values}
    kind = node.get("type")
    if kind is None:
        return {"object"} if "properties" in node else None
    types = set(kind) if isinstance(kind, list) else {kind}
    return types | ({"integer"} if "number" in types else set())


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


# ----------------------------------------------------------------------------- valid values


def valid_value(node: dict[str, Any], root: dict[str, Any], depth: int = 0) -> st.SearchStrategy[Any]:
    node = _resolve(node, root)
    if "const" in node:
        return st.just(node["const"])
    if "enum" in node:
        return st.sampled_from(node["enum"])
    alternatives = _alternatives(node)
    if alternatives is not None and "properties" in node:
        # One object whose alternatives only require keys ("exactly one of these"): draw it under
        # each, with that key and none of the others the alternatives name.
        named = {key for alternative in alternatives for key in alternative.get("required", [])}
        base = {k: v for k, v in node.items() if k not in ("oneOf", "anyOf")}
        return st.one_of(
            [
                _valid_object(
                    {
                        **base,
                        "properties": {
                            k: v for k, v in base["properties"].items() if k not in named or k in alternative.get("required", [])
                        },
                        "required": [*base.get("required", []), *alternative.get("required", [])],
                    },
                    root,
                    depth,
                )
                for alternative in alternatives
            ]
        )
    if alternatives is not None:
        return st.one_of([valid_value(alternative, root, depth) for alternative in alternatives])
    kind = node.get("type")
    if kind is None and "properties" in node:
        kind = "object"
    if kind == "string":
        return _valid_string(node)
    if kind == "integer":
        return st.integers(min_value=node.get("minimum"), max_value=node.get("maximum"))
    if kind == "number":
        return st.floats(min_value=node.get("minimum"), max_value=node.get("maximum"), allow_nan=False, allow_infinity=False)
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    if kind == "array":
        low = node.get("minItems", 0)
        high = min(node.get("maxItems", low + 3), low + (3 if depth < 3 else 0))
        return st.lists(valid_value(node.get("items", {}), root, depth + 1), min_size=low, max_size=high)
    if kind == "object":
        return _valid_object(node, root, depth)
    return any_json


def _valid_string(node: dict[str, Any]) -> st.SearchStrategy[str]:
    low, high = node.get("minLength", 0), node.get("maxLength")
    if "pattern" in node:
        cap = high if high is not None else 80
        return st.from_regex(node["pattern"], fullmatch=True).filter(lambda text: low <= len(text) <= cap)
    short = st.text(min_size=low, max_size=min(high if high is not None else 40, low + 40))
    if high is not None:
        return short
    # No length limit: now and then a very long one (one character repeated, cheap to draw).
    long = st.builds(lambda char, size: char * size, st.characters(codec="utf-8"), st.integers(1_000, 300_000))
    return st.one_of(short, short, short, long)


def _valid_object(node: dict[str, Any], root: dict[str, Any], depth: int) -> st.SearchStrategy[dict[str, Any]]:
    properties: dict[str, Any] = node.get("properties", {})
    if not properties:
        if node.get("additionalProperties") is False:
            return st.just({})
        return st.dictionaries(st.text(max_size=10), any_json, max_size=3)
    required = set(node.get("required", []))
    return st.fixed_dictionaries(
        {name: valid_value(sub, root, depth + 1) for name, sub in properties.items() if name in required},
        optional={name: valid_value(sub, root, depth + 1) for name, sub in properties.items() if name not in required},
    )


def valid_arguments(schema: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    return valid_value(schema, schema)


# ----------------------------------------------------------------------------- broken values


def _sites(
    value: Any, node: dict[str, Any], root: dict[str, Any], path: JsonPath = ()
) -> Iterator[tuple[JsonPath, dict[str, Any]]]:
    """Every (path, schema) pair of a valid instance, the instance itself first."""
    node = _resolve(node, root)
    alternatives = _alternatives(node)
    if alternatives is not None:
        definitions = {"$defs": root.get("$defs", {})}
        matching = [alt for alt in alternatives if Draft202012Validator({**definitions, **alt}).is_valid(value)]
        if len(matching) == 1:
            node = {**_resolve(matching[0], root), **{k: v for k, v in node.items() if k not in ("oneOf", "anyOf")}}
    yield path, node
    if isinstance(value, dict):
        for key, item in value.items():
            sub = node.get("properties", {}).get(key)
            if sub is not None:
                yield from _sites(item, sub, root, (*path, key))
    elif isinstance(value, list) and "items" in node:
        for index, item in enumerate(value):
            yield from _sites(item, node["items"], root, (*path, index))


def _not_numeric_text() -> st.SearchStrategy[str]:
    """Text that no lax parser reads as a number, a boolean, or a JSON list/object."""
    return st.text(max_size=20).map(lambda text: "x" + text)


def _wrong_type(allowed: set[str]) -> st.SearchStrategy[Any]:
    options: list[st.SearchStrategy[Any]] = []
    if "string" not in allowed:
        options.append(_not_numeric_text())
    if not allowed & {"integer", "number"}:
        options += [st.integers(2, 10**6), st.floats(0.1, 0.9)]
    elif "number" not in allowed:  # integers only: a fraction is wrong
        options.append(st.floats(0.1, 0.9).map(lambda f: 7 + f))
    if "array" not in allowed:
        options.append(st.lists(st.integers(), min_size=1, max_size=3))
    if "object" not in allowed:
        options.append(st.dictionaries(st.text(min_size=1, max_size=5), st.integers(), min_size=1, max_size=2))
    if "boolean" not in allowed and "string" in allowed:  # str fields: a bool is a wrong type in every mode
        options.append(st.booleans())
    return st.one_of(options)


def _nested(depth: int) -> Any:
    value: Any = "bottom"
    for level in range(depth):
        value = [value] if level % 2 else {"n": value}
    return value


def _breakages(value: Any, node: dict[str, Any], root: dict[str, Any], whole: bool) -> list[st.SearchStrategy[tuple[str, Any]]]:
    """Ways to make ``value`` (valid for ``node``) invalid, each as (label, replacement).
    The ``whole`` arguments object stays an object: the protocol itself requires one."""
    allowed = _types(node, root)
    if allowed is None:
        return []
    ways: list[st.SearchStrategy[tuple[str, Any]]] = []
    if not whole:
        ways.append(_wrong_type(allowed).map(lambda v: ("wrong type", v)))
    if not whole and not allowed & {"array", "object"}:
        ways.append(st.integers(20, 200).map(lambda depth: ("deep nesting", _nested(depth))))
    if "minimum" in node:
        ways.append(st.sampled_from([node["minimum"] - 1, -(10**30), -1]).map(lambda v: ("below minimum", v)))
    if "maximum" in node:
        ways.append(st.sampled_from([node["maximum"] + 1, 10**30, 2**63]).map(lambda v: ("above maximum", v)))
    if "maxLength" in node:
        ways.append(
            st.builds(
                lambda char, size: char * size, st.sampled_from("a7-é漢😀"), st.integers(node["maxLength"] + 1, 1_000_000)
            ).map(lambda v: ("huge string", v))
        )
    if node.get("minLength", 0) > 0:
        ways.append(st.just(("empty string", "")))
    if "pattern" in node and isinstance(value, str):
        pattern = re.compile(node["pattern"])
        ways.append(
            st.tuples(st.sampled_from(NASTY), st.integers(0, len(value)))
            .map(lambda spot: value[: spot[1]] + spot[0] + value[spot[1] :])
            .filter(lambda text: pattern.search(text) is None)
            .map(lambda v: ("off pattern", v))
        )
    if "enum" in node and "string" in allowed:
        ways.append(_not_numeric_text().filter(lambda text: text not in node["enum"]).map(lambda v: ("not in enum", v)))
    if isinstance(value, dict) and node.get("additionalProperties") is False:
        known = set(node.get("properties", {}))
        key = st.one_of(st.text(min_size=1, max_size=30), st.sampled_from(NASTY), st.just("k" * 100_000)).filter(
            lambda k: k not in known
        )
        ways.append(st.tuples(key, json_leaves).map(lambda kv: ("unknown field", {**value, kv[0]: kv[1]})))
    required = [name for name in node.get("required", []) if isinstance(value, dict) and name in value]
    if required:
        ways.append(
            st.sampled_from(required).map(lambda name: ("missing required", {k: v for k, v in value.items() if k != name}))
        )
    return ways


def _replace(instance: Any, path: JsonPath, new: Any) -> Any:
    if not path:
        return new
    result = copy.deepcopy(instance)
    target = result
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = new
    return result


@st.composite
def broken_arguments(
    draw: st.DrawFn, schema: dict[str, Any], valid: st.SearchStrategy[dict[str, Any]]
) -> tuple[str, dict[str, Any]]:
    """(what was broken, arguments): a call drawn from ``valid`` (``valid_arguments(schema)``,
    built once: building strategies costs more than drawing from them) with one spot broken."""
    base = draw(valid)
    candidates = [
        (path, node, ways)
        for path, node in _sites(base, schema, schema)
        if (ways := _breakages(_get(base, path), node, schema, whole=not path))
    ]
    path, _, ways = draw(st.sampled_from(candidates))
    label, new = draw(st.one_of(ways))
    where = ".".join(map(str, path)) or "arguments"
    return f"{label} at {where}", _replace(base, path, new)


def draw_examples(strategy: st.SearchStrategy[Any], count: int) -> list[Any]:
    """``count`` examples of ``strategy``, drawn up front and derandomized (the same on every
    run), so that async tests can make their calls in a plain loop."""
    examples: list[Any] = []

    @settings(
        max_examples=count,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def draw(example: Any) -> None:
        examples.append(example)

    draw()
    return examples


def _get(instance: Any, path: JsonPath) -> Any:
    for part in path:
        instance = instance[part]
    return instance
