"""Inference: chat (buffered, streamed, in a session, durable), embeddings and image generation.

The durable-execution tools (``executions``), embeddings and image generation (``images``) are toolsets of
their own, off by default; their operations are in those modules, their models here.

The chat tools take multimodal content: the API's blocks plus local files and MCP embedded
resources, which the runtime checks and streams into the request (``attachments=True``).
``chat_in_session`` is a composite tool: the flow of that name in ``quant_mcp.flows``.
``generate_image`` returns its pictures as MCP image content.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Annotated, Any, Literal
from urllib.parse import unquote

from mcp.types import ImageContent
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from quant_mcp.catalog.base import LEGACY, V3, ApiResult, Operation, PathId, Route, ToolArguments, Toolset, WireModel
from quant_mcp.catalog.content import CONTENT_DESCRIPTION, Base64, ChatMessage, Content, detect_format
from quant_mcp.catalog.sessions import SESSION_URI, SessionId

ModelId = Annotated[PathId, Field(description="e.g. amazon.nova-lite-v1:0")]


class ResponseFormat(WireModel):
    type: Literal["json"] = "json"
    json_schema: dict[str, Any]


class JsonSchemaFormat(BaseModel):
    """The OpenAI-style structured output Quant's Drupal provider sends (snake_case on the wire)."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["json_schema"] = "json_schema"
    name: str | None = None
    strict: bool | None = None
    schema_: dict[str, Any] = Field(alias="schema")  # the JSON Schema the answer must follow


class ToolInputSchema(WireModel):
    json_: dict[str, Any] = Field(alias="json")  # the JSON Schema of the tool's input


class ToolSpec(WireModel):
    name: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
    description: str | None = None
    input_schema: ToolInputSchema


class ToolDefinition(WireModel):
    tool_spec: ToolSpec


class ToolConfig(WireModel):
    tools: list[ToolDefinition]
    auto_execute: bool | None = None  # run built-in tools server-side (needs allowed_tools)
    allowed_tools: list[str] | None = None


class Guardrails(WireModel):
    guardrail_identifier: str
    guardrail_version: str
    trace: Literal["enabled", "disabled"] | None = None


class GenerationOptions(ToolArguments):
    """Sampling options shared by the chat tools."""

    system_prompt: str | None = None
    temperature: float | None = Field(None, ge=0, le=2)
    max_tokens: int | None = Field(None, ge=1, le=65536)
    top_p: float | None = Field(None, ge=0, le=1)
    stop_sequences: list[str] | None = Field(None, max_length=4)


class ChatArguments(GenerationOptions):
    messages: list[ChatMessage] = Field(min_length=1, max_length=1000, description="Oldest first.")
    model_id: ModelId
    documented_response_format: ResponseFormat | None = Field(
        None, alias="responseFormat", description='JSON output: {"type": "json", "jsonSchema": {...}}.'
    )
    response_format_json_schema: JsonSchemaFormat | None = Field(
        None, alias="response_format", description="Or this form (Drupal's); not both."
    )
    tool_config: ToolConfig | None = Field(None, description="Answer may carry toolUse.")
    # v3 routes only:
    agent_id: PathId | None = None  # answer as this agent
    session_id: PathId | None = None
    allowed_tools: list[str] | None = Field(None, description="Built-in tools.")
    guardrails: Guardrails | None = None
    long_context: bool | None = Field(None, description="1M-token context.")


class ChatInSessionArguments(GenerationOptions):
    session_id: SessionId
    message: Content = Field(description=CONTENT_DESCRIPTION)
    model_id: ModelId | None = Field(None, description="Default: the session's model.")


LEGACY_CHAT_FIELDS = frozenset(
    {
        "messages",
        "model_id",
        "system_prompt",
        "temperature",
        "max_tokens",
        "top_p",
        "stop_sequences",
        "documented_response_format",
        "tool_config",
    }
)


class Usage(ApiResult):
    input_tokens: int | None = None
    output_tokens: int | None = None
    total_tokens: int | None = None
    cost_cents: float | None = None


FINISH_REASON_HELP = (
    "stop (end of turn) | tool_use (call the tools in response.toolUse) | tool_request (the service waits for a "
    "client-side tool) | length (cut at maxTokens) | content_filter"
)


class MaxTokensClamp(ApiResult):
    requested: int
    sent: int = Field(description="The model's maxOutputTokens, sent in place of the request.")


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
    finish_reason: str | None = Field(None, description=FINISH_REASON_HELP)
    stop_reason: str | None = Field(
        None, description="Why the model stopped, as the API reported it (Bedrock's end_turn, max_tokens, ...)."
    )
    usage: Usage | None = None
    max_tokens_clamped: MaxTokensClamp | None = Field(None, description="Set when maxTokens was above the model's limit.")


class ChatStreamResult(ChatResult):
    session_id: str | None = Field(None, description="The session the API used, when it reported one.")
    complete: bool | None = Field(None, description="False when the turn stopped early (e.g. a client tool is needed).")
    chunks: int | None = Field(None, description="Text deltas received (each was sent as a progress notification).")
    orchestration: dict[str, Any] | None = Field(
        None, description="When complete is false because tools continue server-side: {pollUrl} to poll for the outcome."
    )
    server_tools: list[dict[str, Any]] | None = Field(None, description="Tools the service ran itself: {name, result} each.")
    skipped_frames: int | None = Field(None, description="Stream frames that could not be read and were skipped.")


def chat_summary(result: dict[str, Any]) -> str:
    response = result.get("response") or {}
    if response.get("toolUse"):
        return "The model requests a tool call (see response.toolUse)."
    return str(response.get("content") or "")


class ChatInSessionResult(ChatStreamResult):
    appended: bool = Field(description="True when both turns and the token usage were saved to the session.")
    warning: str | None = Field(None, description="Set when the answer could not be saved; says how to save it.")
    total_messages: int | None = Field(None, description="Messages in the session after the append.")
    total_tokens: int | None = Field(None, description="The session's token total after the append.")


def session_chat_summary(result: dict[str, Any]) -> str:
    warning = f"WARNING: {result['warning']}\n" if result.get("warning") else ""
    return warning + chat_summary(result)


class ChatExecutionQueued(ApiResult):
    request_id: str = Field(description="Pass it to get_durable_execution_status.")
    poll_url: str | None = None
    status: str | None = Field(None, description="queued")
    session_id: str | None = None
    message: str | None = None


def _async_chat_body(arguments: ToolArguments) -> dict[str, Any]:
    return {**arguments.model_dump(mode="json", by_alias=True, exclude_none=True, exclude={"organisation"}), "async": True}


# ----------------------------------------------------------------------------- durable executions


# The identifier may be given as it appears in a pollUrl: the characters it may hold, each also
# percent-encoded. The schema publishes exactly what is accepted; the value is decoded after.
_ENCODED = "%(?:2[BbDdEeFf]|3[AaDd]|40|5[Ff]|7[Ee])"  # + - . / : = @ _ ~

ExecutionIdentifier = Annotated[
    str,
    StringConstraints(pattern=rf"^[A-Za-z0-9](?:[A-Za-z0-9._:@~+/=-]|{_ENCODED})*$", max_length=2048),
    AfterValidator(unquote),
    Field(description="A requestId (or its pollUrl's last segment), or an execution ARN."),
]


class ExecutionArguments(ToolArguments):
    identifier: ExecutionIdentifier


class PendingTool(ApiResult):
    name: str | None = None
    tool_use_id: str | None = None
    input: dict[str, Any] | None = None


class ExecutionStatus(ApiResult):
    request_id: str | None = None
    execution_arn: str | None = None
    status: str | None = Field(None, description="pending | running | waiting_callback | complete | failed")
    aws_status: str | None = None
    callback_id: str | None = Field(None, description="With waiting_callback: pass it to submit_tool_callback.")
    pending_tools: list[PendingTool] | None = Field(None, description="With waiting_callback: the tools you must run.")
    result: dict[str, Any] | None = Field(None, description="With complete: {response: {role, content}, usage, toolExecutions}.")
    error: dict[str, Any] | None = Field(None, description="With failed: {ErrorMessage, ErrorType}.")


def _execution_summary(result: dict[str, Any]) -> str:
    status = result.get("status")
    line = f"Execution {result.get('requestId')} is {status}"
    if status == "waiting_callback":
        return line + ": run pendingTools, then call submit_tool_callback with callbackId and their results."
    if status == "complete":
        return line + ": " + str(((result.get("result") or {}).get("response") or {}).get("content") or "")
    if status == "failed":
        return line + ": " + str((result.get("error") or {}).get("ErrorMessage") or "")
    return line + "; poll again in a few seconds (back off to 30 s)."


class ToolOutcome(WireModel):
    tool_use_id: Annotated[str, StringConstraints(min_length=1, max_length=256)]
    result: dict[str, Any] = Field(description="What the tool returned, as a JSON object.")


class ToolCallbackArguments(ToolArguments):
    callback_id: Annotated[str, StringConstraints(min_length=1, max_length=4096)] = Field(
        description="From get_durable_execution_status; works once."
    )
    tool_results: list[ToolOutcome] = Field(min_length=1, max_length=100, description="One result per pending tool.")


class CallbackAccepted(ApiResult):
    success: bool | None = None
    message: str | None = None
    callback_id: str | None = None


# ----------------------------------------------------------------------------- embeddings

EmbeddingText = Annotated[str, StringConstraints(min_length=1, max_length=50_000)]


class EmbeddingsArguments(ToolArguments):
    input: EmbeddingText | Annotated[list[EmbeddingText], Field(min_length=1, max_length=100)] = Field(
        description="One text, or up to 100."
    )
    model_id: ModelId | None = Field(None, description="Default amazon.titan-embed-text-v2:0.")
    dimensions: Literal[256, 512, 1024, 8192] | None = Field(None, description="Default 1024.")
    normalize: bool | None = Field(None, description="Default true.")


class EmbeddingUsage(ApiResult):
    input_tokens: int | None = None
    total_tokens: int | None = None


class Embeddings(ApiResult):
    embeddings: list[float] | list[list[float]] = Field(
        description="One vector for a text input, a list of vectors (in input order) for a list input."
    )
    model: str
    dimension: int = Field(description="Length of each vector.")
    usage: EmbeddingUsage


def _embeddings_summary(result: dict[str, Any]) -> str:
    vectors = result["embeddings"]
    count = len(vectors) if vectors and isinstance(vectors[0], list) else 1
    return f"{count} vector(s) of {result['dimension']} dimensions from {result['model']}"


# ----------------------------------------------------------------------------- image generation


class TextToImageParams(WireModel):
    text: Annotated[str, StringConstraints(min_length=1, max_length=1024)]
    negative_text: Annotated[str, StringConstraints(min_length=1, max_length=1024)] | None = None
    style: (
        Literal[
            "3D_ANIMATED_FAMILY_FILM",
            "DESIGN_SKETCH",
            "FLAT_VECTOR_ILLUSTRATION",
            "GRAPHIC_NOVEL_ILLUSTRATION",
            "MAXIMALISM",
            "MIDCENTURY_RETRO",
            "PHOTOREALISM",
            "SOFT_DIGITAL_PAINTING",
        ]
        | None
    ) = None
    condition_image: Base64 | None = None
    control_mode: Literal["CANNY_EDGE", "SEGMENTATION"] | None = None
    control_strength: float | None = Field(None, ge=0, le=1)


class ColorGuidedGenerationParams(WireModel):
    colors: list[Annotated[str, StringConstraints(pattern=r"^#[0-9A-Fa-f]{6}$")]] = Field(min_length=1, max_length=10)
    text: Annotated[str, StringConstraints(min_length=1, max_length=1024)]
    negative_text: Annotated[str, StringConstraints(min_length=1, max_length=1024)] | None = None
    reference_image: Base64 | None = None


class ImageVariationParams(WireModel):
    images: list[Base64] = Field(min_length=1, max_length=5)
    similarity_strength: float | None = Field(None, ge=0.2, le=1)
    text: Annotated[str, StringConstraints(min_length=1, max_length=1024)] | None = None
    negative_text: Annotated[str, StringConstraints(min_length=1, max_length=1024)] | None = None


class InPaintingParams(WireModel):
    image: Base64
    mask_image: Base64 | None = Field(None, description="Black = repaint; or give maskPrompt.")
    mask_prompt: str | None = None
    text: Annotated[str, StringConstraints(min_length=1, max_length=1024)] | None = None
    negative_text: str | None = None


class OutPaintingParams(WireModel):
    image: Base64
    mask_image: Base64 | None = None
    mask_prompt: str | None = None
    out_painting_mode: Literal["PRECISE", "DEFAULT"] | None = None
    text: str | None = None
    negative_text: str | None = None


class BackgroundRemovalParams(WireModel):
    image: Base64


class ImageGenerationConfig(WireModel):
    width: int | None = Field(None, ge=320, le=4096)
    height: int | None = Field(None, ge=320, le=4096)
    quality: Literal["standard", "premium"] | None = None
    cfg_scale: float | None = Field(None, ge=1.1, le=10)
    seed: int | None = Field(None, ge=0, le=2147483646)
    number_of_images: int | None = Field(None, ge=1, le=5)


TASK_PARAMETERS = {
    "TEXT_IMAGE": "text_to_image_params",
    "COLOR_GUIDED_GENERATION": "color_guided_generation_params",
    "IMAGE_VARIATION": "image_variation_params",
    "INPAINTING": "in_painting_params",
    "OUTPAINTING": "out_painting_params",
    "BACKGROUND_REMOVAL": "background_removal_params",
    "VIRTUAL_TRY_ON": "virtual_try_on_params",
}


class GenerateImageArguments(ToolArguments):
    task_type: Literal[
        "TEXT_IMAGE",
        "COLOR_GUIDED_GENERATION",
        "IMAGE_VARIATION",
        "INPAINTING",
        "OUTPAINTING",
        "BACKGROUND_REMOVAL",
        "VIRTUAL_TRY_ON",
    ] = Field("TEXT_IMAGE", description="Fill the matching *Params object.")
    text_to_image_params: TextToImageParams | None = None
    color_guided_generation_params: ColorGuidedGenerationParams | None = None
    image_variation_params: ImageVariationParams | None = None
    in_painting_params: InPaintingParams | None = None
    out_painting_params: OutPaintingParams | None = None
    background_removal_params: BackgroundRemovalParams | None = None
    virtual_try_on_params: dict[str, Any] | None = None
    image_generation_config: ImageGenerationConfig | None = None
    model_id: ModelId | None = Field(None, description="Default amazon.nova-canvas-v1:0.")
    region: Literal["us-east-1", "ap-northeast-1", "eu-west-1"] | None = None

    @model_validator(mode="after")
    def _one_task(self) -> GenerateImageArguments:
        wanted = TASK_PARAMETERS[self.task_type]
        given = [name for name in TASK_PARAMETERS.values() if getattr(self, name) is not None]
        alias = type(self).model_fields[wanted].alias
        if given != [wanted]:
            raise ValueError(f"taskType {self.task_type} takes exactly one parameters object, `{alias}`")
        return self


class ImageInfo(ApiResult):
    index: int = Field(description="Position of the image among the result's image content blocks.")
    mime_type: str
    size_bytes: int


class GeneratedImages(ApiResult):
    images: list[ImageInfo] = Field(description="One entry per image returned as image content, in order.")
    count: int
    mask_image: ImageInfo | None = Field(None, description="The mask the model used, returned as the last image block.")
    error: str | None = Field(None, description="Set when moderation blocked some of the images.")


def images_as_content(data: Mapping[str, Any]) -> tuple[dict[str, Any], list[ImageContent]]:
    """Move the base64 images (raw or data URLs) out of the answer into MCP image content."""
    pictures = [*(data.get("images") or []), *([data["maskImage"]] if data.get("maskImage") else [])]
    blocks, infos = [], []
    for index, picture in enumerate(pictures):
        declared, _, encoded = picture.rpartition(",") if picture.startswith("data:") else ("", "", picture)
        found = detect_format(base64.b64decode(encoded[:64] + "=" * (-len(encoded[:64]) % 4)))
        mime = f"image/{found[1]}" if found and found[0] == "image" else declared[5:].split(";")[0] or "image/png"
        blocks.append(ImageContent(type="image", data=encoded, mime_type=mime))
        infos.append({"index": index, "mimeType": mime, "sizeBytes": len(encoded) * 3 // 4 - encoded[-2:].count("=")})
    rest = {key: value for key, value in data.items() if key not in ("images", "maskImage")}
    images = infos[: len(data.get("images") or [])]
    mask = infos[len(images) :]
    return {**rest, "images": images, "count": len(images), **({"maskImage": mask[0]} if mask else {})}, blocks


def _images_summary(result: dict[str, Any]) -> str:
    kinds = sorted({image["mimeType"] for image in result["images"]})
    line = f"Generated {result['count']} image(s) ({', '.join(kinds) or 'none'}), returned as image content."
    return line + (f" The API said: {result['error']}" if result.get("error") else "")


# ----------------------------------------------------------------------------- operations

OPERATIONS = [
    Operation(
        name="chat",
        toolset=Toolset.INFERENCE,
        title="Chat completion",
        description=(
            "Ask a model and wait for the whole answer (chat_stream for long ones). Stores nothing: use "
            "chat_in_session to keep a conversation."
        ),
        route=Route("POST", V3 + "/chat"),
        legacy_route=Route("POST", LEGACY + "/chat", fields=LEGACY_CHAT_FIELDS),
        arguments=ChatArguments,
        result=ChatResult,
        attachments=True,
        model_answer=True,
        operation_ids=("chatInference", "legacyChatInference"),
        summary=chat_summary,
    ),
    Operation(
        name="chat_stream",
        toolset=Toolset.INFERENCE,
        title="Streaming chat completion",
        description=(
            "Like chat, but the text streams as progress notifications: for long answers. [Bracketed] "
            "messages are notes, not text."
        ),
        route=Route("POST", V3 + "/chat/stream"),
        legacy_route=Route("POST", LEGACY + "/chat/stream", fields=LEGACY_CHAT_FIELDS),
        arguments=ChatArguments,
        result=ChatStreamResult,
        attachments=True,
        streamed=True,
        operation_ids=("chatInferenceStream", "legacyChatInferenceStream"),
        summary=chat_summary,
    ),
    Operation(
        name="chat_in_session",
        toolset=Toolset.INFERENCE,
        title="Chat in a session",
        description=(
            "Continue a stored session: its history plus your `message` go to the model (streamed), then both "
            "turns and the usage are saved to it. A cancelled call leaves neither turn or both: check with "
            "get_session before retrying."
        ),
        route=None,  # it sends through get_session, chat_stream and update_session
        arguments=ChatInSessionArguments,
        result=ChatInSessionResult,
        flow="chat_in_session",
        changes=SESSION_URI,
        summary=session_chat_summary,
    ),
]
