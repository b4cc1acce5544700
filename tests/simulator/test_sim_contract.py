"""Contract test: every operation the simulator implements, checked against the reference.

Each request the walk sends is checked against the operation's request schema
before it is sent, and each response (JSON body or every SSE event) against the
documented response schema. The walk must cover every implemented route, and
every implemented route must be a reference operation with the same operationId.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from httpx_sse import aconnect_sse
from starlette.routing import Route

from quant_mcp.simulator import create_app
from quant_mcp.simulator.core.gateway import CONTROL_PREFIX
from tests.contract.openapi_contract import find_operation, validate_request, validate_response, validate_sse_event

from .conftest import CANVAS, LEGACY, LITE, ORG_A, PNG_BASE64, TITAN, V3, V3_BRITISH, user
from .php_groups_walk import walk_php_groups

pytestmark = pytest.mark.anyio


def implemented_operations() -> dict[tuple[str, str], str]:
    """(method, route path) -> operationId, for every API route of the app."""
    operations = {}
    for route in create_app().routes:
        assert isinstance(route, Route)
        if route.path.startswith(CONTROL_PREFIX):
            continue
        for method in route.methods or ():
            if method != "HEAD":
                operations[(method, route.path)] = route.name
    return operations


def test_every_route_is_a_reference_operation() -> None:
    operations = implemented_operations()
    assert len(operations) > 60
    for (method, path), operation_id in operations.items():
        operation = find_operation(method, path)
        assert operation.operation_id == operation_id, f"{method} {path}"
        american = "/api/v3/organizations/"  # AI Search templates are spelt "organisations" in the reference
        assert operation.template.replace("/api/v3/organisations/", american) == path.replace("/api/v3/organisations/", american)


class ContractClient:
    """Sends requests through `http`, checking each request and response against the reference."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http
        self.covered: set[str] = set()

    async def call(
        self,
        method: str,
        path: str,
        expect: int,
        *,
        body: Any = None,
        params: dict[str, Any] | None = None,
        valid_request: bool = True,
    ) -> Any:
        if valid_request:
            validate_request(method, path, query=params, body=body)
        response = await self.http.request(method, path, json=body, params=params)
        assert response.status_code == expect, response.text
        operation = validate_response(
            method,
            path,
            response.status_code,
            response.json() if response.content else None,
            response.headers.get("content-type", ""),
        )
        self.covered.add(operation.operation_id)
        return response.json() if response.content else None

    async def stream(self, path: str, body: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
        validate_request("POST", path, body=body)
        events = []
        async with aconnect_sse(self.http, "POST", path, json=body) as source:
            assert source.response.status_code == 200
            validate_response("POST", path, 200, None, source.response.headers["content-type"])
            async for event in source.aiter_sse():
                data = json.loads(event.data)
                self.covered.add(validate_sse_event("POST", path, event.event, data).operation_id)
                events.append((event.event, data))
        assert events[0][0] == "start" and events[-1][0] == "done"
        return events


TOOL_CONFIG = {
    "tools": [
        {
            "toolSpec": {
                "name": "get_weather",
                "description": "Weather",
                "inputSchema": {
                    "json": {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]}
                },
            }
        }
    ],
    "autoExecute": True,
    "allowedTools": ["get_weather"],
}


async def walk_v3(api: ContractClient, prefix: str) -> None:
    await api.call("GET", f"{prefix}/models", 200, params={"feature": "chat"})
    await api.call("GET", f"{prefix}/models/{LITE}", 200)
    await api.call("GET", f"{prefix}/models/no-such-model", 404)
    await api.call("GET", f"{prefix}/config", 200)
    await api.call("PUT", f"{prefix}/config", 200, body={"default_model": LITE, "max_tokens": 512, "temperature": 0.2})

    created = await api.call(
        "POST",
        f"{prefix}/sessions",
        201,
        body={
            "userId": "u-1",
            "sessionGroup": "g",
            "metadata": {"title": "Walk"},
            "expirationMinutes": 30,
            "initialMessages": [{"role": "system", "content": "Be brief."}],
        },
    )
    session = created["sessionId"]
    await api.call("GET", f"{prefix}/sessions", 200, params={"userId": "u-1", "sessionGroup": "g", "limit": 10, "offset": 0})
    await api.call(
        "PUT", f"{prefix}/sessions/{session}", 200, body={"newMessages": [{"role": "user", "content": "hi"}], "tokensUsed": 5}
    )
    await api.call("PUT", f"{prefix}/sessions/{session}/extend", 200, body={"additionalMinutes": 15})
    chat = {"modelId": LITE, "messages": [user("hello there")], "sessionId": session, "maxTokens": 100}
    await api.call("POST", f"{prefix}/chat", 200, body=chat)
    await api.call("GET", f"{prefix}/sessions/{session}", 200)
    await api.call("DELETE", f"{prefix}/sessions/{session}", 200)
    await api.call("GET", f"{prefix}/sessions/{session}", 404)
    await api.call("POST", f"{prefix}/sessions", 400, body={"expirationMinutes": 2}, valid_request=False)

    image = {"image": {"format": "png", "source": {"bytes": PNG_BASE64}}}
    await api.call("POST", f"{prefix}/chat", 200, body={"modelId": LITE, "messages": [user([image, {"text": "What is this?"}])]})
    schema = {"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"]}
    await api.call(
        "POST",
        f"{prefix}/chat",
        200,
        body={"modelId": LITE, "messages": [user("json")], "responseFormat": {"type": "json", "jsonSchema": schema}},
    )
    tool_reply = await api.call(
        "POST", f"{prefix}/chat", 200, body={"modelId": LITE, "messages": [user("Paris")], "toolConfig": TOOL_CONFIG}
    )
    queued = await api.call("POST", f"{prefix}/chat", 202, body={"modelId": LITE, "messages": [user("later")], "async": True})
    await api.call("GET", f"{prefix}/chat/executions/{queued['requestId']}", 200)
    await api.call("POST", f"{prefix}/chat/stream", 202, body={"modelId": LITE, "messages": [user("later")], "async": True})
    await api.stream(f"{prefix}/chat/stream", {"modelId": LITE, "messages": [user("stream me")]})
    await api.stream(f"{prefix}/chat/stream", {"modelId": LITE, "messages": [user("Paris")], "toolConfig": TOOL_CONFIG})

    await api.call("GET", f"{prefix}/tools", 200)
    await api.call("GET", f"{prefix}/tools/names", 200)
    await api.call("GET", f"{prefix}/tools/executions", 200, params={"status": "complete", "limit": 5})
    await api.call("GET", f"{prefix}/tools/executions/{tool_reply['response']['toolUse']['executionId']}", 200)
    await api.call("GET", f"{prefix}/tools/executions/exec_{'0' * 32}", 404)

    await api.call("POST", f"{prefix}/embeddings", 200, body={"input": "one text", "modelId": TITAN, "dimensions": 256})
    await api.call("POST", f"{prefix}/embeddings", 200, body={"input": ["a", "b"], "dimensions": 512, "normalize": False})
    await api.call(
        "POST",
        f"{prefix}/image-generation",
        200,
        body={
            "taskType": "TEXT_IMAGE",
            "modelId": CANVAS,
            "textToImageParams": {"text": "a lighthouse"},
            "imageGenerationConfig": {"width": 512, "height": 512, "numberOfImages": 2, "seed": 7},
        },
    )
    await api.call("GET", f"{prefix}/usage", 200, params={"month": "2025-01"})

    tool = {
        "name": "lookup",
        "description": "Look up",
        "edgeFunctionCode": "export default () => 1",
        "inputSchema": json.dumps({"type": "object"}),
    }
    await api.call("POST", f"{prefix}/custom-tools", 201, body=tool)
    await api.call("GET", f"{prefix}/custom-tools", 200)
    await api.call("GET", f"{prefix}/custom-tools/lookup", 200)
    await api.call("DELETE", f"{prefix}/custom-tools/lookup", 200)
    await api.call("DELETE", f"{prefix}/custom-tools/lookup", 404)

    agent_body = {
        "name": "Helper",
        "description": "Helps",
        "systemPrompt": "Help.",
        "modelId": LITE,
        "group": "support",
        "temperature": 0.3,
    }
    agent = (await api.call("POST", f"{prefix}/agents", 201, body=agent_body))["agent"]["agentId"]
    await api.call("GET", f"{prefix}/agents", 200, params={"group": "support"})
    await api.call("GET", f"{prefix}/agents/{agent}", 200)
    await api.call("PUT", f"{prefix}/agents/{agent}", 200, body={"description": "Helps more", "maxTokens": 300})
    await api.call("POST", f"{prefix}/agents/{agent}/chat", 200, body={"message": "hi", "userId": "u-1"})
    await api.call("POST", f"{prefix}/agents/{agent}/chat", 202, body={"message": "hi", "async": True})
    await api.call("DELETE", f"{prefix}/agents/{agent}", 200)
    await api.call("GET", f"{prefix}/agents/{agent}", 404)

    collection = await api.call(
        "POST", f"{prefix}/vector-db/collections", 201, body={"name": "kb", "embeddingModel": TITAN, "dimensions": 256}
    )
    collection_id = collection["collection"]["collectionId"]
    await api.call("POST", f"{prefix}/vector-db/collections", 409, body={"name": "kb", "embeddingModel": TITAN})
    await api.call("GET", f"{prefix}/vector-db/collections", 200)
    documents = {
        "documents": [
            {"content": "Quant serves static sites from the edge", "key": "doc-1", "metadata": {"title": "Edge", "tags": ["cdn"]}}
        ]
    }
    await api.call("POST", f"{prefix}/vector-db/collections/{collection_id}/documents", 200, body=documents)
    await api.call("GET", f"{prefix}/vector-db/collections/{collection_id}", 200)
    await api.call(
        "POST",
        f"{prefix}/vector-db/collections/{collection_id}/query",
        200,
        body={"query": "static sites edge", "limit": 3, "threshold": 0.1},
    )
    await api.call(
        "POST",
        f"{prefix}/vector-db/collections/{collection_id}/query",
        200,
        body={
            "listByMetadata": True,
            "filter": {"contains": {"tags": ["cdn"]}},
            "limit": 1,
            "sortBy": "document_id",
            "sortOrder": "asc",
        },
    )
    await api.call("DELETE", f"{prefix}/vector-db/collections/{collection_id}", 200)


async def walk_legacy(api: ContractClient) -> None:
    await api.call("GET", f"{LEGACY}/models", 200)
    await api.call("GET", f"{LEGACY}/config", 200)
    await api.call("PUT", f"{LEGACY}/config", 200, body={"enabled_models": [LITE], "temperature": 0.5})
    session = (
        await api.call(
            "POST",
            f"{LEGACY}/sessions",
            201,
            body={"model": LITE, "title": "Old", "system_prompt": "Hi", "max_tokens": 100, "temperature": 0.1},
        )
    )["id"]
    await api.call("GET", f"{LEGACY}/sessions", 200, params={"limit": 5, "offset": 0, "model": LITE})
    await api.call("GET", f"{LEGACY}/sessions/{session}", 200)
    await api.call("DELETE", f"{LEGACY}/sessions/{session}", 200)
    await api.call("GET", f"{LEGACY}/sessions/{session}", 404)
    await api.call("POST", f"{LEGACY}/chat", 200, body={"modelId": LITE, "messages": [user("legacy hello")], "temperature": 0.7})
    await api.stream(f"{LEGACY}/chat/stream", {"modelId": LITE, "messages": [user("legacy stream")]})
    await api.call("GET", f"{LEGACY}/usage", 200, params={"month": "2025-02"})


@pytest.mark.parametrize("prefix", [V3, V3_BRITISH], ids=["organizations", "organisations"])
async def test_v3_walk_matches_the_reference_and_covers_every_v3_route(http: httpx.AsyncClient, prefix: str) -> None:
    api = ContractClient(http)
    await walk_v3(api, prefix)
    await walk_php_groups(api, prefix)
    implemented = {name for (_, path), name in implemented_operations().items() if path.startswith("/api/v3/")}
    assert api.covered == implemented


async def test_legacy_walk_matches_the_reference_and_covers_every_legacy_route(http: httpx.AsyncClient) -> None:
    api = ContractClient(http)
    await walk_legacy(api)
    implemented = {name for (_, path), name in implemented_operations().items() if path.startswith("/organisations/")}
    assert api.covered == implemented


async def test_refusals_match_the_reference_error_body(http: httpx.AsyncClient) -> None:
    """401, 403 and 413 are not documented per operation; they must still be `AIErrorBody`."""
    api = ContractClient(http)
    api.http.headers["Authorization"] = "Bearer wrong"
    await api.call("GET", f"{V3}/models", 401)
    api.http.headers["Authorization"] = "Bearer sim-test-token-a"
    await api.call("GET", f"/api/v3/organizations/not-{ORG_A}/ai/models", 403)
    await api.call("POST", f"{V3}/chat", 400, body={"modelId": LITE, "messages": []}, valid_request=False)
