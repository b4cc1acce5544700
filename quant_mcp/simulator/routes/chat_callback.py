"""AIInference: `POST chat/callback`, the client's tool results for a waiting durable execution.

An `async: true` chat whose model asked for a tool the server did not run polls as
`waiting_callback` with a `callbackId` and `pendingTools` (services/chat.py). The
callback must answer the pending tool (400 otherwise); the model then reads the
result and the execution completes with its answer (in the same session, if any).
A callbackId works once: afterwards, or when unknown, it is a 404.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..core.errors import bad_request
from ..core.requests import WireModel, organisation_data, parse_body, simulator_state
from ..core.routing import v3
from ..engine.chat import ChatPrompt
from ..services.chat import DurableExecutionStore, run_chat
from ..services.models import require_model


class ToolResult(WireModel):
    tool_use_id: str
    result: dict[str, Any]


class ToolCallback(WireModel):
    callback_id: str = Field(min_length=1)
    tool_results: list[ToolResult] = Field(min_length=1)


async def submit_callback(request: Request) -> Response:
    body = await parse_body(request, ToolCallback)
    organisation = organisation_data(request)
    execution = organisation.get(DurableExecutionStore).waiting_for(body.callback_id)
    call = execution.turn.reply.tool_call
    assert call is not None  # only executions with a tool call wait for a callback
    answer = next((r for r in body.tool_results if r.tool_use_id == call.tool_use_id), None)
    if answer is None:
        raise bad_request("toolResults", f"no result for the pending tool '{call.name}' (toolUseId {call.tool_use_id})")
    prompt = ChatPrompt(
        model=require_model(execution.turn.model_id, "chat"),
        messages=[
            {"role": "assistant", "content": [{"toolUse": call.to_json()}]},
            {"role": "user", "content": [{"toolResult": {"toolUseId": call.tool_use_id, "content": [{"json": answer.result}]}}]},
        ],
    )
    execution.resume(run_chat(simulator_state(request), organisation, prompt, session_id=execution.turn.session_id))
    return JSONResponse({"success": True, "message": "Callback submitted successfully", "callbackId": body.callback_id})


ROUTES = [*v3("POST", "/chat/callback", submit_callback, "submitToolCallback")]
