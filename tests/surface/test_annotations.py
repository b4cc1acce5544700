"""Each tool's annotations agree with what its HTTP method does (as github-mcp-server checks its own)."""

from __future__ import annotations

from mcp.types import ToolAnnotations

from quant_mcp.catalog import OPERATIONS
from quant_mcp.tools import build_tool

# A hint left out means the protocol's default (the tools leave out hints equal to it).
DEFAULTS = {"read_only_hint": False, "destructive_hint": True, "idempotent_hint": False, "open_world_hint": True}


def hints_of(op) -> ToolAnnotations:  # type: ignore[no-untyped-def]
    """The tool's annotations as a client reads them, defaults filled in."""
    given = build_tool(op).annotations or ToolAnnotations()
    return given.model_copy(update={k: v for k, v in DEFAULTS.items() if getattr(given, k) is None})


# POST operations that only compute an answer from what is sent and store nothing, so they are
# honestly read-only and stay available in read-only mode.
SENDERS = [op for op in OPERATIONS if op.flow is None]  # composite tools send through their parts

READS_BY_POST = {
    "query_vector_collection": "semantic search; the reference sends the query in a POST body",
    "search_ai_search_index": "semantic search; the reference sends the query in a POST body",
    "create_embeddings": "computes vectors from the text sent and stores nothing",
}


def test_read_only_follows_the_http_method():
    wrong = []
    for op in SENDERS:
        hints = hints_of(op)
        expected = op.route.method == "GET" or op.name in READS_BY_POST
        if hints.read_only_hint is not expected:
            wrong.append(f"{op.name} ({op.route.method}): readOnlyHint={hints.read_only_hint}")
        if op.legacy_route is not None and op.legacy_route.method != op.route.method:
            wrong.append(f"{op.name}: its route families use different methods")
    assert not wrong, "\n".join(wrong)
    assert set(READS_BY_POST) <= {op.name for op in SENDERS if op.route.method == "POST"}, "exceptions are POST tools"


def test_reads_are_idempotent_and_deletes_destructive():
    for op in OPERATIONS:
        hints = hints_of(op)
        if hints.read_only_hint:
            # destructiveHint means something only for tools that write (the protocol says so): none is sent
            assert hints.idempotent_hint and build_tool(op).annotations.destructive_hint is None, op.name
        if op.route is not None and op.route.method == "DELETE":
            assert hints.destructive_hint and hints.idempotent_hint, op.name
        assert hints.open_world_hint, f"{op.name} talks to the Quant API"


def test_every_tool_names_its_reference_operations_unless_it_composes_them():
    documented = {(op.route.method, op.route.path) for op in SENDERS if op.operation_ids}
    bare = [
        op.name
        for op in SENDERS
        if not op.operation_ids and (op.route.method, op.route.path) not in documented  # not another mode of one
    ]
    assert not bare, f"no operation_ids, no flow, and no documented operation on its route: {bare}"
