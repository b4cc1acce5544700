"""Sessions: lifecycle, expiry on the simulated clock, filters, paging and tenant isolation."""

from __future__ import annotations

from datetime import datetime

import httpx
import pytest

from quant_mcp.simulator import Simulator

from .conftest import LEGACY, LITE, MICRO, TOKEN_B, V3, V3_BRITISH, user

pytestmark = pytest.mark.anyio


async def create(http: httpx.AsyncClient, **body: object) -> str:
    response = await http.post(f"{V3}/sessions", json={"userId": "u-1", **body})
    assert response.status_code == 201, response.text
    session_id: str = response.json()["sessionId"]
    return session_id


async def test_lifecycle_uses_the_documented_field_names(http: httpx.AsyncClient) -> None:
    created = await http.post(
        f"{V3}/sessions", json={"userId": "u-1", "initialMessages": [{"role": "system", "content": "Be brief."}]}
    )
    assert created.status_code == 201
    body = created.json()
    assert set(body) == {"sessionId", "status", "expiresAt", "createdAt"} and body["status"] == "active"
    lifetime = datetime.fromisoformat(body["expiresAt"].replace("Z", "+00:00")) - datetime.fromisoformat(
        body["createdAt"].replace("Z", "+00:00")
    )
    assert lifetime.total_seconds() == 60 * 60
    session_id = body["sessionId"]

    updated = await http.put(
        f"{V3}/sessions/{session_id}",
        json={
            "newMessages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}],
            "tokensUsed": 7,
            "status": "completed",
        },
    )
    assert updated.json() | {"updatedAt": None} == {
        "sessionId": session_id,
        "status": "completed",
        "totalMessages": 3,
        "totalTokens": 7,
        "updatedAt": None,
    }
    again = await http.put(f"{V3}/sessions/{session_id}", json={"tokensUsed": 3})
    assert again.json()["totalTokens"] == 10

    got = (await http.get(f"{V3}/sessions/{session_id}")).json()
    assert set(got) == {"id", "title", "model", "messages", "created_at"}
    assert got["id"] == session_id
    assert [m["content"] for m in got["messages"]] == ["Be brief.", "hi", "hello"]
    listed = (await http.get(f"{V3}/sessions")).json()
    assert [set(item) for item in listed] == [{"id", "title", "model", "created_at", "updated_at"}]

    assert (await http.delete(f"{V3}/sessions/{session_id}")).json() == {"message": "Session deleted"}
    assert (await http.get(f"{V3}/sessions/{session_id}")).status_code == 404
    assert (await http.delete(f"{V3}/sessions/{session_id}")).status_code == 404


async def test_sessions_expire_on_the_simulated_clock_and_extend_pushes_expiry_back(
    http: httpx.AsyncClient, sim: Simulator
) -> None:
    short = await create(http, expirationMinutes=5)
    default = await create(http)
    extended = await http.put(f"{V3}/sessions/{short}/extend", json={"additionalMinutes": 10})
    assert extended.status_code == 200 and extended.json()["sessionId"] == short

    sim.state.advance_clock(14 * 60)  # short now lives 15 min in all
    assert (await http.get(f"{V3}/sessions/{short}")).status_code == 200
    sim.state.advance_clock(2 * 60)
    assert (await http.get(f"{V3}/sessions/{short}")).status_code == 404
    assert [s["id"] for s in (await http.get(f"{V3}/sessions")).json()] == [default]
    assert (await http.put(f"{V3}/sessions/{short}/extend")).status_code == 404

    no_body = await http.put(f"{V3}/sessions/{default}/extend")  # body optional: +60 min
    assert no_body.status_code == 200
    sim.state.advance_clock(100 * 60)
    assert (await http.get(f"{V3}/sessions/{default}")).status_code == 200
    sim.state.advance_clock(5 * 60)
    assert (await http.get(f"{V3}/sessions/{default}")).status_code == 404


async def test_list_filters_by_user_group_and_model_and_pages(http: httpx.AsyncClient) -> None:
    ids = {
        ("u-1", "web"): await create(http, userId="u-1", sessionGroup="web"),
        ("u-1", "app"): await create(http, userId="u-1", sessionGroup="app"),
        ("u-2", "web"): await create(http, userId="u-2", sessionGroup="web"),
    }
    chatted = await http.post(f"{V3}/chat", json={"modelId": MICRO, "messages": [user("hi")], "sessionId": ids[("u-2", "web")]})
    assert chatted.status_code == 200

    async def listed(**params: object) -> list[str]:
        response = await http.get(f"{V3}/sessions", params=params)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()]

    assert set(await listed(userId="u-1")) == {ids[("u-1", "web")], ids[("u-1", "app")]}
    assert set(await listed(sessionGroup="web")) == {ids[("u-1", "web")], ids[("u-2", "web")]}
    assert await listed(userId="u-1", sessionGroup="app") == [ids[("u-1", "app")]]
    assert await listed(model=MICRO) == [ids[("u-2", "web")]]
    assert await listed(model=LITE, userId="u-2") == []

    for n in range(4):
        await create(http, userId="pager", metadata={"title": f"s{n}"})
    every = await listed(userId="pager")
    assert len(every) == 4
    assert await listed(userId="pager", limit=2) == every[:2]
    assert await listed(userId="pager", limit=2, offset=2) == every[2:]
    assert await listed(userId="pager", offset=4) == []
    for bad in ({"limit": 0}, {"limit": 101}, {"limit": "many"}, {"offset": -1}):
        response = await http.get(f"{V3}/sessions", params=bad)
        assert response.status_code == 400 and next(iter(bad)) in response.json()["message"]


async def test_default_limit_is_fifty(http: httpx.AsyncClient) -> None:
    for _ in range(51):
        await create(http, userId="many")
    assert len((await http.get(f"{V3}/sessions")).json()) == 50


async def test_sessions_belong_to_their_organisation(http: httpx.AsyncClient, sim: Simulator) -> None:
    session_id = await create(http)
    other = {"Authorization": f"Bearer {TOKEN_B}"}
    assert (await http.get(f"/api/v3/organizations/org-b/ai/sessions/{session_id}", headers=other)).status_code == 404
    assert (await http.get("/api/v3/organizations/org-b/ai/sessions", headers=other)).json() == []
    assert (await http.get(f"{V3_BRITISH}/sessions/{session_id}")).status_code == 200  # same org, other spelling


async def test_create_validates_user_id_and_expiration(http: httpx.AsyncClient) -> None:
    cases = [
        ({}, "userId"),
        ({"userId": "u", "expirationMinutes": 4}, "expirationMinutes"),
        ({"userId": "u", "expirationMinutes": 1441}, "expirationMinutes"),
        ({"userId": 5}, "userId"),
    ]
    for body, field in cases:
        response = await http.post(f"{V3}/sessions", json=body)
        assert response.status_code == 400 and response.json()["message"].startswith(field), (body, response.text)
    bad_extend = await http.put(f"{V3}/sessions/{await create(http)}/extend", json={"additionalMinutes": 0})
    assert bad_extend.status_code == 400 and "additionalMinutes" in bad_extend.json()["message"]


async def test_chat_with_a_session_appends_the_turn(http: httpx.AsyncClient) -> None:
    session_id = await create(http)
    reply = (
        await http.post(f"{V3}/chat", json={"modelId": LITE, "messages": [user("remember me")], "sessionId": session_id})
    ).json()
    messages = (await http.get(f"{V3}/sessions/{session_id}")).json()["messages"]
    assert messages == [
        {"role": "user", "content": "remember me"},
        {"role": "assistant", "content": reply["response"]["content"]},
    ]
    missing = await http.post(
        f"{V3}/chat", json={"modelId": LITE, "messages": [user("x")], "sessionId": "00000000-0000-4000-8000-000000000000"}
    )
    assert missing.status_code == 404


async def test_legacy_sessions(http: httpx.AsyncClient) -> None:
    created = await http.post(
        f"{LEGACY}/sessions", json={"model": MICRO, "title": "Old style", "system_prompt": "x", "max_tokens": 10}
    )
    assert created.status_code == 201
    body = created.json()
    assert set(body) == {"id", "model", "title"} and body["model"] == MICRO and body["title"] == "Old style"
    assert (await http.get(f"{LEGACY}/sessions", params={"model": MICRO})).json()[0]["id"] == body["id"]
    assert (await http.get(f"{LEGACY}/sessions/{body['id']}")).json()["title"] == "Old style"
    assert (await http.post(f"{LEGACY}/sessions", json={"title": "no model"})).json()["message"].startswith("model")
    assert (await http.post(f"{LEGACY}/sessions", json={"model": "nope"})).json()["code"] == "MODEL_NOT_FOUND"
