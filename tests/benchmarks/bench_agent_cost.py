"""What an agent pays: the characters it receives doing a handful of everyday tasks.

Each task is one conversation, scripted as an agent would carry it out with the tools on offer:
it receives ``tools/list`` once, then the answer of every call it makes (what reaches the model:
the text content blocks, and the JSON of any other block). Three servers do the same tasks
against the same simulator, over stdio:

* ``default``: quant-mcp's default configuration (plus ``list_agents`` and ``chat_with_agent``
  as single tools, the way a user adds them, for the agent task);
* ``search``: quant-mcp in search mode, where the agent finds an operation, reads its schema
  once, then calls it;
* ``peer``: ``FastMCP.from_openapi`` over the same API reference (see ``bench_peer``).

Character counts do not vary from run to run, so one run suffices; ratios are against the peer.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

from tests.benchmarks._common import (
    ORGANISATION,
    TOKEN,
    StdioServer,
    clean_env,
    cli_main,
    quant_mcp_argv,
    quant_mcp_env,
    row,
    simulator_process,
)
from tests.benchmarks.bench_peer import PEER_PYTHON, PEER_SERVER, PEER_SPEC, ensure_peer

MODEL = "amazon.nova-lite-v1:0"
# A 1x1 PNG: the smallest real picture to ask about.
PIXEL = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201e221bc330000000049454e44ae426082"
    )
).decode()
IMAGE_TURN = [
    {"role": "user", "content": [{"image": {"format": "png", "source": {"bytes": PIXEL}}}, {"text": "What colour is this?"}]}
]


class Agent:
    """One conversation with one server: counts what the agent receives."""

    def __init__(self, server: StdioServer, style: str) -> None:
        self.server = server
        self.style = style  # default | search | peer
        self.received = len(json.dumps(server.request("tools/list")["tools"], ensure_ascii=False, separators=(",", ":")))
        self.described: set[str] = set()

    def _take(self, result: dict[str, Any]) -> dict[str, Any]:
        for block in result.get("content", []):
            self.received += len(block["text"]) if block.get("type") == "text" else len(json.dumps(block))
        if result.get("isError"):
            raise RuntimeError(f"a call failed: {result.get('content')}")
        return result.get("structuredContent") or _json_of(result)

    def call(self, name: str, arguments: dict[str, Any], *, peer: str, words: str) -> dict[str, Any]:
        """Call the operation ``name`` (quant-mcp's tool) / ``peer`` (the peer's operationId);
        in search mode the agent first finds it by ``words`` and reads its schema once."""
        if self.style == "peer":
            return self._take(
                self.server.request("tools/call", {"name": peer, "arguments": {"organisation": ORGANISATION, **arguments}})
            )
        if self.style == "default":
            return self._take(self.server.request("tools/call", {"name": name, "arguments": arguments}))
        if name not in self.described:
            found = self._take(self.server.request("tools/call", {"name": "find_operations", "arguments": {"query": words}}))
            assert name in [op["name"] for op in found["operations"]], f"find_operations({words!r}) missed {name}"
            self._take(self.server.request("tools/call", {"name": "describe_operation", "arguments": {"name": name}}))
            self.described.add(name)
        call = {"name": "call_operation", "arguments": {"name": name, "arguments": arguments}}
        return self._take(self.server.request("tools/call", call))


def _json_of(result: dict[str, Any]) -> dict[str, Any]:
    for block in result.get("content", []):
        if block.get("type") == "text":
            try:
                value = json.loads(block["text"].splitlines()[-1])
            except ValueError:
                continue
            if isinstance(value, dict):
                return value
    return {}


# ----------------------------------------------------------------------------- the tasks


def chat_in_a_new_session(agent: Agent) -> None:
    session = agent.call("create_session", {"userId": "bench-user"}, peer="createAISession", words="create a chat session")
    session_id = session["sessionId"]
    if agent.style == "peer":  # no composite tool: chat with the history, then store both turns
        turn = [{"role": "user", "content": "Plan a day in Hobart."}]
        answer = agent.call("chat", {"messages": turn, "modelId": MODEL}, peer="chatInference", words="")
        content = answer["response"]["content"]  # text, or the live dialect's content blocks
        text = content if isinstance(content, str) else "".join(block.get("text", "") for block in content)
        agent.call(
            "update_session",
            {"sessionId": session_id, "newMessages": [*turn, {"role": "assistant", "content": text}]},
            peer="updateAISession",
            words="",
        )
    else:
        agent.call(
            "chat_in_session",
            {"sessionId": session_id, "message": "Plan a day in Hobart.", "modelId": MODEL},
            peer="",
            words="chat in a session",
        )


def ask_a_multimodal_model_about_an_image(agent: Agent) -> None:
    agent.call("list_models", {}, peer="listAIModels", words="list models")
    agent.call("chat", {"messages": IMAGE_TURN, "modelId": MODEL}, peer="chatInference", words="chat completion")


def this_months_usage(agent: Agent) -> None:
    agent.call("get_usage_stats", {}, peer="getAIUsageStats", words="usage statistics this month")


def a_streamed_answer(agent: Agent) -> None:
    turn = [{"role": "user", "content": "Write a haiku about the sea."}]
    agent.call("chat_stream", {"messages": turn, "modelId": MODEL}, peer="chatInferenceStream", words="streaming chat")


def find_an_agent_and_chat_with_it(agent: Agent) -> None:
    agents = agent.call("list_agents", {}, peer="listAIAgents", words="list agents")
    agent_id = agents["agents"][0]["agentId"]
    agent.call("chat_with_agent", {"agentId": agent_id, "message": "Hello!"}, peer="chatWithAIAgent", words="chat with an agent")


TASKS: dict[str, Callable[[Agent], None]] = {
    "chat in a new session": chat_in_a_new_session,
    "image question (multimodal)": ask_a_multimodal_model_about_an_image,
    "this month's usage": this_months_usage,
    "streamed answer": a_streamed_answer,
    "find an agent, chat with it": find_an_agent_and_chat_with_it,
}


def _servers(base_url: str) -> dict[str, tuple[list[str], dict[str, str]]]:
    env = quant_mcp_env(base_url)
    return {
        "default": (quant_mcp_argv("serve", "--tools", "list_agents,chat_with_agent"), env),
        "search": (quant_mcp_argv("serve", "--tool-mode", "search"), env),
        "peer": ([str(PEER_PYTHON), "-c", PEER_SERVER, str(PEER_SPEC), base_url, TOKEN], clean_env()),
    }


def _an_agent_to_find(base_url: str) -> None:
    """Set up, not measured: one stored agent in the tenant, made with plain httpx."""
    import httpx

    agent = {
        "name": "Travel guide",
        "description": "Plans trips in Tasmania.",
        "systemPrompt": "You plan short trips in Tasmania.",
        "modelId": MODEL,
    }
    response = httpx.post(
        f"{base_url}/api/v3/organizations/{ORGANISATION}/ai/agents", json=agent, headers={"Authorization": f"Bearer {TOKEN}"}
    )
    response.raise_for_status()


def measure() -> dict[str, dict[str, int]]:
    """Characters received per task and server: {task: {server: characters}}."""
    ensure_peer()
    paid: dict[str, dict[str, int]] = {task: {} for task in TASKS}
    with simulator_process() as base_url:
        _an_agent_to_find(base_url)
        for style, (argv, env) in _servers(base_url).items():
            for task, script in TASKS.items():
                with StdioServer(argv, env) as server:  # each task is a new conversation
                    server.initialize()
                    agent = Agent(server, style)
                    script(agent)
                    paid[task][style] = agent.received
    return paid


def main(quick: bool = False) -> list[dict]:
    paid = measure()
    rows = []
    for task, by_server in [
        *paid.items(),
        ("all five tasks", {s: sum(p[s] for p in paid.values()) for s in ("default", "search", "peer")}),
    ]:
        for style in ("default", "search"):
            rows.append(
                row(
                    "agent_cost",
                    f"{task}: {style} (chars)",
                    by_server[style],
                    by_server["peer"],
                    "baseline: FastMCP.from_openapi",
                )
            )
    return rows


if __name__ == "__main__":
    cli_main(main)
