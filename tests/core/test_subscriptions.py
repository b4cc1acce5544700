"""Resource subscriptions for 2025-era sessions: resources/subscribe and unsubscribe, list
changes to every session of the caller's tenant, updates only where subscribed, never across
tenants; in memory and over Streamable HTTP (several sessions on one uvicorn)."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from typing import Any

import anyio
import pytest
from mcp import Client, MCPError

from quant_mcp.server import build_server
from quant_mcp.subscriptions import MAX_SUBSCRIPTIONS, MAX_URI_LENGTH, registry_of
from tests.conftest import OTHER_ORG, OTHER_TOKEN, TEST_ORG, TEST_TOKEN, make_settings, text_of
from tests.http.conftest import client_headers, connect, http_service

pytestmark = [
    pytest.mark.anyio,
    # The SDK deprecates resources/(un)subscribe for 2026-07-28 clients; these tests are 2025 clients.
    pytest.mark.filterwarnings("ignore:resources/(un)?subscribe is removed:mcp.MCPDeprecationWarning"),
]

LIST_CHANGED = ("list_changed", None)
MULTI = {"http_tenancy": "multi", "api_token": None, "organization": None}


def updated(uri: str) -> tuple[str, str]:
    return ("updated", uri)


class Inbox:
    """The resource notifications one client received, in order: LIST_CHANGED or updated(uri)."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str | None]] = []
        self._arrival = anyio.Event()

    async def __call__(self, message: Any) -> None:
        message = getattr(message, "root", message)
        method = getattr(message, "method", "")
        if method == "notifications/resources/list_changed":
            self.seen.append(LIST_CHANGED)
        elif method == "notifications/resources/updated":
            self.seen.append(updated(str(message.params.uri)))
        else:
            return
        self._arrival.set()
        self._arrival = anyio.Event()

    async def wait_for(self, entry: tuple[str, str | None], times: int = 1, seconds: float = 10) -> None:
        with anyio.fail_after(seconds):
            while self.seen.count(entry) < times:
                await self._arrival.wait()

    def updates(self) -> list[str | None]:
        return [uri for kind, uri in self.seen if kind == "updated"]


async def new_session(client: Client) -> str:
    """Create a chat session; its resource URI."""
    result = await client.call_tool("create_session", {"userId": "subscriber"})
    assert not result.is_error, text_of(result)
    return f"quant://sessions/{result.structured_content['sessionId']}"


async def touch(client: Client, uri: str) -> None:
    """Change the session behind ``uri`` through a tool (which announces it)."""
    result = await client.call_tool("update_session", {"sessionId": uri.rsplit("/", 1)[1], "tokensUsed": 1})
    assert not result.is_error, text_of(result)


async def listening(client: Client, inbox: Inbox) -> str:
    """Wait until the client's server-to-client stream is up (over HTTP it opens after the
    handshake, and what is sent before is lost): it subscribes to a session of its own and
    changes it until it hears so. Empties the inbox; returns the session's URI."""
    uri = await new_session(client)
    await client.subscribe_resource(uri)
    with anyio.fail_after(20):
        while updated(uri) not in inbox.seen:
            await touch(client, uri)
            with anyio.move_on_after(1):
                await inbox.wait_for(updated(uri))
    inbox.seen.clear()
    return uri


async def test_2025_clients_are_offered_subscriptions(simulator, era):
    async with Client(build_server(make_settings(simulator)), mode=era) as client:
        resources = client.server_capabilities.resources
    assert resources.subscribe and resources.list_changed


@pytest.fixture
async def client_2025(simulator) -> AsyncIterator[tuple[Client, Inbox]]:
    """An in-memory 2025-era client and the resource notifications it receives."""
    inbox = Inbox()
    async with Client(build_server(make_settings(simulator)), mode="legacy", message_handler=inbox) as client:
        yield client, inbox


async def test_a_2025_client_hears_updates_only_of_what_it_subscribed_to(client_2025):
    client, inbox = client_2025
    ignored, watched = await new_session(client), await new_session(client)
    await client.subscribe_resource(watched)
    await touch(client, ignored)
    await touch(client, watched)
    await inbox.wait_for(updated(watched))

    assert inbox.seen == [LIST_CHANGED, LIST_CHANGED, LIST_CHANGED, LIST_CHANGED, updated(watched)]


async def test_unsubscribing_stops_the_updates(client_2025):
    client, inbox = client_2025
    first, second = await new_session(client), await new_session(client)
    await client.subscribe_resource(first)
    await touch(client, first)
    await client.unsubscribe_resource(first)
    await client.unsubscribe_resource(first)  # twice, or never subscribed: still fine
    await client.subscribe_resource(second)
    await touch(client, first)
    await touch(client, second)
    await inbox.wait_for(updated(second))

    assert inbox.updates() == [first, second]


async def test_subscriptions_per_session_are_bounded(client_2025):
    client, _ = client_2025
    with pytest.raises(MCPError, match="at most 2048 characters"):
        await client.subscribe_resource("quant://sessions/" + "x" * MAX_URI_LENGTH)
    for n in range(MAX_SUBSCRIPTIONS):
        await client.subscribe_resource(f"quant://sessions/{n}")
    await client.subscribe_resource("quant://sessions/0")  # already there: no new entry
    with pytest.raises(MCPError, match=f"at most {MAX_SUBSCRIPTIONS} resources"):
        await client.subscribe_resource("quant://sessions/one-too-many")
    await client.unsubscribe_resource("quant://sessions/0")
    await client.subscribe_resource("quant://sessions/one-too-many")  # room again


async def test_a_session_that_went_away_is_forgotten_and_never_in_the_way(simulator):
    server = build_server(make_settings(simulator))
    inbox = Inbox()
    async with Client(server, mode="legacy", message_handler=inbox) as changer:
        watched = await new_session(changer)
        async with Client(server, mode="legacy") as gone:
            await gone.subscribe_resource(watched)
            assert len(registry_of(server)) == 2
        await changer.subscribe_resource(watched)
        await touch(changer, watched)  # the closed session is skipped, the caller still told
        await inbox.wait_for(updated(watched))

        del gone
        gc.collect()
        assert len(registry_of(server)) == 1


async def test_a_second_http_session_hears_of_changes_another_makes(simulator):
    """Two 2025 sessions on one HTTP server, one tenant: list changes reach both, an update
    reaches the one subscribed to it until it unsubscribes."""
    async with http_service(simulator) as url:
        watcher_inbox = Inbox()
        async with connect(url, mode="legacy", message_handler=watcher_inbox) as watcher:
            own = await listening(watcher, watcher_inbox)
            async with connect(url, mode="legacy") as changer:
                shared = await new_session(changer)
                await watcher.subscribe_resource(shared)
                await touch(changer, shared)
                await watcher_inbox.wait_for(updated(shared))
                assert watcher_inbox.seen[-2:] == [LIST_CHANGED, updated(shared)]

                await watcher.unsubscribe_resource(shared)
                await touch(changer, shared)
                await touch(watcher, own)  # everything sent before this has arrived once this has
                await watcher_inbox.wait_for(updated(own))

    assert watcher_inbox.updates() == [shared, own]


async def test_a_tenant_never_hears_of_another_tenants_resources(simulator):
    """Multi-tenant HTTP: Bob subscribes to Alice's session URI (say he guessed it) and hears
    nothing of it, nor of her list changes; Alice's second session hears all of them and none of Bob's."""
    alice_headers = client_headers(TEST_TOKEN, TEST_ORG)
    async with http_service(simulator, **MULTI) as url:
        bob_inbox, alice2_inbox = Inbox(), Inbox()
        async with (
            connect(url, mode="legacy", headers=client_headers(OTHER_TOKEN, OTHER_ORG), message_handler=bob_inbox) as bob,
            connect(url, mode="legacy", headers=alice_headers, message_handler=alice2_inbox) as alice2,
        ):
            bobs = await listening(bob, bob_inbox)
            await listening(alice2, alice2_inbox)  # Alice's tenant, so Bob must not hear of it
            async with connect(url, mode="legacy", headers=alice_headers) as alice:
                alices = await new_session(alice)
                await bob.subscribe_resource(alices)
                await alice2.subscribe_resource(alices)
                await touch(alice, alices)
                await alice2_inbox.wait_for(updated(alices))

                await touch(bob, bobs)
                await bob_inbox.wait_for(updated(bobs))
                await touch(alice, alices)
                await alice2_inbox.wait_for(updated(alices), times=2)

    assert bob_inbox.seen == [LIST_CHANGED, updated(bobs)]
    assert alice2_inbox.seen == [LIST_CHANGED, LIST_CHANGED, updated(alices), LIST_CHANGED, updated(alices)]
