"""The on-disk cache of tool schemas: what it hands out is what generation makes, it follows
the code, and it never gets in the way when it cannot be used."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from quant_mcp import schema_cache as cache_module
from quant_mcp.catalog import OPERATIONS
from quant_mcp.catalog.base import ApiResult, Operation, Route, ToolArguments, Toolset
from quant_mcp.schema_cache import PREFIX, SchemaCache, fingerprint
from quant_mcp.schemas import input_schema, output_schema


def generated(op: Operation) -> tuple[dict, dict]:
    return input_schema(op.arguments), output_schema(op.result)


def test_a_saved_cache_answers_exactly_what_generation_makes(tmp_path: Path) -> None:
    path = tmp_path / f"{PREFIX}abc.json"
    first = SchemaCache(path)
    for op in OPERATIONS:
        first.schemas(op, lambda op=op: generated(op))
    first.save()

    reread = SchemaCache(path)

    def never() -> tuple[dict, dict]:
        raise AssertionError("a cached schema was generated again")

    for op in OPERATIONS:
        assert reread.schemas(op, never) == generated(op), op.name


def test_saving_removes_the_files_of_other_fingerprints(tmp_path: Path) -> None:
    stale = tmp_path / f"{PREFIX}old.json"
    stale.write_text("{}")
    cache = SchemaCache(tmp_path / f"{PREFIX}new.json")
    cache.schemas(OPERATIONS[0], lambda: generated(OPERATIONS[0]))
    cache.save()
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{PREFIX}new.json"]


class EchoArguments(ToolArguments):
    text: str


def test_models_defined_outside_the_package_are_never_cached(tmp_path: Path) -> None:
    op = Operation(
        name="echo",
        toolset=Toolset.SESSIONS,
        title="Echo",
        description="Echo.",
        route=Route("GET", "/echo"),
        arguments=EchoArguments,
        result=ApiResult,
    )
    calls = []
    cache = SchemaCache(tmp_path / f"{PREFIX}x.json")
    for _ in range(2):
        cache.schemas(op, lambda: calls.append(1) or generated(op))
    assert len(calls) == 2 and not cache.added


def test_the_fingerprint_follows_every_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    module = tmp_path / "catalog" / "things.py"
    module.parent.mkdir()
    module.write_text("x = 1\n")
    monkeypatch.setattr(cache_module, "PACKAGE", tmp_path)
    before = fingerprint()
    os.utime(module, ns=(module.stat().st_atime_ns, module.stat().st_mtime_ns + 1_000_000))
    assert fingerprint() != before


def test_an_unusable_cache_is_ignored(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    cache = SchemaCache(blocker / f"{PREFIX}x.json")  # cannot be read, nor written
    op = OPERATIONS[0]
    assert cache.schemas(op, lambda: generated(op)) == generated(op)
    cache.save()  # no error
