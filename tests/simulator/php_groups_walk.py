"""The contract walk over the operations added after client 4.8.0 (the PHP client 4.20.0 groups).

`walk_php_groups` is called by test_sim_contract's v3 walk, so every request it
sends and every answer it gets is checked against the reference, and the walk's
coverage check includes these operations. It exercises each operation at least
once, and the documented refusals worth checking the body of (404, 409, 422, 502).
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING

from .conftest import LITE, ORG_A, TITAN, user

if TYPE_CHECKING:
    from .test_sim_contract import ContractClient

SEARCH = f"/api/v3/organisations/{ORG_A}/projects/web/ai-search"
CLIENT_TOOL = {
    "tools": [
        {
            "toolSpec": {
                "name": "lookup_order",
                "inputSchema": {
                    "json": {"type": "object", "properties": {"orderId": {"type": "string"}}, "required": ["orderId"]}
                },
            }
        }
    ]
}
CRAWLER = "6f1c2a9e-4b1d-4c1e-9a8b-0d2e3f4a5b6c"


async def walk_php_groups(api: ContractClient, prefix: str) -> None:
    await walk_inference_and_usage(api, prefix)
    await walk_agent_overlays(api, prefix)
    await walk_vector_documents(api, prefix)
    await walk_files(api, prefix)
    await walk_orchestrations(api, prefix)
    await walk_skills(api, prefix)
    await walk_slack_bots(api, prefix)
    await walk_tasks(api, prefix)
    await walk_governance(api, prefix)
    await walk_filter_policies(api, prefix)
    await walk_ai_search(api)


async def walk_inference_and_usage(api: ContractClient, prefix: str) -> None:
    queued = await api.call(
        "POST",
        f"{prefix}/chat",
        202,
        body={"modelId": LITE, "messages": [user("order 42?")], "toolConfig": CLIENT_TOOL, "async": True},
    )
    waiting = await api.call("GET", f"{prefix}/chat/executions/{queued['requestId']}", 200)
    assert waiting["status"] == "waiting_callback"
    results = [{"toolUseId": waiting["pendingTools"][0]["toolUseId"], "result": {"status": "shipped"}}]
    await api.call("POST", f"{prefix}/chat/callback", 200, body={"callbackId": waiting["callbackId"], "toolResults": results})
    assert (await api.call("GET", f"{prefix}/chat/executions/{queued['requestId']}", 200))["status"] == "complete"
    await api.call("POST", f"{prefix}/chat/callback", 404, body={"callbackId": waiting["callbackId"], "toolResults": results})
    await api.call("GET", f"{prefix}/usage/me", 200)
    await api.call("GET", f"{prefix}/tools/orchestrations/orch_{'a' * 32}", 404)


async def walk_agent_overlays(api: ContractClient, prefix: str) -> None:
    overlay = f"{prefix}/agents/code-reviewer/overlay"
    await api.call("GET", overlay, 200)
    await api.call(
        "PUT",
        overlay,
        200,
        body={"modelId": LITE, "temperature": 0.2, "disabledTools": ["search_web"], "guardrailPreset": None, "version": 0},
    )
    await api.call("PUT", overlay, 409, body={"maxTokens": 500, "version": 0})
    await api.call("GET", overlay, 200)
    await api.call("DELETE", overlay, 200)
    await api.call("DELETE", overlay, 404)
    await api.call("GET", f"{prefix}/agents/no-such-agent/overlay", 404)


async def walk_vector_documents(api: ContractClient, prefix: str) -> None:
    created = await api.call(
        "POST", f"{prefix}/vector-db/collections", 201, body={"name": "docs", "embeddingModel": TITAN, "dimensions": 256}
    )
    collection = f"{prefix}/vector-db/collections/{created['collection']['collectionId']}"
    documents = [
        {"content": "Edge caching basics", "key": "a", "metadata": {"tags": ["cdn"]}},
        {"content": "Static sites", "key": "b"},
    ]
    await api.call("POST", f"{collection}/documents", 200, body={"documents": documents})
    await api.call("GET", f"{collection}/documents", 200, params={"key": "a", "limit": 10, "offset": 0})
    await api.call("DELETE", f"{collection}/documents", 200, body={"metadata": {"field": "tags", "values": ["cdn"]}})
    await api.call("DELETE", f"{collection}/documents", 400, body={"keys": ["b"], "purgeAll": True})
    await api.call("DELETE", f"{collection}/documents", 200, body={"purgeAll": True})
    await api.call("GET", f"{prefix}/vector-db/collections/00000000-0000-4000-8000-000000000000/documents", 404)


async def walk_files(api: ContractClient, prefix: str) -> None:
    content = base64.b64encode(b"\x89PNG\r\n\x1a\n").decode()
    stored = await api.call(
        "POST",
        f"{prefix}/files",
        201,
        body={"content": content, "filename": "logo.png", "contentType": "image/png", "metadata": {"collectionId": "c1"}},
    )
    await api.call(
        "POST", f"{prefix}/files", 201, body={"requestUploadUrl": True, "size": 20_000_000, "contentType": "video/mp4"}
    )
    await api.call("GET", f"{prefix}/files", 200, params={"filter": '{"collectionId": "c1"}', "limit": 1})
    await api.call("GET", f"{prefix}/files/{stored['fileId']}", 200)
    await api.call("DELETE", f"{prefix}/files/{stored['fileId']}", 200)
    await api.call("GET", f"{prefix}/files/{stored['fileId']}", 404)


async def walk_orchestrations(api: ContractClient, prefix: str) -> None:
    body = {
        "name": "Tag pages",
        "agentId": "agent-1",
        "inputSource": {"type": "static", "items": [{"n": 1}, {"n": 2}, {"n": 3}]},
        "batchSize": 2,
        "stopCondition": {"type": "all_complete"},
        "autoStart": False,
    }
    created = await api.call("POST", f"{prefix}/orchestrations", 201, body=body)
    orchestration = f"{prefix}/orchestrations/{created['orchestration']['orchestrationId']}"
    await api.call("POST", f"{orchestration}/start", 200)
    await api.call("POST", f"{orchestration}/start", 400)
    await api.call("POST", f"{orchestration}/pause", 200)
    await api.call("POST", f"{orchestration}/resume", 200)
    await api.call("GET", f"{orchestration}/batches", 200, params={"limit": 10})
    await api.call("GET", orchestration, 200)
    await api.call("GET", f"{prefix}/orchestrations", 200, params={"status": "running", "limit": 5})
    await api.call("DELETE", orchestration, 400)
    await api.call("POST", f"{orchestration}/cancel", 200)
    await api.call("DELETE", orchestration, 204)
    await api.call("GET", orchestration, 404)


async def walk_skills(api: ContractClient, prefix: str) -> None:
    inline = {
        "name": "tone",
        "content": "Write plainly.",
        "triggerCondition": "Use for prose",
        "tags": ["writing"],
        "namespace": "house-style",
    }
    skill = (await api.call("POST", f"{prefix}/skills", 201, body=inline))["skill"]["skillId"]
    imported = await api.call(
        "POST",
        f"{prefix}/skills/import",
        201,
        body={"source": {"type": "github", "repo": "acme/skills", "path": "review"}, "tags": ["code"]},
    )
    await api.call(
        "POST", f"{prefix}/skills/import", 502, body={"source": {"type": "skills.sh", "url": "https://skills.sh/acme/missing"}}
    )
    await api.call(
        "POST",
        f"{prefix}/skills/import-collection",
        201,
        body={"namespace": "superpowers", "source": {"type": "github", "repo": "obra/superpowers", "path": "skills"}},
    )
    await api.call("GET", f"{prefix}/skills", 200, params={"namespace": "superpowers", "limit": 10})
    await api.call("GET", f"{prefix}/skills/collections", 200)
    await api.call("GET", f"{prefix}/skills/{skill}", 200)
    await api.call(
        "PUT", f"{prefix}/skills/{skill}", 200, body={"content": "Write plainly and briefly.", "tags": ["writing", "style"]}
    )
    await api.call("POST", f"{prefix}/skills/{imported['skill']['skillId']}/sync", 200)
    await api.call("POST", f"{prefix}/skills/{skill}/sync", 400)
    await api.call("POST", f"{prefix}/skills/collections/superpowers/sync", 200)
    await api.call("DELETE", f"{prefix}/skills/collections/superpowers", 200)
    await api.call("DELETE", f"{prefix}/skills/collections/superpowers", 404)
    await api.call("DELETE", f"{prefix}/skills/{skill}", 200)
    await api.call("GET", f"{prefix}/skills/{skill}", 404)


async def walk_slack_bots(api: ContractClient, prefix: str) -> None:
    body = {
        "name": "Helpdesk",
        "setupType": "quant",
        "systemPrompt": "Help staff.",
        "modelId": LITE,
        "temperature": 1.5,
        "sessionTtlDays": 7,
    }
    created = await api.call("POST", f"{prefix}/slack-bots", 201, body=body)
    bot = f"{prefix}/slack-bots/{created['bot']['botId']}"
    await api.call("GET", f"{prefix}/slack-bots", 200)
    await api.call("GET", bot, 200)
    await api.call("PUT", bot, 200, body={"status": "inactive", "allowedChannels": ["C1"], "keywords": ["help"]})
    await api.call("GET", f"{bot}/workspace/channels", 200, params={"q": "eng"})
    await api.call("GET", f"{bot}/workspace/users", 200, params={"q": "alice"})
    await api.call("DELETE", bot, 200)
    await api.call("GET", bot, 404)


async def walk_tasks(api: ContractClient, prefix: str) -> None:
    first = (
        await api.call(
            "POST", f"{prefix}/tasks", 201, body={"title": "Fetch", "taskListId": "world-1", "metadata": {"priority": "high"}}
        )
    )["taskId"]
    second = (
        await api.call("POST", f"{prefix}/tasks", 201, body={"title": "Summarise", "taskListId": "world-1", "dependsOn": [first]})
    )["taskId"]
    await api.call("GET", f"{prefix}/tasks", 200, params={"taskListId": "world-1", "status": "pending", "limit": 10})
    await api.call("GET", f"{prefix}/tasks", 200, params={"dependsOn": first, "includeDetails": "true"})
    await api.call("GET", f"{prefix}/tasks/{first}", 200)
    await api.call(
        "PUT", f"{prefix}/tasks/{second}", 200, body={"status": "in_progress", "progress": 0.5, "progressMessage": "half"}
    )
    await api.call("GET", f"{prefix}/tasks/world-1/dependency-graph", 200)
    await api.call("DELETE", f"{prefix}/tasks/{first}", 409)
    await api.call("DELETE", f"{prefix}/tasks/{first}", 200, params={"cascade": "true"})
    await api.call("GET", f"{prefix}/tasks/{second}", 404)


async def walk_governance(api: ContractClient, prefix: str) -> None:
    await api.call("GET", f"{prefix}/governance", 200)
    policy = {
        "aiEnabled": True,
        "modelPolicy": "allowlist",
        "modelList": [LITE],
        "mandatoryGuardrailPreset": "official",
        "spendLimits": {"monthlyBudgetCents": 10_000, "userOverrides": {"user-1": {"unlimited": True}}},
    }
    await api.call("PUT", f"{prefix}/governance", 200, body=policy)
    await api.call("PUT", f"{prefix}/governance", 422, body={"aiEnabled": True, "modelPolicy": "blocklist", "modelList": []})
    await api.call("GET", f"{prefix}/governance/spend", 200)


async def walk_filter_policies(api: ContractClient, prefix: str) -> None:
    rules = [{"name": "cards", "match": {"type": "regex", "pattern": r"\b\d{16}\b"}, "action": "REDACT", "applyTo": "both"}]
    created = await api.call("POST", f"{prefix}/filter-policies", 201, body={"name": "PII", "rules": rules})
    policy = f"{prefix}/filter-policies/{created['policy']['policyId']}"
    await api.call(
        "POST",
        f"{prefix}/filter-policies",
        422,
        body={"name": "Bad", "rules": [{"match": {"type": "regex", "pattern": "("}, "action": "BLOCK"}]},
    )
    await api.call("GET", f"{prefix}/filter-policies", 200)
    await api.call("GET", policy, 200)
    await api.call(
        "PUT",
        policy,
        200,
        body={
            "description": "Card numbers",
            "rules": [{"match": {"type": "word", "values": ["secret"]}, "action": "BLOCK", "applyTo": "input"}],
        },
    )
    await api.call("PUT", f"{policy}/disable", 200)
    await api.call("PUT", f"{policy}/enable", 200)
    await api.call("DELETE", policy, 200)
    await api.call("GET", policy, 404)


async def walk_ai_search(api: ContractClient) -> None:
    await api.call("GET", SEARCH, 200)
    await api.call("POST", f"{SEARCH}/search", 404, body={"query": "pricing"})
    await api.call("POST", f"{SEARCH}/enable", 400, body={})
    await api.call(
        "POST", f"{SEARCH}/enable", 200, body={"baseUrl": "https://www.example.com", "crawlerConfig": {"maxPages": 50}}
    )
    await api.call("POST", f"{SEARCH}/enable", 409, body={"baseUrl": "https://www.example.com"})
    job = (await api.call("POST", f"{SEARCH}/crawls", 200, body={"crawler_uuid": CRAWLER}))["job"]["jobId"]
    await api.call("GET", f"{SEARCH}/crawls", 200, params={"limit": 5})
    await api.call("GET", f"{SEARCH}/crawls/{job}", 200)
    await api.call(
        "GET", f"{SEARCH}/crawls/{job}/pages", 200, params={"statusCode": 404, "processingStatus": "failed", "limit": 10}
    )
    page = {
        "url": "https://www.example.com/blog/launch",
        "title": "Launch",
        "content": "We launched edge search today.",
        "tags": ["news"],
    }
    await api.call("POST", f"{SEARCH}/pages", 200, body={"pages": [page]})
    await api.call(
        "POST",
        f"{SEARCH}/pages",
        422,
        body={"pages": [{"url": "https://www.example.com/x", "content": "no title"}]},
        valid_request=False,
    )
    await api.call("GET", f"{SEARCH}/pages", 200, params={"limit": 2, "search": "example"})
    await api.call("POST", f"{SEARCH}/search", 200, body={"query": "edge search launch", "limit": 3, "minScore": 0.1})
    await api.call(
        "POST", f"{SEARCH}/chat", 200, body={"message": "What did you launch?", "contextUrl": page["url"], "maxContextChunks": 3}
    )
    await api.call("GET", f"{SEARCH}/top-queries", 200, params={"range": "7d", "limit": 5})
    await api.call("GET", f"{SEARCH}/usage", 200, params={"range": "30d"})
    await api.call("GET", f"{SEARCH}/settings", 200)
    await api.call(
        "PUT", f"{SEARCH}/settings", 200, body={"publicAccess": {"enabled": True}, "rateLimits": {"searchPerMinute": 30}}
    )
    await api.call("DELETE", f"{SEARCH}/pages", 200, body={"patterns": ["https://www.example.com/blog/*"]})
    await api.call("DELETE", f"{SEARCH}/index", 200)
    await api.call("POST", f"{SEARCH}/disable", 200)
    await api.call("POST", f"{SEARCH}/search", 409, body={"query": "pricing"})
