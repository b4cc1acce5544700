"""Reading a request: its state, organisation, JSON body and query, validated into models.

Request models are pydantic models whose aliases are the wire names, so a
validation failure becomes a 400 that names the field exactly as the client sent
it (`messages[0].role`, `expirationMinutes`).
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

from pydantic import AliasGenerator, BaseModel, ConfigDict, ValidationError
from pydantic.alias_generators import to_camel
from starlette.requests import Request

from .errors import ApiError, bad_request
from .state import OrganisationData, SimulatorState

ModelT = TypeVar("ModelT", bound=BaseModel)


class WireModel(BaseModel):
    """Base for request bodies and queries: camelCase on the wire, unknown fields tolerated."""

    model_config = ConfigDict(
        alias_generator=AliasGenerator(validation_alias=to_camel),
        extra="allow",
        defer_build=True,
    )


class SnakeWireModel(BaseModel):
    """Base for the bodies that use snake_case on the wire (legacy routes, AI config)."""

    model_config = ConfigDict(extra="allow", defer_build=True)


def simulator_state(request: Request) -> SimulatorState:
    state: SimulatorState = request.app.state.simulator
    return state


def organisation_data(request: Request) -> OrganisationData:
    return simulator_state(request).organisation(request.path_params["organisation"])


def field_path(location: tuple[int | str, ...]) -> str:
    """('messages', 0, 'role') -> 'messages[0].role'."""
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "body"


def _validation_error(exc: ValidationError) -> ApiError:
    first = exc.errors()[0]
    field = field_path(tuple(first["loc"]))
    if first["type"] == "missing":
        return bad_request(field, "is required")
    return bad_request(field, first["msg"])


async def json_body(request: Request) -> Any:
    """The request's JSON body, or None when it has none; 400 when it is not JSON."""
    raw = await request.body()
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise bad_request("body", f"is not valid JSON ({exc})") from exc


async def parse_body(request: Request, model: type[ModelT], *, required: bool = True) -> ModelT:
    """Validate the JSON body into `model`; an absent optional body validates as `{}`."""
    body = await json_body(request)
    if body is None:
        if required:
            raise bad_request("body", "a JSON object is required")
        body = {}
    if not isinstance(body, dict):
        raise bad_request("body", "must be a JSON object")
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise _validation_error(exc) from exc


def parse_query(request: Request, model: type[ModelT]) -> ModelT:
    """Validate the query string into `model` (strings are coerced to the field types)."""
    try:
        return model.model_validate(dict(request.query_params))
    except ValidationError as exc:
        raise _validation_error(exc) from exc
