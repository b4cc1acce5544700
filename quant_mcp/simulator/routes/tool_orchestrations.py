"""AITools: `GET tools/orchestrations/{orchestrationId}`, polling a multi-tool orchestration.

The real API starts one when a chat's answer needs several asynchronous tools, and
hands out its id (`orch_` + 32 hex) in the stream's `done` event. The simulator runs
every built-in tool synchronously inside the chat turn (tools/executions), so no
chat ever leaves an orchestration running: every id is unknown, a 404 carrying
`orchestrationId` as documented (like an expired tool execution's 404).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ..core.errors import ApiError
from ..core.routing import v3


async def orchestration_status(request: Request) -> Response:
    orchestration_id = request.path_params["orchestrationId"]
    raise ApiError(404, f"Orchestration '{orchestration_id}' not found or expired", orchestrationId=orchestration_id)


ROUTES = [*v3("GET", "/tools/orchestrations/{orchestrationId}", orchestration_status, "getAIOrchestrationStatus")]
