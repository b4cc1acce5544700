"""Upstream credentials over HTTP: single tenant (the server's token) and multi-tenant (each
client's own X-Quant-Token / X-Quant-Organization), with the simulator binding each token to
one organisation so that any mix-up shows as a 403 or as someone else's sessions."""

from __future__ import annotations

import json
import logging

import anyio
import pytest

from tests.conftest import OTHER_ORG, OTHER_TOKEN, TEST_ORG, TEST_TOKEN, text_of
from tests.http.conftest import client_headers, connect, http_service

pytestmark = pytest.mark.anyio

MULTI = {"http_tenancy": "multi", "api_token": None, "organization": None}


def ok(result) -> dict:
    assert not result.is_error, text_of(result)
    return result.structured_content


async def session_ids(client) -> set[str]:
    return {s["id"] for s in ok(await client.call_tool("list_sessions", {"limit": 100}))["sessions"]}


async def test_two_tenants_never_see_each_others_sessions(simulator, era):
    async with http_service(simulator, **MULTI) as url:
        async with (
            connect(url, mode=era, headers=client_headers(TEST_TOKEN, TEST_ORG)) as alice,
            connect(url, mode=era, headers=client_headers(OTHER_TOKEN, OTHER_ORG)) as bob,
        ):
            created: dict[str, set[str]] = {"alice": set(), "bob": set()}

            async def create(name: str, client, rounds: int) -> None:
                for _ in range(rounds):
                    result = ok(await client.call_tool("create_session", {"userId": name}))
                    created[name].add(result["sessionId"])

            async with anyio.create_task_group() as tg:  # interleaved on the same server
                tg.start_soon(create, "alice", alice, 8)
                tg.start_soon(create, "bob", bob, 8)

            assert await session_ids(alice) == created["alice"]
            assert await session_ids(bob) == created["bob"]
            assert {r.organisation for r in simulator.state.requests} == {TEST_ORG, OTHER_ORG}
            assert all(r.status < 400 for r in simulator.state.requests)

            # Bob cannot reach Alice's session by id, nor her organisation by argument.
            stolen = next(iter(created["alice"]))
            assert (await bob.call_tool("get_session", {"sessionId": stolen})).is_error
            refused = await bob.call_tool("list_sessions", {"organisation": TEST_ORG})
            assert refused.is_error and "bound to organisation 'other-org'" in text_of(refused)

            # Resources go through the same per-request credentials.
            listed = json.loads((await alice.read_resource("quant://sessions")).contents[0].text)
            assert {s["id"] for s in listed["sessions"]} == created["alice"]


async def test_a_token_cannot_act_for_another_organisation(simulator):
    async with http_service(simulator, **MULTI) as url:
        async with connect(url, headers=client_headers(OTHER_TOKEN, TEST_ORG)) as mallory:
            result = await mallory.call_tool("list_sessions", {})
            assert result.is_error and "403" in text_of(result)


async def test_missing_quant_token_is_a_clear_error_and_never_the_servers(simulator, era):
    # The server has a token of its own; multi-tenant mode must not lend it out.
    async with http_service(simulator, http_tenancy="multi") as url:
        async with connect(url, mode=era, headers=client_headers()) as anonymous:
            result = await anonymous.call_tool("list_models", {})
            assert result.is_error
            assert "X-Quant-Token" in text_of(result) and "Nothing was sent" in text_of(result)
            with pytest.raises(Exception, match="X-Quant-Token"):
                await anonymous.read_resource("quant://sessions")
    assert simulator.state.requests == []


async def test_server_token_fallback_only_when_configured(simulator):
    async with http_service(simulator, http_tenancy="multi", http_server_token_fallback=True) as url:
        async with connect(url, headers=client_headers()) as anonymous:
            ok(await anonymous.call_tool("list_sessions", {}))
        async with connect(url, headers=client_headers(OTHER_TOKEN, OTHER_ORG)) as bob:
            ok(await bob.call_tool("list_sessions", {}))  # a client's own token still wins
    assert [r.organisation for r in simulator.state.requests] == [TEST_ORG, OTHER_ORG]


async def test_single_tenant_ignores_client_quant_headers(simulator):
    async with http_service(simulator) as url:  # single tenant: QUANT_API_TOKEN for TEST_ORG
        async with connect(url, headers=client_headers(OTHER_TOKEN, OTHER_ORG)) as client:
            ok(await client.call_tool("list_sessions", {}))
    assert [(r.organisation, r.status) for r in simulator.state.requests] == [(TEST_ORG, 200)]


CALLS = (("list_models", {}), ("get_session", {"sessionId": "nope"}), ("create_session", {"userId": "u"}))


async def test_client_tokens_never_reach_logs_or_output(simulator, caplog, capfd):
    bogus = "qc_SECRET-bogus-token-0000ffff"
    caplog.set_level(logging.DEBUG)
    async with http_service(simulator, log_level="DEBUG", **MULTI) as url:
        texts = []
        for token, org in ((TEST_TOKEN, TEST_ORG), (bogus, TEST_ORG), (OTHER_TOKEN, TEST_ORG)):
            async with connect(url, headers=client_headers(token, org)) as client:
                for name, arguments in CALLS:
                    texts.append(text_of(await client.call_tool(name, arguments)))
    assert any("401" in text for text in texts) and any("403" in text for text in texts)  # the failures happened
    captured = capfd.readouterr()
    everything = "\n".join([*texts, caplog.text, captured.out, captured.err])
    for secret in (TEST_TOKEN, OTHER_TOKEN, bogus):
        assert secret not in everything
