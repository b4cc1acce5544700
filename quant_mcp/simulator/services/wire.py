"""Reading requests the way the newer API groups need, on top of core/requests.py.

* `EchoedModel`: a request model whose values are stored and sent back as they came
  (agent overlays, Slack bots, filter policy rules, governance): camelCase both ways.
* `parse_body_422`: for the groups whose reference documents validation failures as
  422 rather than 400 (governance, filter policies, AI Search ingest); the message
  still starts with the offending field.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import AliasGenerator, BaseModel, ConfigDict
from pydantic.alias_generators import to_camel
from starlette.requests import Request

from ..core.errors import ApiError
from ..core.requests import WireModel, parse_body

ModelT = TypeVar("ModelT", bound=BaseModel)


class EchoedModel(WireModel):
    """camelCase in and out; unknown fields are dropped rather than stored."""

    model_config = ConfigDict(
        alias_generator=AliasGenerator(validation_alias=to_camel, serialization_alias=to_camel),
        extra="ignore",
    )

    def to_wire(self, **options: Any) -> dict[str, Any]:
        """The model as the API sends it back (pass `exclude_unset=True` for only the fields sent)."""
        return self.model_dump(by_alias=True, **options)


def unprocessable(field: str, problem: str) -> ApiError:
    return ApiError(422, f"{field}: {problem}")


async def parse_body_422(request: Request, model: type[ModelT]) -> ModelT:
    """`parse_body`, with its 400 (a body that is not JSON, or a bad field) turned into a 422."""
    try:
        return await parse_body(request, model)
    except ApiError as exc:
        raise ApiError(422, exc.message, **exc.extra) from exc
