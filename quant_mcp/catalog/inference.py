"""Inference: buffered and streamed chat completions (text and multimodal, tools, JSON output)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, model_validator

from quant_mcp.catalog.base import LEGACY, V3, ApiResult, Operation, PathId, Route, Toolset, ToolArguments, WireModel
from quant_mcp.catalog.content import MAX_PAYLOAD_BYTES, ChatMessage, payload_size
from quant_mcp.flows import relay_chat_stream

ModelId = Annotated[PathId, Field(description="Model id from list_models, e.g. 'amazon.nova-lite-v1:0'.")]


class ResponseFormat(WireModel):
    type: Literal["json"] = "json"
    json_schema: dict[str, Any] = Field(description="JSON Schema the answer must follow.")


class ToolInputSchema(WireModel):
    json_: dict[str, Any] = Field(alias="json", description="JSON Schema of the tool's input.")


class ToolSpec(WireModel):
    name: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
    description: str | None = None
    input_schema: ToolInputSchema


class ToolDefinition(WireModel):
    tool_spec: ToolSpec


class ToolConfig(WireModel):
    tools: list[ToolDefinition] = Field(description="Tools the model may ask you to call; its answer then carries `toolUse`.")
    auto_execute: bool | None = Field(None, description="Let the Quant API run built-in tools itself (needs allowedTools).")
    allowed_tools: list[str] | None = Field(None, description="Names of tools that may auto-execute.")


class Guardrails(WireModel):
    guardrail_identifier: str
    guardrail_version: str
    trace: Literal["enabled", "disabled"] | None = None


class ChatArguments(ToolArguments):
    messages: list[ChatMessage] = Field(
        min_length=1, max_length=1000, description="The conversation, oldest first; the last is usually the user's new turn."
    )
    model_id: ModelId
    system_prompt: str | None = Field(None, description="System prompt for this call.")
    temperature: float | None = Field(None, ge=0, le=2, description="Sampling temperature, 0-2 (default 0.7).")
    max_tokens: int | None = Field(None, ge=1, le=65536, description="Most tokens to generate, 1-65536 (default 4096).")
    top_p: float | None = Field(None, ge=0, le=1, description="Nucleus sampling, 0-1.")
    stop_sequences: list[str] | None = Field(None, max_length=4, description="Up to 4 strings that end the answer.")
    response_format: ResponseFormat | None = Field(None, description="Ask for JSON that follows a JSON Schema.")
    tool_config: ToolConfig | None = Field(None, description="Function calling: tools the model may request.")
    session_id: PathId | None = Field(None, description="Continue a stored session (v3 routes); omit for a stateless call.")
    allowed_tools: list[str] | None = Field(None, description="Built-in tools the model may use (v3 routes).")
    guardrails: Guardrails | None = Field(None, description="Bedrock guardrail to apply (v3 routes).")
    long_context: bool | None = Field(None, description="Use the 1M-token context route (v3 routes).")

    @model_validator(mode="after")
    def _payload_limit(self) -> ChatArguments:
        size = payload_size(self.messages)
        if size > MAX_PAYLOAD_BYTES:
            raise ValueError(
                f"the attachments total {size / 1_048_576:.1f} MB; Quant AI accepts at most 25 MB per request. "
                "Send fewer or smaller files."
            )
        return self


LEGACY_CHAT_FIELDS = frozenset(
    {"messages", "model_id", "system_prompt", "temperature", "max_tokens", "top_p", "stop_sequences", "response_format", "tool_config"}
)


class Usage(ApiResult):
    input_tokens: int | None = None
    output_tokens: int | None = None
    total_tokens: int | None = None
    cost_cents: float | None = None


class AssistantMessage(ApiResult):
    role: str | None = "assistant"
    content: str | None = Field(None, description="The answer's text (JSON text when responseFormat was given).")
    tool_use: dict[str, Any] | list[dict[str, Any]] | None = Field(
        None, description="Tool call(s) the model asks you to make: {toolUseId, name, input}."
    )


class ChatResult(ApiResult):
    response: AssistantMessage
    model: str | None = None
    request_id: str | None = None
    finish_reason: str | None = Field(None, description="stop | length | content_filter | tool_use")
    usage: Usage | None = None


class ChatStreamResult(ChatResult):
    stop_reason: str | None = Field(None, description="Why the stream stopped, as the API reported it.")
    session_id: str | None = Field(None, description="The session the API used, when it reported one.")
    complete: bool | None = Field(None, description="False when the turn stopped early (e.g. a client tool is needed).")
    chunks: int | None = Field(None, description="Text deltas received (each was sent as a progress notification).")


def _legacy_chat(data: dict[str, Any]) -> dict[str, Any]:
    """Legacy chat answers ``{response: "<text>"}``; give it the v3 shape."""
    response = data.get("response")
    if isinstance(response, str):
        data = {**data, "response": {"role": "assistant", "content": response}}
    return data


def chat_summary(result: dict[str, Any]) -> str:
    response = result.get("response") or {}
    if response.get("toolUse"):
        return "The model requests a tool call (see response.toolUse)."
    return str(response.get("content") or "")


CHAT_DESCRIPTION = (
    "Ask a Quant AI model for a chat completion and wait for the whole answer. Pass the conversation "
    "as `messages` (oldest first) and a `modelId` from list_models. Content may be a string or a list of "
    "blocks: text, and for models that accept them image/video/document blocks with base64 bytes "
    "(25 MB per request in all). Give `toolConfig` for function calling (the answer then carries "
    "`response.toolUse`) or `responseFormat` for JSON output. Returns the answer text, finish reason "
    "and token usage. Does not store anything in a session; use chat_in_session for that."
)

OPERATIONS = [
    Operation(
        name="chat",
        toolset=Toolset.INFERENCE,
        title="Chat completion",
        description=CHAT_DESCRIPTION,
        route=Route("POST", V3 + "/chat"),
        legacy_route=Route("POST", LEGACY + "/chat", fields=LEGACY_CHAT_FIELDS, response=_legacy_chat),
        arguments=ChatArguments,
        result=ChatResult,
        operation_ids=("chatInference", "legacyChatInference"),
        summary=chat_summary,
    ),
    Operation(
        name="chat_stream",
        toolset=Toolset.INFERENCE,
        title="Streaming chat completion",
        description=(
            "Like chat, but the answer streams: when your call carries a progress token, each new piece of "
            "text arrives as a progress notification (its message is the new text) while the model is "
            "still writing. The result carries the whole text, finish/stop reason, usage and any tool-use "
            "requests. Prefer it for long answers; arguments are the same as chat's."
        ),
        route=Route("POST", V3 + "/chat/stream"),
        legacy_route=Route("POST", LEGACY + "/chat/stream", fields=LEGACY_CHAT_FIELDS),
        arguments=ChatArguments,
        result=ChatStreamResult,
        runner=relay_chat_stream,
        operation_ids=("chatInferenceStream", "legacyChatInferenceStream"),
        summary=chat_summary,
    ),
]
