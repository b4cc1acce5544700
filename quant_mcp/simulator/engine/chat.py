"""The simulated chat model: a deterministic reply for a given conversation.

The reply is a pure function of the model and the conversation, several words long
(so a stream has several deltas), and echoes the last user text, which lets a test
check what reached the model. Depending on the request it is:

* a tool call (`toolUse`, finish reason `tool_use`) for the first tool of a `toolConfig`,
  with an input that validates against the tool's input schema;
* JSON text that validates against a `responseFormat` JSON schema;
* an acknowledgement of the tool result when the last user turn carries a `toolResult`;
* otherwise a plain text reply.

Tokens are counted as whitespace-separated words (each media block counts as one).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from .catalog import ModelSpec
from .schema_instance import minimal_instance

MEDIA_BLOCKS = ("image", "video", "document")
_ECHO_WORDS = 24


@dataclass(frozen=True)
class ToolSpec:
    name: str
    input_schema: dict[str, Any]


@dataclass(frozen=True)
class ChatPrompt:
    """A validated chat request. `messages` are `{role, content}` with content a string or blocks."""

    model: ModelSpec
    messages: list[dict[str, Any]]
    system_prompt: str | None = None
    max_tokens: int | None = None
    stop_sequences: list[str] = field(default_factory=list)
    response_schema: dict[str, Any] | None = None
    tools: list[ToolSpec] = field(default_factory=list)


@dataclass(frozen=True)
class ToolCall:
    tool_use_id: str
    name: str
    input: Any

    def to_json(self) -> dict[str, Any]:
        """The `toolUse` block: `{toolUseId, name, input}`."""
        return {"toolUseId": self.tool_use_id, "name": self.name, "input": self.input}


@dataclass(frozen=True)
class ChatReply:
    text: str
    finish_reason: str  # stop | length | tool_use
    input_tokens: int
    output_tokens: int
    cost_cents: float
    tool_call: ToolCall | None = None

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    def usage(self) -> dict[str, Any]:
        return {
            "inputTokens": self.input_tokens,
            "outputTokens": self.output_tokens,
            "totalTokens": self.total_tokens,
            "costCents": self.cost_cents,
        }


def blocks_of(content: Any) -> list[dict[str, Any]]:
    """Message content as a list of blocks (a plain string is one text block)."""
    return [{"text": content}] if isinstance(content, str) else list(content)


def count_tokens(text: str) -> int:
    return len(text.split())


def text_deltas(text: str) -> list[str]:
    """The reply cut into stream deltas, one word each with its leading whitespace."""
    return re.findall(r"\s*\S+", text) or [text]


def generate(prompt: ChatPrompt) -> ChatReply:
    digest = hashlib.sha256(json.dumps([prompt.model.id, prompt.system_prompt, prompt.messages]).encode()).hexdigest()
    last_user = next((m for m in reversed(prompt.messages) if m.get("role") == "user"), prompt.messages[-1])
    blocks = blocks_of(last_user["content"])
    user_text = " ".join(block["text"] for block in blocks if "text" in block)
    tool_results = [block["toolResult"] for block in blocks if "toolResult" in block]
    tool_call = None
    if tool_results:
        text = _tool_result_reply(prompt.model, digest, tool_results)
    elif prompt.tools:
        tool = prompt.tools[0]
        tool_call = ToolCall(f"tooluse_{digest[:24]}", tool.name, minimal_instance(tool.input_schema, user_text))
        text = f"Calling the {tool.name} tool."
    elif prompt.response_schema is not None:
        text = json.dumps(minimal_instance(prompt.response_schema, user_text))
    else:
        text = _text_reply(prompt.model, digest, user_text, blocks)
    text, finish_reason = _apply_limits(text, prompt.stop_sequences, prompt.max_tokens)
    if tool_call is not None:
        finish_reason = "tool_use"
    output_tokens = count_tokens(text) + (count_tokens(json.dumps(tool_call.input)) if tool_call else 0)
    input_tokens = max(1, _input_tokens(prompt))
    cost = (input_tokens * prompt.model.input_price + output_tokens * prompt.model.output_price) / 1_000_000 * 100
    return ChatReply(text, finish_reason, input_tokens, output_tokens, round(cost, 6), tool_call)


def _text_reply(model: ModelSpec, digest: str, user_text: str, blocks: list[dict[str, Any]]) -> str:
    words = user_text.split()
    echo = " ".join(words[:_ECHO_WORDS]) + (" ..." if len(words) > _ECHO_WORDS else "")
    media = [kind for block in blocks for kind in MEDIA_BLOCKS if kind in block]
    media_note = f" with {_count_phrase(media)}" if media else ""
    return f'Simulated {model.name} reply {digest[:8]}: you said "{echo}"{media_note}.'


def _tool_result_reply(model: ModelSpec, digest: str, results: list[dict[str, Any]]) -> str:
    parts = [json.dumps(item) if "text" not in item else item["text"] for r in results for item in r.get("content", [])]
    summary = " ".join(" ".join(parts).split()[:_ECHO_WORDS])
    return f'Simulated {model.name} reply {digest[:8]}: the tool returned "{summary}".'


def _count_phrase(kinds: list[str]) -> str:
    counts = {kind: kinds.count(kind) for kind in MEDIA_BLOCKS if kind in kinds}
    return " and ".join(f"{n} {kind}{'s' if n > 1 else ''}" for kind, n in counts.items())


def _apply_limits(text: str, stop_sequences: list[str], max_tokens: int | None) -> tuple[str, str]:
    """Cut the reply at the first stop sequence, then at `max_tokens` words (finish reason `length`)."""
    cuts = [text.find(stop) for stop in stop_sequences if stop and stop in text]
    if cuts:
        text = text[: min(cuts)]
    pieces = text_deltas(text)
    if max_tokens is not None and count_tokens(text) > max_tokens:
        return "".join(pieces[:max_tokens]), "length"
    return text, "stop"


def _input_tokens(prompt: ChatPrompt) -> int:
    total = count_tokens(prompt.system_prompt or "")
    for message in prompt.messages:
        for block in blocks_of(message["content"]):
            if "text" in block:
                total += count_tokens(block["text"])
            elif "toolResult" in block or "toolUse" in block:
                total += count_tokens(json.dumps(block))
            else:
                total += 1
    return total
