"""Tool schemas kept on disk between runs, so that a server starts without generating them.

Generating the JSON Schemas of the offered tools is the largest part of start-up after the
imports: pydantic builds each model's schema on first use (about 70 ms of CPU for the
default toolsets, 250 ms for all of them). The schemas depend only on the code, so they are
kept in one file per *fingerprint* of the code: the size and modification time of every
module of the package, and the versions of quant-mcp, Python and pydantic. Any edit or
upgrade makes a new fingerprint; writing the new file removes the old ones. A cache that
cannot be read or written is simply not used.

Only operations whose models are defined in the package are cached (the fingerprint covers
nothing else, such as models a test defines). The schemas handed out are shared between the
servers of one process: treat them as read-only.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import sys
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pydantic

from quant_mcp import __version__

if TYPE_CHECKING:
    from quant_mcp.catalog.base import Operation

log = logging.getLogger("quant_mcp.schema_cache")

Schemas = tuple[dict[str, Any], dict[str, Any]]  # (input schema, output schema)
PACKAGE = Path(__file__).resolve().parent
PREFIX = "tool-schemas-"


def cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "quant-mcp"


def fingerprint() -> str:
    """A digest of everything the schemas depend on (a few dozen ``stat`` calls)."""
    digest = hashlib.sha256(f"{__version__} {sys.version_info[:2]} {pydantic.VERSION}".encode())
    for module in sorted(PACKAGE.rglob("*.py")):
        stat = module.stat()
        digest.update(f"{module.relative_to(PACKAGE)} {stat.st_size} {stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


class SchemaCache:
    """The schemas of one fingerprint: read once, added to as tools are built, written back
    by :meth:`save` when something was added."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.added = False
        try:
            self.entries: dict[str, list[dict[str, Any]]] = json.loads(path.read_text())
        except (OSError, ValueError):
            self.entries = {}

    def schemas(self, op: Operation, generate: Callable[[], Schemas]) -> Schemas:
        """The schemas of ``op``'s tool, made by ``generate`` when they are not cached yet."""
        models = (op.arguments, op.result)
        if any(not m.__module__.startswith(f"{__package__}.") or "<locals>" in m.__qualname__ for m in models):
            return generate()
        key = " ".join([op.name, *(f"{m.__module__}.{m.__qualname__}" for m in models)])
        if key not in self.entries:
            self.entries[key] = list(generate())
            self.added = True
        input_schema, output_schema = self.entries[key]
        return input_schema, output_schema

    def save(self) -> None:
        if not self.added:
            return
        partial = self.path.with_name(f".{self.path.name}.{os.getpid()}")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            partial.write_text(json.dumps(self.entries, separators=(",", ":")))
            os.replace(partial, self.path)  # atomic: a concurrent reader sees the old file or the new
            for stale in self.path.parent.glob(f"{PREFIX}*.json"):
                if stale != self.path:
                    stale.unlink(missing_ok=True)
            self.added = False
        except OSError as exc:
            with contextlib.suppress(OSError):
                partial.unlink(missing_ok=True)
            log.debug("tool schema cache not written (%s)", exc)


@cache
def schema_cache() -> SchemaCache:
    """This process's cache, for the code as it was when first asked."""
    return SchemaCache(cache_dir() / f"{PREFIX}{fingerprint()}.json")
