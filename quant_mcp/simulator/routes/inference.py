"""AIInference chat routes: buffered chat, SSE chat, async executions; and their legacy twins.

The v3 routes answer in the simulator's dialect: the reference's shapes ("spec"), or the live
service's (content blocks, Bedrock stop reasons, the richer stream; see `ChatTurn.live_*`).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..core.requests import organisation_data, parse_body, simulator_state
from ..core.routing import legacy, v3
from ..core.sse import sse_response
from ..services.chat import ChatRequest, ChatTurn, DurableExecutionStore, run_chat


async def _turn(request: Request) -> tuple[ChatRequest, ChatTurn]:
    body = await parse_body(request, ChatRequest)
    prompt = body.prompt(live=simulator_state(request).live)
    turn = run_chat(
        simulator_state(request),
        organisation_data(request),
        prompt,
        session_id=body.session_id,
        server_tools=body.server_tools(),
    )
    return body, turn


def _queued(request: Request, turn: ChatTurn) -> Response:
    """The documented 202 for `async: true`; the result waits at pollUrl."""
    queued = organisation_data(request).get(DurableExecutionStore).queue(turn, simulator_state(request).now())
    return JSONResponse(queued, status_code=202)


async def chat(request: Request) -> Response:
    body, turn = await _turn(request)
    if body.is_async:
        return _queued(request, turn)
    if simulator_state(request).live:
        return JSONResponse(turn.live_json())
    return JSONResponse(
        {
            "response": turn.message(),
            "model": turn.model_id,
            "requestId": turn.request_id,
            "finishReason": turn.reply.finish_reason,
            "usage": turn.reply.usage(),
        }
    )


async def chat_stream(request: Request) -> Response:
    body, turn = await _turn(request)
    if body.is_async:
        return _queued(request, turn)
    if simulator_state(request).live:
        return sse_response(request, turn.live_stream_events(agent=body.agent_id is not None))
    return sse_response(request, turn.stream_events())


async def execution_status(request: Request) -> Response:
    execution = organisation_data(request).get(DurableExecutionStore).get(request.path_params["identifier"])
    return JSONResponse(execution.status())


async def legacy_chat(request: Request) -> Response:
    """The legacy route answered `{response: <string>, model, usage}`."""
    _, turn = await _turn(request)
    return JSONResponse({"response": turn.reply.text, "model": turn.model_id, "usage": turn.reply.usage()})


async def legacy_chat_stream(request: Request) -> Response:
    _, turn = await _turn(request)
    return sse_response(request, turn.stream_events())


ROUTES = [
    *v3("POST", "/chat", chat, "chatInference"),
    *v3("POST", "/chat/stream", chat_stream, "chatInferenceStream"),
    *v3("GET", "/chat/executions/{identifier}", execution_status, "getDurableExecutionStatus"),
    *legacy("POST", "/chat", legacy_chat, "legacyChatInference"),
    *legacy("POST", "/chat/stream", legacy_chat_stream, "legacyChatInferenceStream"),
]
