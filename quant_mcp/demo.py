"""``quant-mcp demo``: launch ``quant-mcp serve --simulate`` as a stdio subprocess, connect as an
MCP client, and walk a real scenario, printing each step. It is what a desktop client does,
in thirty lines of output, with no credentials."""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import anyio
from mcp import Client, StdioServerParameters


def _show(step: str, detail: str) -> None:
    print(f"\n== {step}\n{detail}", flush=True)


def _text(result: Any) -> str:
    return "\n".join(block.text for block in result.content if getattr(block, "type", "") == "text")


async def _walk() -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("QUANT_")}
    params = StdioServerParameters(command=sys.executable, args=["-m", "quant_mcp", "serve", "--simulate"], env=env)
    async with Client(params) as client:
        tools = await client.list_tools()
        _show("Connected over stdio", f"{len(tools.tools)} tools: " + ", ".join(t.name for t in tools.tools))

        models = await client.call_tool("list_models", {})
        _show("list_models", _text(models).splitlines()[0])

        created = await client.call_tool(
            "create_session", {"userId": "demo-user", "sessionGroup": "quant-mcp-demo", "expirationMinutes": 30}
        )
        session_id = created.structured_content["sessionId"]
        _show("create_session", _text(created).splitlines()[0])

        question = "In one sentence, what is an MCP server?"
        answer = await client.call_tool(
            "chat", {"modelId": "amazon.nova-lite-v1:0", "messages": [{"role": "user", "content": question}]}
        )
        usage = answer.structured_content.get("usage", {})
        _show("chat", f"Q: {question}\nA: {answer.structured_content['response']['content']}\nusage: {usage}")

        deltas: list[str] = []

        async def on_progress(progress: float, total: float | None, message: str | None) -> None:
            deltas.append(message or "")
            print(f"   progress {int(progress)}: {message!r}", flush=True)

        print("\n== chat_stream (each delta arrives as a progress notification)", flush=True)
        streamed = await client.call_tool(
            "chat_stream",
            {"modelId": "amazon.nova-micro-v1:0", "messages": [{"role": "user", "content": "Count to five."}]},
            progress_callback=on_progress,
        )
        print(f"   final text: {streamed.structured_content['response']['content']!r} ({len(deltas)} deltas)")

        updated = await client.call_tool(
            "update_session",
            {
                "sessionId": session_id,
                "newMessages": [
                    {"role": "user", "content": question},
                    {"role": "assistant", "content": answer.structured_content["response"]["content"]},
                ],
                "tokensUsed": usage.get("totalTokens", 0),
            },
        )
        _show("update_session", _text(updated).splitlines()[0])

        resource = await client.read_resource(f"quant://sessions/{session_id}")
        session = json.loads(resource.contents[0].text)
        _show(f"read resource quant://sessions/{session_id}", f"{len(session['messages'])} message(s) stored")

        stats = await client.call_tool("get_usage_stats", {})
        _show("get_usage_stats", _text(stats).splitlines()[0])

        deleted = await client.call_tool("delete_session", {"sessionId": session_id})
        _show("delete_session", _text(deleted).splitlines()[0])


def run_demo() -> int:
    anyio.run(_walk)
    print("\nDemo finished: every step above was a real MCP call over stdio to a simulated Quant AI.")
    print(
        "Next: point your MCP client at `quant-mcp serve --simulate`, then at `quant-mcp serve` with QUANT_API_TOKEN "
        "and QUANT_ORGANIZATION set (README: Use it from your MCP client)."
    )
    return 0
