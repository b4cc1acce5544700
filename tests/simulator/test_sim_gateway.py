"""The gateway: bearer auth, the 25 MB payload cap, JSON errors and the request log."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest

from quant_mcp.simulator import RequestRecord, Simulator, SimulatorState
from quant_mcp.simulator.core.gateway import MAX_PAYLOAD_BYTES
from quant_mcp.simulator.core.state import REQUEST_LOG_LIMIT

from .conftest import LEGACY, LITE, ORG_A, ORG_B, TOKEN_A, TOKEN_B, V3, user

pytestmark = pytest.mark.anyio


async def test_missing_or_unknown_token_is_401_json(sim: Simulator) -> None:
    async with httpx.AsyncClient(base_url=sim.base_url) as anonymous:
        for headers in ({}, {"Authorization": "Bearer"}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer nope"}):
            response = await anonymous.get(f"{V3}/models", headers=headers)
            assert response.status_code == 401, headers
            assert response.headers["www-authenticate"] == "Bearer"
            assert response.json()["error"] == "unauthorized"


async def test_a_token_only_works_for_its_organisation(http: httpx.AsyncClient) -> None:
    refused = await http.get(f"/api/v3/organizations/{ORG_B}/ai/models")
    assert refused.status_code == 403 and ORG_B in refused.json()["message"]
    assert (await http.get(f"/organisations/{ORG_B}/ai/models")).status_code == 403
    allowed = await http.get(f"/api/v3/organisations/{ORG_B}/ai/models", headers={"Authorization": f"Bearer {TOKEN_B}"})
    assert allowed.status_code == 200


async def test_without_configured_tokens_any_token_works_anywhere() -> None:
    async with Simulator() as sim, httpx.AsyncClient(base_url=sim.base_url, headers={"Authorization": "Bearer anything"}) as http:
        assert (await http.get("/api/v3/organizations/whoever/ai/models")).status_code == 200
        assert (await http.get("/api/v3/organizations/whoever/ai/models", headers={"Authorization": ""})).status_code == 401


async def test_a_token_bound_to_no_organisation_works_for_all() -> None:
    async with (
        Simulator(tokens={"admin": None}) as sim,
        httpx.AsyncClient(base_url=sim.base_url, headers={"Authorization": "Bearer admin"}) as http,
    ):
        assert (await http.get("/api/v3/organizations/x/ai/models")).status_code == 200
        assert (await http.get("/api/v3/organizations/y/ai/models")).status_code == 200


async def test_validation_errors_name_the_field(http: httpx.AsyncClient) -> None:
    cases = [
        (f"{V3}/chat", {"messages": [user("x")]}, "modelId"),
        (f"{V3}/chat", {"modelId": LITE, "messages": []}, "messages"),
        (f"{V3}/chat", {"modelId": LITE, "messages": [user("x")], "temperature": 3}, "temperature"),
        (f"{V3}/chat", {"modelId": LITE, "messages": [user("x")], "maxTokens": 0}, "maxTokens"),
        (f"{V3}/chat", {"modelId": LITE, "messages": [user("x")], "stopSequences": ["a"] * 5}, "stopSequences"),
        (f"{V3}/chat", {"modelId": LITE, "messages": [{"role": "robot", "content": "x"}]}, "messages[0].role"),
        (f"{V3}/chat", {"modelId": LITE, "messages": [user([{"text": "a", "image": {}}])]}, "messages[0].content[0]"),
        (
            f"{V3}/chat",
            {"modelId": LITE, "messages": [user([{"image": {"format": "bmp", "source": {"bytes": ""}}}])]},
            "messages[0].content[0].image.format",
        ),
        (
            f"{V3}/chat",
            {"modelId": LITE, "messages": [user([{"image": {"format": "png", "source": {"bytes": "%%%"}}}])]},
            "messages[0].content[0].image.source.bytes",
        ),
        (
            f"{V3}/chat",
            {"modelId": LITE, "messages": [user([{"document": {"format": "pdf", "source": {"bytes": ""}}}])]},
            "messages[0].content[0].document.name",
        ),
        (
            f"{V3}/chat",
            {"modelId": LITE, "messages": [user("x")], "toolConfig": {"tools": [], "autoExecute": True}},
            "toolConfig.allowedTools",
        ),
        (f"{V3}/embeddings", {"input": "x", "dimensions": 300}, "dimensions"),
        (f"{V3}/embeddings", {"input": [1, 2]}, "input"),
        (f"{V3}/image-generation", {"taskType": "TEXT_IMAGE"}, "textToImageParams"),
        (f"{V3}/image-generation", {"taskType": "PAINT"}, "taskType"),
        (f"{V3}/agents", {"name": "a", "description": "d", "modelId": LITE}, "systemPrompt"),
        (f"{V3}/vector-db/collections", {"embeddingModel": "amazon.titan-embed-text-v2:0"}, "name"),
        (f"{LEGACY}/chat", {"modelId": LITE}, "messages"),
    ]
    for path, body, field in cases:
        response = await http.post(path, json=body)
        assert response.status_code == 400, (body, response.text)
        error = response.json()
        assert error["error"] == "invalid_request" and error["message"].startswith(f"{field}:"), (field, error)


async def test_bodies_must_be_json_objects(http: httpx.AsyncClient) -> None:
    for content in (b"{not json", b"[1, 2]", b""):
        response = await http.post(f"{V3}/chat", content=content, headers={"Content-Type": "application/json"})
        assert response.status_code == 400 and response.json()["message"].startswith("body"), content


async def test_unknown_model_is_model_not_found(http: httpx.AsyncClient) -> None:
    for response in (
        await http.get(f"{V3}/models/acme.nope-v1:0"),
        await http.post(f"{V3}/chat", json={"modelId": "acme.nope-v1:0", "messages": [user("x")]}),
        await http.post(f"{V3}/embeddings", json={"input": "x", "modelId": "acme.nope-v1:0"}),
    ):
        assert response.status_code == 404
        assert response.json() == {"message": "Model 'acme.nope-v1:0' not found", "code": "MODEL_NOT_FOUND"}


async def test_unknown_ids_and_routes_are_404_json(http: httpx.AsyncClient) -> None:
    for path in (
        f"{V3}/sessions/nope",
        f"{V3}/agents/nope",
        f"{V3}/vector-db/collections/nope",
        f"{V3}/custom-tools/nope",
        f"{V3}/chat/executions/nope",
        f"{V3}/no-such-thing",
    ):
        response = await http.get(path)
        assert response.status_code == 404 and response.json()["error"] == "not_found", path
    wrong_method = await http.delete(f"{V3}/models")
    assert wrong_method.status_code == 405 and wrong_method.json()["error"] == "method_not_allowed"


def oversized_chat() -> bytes:
    """A valid chat body just over the cap: one base64 image padding it out."""
    head = json.dumps({"modelId": LITE, "messages": [user([{"image": {"format": "png", "source": {"bytes": ""}}}])]}).encode()
    padding = MAX_PAYLOAD_BYTES + 1 - len(head)
    return head.replace(b'"bytes": ""', b'"bytes": "' + b"A" * (padding + -padding % 4) + b'"')


async def test_payload_over_25_mb_is_413_before_parsing(http: httpx.AsyncClient, sim: Simulator) -> None:
    body = oversized_chat()
    assert len(body) > MAX_PAYLOAD_BYTES
    response = await http.post(f"{V3}/chat", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 413 and response.json()["error"] == "payload_too_large"
    record = sim.state.requests[-1]
    assert (record.status, record.body, record.body_size) == (413, None, len(body))
    assert (await http.get(f"{V3}/usage")).json()["total_requests"] == 0  # the model never saw it


async def test_a_streamed_body_growing_past_25_mb_is_413(http: httpx.AsyncClient, sim: Simulator) -> None:
    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: chunked transfer
        for _ in range(26):
            yield b" " * (1024 * 1024)

    response = await http.post(f"{V3}/chat", content=chunks(), headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert MAX_PAYLOAD_BYTES < sim.state.requests[-1].body_size <= 26 * 1024 * 1024


async def test_a_payload_just_under_the_cap_is_accepted(http: httpx.AsyncClient) -> None:
    body = {
        "modelId": LITE,
        "messages": [user([{"image": {"format": "png", "source": {"bytes": "A" * (24 * 1024 * 1024)}}}, {"text": "hi"}])],
    }
    response = await http.post(f"{V3}/chat", json=body)
    assert response.status_code == 200 and "1 image" in response.json()["response"]["content"]


async def test_the_log_records_every_api_request_but_never_the_token(http: httpx.AsyncClient, sim: Simulator) -> None:
    await http.post(f"{V3}/sessions?trace=1&trace=2", json={"userId": "u-log"})
    await http.get(f"/api/v3/organizations/{ORG_B}/ai/models")
    await http.post(f"{V3}/chat", json={"modelId": LITE})
    await http.get("/_simulator/health")
    async with httpx.AsyncClient(base_url=sim.base_url) as anonymous:
        await anonymous.get(f"{V3}/models")
    log = sim.state.requests
    assert [(r.method, r.path, r.status) for r in log] == [
        ("POST", f"{V3}/sessions", 201),
        ("GET", f"/api/v3/organizations/{ORG_B}/ai/models", 403),
        ("POST", f"{V3}/chat", 400),
        ("GET", f"{V3}/models", 401),
    ]
    first = log[0]
    assert first.query == {"trace": ["1", "2"]} and first.organisation == ORG_A
    assert first.body == {"userId": "u-log"} and first.body_size == len(b'{"userId":"u-log"}')
    assert first.finished_at is not None and first.finished_at >= first.started_at
    assert TOKEN_A not in repr(log) and TOKEN_A not in json.dumps([r.to_json() for r in log])
    sim.state.clear_requests()
    assert sim.state.requests == []


def test_the_log_keeps_only_the_most_recent_requests() -> None:
    state = SimulatorState()
    for n in range(REQUEST_LOG_LIMIT + 5):
        state.log_request(RequestRecord("GET", f"/r{n}", {}, None))
    assert len(state.requests) == REQUEST_LOG_LIMIT and state.requests[-1].path == f"/r{REQUEST_LOG_LIMIT + 4}"
