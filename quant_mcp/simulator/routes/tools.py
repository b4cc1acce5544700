"""AITools: the built-in tools and the executions the server ran for chats."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..core.requests import WireModel, organisation_data, parse_query, simulator_state
from ..core.routing import v3
from ..engine.tools import BUILTIN_TOOLS
from ..services.tool_executions import ToolExecutionStore


class ListExecutions(WireModel):
    status: Literal["pending", "running", "complete", "failed"] | None = None
    limit: int = Field(50, ge=1, le=100)


async def list_tools(request: Request) -> Response:
    return JSONResponse({"tools": [tool.tool_spec() for tool in BUILTIN_TOOLS.values()], "count": len(BUILTIN_TOOLS)})


async def list_tool_names(request: Request) -> Response:
    return JSONResponse({"tools": list(BUILTIN_TOOLS), "count": len(BUILTIN_TOOLS)})


async def list_executions(request: Request) -> Response:
    query = parse_query(request, ListExecutions)
    executions = organisation_data(request).get(ToolExecutionStore).recent(simulator_state(request).now())
    matching = [e.summary() for e in executions if query.status is None or e.status == query.status][: query.limit]
    body = {"executions": matching, "count": len(matching), "orgId": request.path_params["organisation"]}
    if query.status is not None:
        body["status"] = query.status
    return JSONResponse(body)


async def get_execution(request: Request) -> Response:
    execution_id = request.path_params["executionId"]
    execution = organisation_data(request).get(ToolExecutionStore).get(execution_id, simulator_state(request).now())
    return JSONResponse(execution.detail())


ROUTES = [
    *v3("GET", "/tools", list_tools, "listAITools"),
    *v3("GET", "/tools/names", list_tool_names, "listAIToolNames"),
    *v3("GET", "/tools/executions", list_executions, "listAIToolExecutions"),
    *v3("GET", "/tools/executions/{executionId}", get_execution, "getAIToolExecutionStatus"),
]
