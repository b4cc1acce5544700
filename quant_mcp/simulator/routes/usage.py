"""AIMonitoring usage statistics (v3 and legacy): what the chat calls actually consumed."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..core.errors import ApiError
from ..core.requests import WireModel, organisation_data, parse_query, simulator_state
from ..core.routing import legacy, v3
from ..services.usage import UsageLedger, month_of


class UsageQuery(WireModel):
    month: str | None = Field(None, pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$")


class V3UsageQuery(UsageQuery):
    """4.19.0 added groupBy/include/userId/tokenId; the simulator reports per model whatever they say."""

    include: Literal["daily"] | None = None


async def _report(request: Request, query: UsageQuery) -> Response:
    month = query.month or month_of(simulator_state(request).now())
    return JSONResponse(organisation_data(request).get(UsageLedger).report(month))


async def usage(request: Request) -> Response:
    group_by = request.query_params.get("groupBy", "model")
    if group_by not in ("model", "user", "token"):
        raise ApiError(422, "groupBy: must be one of model, user, token")  # documented as 422, not 400
    return await _report(request, parse_query(request, V3UsageQuery))


async def legacy_usage(request: Request) -> Response:
    return await _report(request, parse_query(request, UsageQuery))


ROUTES = [
    *v3("GET", "/usage", usage, "getAIUsageStats"),
    *legacy("GET", "/usage", legacy_usage, "legacyGetAIUsageStats"),
]
