"""With QUANT_REDIS_URL and no QUANT_REQUEST_STATE_KEYS, replicas seal confirmation questions
with one key kept in Redis: a delete confirmed on one replica completes on another. Without
Redis each process has its own key, and the other replica cannot open the question."""

from __future__ import annotations

import pytest
from mcp import Client, MCPError

from quant_mcp.server import build_server
from quant_mcp.simulator import Simulator
from tests.confirm.test_confirm import YES, User, _asked, deletes, exists, new_session
from tests.conftest import make_settings, text_of
from tests.ops.parts import RedisServer

pytestmark = pytest.mark.anyio


async def test_replicas_share_the_request_state_key_through_redis(simulator: Simulator, redis_server: RedisServer) -> None:
    settings = make_settings(simulator, redis_url=redis_server.url)
    capable = {"elicitation_callback": User()}
    async with Client(build_server(settings), **capable) as a, Client(build_server(settings), **capable) as b:
        session = await new_session(a)
        first = await _asked(a, session)
        assert await exists(b, session)
        result = await b.call_tool(
            "delete_session", {"sessionId": session}, input_responses=YES, request_state=first.request_state
        )
    assert not result.is_error, text_of(result)
    assert deletes(simulator) == [f"/api/v3/organizations/test-org/ai/sessions/{session}"]


async def test_without_redis_each_process_seals_with_its_own_key(simulator: Simulator) -> None:
    settings = make_settings(simulator)
    capable = {"elicitation_callback": User()}
    async with Client(build_server(settings), **capable) as a, Client(build_server(settings), **capable) as b:
        session = await new_session(a)
        first = await _asked(a, session)
        with pytest.raises(MCPError, match="Invalid or expired requestState"):
            await b.call_tool("delete_session", {"sessionId": session}, input_responses=YES, request_state=first.request_state)
    assert deletes(simulator) == []
