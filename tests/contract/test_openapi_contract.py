"""The contract helper itself: it finds operations and catches traffic the reference forbids."""

from __future__ import annotations

import pytest

from .openapi_contract import (
    ContractViolation,
    find_operation,
    operations,
    validate_request,
    validate_response,
    validate_sse_event,
)

V3 = "/api/v3/organizations/acme/ai"
CHAT = {"modelId": "amazon.nova-lite-v1:0", "messages": [{"role": "user", "content": "hi"}]}


def test_the_vendored_reference_is_the_full_document() -> None:
    assert len(operations()) == 122
    assert len({operation.operation_id for operation in operations()}) == 122


@pytest.mark.parametrize(
    ("method", "path", "operation_id"),
    [
        ("GET", f"{V3}/tools/names", "listAIToolNames"),  # a literal segment beats {executionId}-style templates
        ("GET", f"{V3}/tools/executions/exec_1", "getAIToolExecutionStatus"),
        ("GET", f"{V3}/skills/collections", "listSkillCollections"),
        ("GET", f"{V3}/skills/abc", "getSkill"),
        ("GET", "/api/v3/organisations/acme/ai/models/amazon.nova-lite-v1:0?x=1", "getAIModel"),  # British spelling
        ("POST", "/organisations/acme/ai/chat", "legacyChatInference"),
        ("GET", "/api/v3/organisations/acme/projects/site/ai-search/usage", "aiSearchUsage"),
        ("POST", "/oai/v1/chat/completions", "oaiChatCompletions"),
    ],
)
def test_find_operation(method: str, path: str, operation_id: str) -> None:
    assert find_operation(method, path).operation_id == operation_id


def test_unknown_operations_are_violations() -> None:
    for method, path in (("GET", f"{V3}/nope"), ("PATCH", f"{V3}/chat"), ("GET", "/api/v2/organizations/acme")):
        with pytest.raises(ContractViolation, match="no such operation"):
            find_operation(method, path)


def test_request_bodies_are_checked_with_refs_resolved() -> None:
    validate_request("POST", f"{V3}/chat", body=CHAT)
    bad_block = {**CHAT, "messages": [{"role": "user", "content": [{"image": {"format": "bmp", "source": {"bytes": "AA=="}}}]}]}
    for body, fragment in (
        ({"modelId": "m"}, "'messages' is a required property"),
        ({**CHAT, "temperature": 9}, "temperature"),
        (bad_block, "messages/0/content"),
    ):
        with pytest.raises(ContractViolation, match=fragment):
            validate_request("POST", f"{V3}/chat", body=body)
    with pytest.raises(ContractViolation, match="request body is required"):
        validate_request("POST", f"{V3}/chat", body=None)
    validate_request("PUT", f"{V3}/sessions/00000000-0000-4000-8000-000000000000/extend", body=None)  # optional body


def test_query_and_path_parameters_are_checked() -> None:
    validate_request("GET", f"{V3}/sessions", query={"limit": "100", "offset": "0", "userId": "u"})
    for query, fragment in (
        ({"limit": "101"}, "maximum"),
        ({"limit": "ten"}, "integer"),
        ({"user_id": "u"}, "not in the reference"),
    ):
        with pytest.raises(ContractViolation, match=fragment):
            validate_request("GET", f"{V3}/sessions", query=query)
    validate_request("GET", f"{V3}/sessions", query={"user_id": "u"}, allow_unknown_query=True)
    with pytest.raises(ContractViolation, match="uuid"):
        validate_request("PUT", f"{V3}/sessions/not-a-uuid", body={})
    with pytest.raises(ContractViolation, match="does not match"):
        validate_request("GET", f"{V3}/usage", query={"month": "2025-13"})


def test_responses_are_checked_by_status() -> None:
    created = {
        "sessionId": "00000000-0000-4000-8000-000000000000",
        "status": "active",
        "expiresAt": "2026-01-01T00:00:00.000Z",
        "createdAt": "2026-01-01T00:00:00Z",
    }
    validate_response("POST", f"{V3}/sessions", 201, created)
    with pytest.raises(ContractViolation, match="date-time"):
        validate_response("POST", f"{V3}/sessions", 201, created | {"createdAt": "yesterday"})
    with pytest.raises(ContractViolation, match="status not documented"):
        validate_response("POST", f"{V3}/sessions", 200, created)
    validate_response("GET", f"{V3}/models/x", 404, {"message": "no", "code": "MODEL_NOT_FOUND"})
    validate_response("GET", f"{V3}/models", 401, {"error": "unauthorized", "message": "no"})  # undocumented: AIErrorBody
    with pytest.raises(ContractViolation, match="AIErrorBody"):
        validate_response("GET", f"{V3}/models", 401, {"error": 42})
    validate_response("PUT", f"{V3}/config", 200, {"anything": True})  # no body documented: nothing to check
    with pytest.raises(ContractViolation, match="is not a 'byte'"):
        validate_response("POST", f"{V3}/image-generation", 200, {"images": ["not base64!"]})


def test_sse_events_are_checked() -> None:
    validate_sse_event("POST", f"{V3}/chat/stream", "done", {"complete": True, "usage": {"inputTokens": 1}})
    validate_sse_event("POST", "/organisations/acme/ai/chat/stream", "content", {"delta": "a", "complete": False})
    with pytest.raises(ContractViolation, match="'delta' is a required property"):
        validate_sse_event("POST", f"{V3}/chat/stream", "content", {"complete": False})
    with pytest.raises(ContractViolation, match="not in the reference"):
        validate_sse_event("POST", f"{V3}/chat/stream", "progress", {})
