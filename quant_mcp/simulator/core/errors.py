"""JSON error answers, shaped like the reference's `AIErrorBody` ({error, message, code}).

Handlers raise `ApiError`; the app turns it (and routing 404/405s) into JSON, so
every refusal a client sees is machine-readable. In the live dialect a refusal that
names a field is Laravel's validation failure instead: HTTP 422
`{message, errors: {field: [messages]}}`, fields in dot notation (`messages.0.content`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, TypeVar

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

ERROR_CODES: dict[int, str] = {
    400: "invalid_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    422: "unprocessable_entity",
    429: "rate_limited",
    500: "server_error",
    502: "bad_gateway",
    503: "service_unavailable",
    504: "gateway_timeout",
}

FoundT = TypeVar("FoundT")


def error_body(status: int, message: str, **extra: Any) -> dict[str, Any]:
    """`{"error": <code>, "message": ...}` plus extra documented fields; pass error=None to omit `error`."""
    body: dict[str, Any] = {"error": ERROR_CODES.get(status, "error"), "message": message}
    body.update(extra)
    return {key: value for key, value in body.items() if value is not None}


def error_response(status: int, message: str, headers: Mapping[str, str] | None = None, **extra: Any) -> JSONResponse:
    return JSONResponse(error_body(status, message, **extra), status_code=status, headers=headers)


class ApiError(Exception):
    """An API refusal: raise it anywhere in a handler to answer `status` with a JSON body."""

    def __init__(self, status: int, message: str, *, field: tuple[str, str] | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field  # (field path, problem) for a validation failure
        self.extra = extra


def bad_request(field: str, problem: str) -> ApiError:
    """A 400 whose message starts with the offending field, as clients need to fix it
    (the live dialect answers it as a Laravel 422)."""
    return ApiError(400, f"{field}: {problem}", field=(field, problem))


def laravel_422(field: str, problem: str) -> JSONResponse:
    """Laravel's validation failure, as the live service answers one."""
    name = re.sub(r"\[(\d+)\]", r".\1", field)
    sentence = f"The {name} field {problem}." if not problem.endswith(".") else f"The {name} field {problem}"
    return JSONResponse({"message": sentence, "errors": {name: [sentence]}}, status_code=422)


def not_found(what: str, identifier: str) -> ApiError:
    return ApiError(404, f"{what} '{identifier}' not found")


def found_or_404(value: FoundT | None, what: str, identifier: str) -> FoundT:
    """`value` when the lookup found it; else the 404 `not_found(what, identifier)`.

    For the usual `store.get(some_id)`: `found_or_404(store.get(agent_id), "Agent", agent_id)`.
    """
    if value is None:
        raise not_found(what, identifier)
    return value


async def handle_api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    if exc.field is not None and exc.status == 400 and request.app.state.simulator.live:
        return laravel_422(*exc.field)
    return error_response(exc.status, exc.message, **exc.extra)


async def handle_http_exception(request: Request, exc: Exception) -> Response:
    """Routing failures (unknown path, wrong method) as JSON rather than Starlette's plain text."""
    assert isinstance(exc, HTTPException)
    message = "No such route" if exc.status_code == 404 else str(exc.detail)
    return error_response(exc.status_code, message, headers=exc.headers)


async def handle_unexpected(request: Request, exc: Exception) -> Response:
    return error_response(500, f"Simulator error: {type(exc).__name__}: {exc}")
