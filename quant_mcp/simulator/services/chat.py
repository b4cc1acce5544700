"""One chat turn, as the v3, legacy and agent chat routes all perform it.

A turn validates the conversation against the model (content blocks, media the
model accepts), asks the simulated model for its reply, runs a built-in tool when
the request lets the server do so, counts usage, and appends the turn to a
session when one is named. The routes only shape the result (JSON, SSE, 202).
"""

from __future__ import annotations

import base64
import binascii
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from urllib.parse import quote

from pydantic import Field

from ..core.errors import ApiError, bad_request, found_or_404
from ..core.requests import WireModel
from ..core.sse import SseEvent
from ..core.state import OrganisationData, SimulatorState
from ..engine.catalog import ModelSpec
from ..engine.chat import MEDIA_BLOCKS, ChatPrompt, ChatReply, ToolSpec, generate, text_deltas
from ..engine.tools import BUILTIN_TOOLS
from .models import require_model
from .sessions import SessionStore
from .tool_executions import ToolExecution, ToolExecutionStore
from .usage import UsageLedger

_MEDIA_FORMATS = {
    "image": ("png", "jpeg", "gif", "webp"),
    "video": ("mp4", "mov", "mkv", "webm"),
    "document": ("pdf", "csv", "docx", "xlsx"),
}
# The live service also takes what the chat app sends (LIVE-DIALECT.md, "Requests").
_LIVE_DOCUMENT_FORMATS = ("pdf", "csv", "txt", "md", "html", "doc", "docx", "xls", "xlsx")
# Bedrock's stop reasons, as the live service reports them.
BEDROCK_STOP_REASONS = {"stop": "end_turn", "length": "max_tokens", "tool_use": "tool_use"}
_BLOCK_KINDS = ("text", *MEDIA_BLOCKS, "toolUse", "toolResult")


class InputSchema(WireModel):
    json_schema: dict[str, Any] = Field(default_factory=lambda: {"type": "object"}, validation_alias="json")


class ToolSpecBody(WireModel):
    name: str
    input_schema: InputSchema = Field(default_factory=InputSchema)


class ToolEntry(WireModel):
    tool_spec: ToolSpecBody


class ToolConfig(WireModel):
    tools: list[ToolEntry] = Field(default_factory=list)
    auto_execute: bool = False
    allowed_tools: list[str] | None = None


class ResponseFormat(WireModel):
    type: Literal["json"] = "json"
    json_schema: dict[str, Any] = Field(default_factory=lambda: {"type": "object"})


class Message(WireModel):
    role: Literal["user", "assistant", "system"]
    content: Any  # a string or content blocks, checked by `check_content` for clearer errors


class ChatRequest(WireModel):
    """The body of v3 chat and chat/stream (and, with fewer fields used, legacy chat)."""

    messages: list[Message] = Field(min_length=1)
    model_id: str
    temperature: float = Field(0.7, ge=0, le=2)
    max_tokens: int = Field(4096, ge=1, le=65536)
    top_p: float | None = Field(None, ge=0, le=1)
    system_prompt: str | None = None
    stop_sequences: list[str] = Field(default_factory=list, max_length=4)
    response_format: ResponseFormat | None = None
    tool_config: ToolConfig | None = None
    session_id: str | None = None
    is_async: bool = Field(False, validation_alias="async")
    allowed_tools: list[str] | None = None
    agent_id: str | None = None  # the chat app sends it ("undocumented but supported"); the live dialect reads it

    def server_tools(self) -> set[str]:
        """Built-in tools the server may run itself (`autoExecute`, limited to the allowed tools)."""
        if self.tool_config is None or not self.tool_config.auto_execute:
            return set()
        allowed = self.tool_config.allowed_tools or self.allowed_tools
        if not allowed:
            raise bad_request("toolConfig.allowedTools", "is required when toolConfig.autoExecute is true")
        return set(allowed) & set(BUILTIN_TOOLS)

    def prompt(self, live: bool = False) -> ChatPrompt:
        model = require_model(self.model_id, "chat")
        if live and self.max_tokens > model.max_output_tokens:
            raise bad_request("maxTokens", f"may not be greater than {model.max_output_tokens} for model {model.id}")
        messages = [
            {"role": message.role, "content": check_content(message.content, model, f"messages[{index}].content", live)}
            for index, message in enumerate(self.messages)
        ]
        tools = (
            [ToolSpec(entry.tool_spec.name, entry.tool_spec.input_schema.json_schema) for entry in self.tool_config.tools]
            if self.tool_config
            else []
        )
        return ChatPrompt(
            model=model,
            messages=messages,
            system_prompt=self.system_prompt,
            max_tokens=self.max_tokens,
            stop_sequences=self.stop_sequences,
            response_schema=self._response_schema(live),
            tools=tools,
        )

    def _response_schema(self, live: bool) -> dict[str, Any] | None:
        """The JSON Schema the answer must follow: `responseFormat.jsonSchema` (the reference), or in
        the live dialect also `response_format: {type: "json_schema", name, strict, schema}` (Drupal)."""
        if self.response_format is not None:
            return self.response_format.json_schema
        drupal = (self.model_extra or {}).get("response_format")
        if live and drupal is not None:
            if not isinstance(drupal, dict) or drupal.get("type") != "json_schema" or not isinstance(drupal.get("schema"), dict):
                raise bad_request("response_format", 'must be {"type": "json_schema", "name", "strict", "schema": {...}}')
            return drupal["schema"]
        return None


def check_content(content: Any, model: ModelSpec, field: str, live: bool = False) -> Any:
    """Content as sent, after checking every block's shape and that `model` accepts its media
    (`live`: the live service's document formats and `s3Location` sources too)."""
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        raise bad_request(field, "must be a string or an array of content blocks")
    for index, block in enumerate(content):
        path = f"{field}[{index}]"
        kinds = [kind for kind in _BLOCK_KINDS if isinstance(block, dict) and kind in block]
        if not isinstance(block, dict) or len(kinds) != 1 or len(block) != 1:
            raise bad_request(path, f"a content block must have exactly one of: {', '.join(_BLOCK_KINDS)}")
        _check_block(kinds[0], block[kinds[0]], model, f"{path}.{kinds[0]}", live)
    return content


def _check_block(kind: str, value: Any, model: ModelSpec, path: str, live: bool) -> None:
    if kind == "text":
        if not isinstance(value, str):
            raise bad_request(path, "must be a string")
        return
    if not isinstance(value, dict):
        raise bad_request(path, "must be an object")
    if kind == "toolUse":
        _require(value, path, toolUseId=str, name=str, input=dict)
    elif kind == "toolResult":
        _require(value, path, toolUseId=str, content=list)
    else:
        if kind not in model.media:
            raise bad_request(path, f"model '{model.id}' does not accept {kind} content")
        _require(value, path, format=str, source=dict, **({"name": str} if kind == "document" else {}))
        formats = _LIVE_DOCUMENT_FORMATS if live and kind == "document" else _MEDIA_FORMATS[kind]
        if value["format"] not in formats:
            raise bad_request(f"{path}.format", f"must be one of {', '.join(formats)}")
        if live and "s3Location" in value["source"]:
            _require(value["source"], f"{path}.source", s3Location=dict)
            _require(value["source"]["s3Location"], f"{path}.source.s3Location", uri=str)
            return
        _require(value["source"], f"{path}.source", bytes=str)
        try:
            base64.b64decode(value["source"]["bytes"], validate=True)
        except binascii.Error as exc:
            raise bad_request(f"{path}.source.bytes", "must be base64") from exc


def _require(value: dict[str, Any], path: str, **types: type) -> None:
    for name, expected in types.items():
        if name not in value:
            raise bad_request(f"{path}.{name}", "is required")
        if not isinstance(value[name], expected):
            raise bad_request(f"{path}.{name}", f"must be of type {'object' if expected is dict else expected.__name__}")


@dataclass(frozen=True)
class ChatTurn:
    request_id: str
    model_id: str
    reply: ChatReply
    session_id: str | None = None
    execution: ToolExecution | None = None

    def tool_use(self) -> dict[str, Any] | None:
        call = self.reply.tool_call
        if call is None:
            return None
        body = call.to_json()
        if self.execution is not None:
            body.update(executionId=self.execution.id, status=self.execution.status)
            if self.execution.result is not None:
                body["result"] = self.execution.result
        return body

    def message(self) -> dict[str, Any]:
        """The assistant message: `{role, content, toolUse?}`."""
        message: dict[str, Any] = {"role": "assistant", "content": self.reply.text}
        tool_use = self.tool_use()
        if tool_use is not None:
            message["toolUse"] = tool_use
        return message

    def stream_events(self) -> list[SseEvent]:
        """start, one content event per word, then done with usage, finish reason and the whole message."""
        finish = self.reply.finish_reason
        return [
            SseEvent("start", {"requestId": self.request_id, "model": self.model_id, "streaming": True}),
            *(SseEvent("content", {"delta": delta, "complete": False}) for delta in text_deltas(self.reply.text)),
            SseEvent(
                "done",
                {
                    "complete": True,
                    "usage": self.reply.usage(),
                    "stopReason": finish,
                    "finishReason": finish,
                    "response": self.message(),
                },
            ),
        ]

    # ------------------------------------------------------------------------- the live dialect

    @property
    def stop_reason(self) -> str:
        """Bedrock's stop reason for this turn (a tool the server ran ends the turn)."""
        if self.reply.tool_call is not None and self.execution is not None:
            return "end_turn"
        return BEDROCK_STOP_REASONS[self.reply.finish_reason]

    def live_tool_uses(self) -> list[dict[str, Any]]:
        """The calls the client must make (none when the server ran the tool itself)."""
        return [self.reply.tool_call.to_json()] if self.reply.tool_call is not None and self.execution is None else []

    def live_json(self) -> dict[str, Any]:
        """The buffered answer as the live service sends it: content blocks, a toolUse list,
        Bedrock's stopReason, modelId and requestId beside the response."""
        response: dict[str, Any] = {"role": "assistant", "content": [{"type": "text", "text": self.reply.text}]}
        if self.live_tool_uses():
            response["content"].append({"toolUse": self.live_tool_uses()[0]})
            response["toolUse"] = self.live_tool_uses()
        return {
            "response": response,
            "stopReason": self.stop_reason,
            "modelId": self.model_id,
            "requestId": self.request_id,
            "usage": self.reply.usage(),
        }

    def live_stream_events(self, *, agent: bool = False) -> list[SseEvent]:
        """The stream as the live service sends it: start, session, server-side tool events, text
        deltas, a tool call reported across three frames (announce, inline input, top-level
        toolUse), a summary repeating the whole text, then `done`. With an agent a client-side
        tool is a `tool_request` and `done {complete: false, stopReason: "tool_request"}`."""
        events = [SseEvent("start", {"requestId": self.request_id, "model": self.model_id, "streaming": True})]
        if self.session_id:
            events.append(SseEvent("session", {"sessionId": self.session_id}))
        if self.execution is not None and self.reply.tool_call is not None:
            name = self.reply.tool_call.name
            result = self.execution.result if self.execution.result is not None else {"error": self.execution.error}
            events += [
                SseEvent("tool_start", {"name": name}),
                SseEvent("tool_input_progress", {"name": name}),
                SseEvent("tool_complete", {"name": name, "result": result}),
            ]
        events += [SseEvent("content", {"delta": delta, "complete": False}) for delta in text_deltas(self.reply.text)]
        calls = self.live_tool_uses()
        if calls and agent:
            call = calls[0]
            events.append(SseEvent("tool_request", call))
            events.append(SseEvent("done", {"complete": False, "stopReason": "tool_request", "usage": self.reply.usage()}))
            return events
        for call in calls:
            events += [
                SseEvent("", {"toolUseId": call["toolUseId"], "name": call["name"]}),
                SseEvent("", call),
                SseEvent("", {"toolUse": [call]}),
            ]
        summary: dict[str, Any] = {"content": self.reply.text}
        if calls:
            summary["toolUse"] = calls
        events.append(SseEvent("", {"stopReason": self.stop_reason, "usage": self.reply.usage(), "response": summary}))
        events.append(SseEvent("done", {"complete": True}))
        return events


def run_chat(
    state: SimulatorState,
    organisation: OrganisationData,
    prompt: ChatPrompt,
    *,
    session_id: str | None = None,
    server_tools: set[str] | frozenset[str] = frozenset(),
) -> ChatTurn:
    """Perform one chat turn: reply, optional tool run, usage, session history."""
    now = state.now()
    session = organisation.get(SessionStore).get(session_id, now) if session_id else None
    reply = generate(prompt)
    execution = None
    if reply.tool_call is not None and reply.tool_call.name in server_tools:
        tool = BUILTIN_TOOLS[reply.tool_call.name]
        execution = organisation.get(ToolExecutionStore).run(tool, reply.tool_call.input, now)
    organisation.get(UsageLedger).record(now, prompt.model.id, reply.total_tokens, reply.cost_cents)
    turn = ChatTurn(f"req-{uuid.uuid4().hex[:20]}", prompt.model.id, reply, session_id, execution)
    if session is not None:
        session.messages += [prompt.messages[-1], {"role": "assistant", "content": reply.text}]
        session.total_tokens += reply.total_tokens
        session.model = prompt.model.id
        session.touch(now)
    return turn


@dataclass
class DurableExecution:
    """An `async: true` chat. The simulator answers at once, so a poll finds it complete,
    unless the model asked for a tool that the client must run (a `toolConfig` tool the
    server did not execute): then it is `waiting_callback` with a single-use `callbackId`
    until `POST chat/callback` brings the tool results (`resume`), and complete after that.
    """

    turn: ChatTurn
    created_at: datetime
    callback_id: str | None = None  # set while waiting for the client's tool results
    follow_up: ChatTurn | None = None  # the model's answer to those results

    def resume(self, follow_up: ChatTurn) -> None:
        self.callback_id, self.follow_up = None, follow_up

    def status(self) -> dict[str, Any]:
        ids = {
            "requestId": self.turn.request_id,
            "executionArn": f"arn:aws:lambda:us-east-1:000000000000:function:quant-ai-simulator:{self.turn.request_id}",
        }
        call = self.turn.reply.tool_call
        if self.callback_id is not None and call is not None:
            return {
                **ids,
                "status": "waiting_callback",
                "awsStatus": "RUNNING",
                "callbackId": self.callback_id,
                "pendingTools": [call.to_json()],
            }
        final = self.follow_up or self.turn
        return {
            **ids,
            "status": "complete",
            "awsStatus": "SUCCEEDED",
            "result": {
                "response": {"role": "assistant", "content": final.reply.text},
                "usage": final.reply.usage(),
                "toolExecutions": [self.turn.execution.detail()] if self.turn.execution else [],
            },
        }


class DurableExecutionStore:
    def __init__(self) -> None:
        self._executions: dict[str, DurableExecution] = {}

    def queue(self, turn: ChatTurn, now: datetime) -> dict[str, Any]:
        """Remember the turn and answer the documented 202 body `{requestId, pollUrl, status, ...}`."""
        waits = turn.reply.tool_call is not None and turn.execution is None
        callback_id = secrets.token_urlsafe(24) if waits else None
        self._executions[turn.request_id] = DurableExecution(turn, now, callback_id)
        body: dict[str, Any] = {
            "requestId": turn.request_id,
            "pollUrl": f"/ai/chat/executions/{quote(turn.request_id, safe='')}",
            "status": "queued",
            "message": "Chat execution queued; poll pollUrl for the result",
        }
        if turn.session_id:
            body["sessionId"] = turn.session_id
        return body

    def get(self, identifier: str) -> DurableExecution:
        return found_or_404(self._executions.get(identifier), "Execution", identifier)

    def waiting_for(self, callback_id: str) -> DurableExecution:
        """The execution waiting on `callback_id`; 404 once that callback has been used."""
        found = next((e for e in self._executions.values() if e.callback_id == callback_id), None)
        if found is None:
            raise ApiError(404, "Callback not found or already used", callbackId=callback_id)
        return found
