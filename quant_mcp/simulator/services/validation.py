"""Validation failures as 422, for the groups whose reference documents 422 rather than 400.

Governance, filter policies and AI Search ingest answer "Validation failed" with
422 Unprocessable Entity; the message still starts with the offending field.
"""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel
from starlette.requests import Request

from ..core.errors import ApiError
from ..core.requests import parse_body

ModelT = TypeVar("ModelT", bound=BaseModel)


def unprocessable(field: str, problem: str) -> ApiError:
    return ApiError(422, f"{field}: {problem}")


async def parse_body_422(request: Request, model: type[ModelT]) -> ModelT:
    """`parse_body`, with its 400 (a body that is not JSON, or a bad field) turned into a 422."""
    try:
        return await parse_body(request, model)
    except ApiError as exc:
        raise ApiError(422, exc.message, **exc.extra) from exc
