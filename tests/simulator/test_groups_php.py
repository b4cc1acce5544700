"""Behaviour of the groups added after client 4.8.0: state, lifecycles and documented refusals.

Every call goes through `ContractClient`, so each request and answer is also
checked against the reference (the contract walk covers each operation once; these
tests check what the operations do).
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from quant_mcp.simulator import Simulator
from quant_mcp.simulator.routes.files import DIRECT_UPLOAD_LIMIT
from quant_mcp.simulator.routes.orchestrations import BATCH_SECONDS

from .conftest import LITE, ORG_B, TITAN, TOKEN_A, TOKEN_B, V3, user
from .php_groups_walk import CLIENT_TOOL, CRAWLER, SEARCH
from .test_sim_contract import ContractClient

pytestmark = pytest.mark.anyio


@pytest.fixture
def api(http: httpx.AsyncClient) -> ContractClient:
    return ContractClient(http)


# Durable executions and the tool callback


async def test_an_async_chat_waits_for_the_client_tool_then_completes_once(api: ContractClient) -> None:
    session = (await api.call("POST", f"{V3}/sessions", 201, body={"userId": "u"}))["sessionId"]
    chat = {
        "modelId": LITE,
        "messages": [user("where is order 42?")],
        "toolConfig": CLIENT_TOOL,
        "async": True,
        "sessionId": session,
    }
    queued = await api.call("POST", f"{V3}/chat", 202, body=chat)
    poll = f"{V3}/chat/executions/{queued['requestId']}"
    waiting = await api.call("GET", poll, 200)
    assert waiting["status"] == "waiting_callback" and "result" not in waiting
    [pending] = waiting["pendingTools"]
    assert pending["name"] == "lookup_order" and isinstance(pending["input"]["orderId"], str)
    assert await api.call("GET", poll, 200) == waiting  # polling changes nothing

    wrong = {"callbackId": waiting["callbackId"], "toolResults": [{"toolUseId": "tooluse_other", "result": {}}]}
    assert "toolResults" in (await api.call("POST", f"{V3}/chat/callback", 400, body=wrong))["message"]
    right = {
        "callbackId": waiting["callbackId"],
        "toolResults": [{"toolUseId": pending["toolUseId"], "result": {"status": "shipped"}}],
    }
    assert (await api.call("POST", f"{V3}/chat/callback", 200, body=right))["callbackId"] == waiting["callbackId"]

    done = await api.call("GET", poll, 200)
    assert done["status"] == "complete" and "callbackId" not in done
    assert "shipped" in done["result"]["response"]["content"]
    history = (await api.call("GET", f"{V3}/sessions/{session}", 200))["messages"]
    assert history[-1]["content"] == done["result"]["response"]["content"]
    assert (await api.call("POST", f"{V3}/chat/callback", 404, body=right))["callbackId"] == waiting["callbackId"]


async def test_an_async_chat_whose_tool_the_server_ran_is_complete_at_once(api: ContractClient) -> None:
    tools = {**CLIENT_TOOL, "autoExecute": True, "allowedTools": ["get_weather"]}
    tools["tools"] = [{"toolSpec": {"name": "get_weather", "inputSchema": {"json": {"type": "object"}}}}]
    queued = await api.call(
        "POST", f"{V3}/chat", 202, body={"modelId": LITE, "messages": [user("Paris")], "toolConfig": tools, "async": True}
    )
    done = await api.call("GET", f"{V3}/chat/executions/{queued['requestId']}", 200)
    assert done["status"] == "complete" and done["result"]["toolExecutions"][0]["toolName"] == "get_weather"


async def test_tool_orchestration_ids_are_unknown_with_the_documented_404(api: ContractClient) -> None:
    body = await api.call("GET", f"{V3}/tools/orchestrations/orch_{'0' * 32}", 404)
    assert body["orchestrationId"] == f"orch_{'0' * 32}"


# Orchestrations


async def test_orchestration_lifecycle_follows_the_simulated_clock(api: ContractClient, sim: Simulator) -> None:
    items = [{"n": n} for n in range(5)]
    created = await api.call(
        "POST",
        f"{V3}/orchestrations",
        201,
        body={
            "name": "Five",
            "agentId": "a",
            "inputSource": {"type": "static", "items": items},
            "batchSize": 2,
            "autoStart": False,
        },
    )
    url = f"{V3}/orchestrations/{created['orchestration']['orchestrationId']}"
    assert created["orchestration"]["status"] == "pending"
    assert "pending" in (await api.call("POST", f"{url}/pause", 400))["message"]
    await api.call("POST", f"{url}/start", 200)

    def progress(body: dict[str, Any]) -> tuple[str, int]:
        return body["orchestration"]["status"], body["orchestration"]["progress"]["completedBatches"]

    sim.state.advance_clock(BATCH_SECONDS + 1)
    assert progress(await api.call("GET", url, 200)) == ("running", 1)
    assert [b["status"] for b in (await api.call("GET", f"{url}/batches", 200))["batches"]] == ["completed", "running"]
    assert progress(await api.call("POST", f"{url}/pause", 200)) == ("paused", 1)
    sim.state.advance_clock(10 * BATCH_SECONDS)  # paused time does not count
    assert progress(await api.call("GET", url, 200)) == ("paused", 1)
    await api.call("POST", f"{url}/resume", 200)
    await api.call("DELETE", url, 400)  # only finished orchestrations can be deleted
    sim.state.advance_clock(2 * BATCH_SECONDS)
    finished = await api.call("GET", url, 200)
    assert progress(finished) == ("completed", 3) and finished["orchestration"]["progress"]["processedItems"] == 5
    batches = await api.call("GET", f"{url}/batches", 200, params={"limit": 2})
    assert [b["itemCount"] for b in batches["batches"]] == [2, 2] and batches["nextCursor"]
    last = await api.call("GET", f"{url}/batches", 200, params={"limit": 2, "cursor": batches["nextCursor"]})
    assert [(b["itemCount"], b["status"]) for b in last["batches"]] == [(1, "completed")] and last["nextCursor"] is None
    await api.call("POST", f"{url}/cancel", 400)
    await api.call("DELETE", url, 204)
    await api.call("GET", url, 404)


async def test_orchestration_stop_conditions_and_task_query_items(api: ContractClient, sim: Simulator) -> None:
    for title in ("a", "b", "c"):
        await api.call("POST", f"{V3}/tasks", 201, body={"title": title, "taskListId": "batch"})
    base = {
        "name": "Tasks",
        "toolId": "t",
        "inputSource": {"type": "task_query", "taskQuery": {"taskListId": "batch"}},
        "batchSize": 1,
    }
    capped = (
        await api.call(
            "POST", f"{V3}/orchestrations", 201, body={**base, "stopCondition": {"type": "max_iterations", "maxIterations": 2}}
        )
    )["orchestration"]
    manual = (await api.call("POST", f"{V3}/orchestrations", 201, body={**base, "stopCondition": {"type": "manual"}}))[
        "orchestration"
    ]
    assert capped["inputSource"]["itemCount"] == 3 and capped["progress"]["totalBatches"] == 2
    sim.state.advance_clock(10 * BATCH_SECONDS)
    listed = {o["orchestrationId"]: o["status"] for o in (await api.call("GET", f"{V3}/orchestrations", 200))["orchestrations"]}
    assert listed == {capped["orchestrationId"]: "completed", manual["orchestrationId"]: "running"}
    running = await api.call("GET", f"{V3}/orchestrations", 200, params={"status": "running"})
    assert [o["orchestrationId"] for o in running["orchestrations"]] == [manual["orchestrationId"]]
    assert (await api.call("POST", f"{V3}/orchestrations/{manual['orchestrationId']}/cancel", 200))["orchestration"][
        "status"
    ] == "cancelled"
    missing = {"name": "x", "agentId": "a", "inputSource": {"type": "generator"}}
    assert (await api.call("POST", f"{V3}/orchestrations", 400, body=missing))["message"].startswith(
        "inputSource.generatorPrompt"
    )


# Tasks


async def test_task_status_transitions_set_and_clear_timestamps(api: ContractClient, sim: Simulator) -> None:
    task_id = (await api.call("POST", f"{V3}/tasks", 201, body={"title": "t"}))["taskId"]
    url = f"{V3}/tasks/{task_id}"
    assert (await api.call("GET", url, 200))["startedAt"] is None
    await api.call("PUT", url, 200, body={"status": "in_progress"})
    started = (await api.call("GET", url, 200))["startedAt"]
    sim.state.advance_clock(5)
    await api.call("PUT", url, 200, body={"status": "blocked", "blockedReason": "waiting"})
    blocked = await api.call("GET", url, 200)
    assert blocked["blockedAt"] >= started + 5000 and blocked["blockedReason"] == "waiting"
    await api.call("PUT", url, 200, body={"status": "in_progress"})
    resumed = await api.call("GET", url, 200)
    assert resumed["startedAt"] == started and resumed["blockedAt"] is None and resumed["blockedReason"] is None
    await api.call("PUT", url, 200, body={"status": "completed", "result": {"ok": True}})
    completed = await api.call("GET", url, 200)
    assert completed["completedAt"] >= resumed["updatedAt"] and completed["progress"] == 1 and completed["result"] == {"ok": True}
    await api.call("PUT", url, 200, body={"status": "pending"})
    assert (await api.call("GET", url, 200))["completedAt"] is None
    assert (await api.call("PUT", url, 400, body={"title": None}, valid_request=False))["message"].startswith("title")


async def test_task_dependencies_are_checked_and_deletes_refuse_or_cascade(api: ContractClient) -> None:
    async def task(title: str, *depends: str) -> str:
        body = await api.call("POST", f"{V3}/tasks", 201, body={"title": title, "taskListId": "w", "dependsOn": list(depends)})
        return str(body["taskId"])

    root = await task("root")
    middle = await task("middle", root)
    leaf = await task("leaf", middle)
    other = await task("other")
    unknown = "00000000-0000-4000-8000-000000000000"
    assert (await api.call("POST", f"{V3}/tasks", 400, body={"title": "x", "dependsOn": [unknown]}))["message"].startswith(
        "dependsOn[0]"
    )
    assert "cycle" in (await api.call("PUT", f"{V3}/tasks/{root}", 400, body={"dependsOn": [leaf]}))["message"]

    graph = await api.call("GET", f"{V3}/tasks/w/dependency-graph", 200)
    assert graph["taskCount"] == 4 and set(graph["roots"]) == {root, other} and set(graph["leaves"]) == {leaf, other}
    assert graph["graph"][middle] == {"title": "middle", "status": "pending", "dependsOn": [root], "dependents": [leaf]}
    assert (await api.call("GET", f"{V3}/tasks", 200, params={"dependsOn": root}))["taskIds"] == [middle]

    refused = await api.call("DELETE", f"{V3}/tasks/{root}", 409)
    assert refused["error"] == "TASK_HAS_DEPENDENTS" and refused["dependentTaskIds"] == [middle]
    deleted = await api.call("DELETE", f"{V3}/tasks/{root}", 200, params={"cascade": "true"})
    assert deleted["deletedCount"] == 3 and set(deleted["deletedTaskIds"]) == {root, middle, leaf}
    assert [t["taskId"] for t in (await api.call("GET", f"{V3}/tasks", 200))["tasks"]] == [other]


# Skills


async def test_skill_collections_import_sync_and_delete(api: ContractClient) -> None:
    source = {"type": "github", "repo": "obra/superpowers", "path": "skills"}
    imported = await api.call(
        "POST", f"{V3}/skills/import-collection", 201, body={"namespace": "sp", "source": source, "tags": ["t"]}
    )
    again = await api.call("POST", f"{V3}/skills/import-collection", 201, body={"namespace": "sp", "source": source})
    assert imported["imported"] >= 2 and [s["skillId"] for s in again["skills"]] == [s["skillId"] for s in imported["skills"]]
    await api.call(
        "POST", f"{V3}/skills", 201, body={"name": "local", "content": "c", "triggerCondition": "t", "namespace": "sp"}
    )
    [collection] = (await api.call("GET", f"{V3}/skills/collections", 200))["collections"]
    assert collection["namespace"] == "sp" and collection["count"] == imported["imported"] + 1

    first = imported["skills"][0]["skillId"]
    await api.call("DELETE", f"{V3}/skills/{first}", 200)
    synced = await api.call("POST", f"{V3}/skills/collections/sp/sync", 200)
    assert (synced["created"], synced["synced"], synced["removedFromSource"]) == (1, imported["imported"] - 1, [])

    await api.call("DELETE", f"{V3}/skills/collections/sp", 200)
    assert (await api.call("GET", f"{V3}/skills", 200, params={"namespace": "sp"}))["skills"] == []
    assert (await api.call("GET", f"{V3}/skills/collections", 200))["collections"] == []
    for skill in synced["skills"]:
        await api.call("GET", f"{V3}/skills/{skill['skillId']}", 404)
    await api.call("POST", f"{V3}/skills/collections/sp/sync", 404)
    await api.call(
        "POST", f"{V3}/skills/import-collection", 502, body={"namespace": "gone", "source": {**source, "repo": "acme/missing"}}
    )


async def test_imported_skills_keep_local_overrides_and_refuse_content_changes(api: ContractClient) -> None:
    skill = (
        await api.call(
            "POST", f"{V3}/skills/import", 201, body={"source": {"type": "skills.sh", "url": "https://skills.sh/acme/pdf"}}
        )
    )["skill"]
    assert skill["name"] == "pdf" and skill["source"]["type"] == "skills.sh" and skill["content"].startswith("---\nname: pdf")
    url = f"{V3}/skills/{skill['skillId']}"
    assert (await api.call("PUT", url, 400, body={"content": "mine"}))["message"].startswith("content")
    await api.call("PUT", url, 200, body={"name": "pdf-tools", "tags": ["docs"]})
    synced = (await api.call("POST", f"{url}/sync", 200))["skill"]
    assert (synced["name"], synced["tags"], synced["content"]) == ("pdf-tools", ["docs"], skill["content"])
    assert (await api.call("GET", f"{V3}/skills", 200, params={"tag": "docs"}))["count"] == 1
    bad_repo = {"source": {"type": "github", "repo": "not a repo"}}
    assert (await api.call("POST", f"{V3}/skills/import", 400, body=bad_repo))["message"].startswith("source.repo")


# Files


async def test_file_uploads_over_the_direct_limit_are_413_and_nothing_is_stored(api: ContractClient) -> None:
    too_big = base64.b64encode(bytes(DIRECT_UPLOAD_LIMIT + 1)).decode()
    refused = await api.call("POST", f"{V3}/files", 413, body={"content": too_big, "contentType": "application/octet-stream"})
    assert "requestUploadUrl" in refused["message"]
    assert (await api.call("GET", f"{V3}/files", 200))["files"] == []
    presigned = await api.call(
        "POST",
        f"{V3}/files",
        201,
        body={"requestUploadUrl": True, "size": DIRECT_UPLOAD_LIMIT + 1, "contentType": "application/pdf"},
    )
    assert (
        presigned["uploadUrl"].startswith("https://")
        and presigned["expiresIn"] == 3600
        and presigned["size"] == DIRECT_UPLOAD_LIMIT + 1
    )
    both = {"content": "aGk=", "requestUploadUrl": True, "contentType": "text/plain"}
    assert (await api.call("POST", f"{V3}/files", 400, body=both))["message"].startswith("content")
    assert (await api.call("POST", f"{V3}/files", 400, body={"content": "%%%", "contentType": "text/plain"}))[
        "message"
    ].startswith("content")


async def test_files_list_filters_and_pages_with_opaque_cursors(api: ContractClient) -> None:
    for n in range(3):
        await api.call(
            "POST",
            f"{V3}/files",
            201,
            body={
                "content": "aGk=",
                "contentType": "text/plain",
                "filename": f"f{n}.txt",
                "metadata": {"kind": "a" if n else "b"},
            },
        )
    first = await api.call("GET", f"{V3}/files", 200, params={"limit": 2})
    assert [f["filename"] for f in first["files"]] == ["f2.txt", "f1.txt"] and first["hasMore"]
    second = await api.call("GET", f"{V3}/files", 200, params={"limit": 2, "cursor": first["nextCursor"]})
    assert [f["filename"] for f in second["files"]] == ["f0.txt"] and second == {**second, "hasMore": False, "nextCursor": None}
    assert [f["filename"] for f in (await api.call("GET", f"{V3}/files", 200, params={"filter": '{"kind": "b"}'}))["files"]] == [
        "f0.txt"
    ]
    assert (await api.call("GET", f"{V3}/files", 400, params={"filter": "[1]"}))["message"].startswith("filter")
    assert (await api.call("GET", f"{V3}/files", 400, params={"cursor": "bogus"}))["message"].startswith("cursor")


# AI Search


async def test_ai_search_enable_twice_is_409_and_the_switch_gates_the_index(api: ContractClient) -> None:
    await api.call("GET", f"{SEARCH}/pages", 404)  # never set up
    assert (await api.call("GET", SEARCH, 200))["enabled"] is False
    await api.call("POST", f"{SEARCH}/enable", 200, body={"baseUrl": "https://docs.example.org"})
    await api.call("POST", f"{SEARCH}/enable", 409, body={})
    await api.call("POST", f"{SEARCH}/crawls", 200, body={"crawler_uuid": CRAWLER})
    assert (await api.call("GET", SEARCH, 200))["pageCount"] == 5
    await api.call("POST", f"{SEARCH}/disable", 200)
    await api.call("POST", f"{SEARCH}/search", 409, body={"query": "pricing"})
    assert (await api.call("GET", f"{SEARCH}/pages", 200, params={"limit": 200}))["count"] == 5  # reads still work
    enabled = await api.call("POST", f"{SEARCH}/enable", 200)  # the stored base URL is reused
    assert enabled["baseUrl"] == "https://docs.example.org" and enabled["enabled"] is True


async def test_ai_search_indexes_pushed_pages_and_answers_from_them(api: ContractClient) -> None:
    await api.call("POST", f"{SEARCH}/enable", 200, body={"baseUrl": "https://example.org"})
    pages = [
        {"url": "https://example.org/blog/rust", "title": "Rust", "content": "Rust ownership and borrowing explained"},
        {"url": "https://example.org/blog/go", "title": "Go", "content": "Go goroutines and channels"},
        {"url": "https://example.org/about", "title": "About", "content": "We write about programming"},
    ]
    ingested = await api.call("POST", f"{SEARCH}/pages", 200, body={"pages": pages})
    assert (ingested["created"], ingested["updated"]) == (3, 0)
    again = await api.call("POST", f"{SEARCH}/pages", 200, body={"jobId": ingested["jobId"], "pages": pages[:1]})
    assert (again["jobId"], again["created"], again["updated"]) == (ingested["jobId"], 0, 1)
    hits = (await api.call("POST", f"{SEARCH}/search", 200, body={"query": "goroutines channels"}))["results"]
    assert hits[0]["url"] == pages[1]["url"] and all(hit["score"] > 0 for hit in hits)
    answer = await api.call("POST", f"{SEARCH}/chat", 200, body={"message": "rust ownership?", "sessionId": "s-1"})
    assert answer["sessionId"] == "s-1" and answer["sources"][0]["url"] == pages[0]["url"]
    top = await api.call("GET", f"{SEARCH}/top-queries", 200, params={"range": "24h"})
    assert top["total"] == 2 and {q["query"] for q in top["queries"]} == {"goroutines channels", "rust ownership?"}
    assert (await api.call("GET", f"{SEARCH}/top-queries", 400, params={"range": "a week"}))["message"].startswith("range")
    removed = await api.call("DELETE", f"{SEARCH}/pages", 200, body={"patterns": ["https://example.org/blog/*"]})
    assert set(removed["urls"]) == {pages[0]["url"], pages[1]["url"]}
    await api.call("DELETE", f"{SEARCH}/pages", 400, body={})
    assert (await api.call("DELETE", f"{SEARCH}/index", 200))["deleted"] == 1
    usage = await api.call("GET", f"{SEARCH}/usage", 200)
    assert (usage["searchRequests"], usage["chatRequests"], usage["ingestJobs"], usage["pagesIndexed"]) == (1, 1, 1, 0)
    invalid = {"pages": [{"url": "not a url", "title": "t", "content": "c"}]}
    assert (await api.call("POST", f"{SEARCH}/pages", 422, body=invalid, valid_request=False))["message"].startswith(
        "pages[0].url"
    )


# Governance, spend and usage/me


async def test_governance_round_trips_with_versions_and_422s(api: ContractClient) -> None:
    initial = await api.call("GET", f"{V3}/governance", 200)
    assert (initial["modelPolicy"], initial["aiEnabled"]) == ("unrestricted", True)
    update = {"aiEnabled": False, "modelPolicy": "blocklist", "modelList": [TITAN], "spendLimits": {"dailyBudgetCents": 50}}
    saved = (await api.call("PUT", f"{V3}/governance", 200, body=update))["config"]
    assert saved == await api.call("GET", f"{V3}/governance", 200)
    assert saved["version"] == initial["version"] + 1 and saved["spendLimits"]["dailyBudgetCents"] == 50
    kept = (await api.call("PUT", f"{V3}/governance", 200, body={"aiEnabled": True, "modelPolicy": "blocklist"}))["config"]
    assert kept["modelList"] == [TITAN] and kept["version"] == saved["version"] + 1
    unknown = {"aiEnabled": True, "modelPolicy": "allowlist", "modelList": ["no-such-model"]}
    assert (await api.call("PUT", f"{V3}/governance", 422, body=unknown))["message"].startswith("modelList[0]")
    assert (await api.call("PUT", f"{V3}/governance", 422, body={"aiEnabled": True}, valid_request=False))["message"].startswith(
        "modelPolicy"
    )


async def test_spend_and_my_usage_count_the_chat_calls_against_the_budgets(api: ContractClient) -> None:
    budgets = {
        "aiEnabled": True,
        "modelPolicy": "unrestricted",
        "spendLimits": {"monthlyBudgetCents": 1000, "perUserDailyBudgetCents": 200},
    }
    await api.call("PUT", f"{V3}/governance", 200, body=budgets)
    for _ in range(3):
        await api.call("POST", f"{V3}/chat", 200, body={"modelId": LITE, "messages": [user("hello")]})
    spend = await api.call("GET", f"{V3}/governance/spend", 200)
    assert spend["orgTotal"]["requestCount"] == spend["todayTotal"]["requestCount"] == 3
    assert (
        spend["budget"] == {"monthlyBudgetCents": 1000, "usedPercent": 0.0, "remainingCents": 1000}
        and spend["dailyBudget"] is None
    )
    mine = await api.call("GET", f"{V3}/usage/me", 200)
    assert mine["monthly"]["requestCount"] == 3 and TOKEN_A not in str(mine)
    assert mine["quota"]["monthlyLimit"] is None and mine["quota"]["dailyLimit"]["limitCents"] == 200
    unlimited = {**budgets, "spendLimits": {"userOverrides": {mine["userId"]: {"unlimited": True}}}}
    await api.call("PUT", f"{V3}/governance", 200, body=unlimited)
    assert (await api.call("GET", f"{V3}/usage/me", 200))["quota"] is None


# Filter policies, agent overlays, Slack bots, vector documents


async def test_filter_policies_validate_rules_with_422_and_switch_on_and_off(api: ContractClient) -> None:
    rules = [{"match": {"type": "word", "values": ["secret"]}, "action": "BLOCK", "applyTo": "input"}]
    policy = (await api.call("POST", f"{V3}/filter-policies", 201, body={"name": "P", "rules": rules, "enabled": False}))[
        "policy"
    ]
    url = f"{V3}/filter-policies/{policy['policyId']}"
    assert (await api.call("PUT", f"{url}/enable", 200))["policy"]["enabled"] is True
    assert (await api.call("PUT", f"{url}/disable", 200))["policy"]["enabled"] is False
    renamed = (await api.call("PUT", url, 200, body={"name": "Q"}))["policy"]
    assert (renamed["name"], renamed["rules"], renamed["enabled"]) == ("Q", rules, False)
    no_words = [{"match": {"type": "word", "values": []}, "action": "BLOCK"}]
    assert (await api.call("PUT", url, 422, body={"rules": no_words}))["message"].startswith("rules[0].match.values")
    assert (await api.call("POST", f"{V3}/filter-policies", 422, body={"name": "R", "rules": []}, valid_request=False))[
        "message"
    ].startswith("rules")
    await api.call("PUT", f"{V3}/filter-policies/nope/enable", 404)


async def test_agent_overlays_compare_versions_and_apply_to_global_agents_only(api: ContractClient) -> None:
    url = f"{V3}/agents/research-assistant/overlay"
    first = (await api.call("PUT", url, 200, body={"systemPromptAppend": "Cite sources."}))["overlay"]
    second = (await api.call("PUT", url, 200, body={"maxTokens": 900, "version": first["version"]}))["overlay"]
    assert second == {"maxTokens": 900, "version": first["version"] + 1}  # a full replacement
    assert "version" in (await api.call("PUT", url, 409, body={"version": first["version"]}))["message"]
    read = await api.call("GET", url, 200)
    assert read["overlay"] == second and read["base"]["agentId"] == "research-assistant"
    await api.call("PUT", url, 404, body={"modelId": "no-such-model"})

    agent = {"name": "Mine", "description": "d", "systemPrompt": "s", "modelId": LITE}
    agent_id = (await api.call("POST", f"{V3}/agents", 201, body=agent))["agent"]["agentId"]
    own = await api.call("GET", f"{V3}/agents/{agent_id}/overlay", 200)
    assert own["overlay"] is None and own["base"]["name"] == "Mine"
    assert (await api.call("PUT", f"{V3}/agents/{agent_id}/overlay", 400, body={}))["message"].startswith("agentId")
    await api.call("DELETE", f"{V3}/agents/{agent_id}/overlay", 404)


async def test_slack_bots_own_their_agent_and_search_a_fixed_workspace(api: ContractClient) -> None:
    body = {"name": "Desk", "setupType": "quant", "systemPrompt": "Help.", "modelId": LITE, "allowedTools": ["calculate"]}
    bot = (await api.call("POST", f"{V3}/slack-bots", 201, body=body))["bot"]
    agent = (await api.call("GET", f"{V3}/agents/{bot['agentId']}", 200))["agent"]
    assert (agent["name"], agent["allowedTools"]) == ("Desk", ["calculate"])
    await api.call("PUT", f"{V3}/slack-bots/{bot['botId']}", 200, body={"systemPrompt": "Help kindly.", "status": "inactive"})
    assert (await api.call("GET", f"{V3}/agents/{bot['agentId']}", 200))["agent"]["systemPrompt"] == "Help kindly."
    assert (await api.call("GET", f"{V3}/slack-bots", 200))["bots"][0]["status"] == "inactive"

    users = (await api.call("GET", f"{V3}/slack-bots/{bot['botId']}/workspace/users", 200, params={"q": "PATEL"}))["results"]
    assert [(u["name"], u["real_name"]) for u in users] == [("dave", "Dave Patel")] and users[0]["id"].startswith("U")
    channels = (await api.call("GET", f"{V3}/slack-bots/{bot['botId']}/workspace/channels", 200))["results"]
    assert (
        len(channels) == 8
        and channels == (await api.call("GET", f"{V3}/slack-bots/{bot['botId']}/workspace/channels", 200))["results"]
    )

    byo = (await api.call("POST", f"{V3}/slack-bots", 201, body={**body, "setupType": "byo"}))["bot"]
    assert byo["connected"] is False
    await api.call("GET", f"{V3}/slack-bots/{byo['botId']}/workspace/channels", 404)
    await api.call("DELETE", f"{V3}/slack-bots/{bot['botId']}", 200)
    await api.call("GET", f"{V3}/agents/{bot['agentId']}", 404)


async def test_vector_documents_list_and_delete_in_exactly_one_mode(api: ContractClient) -> None:
    collection = await api.call(
        "POST", f"{V3}/vector-db/collections", 201, body={"name": "c", "embeddingModel": TITAN, "dimensions": 256}
    )
    url = f"{V3}/vector-db/collections/{collection['collection']['collectionId']}"
    documents = [{"content": f"document {n}", "key": f"k{n % 2}", "metadata": {"section": f"s{n}"}} for n in range(4)]
    uploaded = await api.call("POST", f"{url}/documents", 200, body={"documents": documents})
    listed = await api.call("GET", f"{url}/documents", 200, params={"limit": 2, "offset": 1})
    assert (listed["count"], listed["total"]) == (1, 2)  # documents 2 and 3 replaced 0 and 1 (same keys)
    assert [d["key"] for d in (await api.call("GET", f"{url}/documents", 200, params={"key": "k1"}))["documents"]] == ["k1"]
    for body in ({}, {"purgeAll": False}, {"keys": ["k0"], "documentIds": []}):
        assert (await api.call("DELETE", f"{url}/documents", 400, body=body))["message"].startswith("body")
    assert (await api.call("DELETE", f"{url}/documents", 200, body={"documentIds": uploaded["documentIds"][-1:]}))[
        "deletedCount"
    ] == 1
    assert (await api.call("DELETE", f"{url}/documents", 200, body={"metadata": {"field": "section", "values": ["s2"]}}))[
        "deletedCount"
    ] == 1
    assert (await api.call("GET", f"{url}/documents", 200))["total"] == 0


# Isolation


async def test_every_new_store_is_per_organisation(api: ContractClient, sim: Simulator) -> None:
    await api.call("POST", f"{V3}/tasks", 201, body={"title": "a"})
    await api.call("POST", f"{V3}/files", 201, body={"content": "aGk=", "contentType": "text/plain"})
    await api.call("POST", f"{V3}/skills", 201, body={"name": "s", "content": "c", "triggerCondition": "t"})
    await api.call("POST", f"{SEARCH}/enable", 200, body={"baseUrl": "https://a.example"})
    other = f"/api/v3/organizations/{ORG_B}/ai"
    async with httpx.AsyncClient(base_url=sim.base_url, headers={"Authorization": f"Bearer {TOKEN_B}"}) as http:
        b = ContractClient(http)
        empty: list[tuple[str, Callable[[Any], Any]]] = [
            (f"{other}/tasks", lambda r: r["tasks"]),
            (f"{other}/files", lambda r: r["files"]),
            (f"{other}/skills", lambda r: r["skills"]),
            (f"/api/v3/organisations/{ORG_B}/projects/web/ai-search", lambda r: r["enabled"]),
        ]
        for path, pick in empty:
            assert not pick(await b.call("GET", path, 200)), path
