"""Confirmation over the real Streamable HTTP service (uvicorn on 127.0.0.1): both eras ask; a
2025-era stateless connection has no channel to ask on; a question asked for one tenant's
organisation cannot be answered to delete in another's."""

from __future__ import annotations

import pytest
from mcp.types import InputRequiredResult

from quant_mcp.simulator import Simulator
from tests.confirm.test_confirm import YES, User, deletes, exists, new_session
from tests.conftest import OTHER_ORG, OTHER_TOKEN, TEST_ORG, TEST_TOKEN, text_of
from tests.http.conftest import client_headers, connect, http_service

pytestmark = pytest.mark.anyio


async def test_both_eras_ask_over_http(simulator: Simulator, era: str) -> None:
    user = User()
    async with http_service(simulator) as url, connect(url, mode=era, elicitation_callback=user) as c:
        session = await new_session(c)
        result = await c.call_tool("delete_session", {"sessionId": session})
        assert not result.is_error, text_of(result)
        assert len(user.asked) == 1 and "'Untitled session' (2 messages" in user.asked[0]
        assert not await exists(c, session)


@pytest.mark.parametrize(("mode", "deleted"), [("auto", True), ("always", False)])
async def test_stateless_2025_connections_cannot_ask(simulator: Simulator, mode: str, deleted: bool) -> None:
    user = User("decline")
    async with (
        http_service(simulator, stateless=True, confirm_destructive=mode) as url,
        connect(url, mode="legacy", elicitation_callback=user) as c,
    ):
        session = await new_session(c)
        result = await c.call_tool("delete_session", {"sessionId": session})
        assert user.asked == []  # declared the capability, but a stateless connection has no channel back
        assert result.is_error is not deleted and await exists(c, session) is not deleted
        if not deleted:
            assert "cannot ask its user" in text_of(result)


async def test_an_answer_cannot_move_to_another_organisation(simulator: Simulator) -> None:
    """Multi-tenant: the organisation comes from a header, outside the arguments the SDK binds
    the state to; the confirmed request itself is compared before sending."""
    capable = {"elicitation_callback": User()}
    async with (
        http_service(simulator, http_tenancy="multi", api_token=None, organization=None) as url,
        connect(url, headers=client_headers(TEST_TOKEN, TEST_ORG), **capable) as mine,
        connect(url, headers=client_headers(OTHER_TOKEN, OTHER_ORG), **capable) as theirs,
    ):
        session = await new_session(mine)
        first = await mine.session.call_tool("delete_session", {"sessionId": session}, allow_input_required=True)
        assert isinstance(first, InputRequiredResult)
        result = await theirs.call_tool(
            "delete_session", {"sessionId": session}, input_responses=YES, request_state=first.request_state
        )
        assert result.is_error and "is not what this call would change" in text_of(result)
        assert "Untitled session" not in text_of(result) and TEST_ORG not in text_of(result)  # nothing of the other tenant's
        assert deletes(simulator) == [] and await exists(mine, session)
