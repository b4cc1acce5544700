"""Destructive tools ask the user first (QUANT_CONFIRM_DESTRUCTIVE), through the SDK's real client
in both protocol eras, against the simulator: what was asked, what was sent, what is left."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from typing import Any

import pytest
from mcp import Client, MCPError
from mcp.types import ElicitRequestParams, ElicitResult, InputRequiredResult

from quant_mcp import catalog
from quant_mcp.confirm import ASKS, QUESTION
from quant_mcp.server import build_server
from quant_mcp.simulator import Simulator
from tests.conftest import MODEL, make_settings, text_of

pytestmark = pytest.mark.anyio

DESTRUCTIVE = sorted(op.name for op in catalog.OPERATIONS if op.destructive and not op.read_only)
KEYS = ",".join(secrets.token_hex(32) for _ in range(2))


class User:
    """An elicitation callback that answers as a user would, and remembers what it was asked."""

    def __init__(self, action: str = "accept", confirm: bool = True) -> None:
        self.action, self.confirm = action, confirm
        self.asked: list[str] = []

    async def __call__(self, context: Any, params: ElicitRequestParams) -> ElicitResult:
        self.asked.append(params.message)
        return ElicitResult(action=self.action, content={"confirm": self.confirm} if self.action == "accept" else None)


def client(simulator: Simulator, era: str, user: User | None = None, **settings: Any) -> Client:
    settings.setdefault("toolsets", ["all"])
    return Client(build_server(make_settings(simulator, **settings)), mode=era, elicitation_callback=user)


def deletes(simulator: Simulator) -> list[str]:
    return [r.path for r in simulator.state.requests if r.method == "DELETE"]


async def new_session(c: Client, messages: int = 2) -> str:
    session = (await c.call_tool("create_session", {"userId": "u-1"})).structured_content["sessionId"]
    turns = [{"role": ("user", "assistant")[i % 2], "content": f"turn {i}"} for i in range(messages)]
    await c.call_tool("update_session", {"sessionId": session, "newMessages": turns})
    return session


async def exists(c: Client, session: str) -> bool:
    return not (await c.call_tool("get_session", {"sessionId": session})).is_error


# ----------------------------------------------------------------------------- both eras


async def test_accept_names_the_session_and_deletes_it(simulator: Simulator, era: str) -> None:
    user = User()
    async with client(simulator, era, user) as c:
        session = await new_session(c, messages=3)
        result = await c.call_tool("delete_session", {"sessionId": session})
        assert not result.is_error, text_of(result)
        assert user.asked == [
            f"Delete chat session 'Untitled session' (3 messages; sessionId '{session}') in organisation test-org? "
            "This cannot be undone."
        ]
        assert deletes(simulator) == [f"/api/v3/organizations/test-org/ai/sessions/{session}"]
        assert not await exists(c, session)


async def test_legacy_routes_name_the_session_by_its_title(simulator: Simulator, era: str) -> None:
    user = User()
    async with client(simulator, era, user, api_routes="legacy") as c:
        created = await c.call_tool("create_session", {"model": MODEL, "title": "Trip planning"})
        session = created.structured_content["sessionId"]
        assert not (await c.call_tool("delete_session", {"sessionId": session})).is_error
    assert user.asked[0].startswith("Delete chat session 'Trip planning' (0 messages; sessionId ")
    assert deletes(simulator) == [f"/organisations/test-org/ai/sessions/{session}"]


@pytest.mark.parametrize(("action", "confirm", "said"), [("decline", True, "declined"), ("cancel", True, "dismissed"),
                                                         ("accept", False, "did not tick")])  # fmt: skip
async def test_no_sends_nothing_and_says_so(simulator: Simulator, era: str, action: str, confirm: bool, said: str) -> None:
    user = User(action, confirm)
    async with client(simulator, era, user) as c:
        session = await new_session(c)
        result = await c.call_tool("delete_session", {"sessionId": session})
        assert not result.is_error  # an answer, not an error that invites a retry
        assert said in text_of(result) and "nothing was sent" in text_of(result)
        assert result.structured_content["confirmed"] is False
        assert len(user.asked) == 1 and deletes(simulator) == []
        assert await exists(c, session)


async def test_a_collection_is_named_with_its_document_count(simulator: Simulator, era: str) -> None:
    user = User("decline")
    async with client(simulator, era, user) as c:
        created = await c.call_tool(
            "create_vector_collection", {"name": "handbook", "embeddingModel": "amazon.titan-embed-text-v2:0"}
        )
        collection = created.structured_content["collection"]["collectionId"]
        docs = [{"content": f"page {i}", "key": f"p{i}"} for i in range(4)]
        assert not (await c.call_tool("upload_vector_documents", {"collectionId": collection, "documents": docs})).is_error
        await c.call_tool("delete_vector_collection", {"collectionId": collection})
        await c.call_tool("delete_vector_documents", {"collectionId": collection, "keys": ["p1", "p2"]})
    assert user.asked[0].startswith("Delete vector collection 'handbook' (4 documents; collectionId ")
    assert user.asked[1].startswith("Delete documents from a collection 'handbook' (4 documents; collectionId ")
    assert "keys ['p1', 'p2']" in user.asked[1]


async def test_without_a_matching_read_the_kind_and_id_are_named(simulator: Simulator, era: str) -> None:
    user = User("decline")
    async with client(simulator, era, user) as c:
        result = await c.call_tool("delete_skill_collection", {"namespace": "acme-skills"})
    assert not result.is_error
    assert user.asked == ["Delete skill collection (namespace 'acme-skills') in organisation test-org? This cannot be undone."]


@pytest.mark.parametrize(("mode", "deleted"), [("auto", True), ("always", False)])
async def test_a_client_that_cannot_ask(simulator: Simulator, era: str, mode: str, deleted: bool) -> None:
    async with client(simulator, era, None, confirm_destructive=mode) as c:  # no elicitation callback: no capability
        session = await new_session(c)
        result = await c.call_tool("delete_session", {"sessionId": session})
        assert result.is_error is not deleted
        assert await exists(c, session) is not deleted
        if not deleted:
            assert "cannot ask its user" in text_of(result) and "QUANT_CONFIRM_DESTRUCTIVE=auto" in text_of(result)
            assert deletes(simulator) == []


async def test_never_asks_no_one(simulator: Simulator, era: str) -> None:
    user = User("decline")
    async with client(simulator, era, user, confirm_destructive="never") as c:
        session = await new_session(c)
        assert not (await c.call_tool("delete_session", {"sessionId": session})).is_error
        assert not await exists(c, session)
        tools = {tool.name: tool for tool in (await c.list_tools()).tools}
    assert user.asked == []
    assert not any(ASKS in (tool.description or "") for tool in tools.values())


@pytest.mark.parametrize("tool", DESTRUCTIVE)
async def test_every_destructive_tool_asks_and_a_no_fits_its_result_schema(simulator: Simulator, era: str, tool: str) -> None:
    """Derived from the catalog's annotations: each one asks, names its organisation, and a
    declined call's result passes the client's own check against the tool's output schema."""
    user = User("decline")
    async with client(simulator, era, user) as c:
        result = await c.call_tool(tool, _arguments(tool))
    assert not result.is_error, text_of(result)
    assert len(user.asked) == 1 and "in organisation test-org? This cannot be undone." in user.asked[0]
    assert [r for r in simulator.state.requests if r.method != "GET"] == []


async def test_descriptions_say_the_user_is_asked(simulator: Simulator) -> None:
    async with client(simulator, "auto") as c:
        tools = (await c.list_tools()).tools
    asking = sorted(tool.name for tool in tools if (tool.description or "").endswith(ASKS))
    hints = {tool.name: tool.annotations for tool in tools}  # a hint left out is the protocol's default: destructive
    destructive = [
        name for name, hint in hints.items() if hint and not hint.read_only_hint and hint.destructive_hint is not False
    ]
    assert asking == sorted(destructive)
    assert set(DESTRUCTIVE) <= set(asking)


@pytest.mark.parametrize("mode", ["auto", "never"])
async def test_tools_enabled_later_say_so_too(simulator: Simulator, mode: str) -> None:
    async with client(simulator, "auto", dynamic_toolsets=True, confirm_destructive=mode) as c:
        assert not (await c.call_tool("enable_toolset", {"toolset": "sessions"})).is_error
        tools = {tool.name: tool for tool in (await c.list_tools()).tools}
    assert (tools["delete_session"].description or "").endswith(ASKS) is (mode == "auto")


async def test_read_only_mode_offers_nothing_to_ask_about(simulator: Simulator) -> None:
    async with client(simulator, "auto", read_only=True) as c:
        names = {tool.name for tool in (await c.list_tools()).tools}
    assert names and not names & set(DESTRUCTIVE)


# ----------------------------------------------------------------------------- 2026 era: the question in request_state


@pytest.fixture
async def replicas(simulator: Simulator) -> AsyncIterator[tuple[Client, Client, Client]]:
    """Two servers sharing QUANT_REQUEST_STATE_KEYS and a third with its own, one simulator behind all."""
    shared, other = (
        make_settings(simulator, request_state_keys=KEYS),
        make_settings(simulator, request_state_keys=secrets.token_hex(32)),
    )
    capable = {"elicitation_callback": User()}
    async with Client(build_server(shared), **capable) as a, Client(build_server(shared), **capable) as b:
        async with Client(build_server(other), **capable) as stranger:
            yield a, b, stranger


async def _asked(c: Client, session: str) -> InputRequiredResult:
    first = await c.session.call_tool("delete_session", {"sessionId": session}, allow_input_required=True)
    assert isinstance(first, InputRequiredResult) and first.request_state
    assert "Untitled session" in first.input_requests[QUESTION].params.message
    return first


YES = {QUESTION: ElicitResult(action="accept", content={"confirm": True})}


async def test_confirmed_on_one_replica_deleted_on_another(replicas: tuple[Client, Client, Client], simulator: Simulator) -> None:
    a, b, stranger = replicas
    session = await new_session(a)
    first = await _asked(a, session)
    assert deletes(simulator) == []
    with pytest.raises(MCPError, match="Invalid or expired requestState"):  # keys of its own: cannot open it
        await stranger.call_tool("delete_session", {"sessionId": session}, input_responses=YES, request_state=first.request_state)
    assert await exists(b, session)
    result = await b.call_tool("delete_session", {"sessionId": session}, input_responses=YES, request_state=first.request_state)
    assert not result.is_error, text_of(result)
    assert deletes(simulator) == [f"/api/v3/organizations/test-org/ai/sessions/{session}"]


async def test_a_tampered_request_state_is_refused(replicas: tuple[Client, Client, Client], simulator: Simulator) -> None:
    a, b, _ = replicas
    session = await new_session(a)
    state = (await _asked(a, session)).request_state
    assert state is not None
    middle = len(state) // 2
    tampered = state[:middle] + ("A" if state[middle] != "A" else "B") + state[middle + 1 :]
    with pytest.raises(MCPError, match="Invalid or expired requestState"):
        await b.call_tool("delete_session", {"sessionId": session}, input_responses=YES, request_state=tampered)
    assert deletes(simulator) == [] and await exists(a, session)


async def test_an_id_swapped_after_the_question_is_refused(replicas: tuple[Client, Client, Client], simulator: Simulator) -> None:
    a, b, _ = replicas
    asked_about, other = await new_session(a), await new_session(a)
    state = (await _asked(a, asked_about)).request_state
    with pytest.raises(MCPError, match="Invalid or expired requestState"):
        await b.call_tool("delete_session", {"sessionId": other}, input_responses=YES, request_state=state)
    assert deletes(simulator) == [] and await exists(a, other) and await exists(a, asked_about)


async def test_an_answer_without_the_question_state_asks_again(
    replicas: tuple[Client, Client, Client], simulator: Simulator
) -> None:
    a, _, _ = replicas
    session = await new_session(a)
    again = await a.session.call_tool("delete_session", {"sessionId": session}, input_responses=YES, allow_input_required=True)
    assert isinstance(again, InputRequiredResult)  # an answer to no question proves nothing
    assert deletes(simulator) == []


async def test_short_request_state_keys_are_refused_at_start(simulator: Simulator) -> None:
    with pytest.raises(ValueError, match="at least 32 characters"):
        build_server(make_settings(simulator, request_state_keys="short"))


# ----------------------------------------------------------------------------- helpers


def _arguments(tool: str) -> dict[str, Any]:
    """Valid arguments for each destructive tool (ids need not exist: nothing is sent)."""
    special: dict[str, dict[str, Any]] = {
        "delete_vector_collection": {"collectionId": "0b4f5a8e-3c1d-4e2f-9a6b-7c8d9e0f1a2b"},
        "delete_vector_documents": {"collectionId": "0b4f5a8e-3c1d-4e2f-9a6b-7c8d9e0f1a2b", "purgeAll": True},
        "update_governance_config": {"aiEnabled": False, "modelPolicy": "unrestricted"},
        "delete_ai_search_pages": {"project": "site-1", "urls": ["https://example.com/a"]},
    }
    if tool in special:
        return special[tool]
    op = catalog.OPERATIONS_BY_NAME[tool]
    return {field.alias or name: "id-1" for name, field in op.arguments.model_fields.items() if field.is_required()}


async def test_search_mode_asks_as_the_typed_tool_does(simulator: Simulator, era: str) -> None:
    """call_operation runs the typed tool itself: the same question, and a no sends nothing."""
    for action, deleted in (("decline", False), ("accept", True)):
        user = User(action)
        async with client(simulator, era, user, tool_mode="search", request_state_keys=KEYS) as c:
            created = await c.call_tool("call_operation", {"name": "create_session", "arguments": {"userId": "u-1"}})
            session = created.structured_content["sessionId"]
            result = await c.call_tool("call_operation", {"name": "delete_session", "arguments": {"sessionId": session}})
            assert not result.is_error, text_of(result)
            assert user.asked == [
                f"Delete chat session 'Untitled session' (0 messages; sessionId '{session}') in organisation test-org? "
                "This cannot be undone."
            ]
        assert (f"/api/v3/organizations/test-org/ai/sessions/{session}" in deletes(simulator)) is deleted
