"""What a tool's schemas look like to a client, in as few characters as say the same thing.

Every conversation pays for ``tools/list`` before the agent does anything (the budget is
``tests/budget/budget.json``), so the JSON Schemas pydantic generates are tidied here:

* arguments (:func:`input_schema`): no titles, no ``null`` alternatives of optional fields, a
  definition used once written where it is used, a part repeated deeper down written once
  under ``$defs``, nothing JSON Schema assumes anyway (``additionalProperties: true``), and not
  the model's docstring. Every type and constraint stays: the published schema accepts exactly
  what the tool's validation does (``tests/reliability/test_schema_agreement.py``).
* results (:func:`output_schema`): an object, what hosts check structured content against.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel


def input_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The arguments model's JSON Schema, tidied for agents: no titles, no ``null`` alternatives."""
    return lean(_tidy(model.model_json_schema(by_alias=True)))


def output_schema(model: type[BaseModel]) -> dict[str, Any]:
    """What hosts check structured content against: an object. Nothing more is certain, since a
    success answer that does not fit the result model is passed through as ``{upstreamAnswer,
    notice}`` (``pipeline.check``), and nothing more pays for itself: clients show the model the
    answer, not this schema, while every conversation pays for it in ``tools/list`` (the field
    names and types of all result models cost 13,800 characters). The readable text carries the
    answer's JSON, field names included."""
    return {"type": "object"}


def lean(schema: dict[str, Any]) -> dict[str, Any]:
    """The same schema in fewer characters, for every conversation pays for it in ``tools/list``:
    a definition used once is written where it is used, and what JSON Schema assumes anyway
    (``additionalProperties: true``, a default equal to the ``const``) is left out, and so is the
    model's docstring."""
    definitions = schema.get("$defs", {})
    uses: dict[str, int] = {}

    def count(node: Any) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                uses[ref[8:]] = uses.get(ref[8:], 0) + 1
            for value in node.values():
                count(value)
        elif isinstance(node, list):
            for item in node:
                count(item)

    count(schema)

    def walk(node: Any, expanding: frozenset[str]) -> Any:
        if isinstance(node, list):
            return [walk(item, expanding) for item in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            name = ref[8:]
            if uses.get(name) == 1 and name not in expanding and name in definitions:
                rest = {k: v for k, v in node.items() if k != "$ref"}
                return walk({**definitions[name], **rest}, expanding | {name})
        out = {}
        for key, value in node.items():
            if key == "additionalProperties" and value is True:
                continue
            if key == "default" and "const" in node and node["const"] == value:  # the only value anyway
                continue
            if key == "properties":  # names, not keywords; none at all says nothing
                if value:
                    out[key] = {name: walk(sub, expanding) for name, sub in value.items()}
                continue
            out[key] = walk(value, expanding)
        return out

    root = {k: v for k, v in schema.items() if k not in ("$defs", "description")}  # the description: a model docstring
    lean_schema = walk(root, frozenset())
    kept = {name: walk(definition, frozenset({name})) for name, definition in definitions.items() if uses.get(name, 0) > 1}
    return _share_repeats(lean_schema, kept)


def _share_repeats(schema: dict[str, Any], definitions: dict[str, Any]) -> dict[str, Any]:
    """Write a part that appears more than once (media ``source`` objects, say) once, under
    ``$defs``, named after the property that holds it, and refer to it there: the part that
    saves most first, while any saves characters. A tool's own arguments stay written out."""
    while True:
        found: dict[str, tuple[int, str]] = {}
        _count_parts(schema, None, 0, found)
        for definition in definitions.values():
            _count_parts(definition, None, 2, found)  # a definition is not a repeat of itself
        repeated = [text for text, (times, _) in found.items() if times > 1]
        best = max(repeated, key=lambda text: _saving(text, *found[text]), default=None)
        if best is None or _saving(best, *found[best]) <= 0:
            break
        name = base = found[best][1]
        number = 1
        while name in definitions:
            number += 1
            name = f"{base}{number}"
        reference = {"$ref": f"#/$defs/{name}"}
        schema = _replace_part(schema, best, reference, 0)
        definitions = {key: _replace_part(value, best, reference, 2) for key, value in definitions.items()}
        definitions[name] = json.loads(best)
    if definitions:
        schema["$defs"] = definitions
    return schema


def _canonical(node: Any) -> str:
    return json.dumps(node, sort_keys=True, separators=(",", ":"))


def _count_parts(node: Any, name: str | None, depth: int, found: dict[str, tuple[int, str]]) -> None:
    """How often each object below a tool's own arguments (depth > 1) appears, and the name of
    the property where it first does."""
    if isinstance(node, list):
        for item in node:
            _count_parts(item, name, depth, found)
    if not isinstance(node, dict):
        return
    if name is not None and depth > 1 and "$ref" not in node:
        text = _canonical(node)
        times, first = found.get(text, (0, name))
        found[text] = (times + 1, first)
    for key, value in node.items():
        if key == "properties":
            for prop, sub in value.items():
                _count_parts(sub, prop, depth + 1, found)
        else:
            _count_parts(value, name, depth, found)


def _saving(text: str, times: int, name: str) -> int:
    reference = len(f'{{"$ref":"#/$defs/{name}"}}') + 2  # and a digit or two, should the name be taken
    return (times - 1) * len(text) - times * reference - len(name) - 4


def _replace_part(node: Any, text: str, reference: dict[str, str], depth: int) -> Any:
    if isinstance(node, list):
        return [_replace_part(item, text, reference, depth) for item in node]
    if not isinstance(node, dict):
        return node
    if depth > 1 and _canonical(node) == text:
        return reference
    return {
        key: {prop: _replace_part(sub, text, reference, depth + 1) for prop, sub in value.items()}
        if key == "properties"
        else _replace_part(value, text, reference, depth)
        for key, value in node.items()
    }


def _tidy(node: Any) -> Any:
    if isinstance(node, dict):
        any_of = node.get("anyOf")
        if isinstance(any_of, list) and {"type": "null"} in any_of and node.get("default", ...) is None:
            rest = [alt for alt in any_of if alt != {"type": "null"}]
            node = {k: v for k, v in node.items() if k not in ("anyOf", "default")}
            node = {**(rest[0] if len(rest) == 1 else {"anyOf": rest}), **node}
        return {k: _tidy(v) for k, v in node.items() if not (k == "title" and isinstance(v, str))}
    if isinstance(node, list):
        return [_tidy(item) for item in node]
    return node
