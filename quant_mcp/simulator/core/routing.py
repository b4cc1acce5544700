"""Route builders for the two route families, so a group module declares each operation once.

Each route is named after the reference's operationId, which lets the contract
test map every implemented route to its operation in the OpenAPI document.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

Endpoint = Callable[[Request], Awaitable[Response]]

LEGACY_PREFIX = "/organisations/{organisation}/ai"
# The reference spells v3 routes "organizations"; production callers also use
# "organisations", and the real server evidently accepts both.
V3_PREFIXES = ("/api/v3/organizations/{organisation}/ai", "/api/v3/organisations/{organisation}/ai")


def v3(method: str, path: str, endpoint: Endpoint, operation_id: str) -> list[Route]:
    """The v3 operation `method {v3}{path}`, under both spellings of "organisations"."""
    return [Route(prefix + path, endpoint, methods=[method], name=operation_id) for prefix in V3_PREFIXES]


def legacy(method: str, path: str, endpoint: Endpoint, operation_id: str) -> list[Route]:
    """The legacy operation `method /organisations/{organisation}/ai{path}`."""
    return [Route(LEGACY_PREFIX + path, endpoint, methods=[method], name=operation_id)]
