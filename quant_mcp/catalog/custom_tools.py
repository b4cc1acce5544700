"""Custom tools: your own tools for agents and chats, each backed by an edge function.

The current API deploys the JavaScript you send (``edgeFunctionCode``) and computes the
function's URL itself; ``inputSchema`` / ``outputSchema`` travel as JSON *strings*. The tools
also accept them as objects and encode them, since that is what an agent naturally builds.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, field_serializer

from quant_mcp.catalog.base import (
    V3,
    ApiResult,
    Confirmation,
    NoArguments,
    Operation,
    PathId,
    Route,
    Text,
    ToolArguments,
    Toolset,
)

ToolName = Annotated[PathId, Field(description="The custom tool's name, as registered.")]


class CreateCustomToolArguments(ToolArguments):
    name: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")] = Field(
        description="Tool name agents will call, e.g. 'lookup_order'. Registering an existing name updates that tool."
    )
    description: Text = Field(description="What the tool does and when to use it; models read this to decide to call it.")
    edge_function_code: Text = Field(
        description="JavaScript source of the edge function that runs the tool; the platform deploys it."
    )
    input_schema: dict[str, Any] | str = Field(
        description="JSON Schema of the tool's input (an object, or the same as a JSON string)."
    )
    is_async: bool | None = Field(None, description="Run asynchronously (poll with get_tool_execution). Default false.")
    timeout_seconds: int | None = Field(None, ge=5, le=300, description="Time limit per run, 5-300 s (default 30).")
    output_schema: dict[str, Any] | str | None = Field(
        None, description="JSON Schema of the tool's output (object or JSON string)."
    )
    output_schema_description: str | None = Field(None, description="Plain-language description of the output.")
    category: Annotated[str, StringConstraints(max_length=100)] | None = Field(None, description="Free-form grouping label.")
    response_mode: Literal["llm", "direct"] | None = Field(
        None, description="llm: the model reads the output and answers; direct: the output is the answer."
    )

    @field_serializer("input_schema", "output_schema")
    def _as_json_text(self, value: dict[str, Any] | str | None) -> str | None:
        """The API takes schemas as JSON strings."""
        return json.dumps(value, separators=(",", ":")) if isinstance(value, dict) else value


class CustomToolArguments(ToolArguments):
    tool_name: ToolName


class CustomToolSummary(ApiResult):
    name: str | None = None
    description: str | None = None
    edge_function_url: str | None = None
    is_async: bool | None = None
    input_schema: str | dict[str, Any] | None = Field(None, description="JSON Schema (a JSON string on current API versions).")
    created_at: str | None = None


class CustomToolList(ApiResult):
    tools: list[CustomToolSummary]
    count: int | None = None


class CustomTool(CustomToolSummary):
    edge_function_code: str | None = None
    output_schema: str | dict[str, Any] | None = None
    output_schema_description: str | None = None
    category: str | None = None
    response_mode: str | None = None


class CustomToolRegistered(ApiResult):
    success: bool | None = None
    tool: CustomTool | None = None
    edge_function_url: str | None = Field(None, description="Where the deployed edge function runs.")
    edge_function_code: str | None = None
    is_update: bool | None = Field(None, description="True when an existing tool of that name was replaced.")
    message: str | None = None


class CustomToolDetails(ApiResult):
    tool: CustomTool


OPERATIONS = [
    Operation(
        name="list_custom_tools",
        toolset=Toolset.CUSTOM_TOOLS,
        title="List custom tools",
        description=(
            "List the organisation's custom tools (edge-function tools agents and chats can call): name, "
            "description, edge function URL, whether it runs async, and its input schema."
        ),
        route=Route("GET", V3 + "/custom-tools"),
        arguments=NoArguments,
        result=CustomToolList,
        read_only=True,
        idempotent=True,
        operation_ids=("listCustomTools",),
        summary=lambda r: f"{len(r['tools'])} custom tool(s)",
    ),
    Operation(
        name="create_custom_tool",
        toolset=Toolset.CUSTOM_TOOLS,
        title="Register custom tool",
        description=(
            "Register a custom tool backed by an edge function: give its `name`, a `description` models will "
            "read, the JavaScript `edgeFunctionCode` (the platform deploys it) and the `inputSchema` (JSON "
            "Schema). Registering an existing name replaces that tool (`isUpdate` says so). Returns the tool "
            "and its edge function URL."
        ),
        route=Route("POST", V3 + "/custom-tools"),
        arguments=CreateCustomToolArguments,
        result=CustomToolRegistered,
        operation_ids=("createCustomTool",),
        summary=lambda r: r.get("message") or ("Custom tool updated" if r.get("isUpdate") else "Custom tool registered"),
    ),
    Operation(
        name="get_custom_tool",
        toolset=Toolset.CUSTOM_TOOLS,
        title="Get custom tool",
        description="Get one custom tool by name, including its edge function code, input and output schemas and response mode.",
        route=Route("GET", V3 + "/custom-tools/{toolName}"),
        arguments=CustomToolArguments,
        result=CustomToolDetails,
        read_only=True,
        idempotent=True,
        operation_ids=("getCustomTool",),
        summary=lambda r: f"Custom tool {r['tool'].get('name')}",
    ),
    Operation(
        name="delete_custom_tool",
        toolset=Toolset.CUSTOM_TOOLS,
        title="Delete custom tool",
        description="Delete a custom tool and its edge function, permanently. Agents that list it can no longer call it.",
        route=Route("DELETE", V3 + "/custom-tools/{toolName}"),
        arguments=CustomToolArguments,
        result=Confirmation,
        destructive=True,
        idempotent=True,
        operation_ids=("deleteCustomTool",),
        summary=lambda r: r.get("message") or "Custom tool deleted",
    ),
]
