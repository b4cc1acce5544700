"""AICustomTools: organisation tools backed by edge functions (register/update, list, get, delete).

Creating a tool whose name exists updates it (`isUpdate: true`), as the current API
does. Both request generations are accepted: 4.8.0 sends `edgeFunctionUrl` and an
object `inputSchema`; newer clients send `edgeFunctionCode` and a JSON string.

The live dialect validates as the live v3 endpoint does (Quant's custom-tools action):
`toolName`, `description`, `edgeFunctionCode`, `inputSchema` as a JSON object (not a
string), `timeoutSeconds`; and its tools carry `toolName` where the reference says `name`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..core.errors import bad_request, found_or_404
from ..core.requests import WireModel, organisation_data, parse_body, simulator_state
from ..core.routing import v3
from ..core.state import timestamp


class CreateCustomTool(WireModel):
    name: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")
    description: str = Field(min_length=1)
    input_schema: Any  # a JSON string (current API) or an object (client 4.8.0)
    edge_function_code: str | None = None
    edge_function_url: str | None = None
    is_async: bool = False
    timeout_seconds: int = Field(30, ge=5, le=300)
    output_schema: str | None = None
    output_schema_description: str | None = None
    category: str | None = Field(None, max_length=100)
    response_mode: Literal["llm", "direct"] | None = None

    def input_schema_text(self) -> str:
        """The input schema as the JSON string the API stores, after checking it is a JSON object."""
        if isinstance(self.input_schema, dict):
            return json.dumps(self.input_schema)
        if not isinstance(self.input_schema, str):
            raise bad_request("inputSchema", "must be a JSON Schema object or a string holding one")
        try:
            parsed = json.loads(self.input_schema)
        except json.JSONDecodeError as exc:
            raise bad_request("inputSchema", f"is not valid JSON ({exc})") from exc
        if not isinstance(parsed, dict):
            raise bad_request("inputSchema", "must be a JSON Schema object")
        return self.input_schema


class LiveCreateCustomTool(WireModel):
    tool_name: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")
    description: str = Field(min_length=1)
    edge_function_code: str = Field(min_length=1)
    input_schema: dict[str, Any]
    timeout_seconds: int = Field(30, ge=5, le=300)

    def as_request(self) -> CreateCustomTool:
        return CreateCustomTool.model_validate(
            {
                **(self.model_extra or {}),
                "name": self.tool_name,
                "description": self.description,
                "edgeFunctionCode": self.edge_function_code,
                "inputSchema": self.input_schema,
                "timeoutSeconds": self.timeout_seconds,
            }
        )


def _live_names(tool: dict[str, Any], live: bool) -> dict[str, Any]:
    """A tool as the dialect shows it: the live service says `toolName` where the reference says `name`."""
    if not live:
        return tool
    return {("toolName" if key == "name" else key): value for key, value in tool.items()}


@dataclass
class CustomTool:
    request: CreateCustomTool
    input_schema: str
    edge_function_url: str
    created_at: datetime

    def summary(self) -> dict[str, Any]:
        return {
            "name": self.request.name,
            "description": self.request.description,
            "edgeFunctionUrl": self.edge_function_url,
            "isAsync": self.request.is_async,
            "inputSchema": self.input_schema,
            "createdAt": timestamp(self.created_at),
        }

    def detail(self) -> dict[str, Any]:
        return {
            **self.summary(),
            "edgeFunctionCode": self.request.edge_function_code or "",
            "outputSchema": self.request.output_schema,
            "outputSchemaDescription": self.request.output_schema_description,
            "category": self.request.category,
            "responseMode": self.request.response_mode,
        }


class CustomToolStore(dict[str, CustomTool]):
    """One organisation's custom tools by name."""


def _tool(request: Request) -> CustomTool:
    name = request.path_params["toolName"]
    return found_or_404(organisation_data(request).get(CustomToolStore).get(name), "Custom tool", name)


async def create_custom_tool(request: Request) -> Response:
    live = simulator_state(request).live
    body = (await parse_body(request, LiveCreateCustomTool)).as_request() if live else await parse_body(request, CreateCustomTool)
    if not body.edge_function_code and not body.edge_function_url:
        raise bad_request("edgeFunctionCode", "is required (or edgeFunctionUrl, as client 4.8.0 sends)")
    organisation = request.path_params["organisation"]
    url = body.edge_function_url or f"https://edge.quant-simulator.invalid/{organisation}/tools/{body.name}"
    store = organisation_data(request).get(CustomToolStore)
    is_update = body.name in store
    store[body.name] = CustomTool(body, body.input_schema_text(), url, simulator_state(request).now())
    return JSONResponse(
        {
            "success": True,
            "tool": _live_names(store[body.name].detail(), live),
            "edgeFunctionUrl": url,
            "isUpdate": is_update,
            "message": f"Custom tool '{body.name}' {'updated' if is_update else 'created'}",
        },
        status_code=201,
    )


async def list_custom_tools(request: Request) -> Response:
    live = simulator_state(request).live
    tools = [_live_names(tool.summary(), live) for tool in organisation_data(request).get(CustomToolStore).values()]
    return JSONResponse({"tools": tools, "count": len(tools)})


async def get_custom_tool(request: Request) -> Response:
    return JSONResponse({"tool": _live_names(_tool(request).detail(), simulator_state(request).live)})


async def delete_custom_tool(request: Request) -> Response:
    name = _tool(request).request.name
    del organisation_data(request).get(CustomToolStore)[name]
    return JSONResponse({"success": True, "message": f"Custom tool '{name}' deleted"})


ROUTES = [
    *v3("GET", "/custom-tools", list_custom_tools, "listCustomTools"),
    *v3("POST", "/custom-tools", create_custom_tool, "createCustomTool"),
    *v3("GET", "/custom-tools/{toolName}", get_custom_tool, "getCustomTool"),
    *v3("DELETE", "/custom-tools/{toolName}", delete_custom_tool, "deleteCustomTool"),
]
