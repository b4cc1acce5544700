"""Build a small JSON value that satisfies a JSON Schema.

The simulated models use it to answer a `responseFormat` schema and to fill a
`toolUse` input from the tool's `inputSchema`. It covers what tool and response
schemas use in practice: const/enum/default/examples, types, required properties,
string lengths and formats, numeric bounds, array lengths, local $refs and
allOf/anyOf/oneOf (first alternative). It does not solve `pattern`s: a string
under a pattern gets the schema's default or example when it has one.
"""

from __future__ import annotations

import math
from typing import Any

_FORMAT_SAMPLES = {
    "date-time": "2025-01-01T00:00:00Z",
    "date": "2025-01-01",
    "time": "00:00:00Z",
    "email": "user@example.com",
    "uri": "https://example.com/",
    "url": "https://example.com/",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "ipv4": "192.0.2.1",
    "ipv6": "2001:db8::1",
    "hostname": "example.com",
}


def minimal_instance(schema: Any, text_hint: str = "example") -> Any:
    """A value valid against `schema`; free-text strings are filled from `text_hint`."""
    return _Builder(schema if isinstance(schema, dict) else {}, text_hint or "example").build(schema, depth=0)


class _Builder:
    def __init__(self, root: dict[str, Any], text_hint: str) -> None:
        self.root = root
        self.text_hint = text_hint

    def build(self, schema: Any, depth: int) -> Any:
        if schema is True or not isinstance(schema, dict) or depth > 32:
            return None if depth > 32 else {}
        if "$ref" in schema:
            return self.build(self._resolve(schema["$ref"]), depth + 1)
        if "allOf" in schema:
            return self.build(_merge_all_of(schema, [self._deref(part) for part in schema["allOf"]]), depth + 1)
        for keyword in ("oneOf", "anyOf"):
            if schema.get(keyword):
                return self.build({**_without(schema, keyword), **self._deref(schema[keyword][0])}, depth + 1)
        if "const" in schema:
            return schema["const"]
        if schema.get("enum"):
            return schema["enum"][0]
        if "default" in schema:
            return schema["default"]
        if schema.get("examples"):
            return schema["examples"][0]
        kind = _primary_type(schema)
        if kind == "object":
            properties = schema.get("properties", {})
            return {name: self.build(properties.get(name, {}), depth + 1) for name in schema.get("required", [])}
        if kind == "array":
            count = int(schema.get("minItems", 0))
            prefix = schema.get("prefixItems", [])
            return [self.build(prefix[i] if i < len(prefix) else schema.get("items", {}), depth + 1) for i in range(count)]
        if kind == "string":
            return self._string(schema)
        if kind in ("integer", "number"):
            return _number(schema, integer=kind == "integer")
        if kind == "boolean":
            return False
        return None

    def _string(self, schema: dict[str, Any]) -> str:
        if schema.get("format") in _FORMAT_SAMPLES:
            return _FORMAT_SAMPLES[schema["format"]]
        text = self.text_hint
        minimum, maximum = int(schema.get("minLength", 0)), schema.get("maxLength")
        if len(text) < minimum:
            text = (text + " ") * (minimum // (len(text) + 1) + 1)
        return text[: int(maximum)] if maximum is not None else text

    def _resolve(self, reference: str) -> Any:
        if not reference.startswith("#"):
            return {}  # remote references are out of scope: any value will do
        node: Any = self.root
        for part in filter(None, reference[1:].split("/")):
            part = part.replace("~1", "/").replace("~0", "~")
            node = node.get(part, {}) if isinstance(node, dict) else {}
        return node

    def _deref(self, schema: Any) -> dict[str, Any]:
        while isinstance(schema, dict) and "$ref" in schema:
            schema = self._resolve(schema["$ref"])
        return schema if isinstance(schema, dict) else {}


def _primary_type(schema: dict[str, Any]) -> str:
    kind = schema.get("type")
    if isinstance(kind, list):
        non_null = [item for item in kind if item != "null"]
        return non_null[0] if non_null else "null"
    if kind is None:
        return "object" if "properties" in schema or "required" in schema else "null"
    return str(kind)


def _number(schema: dict[str, Any], integer: bool) -> int | float:
    """0 when allowed, else the first of the bounds (or their midpoint) that satisfies every constraint."""
    low = [schema[key] for key in ("minimum", "exclusiveMinimum") if key in schema]
    high = [schema[key] for key in ("maximum", "exclusiveMaximum") if key in schema]
    anchors = [0, *low, *high]
    if low and high:
        anchors.append((max(low) + min(high)) / 2)
    step = schema.get("multipleOf") or (1 if integer else None)
    candidates: list[float] = []
    for anchor in anchors:
        if step:
            base = math.ceil(anchor / step) * step
            candidates += [base, base + step, base - step]
        else:
            candidates += [anchor, anchor + 0.5, anchor - 0.5]

    def fits(value: float) -> bool:
        return bool(
            value >= schema.get("minimum", -math.inf)
            and value <= schema.get("maximum", math.inf)
            and value > schema.get("exclusiveMinimum", -math.inf)
            and value < schema.get("exclusiveMaximum", math.inf)
        )

    value = next((candidate for candidate in candidates if fits(candidate)), anchors[-1])
    return int(value) if integer else value


def _without(schema: dict[str, Any], keyword: str) -> dict[str, Any]:
    return {key: value for key, value in schema.items() if key != keyword}


def _merge_all_of(schema: dict[str, Any], parts: list[dict[str, Any]]) -> dict[str, Any]:
    """allOf parts folded into one schema: properties and required lists are combined."""
    merged = _without(schema, "allOf")
    for part in parts:
        for key, value in part.items():
            if key == "properties":
                merged["properties"] = {**merged.get("properties", {}), **value}
            elif key == "required":
                merged["required"] = list(dict.fromkeys([*merged.get("required", []), *value]))
            else:
                merged.setdefault(key, value)
    return merged
