"""Custom tools: your own tools for agents and chats, each backed by an edge function.

The current API deploys the JavaScript you send (``edgeFunctionCode``) and computes the
function's URL itself. The live v3 endpoint validates ``toolName`` and an ``inputSchema``
*object* (Quant's custom-tools action; LIVE-DIALECT.md), where the generated reference says
``name`` and a JSON string: the tool takes ``toolName``, sends it under both names, and sends
the input schema as an object (an agent's JSON string is parsed first). Tools read back carry
both ``toolName`` and ``name``, whichever the API answered with.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, Field, StringConstraints, field_serializer, field_validator

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

ToolName = PathId


class CreateCustomToolArguments(ToolArguments):
    tool_name: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")] = Field(
        validation_alias=AliasChoices("toolName", "name"),  # `name`: this tool's argument before the live dialect
        description="e.g. lookup_order; an existing name is replaced.",
    )
    description: Text = Field(description="When to use it: models read this.")
    edge_function_code: Text = Field(description="JavaScript; the platform deploys it.")
    input_schema: dict[str, Any] = Field(description="JSON Schema (an object, or it as JSON text).")
    is_async: bool | None = Field(None, description="Run asynchronously (poll with get_tool_execution). Default false.")
    timeout_seconds: int | None = Field(None, ge=5, le=300)
    output_schema: dict[str, Any] | str | None = Field(
        None, description="JSON Schema of the tool's output (object or JSON string)."
    )
    output_schema_description: str | None = None
    category: Annotated[str, StringConstraints(max_length=100)] | None = None
    response_mode: Literal["llm", "direct"] | None = Field(
        None, description="llm: the model reads the output and answers; direct: the output is the answer."
    )

    @field_validator("input_schema", mode="before")
    @classmethod
    def _parse_json_text(cls, value: Any) -> Any:
        """An agent may give the schema as JSON text; the live API validates an object."""
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise ValueError("must be a JSON Schema object (or a JSON string holding one)") from None
        return value

    @field_serializer("output_schema")
    def _as_json_text(self, value: dict[str, Any] | str | None) -> str | None:
        """The reference takes the output schema as a JSON string."""
        return json.dumps(value, separators=(",", ":")) if isinstance(value, dict) else value


def _create_body(arguments: ToolArguments) -> dict[str, Any]:
    """The create body: ``toolName`` (the live endpoint) and ``name`` (the reference) both."""
    body = arguments.model_dump(mode="json", by_alias=True, exclude_none=True, exclude={"organisation"})
    return {**body, "name": body["toolName"]}


def _both_names(tool: Any) -> Any:
    if isinstance(tool, dict) and ("toolName" in tool or "name" in tool):
        return {**tool, "toolName": tool.get("toolName", tool.get("name")), "name": tool.get("name", tool.get("toolName"))}
    return tool


def _read_back(data: Any) -> Any:
    """Tools as answered, each with ``toolName`` and ``name`` (the live API says toolName, the reference name)."""
    if not isinstance(data, dict):
        return data
    shaped = dict(data)
    if "tool" in shaped:
        shaped["tool"] = _both_names(shaped["tool"])
    if isinstance(shaped.get("tools"), list):
        shaped["tools"] = [_both_names(tool) for tool in shaped["tools"]]
    return shaped


class CustomToolArguments(ToolArguments):
    tool_name: ToolName


class CustomToolSummary(ApiResult):
    tool_name: str | None = None
    name: str | None = Field(None, description="The same as toolName (the reference's name for it).")
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
    edge_function_url: str | None = None
    edge_function_code: str | None = None
    is_update: bool | None = None
    message: str | None = None


class CustomToolDetails(ApiResult):
    tool: CustomTool


OPERATIONS = [
    Operation(
        name="list_custom_tools",
        toolset=Toolset.CUSTOM_TOOLS,
        title="List custom tools",
        description=("The organisation's custom tools (edge functions agents and chats can call)."),
        route=Route("GET", V3 + "/custom-tools", response=_read_back),
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
            "Register (or replace) a custom tool: a name, a description models read, its JavaScript edge "
            "function and input schema."
        ),
        route=Route("POST", V3 + "/custom-tools", body=_create_body, response=_read_back),
        arguments=CreateCustomToolArguments,
        result=CustomToolRegistered,
        operation_ids=("createCustomTool",),
        summary=lambda r: r.get("message") or ("Custom tool updated" if r.get("isUpdate") else "Custom tool registered"),
    ),
    Operation(
        name="get_custom_tool",
        toolset=Toolset.CUSTOM_TOOLS,
        title="Get custom tool",
        description="One custom tool with its code and schemas.",
        route=Route("GET", V3 + "/custom-tools/{toolName}", response=_read_back),
        arguments=CustomToolArguments,
        result=CustomToolDetails,
        read_only=True,
        idempotent=True,
        operation_ids=("getCustomTool",),
        summary=lambda r: f"Custom tool {r['tool'].get('toolName')}",
    ),
    Operation(
        name="delete_custom_tool",
        toolset=Toolset.CUSTOM_TOOLS,
        title="Delete custom tool",
        description="Delete a custom tool and its edge function, permanently.",
        route=Route("DELETE", V3 + "/custom-tools/{toolName}"),
        arguments=CustomToolArguments,
        result=Confirmation,
        destructive=True,
        idempotent=True,
        operation_ids=("deleteCustomTool",),
        summary=lambda r: r.get("message") or "Custom tool deleted",
    ),
]
