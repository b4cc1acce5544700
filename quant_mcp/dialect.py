"""Reading what the live Quant AI service sends: chat answers, chat streams, validation errors.

The generated API reference describes one shape per answer; Quant's own applications show the
live service sending richer and looser ones (``shared/quant-ai-api/LIVE-DIALECT.md``). This
module reads both, and nothing else: it is pure (no I/O, no MCP, no other quant_mcp module), so
every shape is tested on its own in ``tests/dialect``.

* :func:`read_chat` — a buffered chat answer: ``response.content`` as a string or content blocks
  (flattened into the text; ``toolUse`` blocks kept), ``response.toolUse`` as one call or a list,
  Bedrock's ``stopReason`` kept and a normalised ``finishReason`` beside it.
* :class:`StreamReader` — a chat stream, one SSE event at a time: text deltas to relay, progress
  lines for server-side tools, each tool call once per ``toolUseId``, the summary's whole text
  never appended to the deltas, unreadable frames skipped and counted, the three forms of
  ``done``; :meth:`StreamReader.result` assembles the answer.
* :func:`field_messages` — a Laravel 422 body ``{message, errors: {field: [messages]}}`` as one
  line an agent can act on.

Anything not understood passes through untouched: a richer answer is never a failure here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

# Bedrock's stop reasons (and the spec's finish reasons) -> the normalised finish reason.
FINISH_REASONS = {
    "end_turn": "stop",
    "stop": "stop",
    "stop_sequence": "stop",
    "complete": "stop",
    "tool_use": "tool_use",
    "tool_calls": "tool_use",
    "tool_request": "tool_request",
    "max_tokens": "length",
    "length": "length",
    "model_context_window_exceeded": "length",
    "content_filter": "content_filter",
    "content_filtered": "content_filter",
    "guardrail_intervened": "content_filter",
}
FINISH_HELP = (
    "stop (end of turn) | tool_use (the model asks you to call a tool) | tool_request (the service waits "
    "for a client-side tool) | length (cut at maxTokens) | content_filter"
)


def finish_reason(stop_reason: Any, *, has_tool_use: bool = False) -> str:
    """The normalised finish reason for an upstream stop/finish reason (any spelling)."""
    if isinstance(stop_reason, str):
        value = stop_reason.strip()
        value = value.lower() if value.isupper() else value  # END_TURN
        key = "".join(f"_{c.lower()}" if c.isupper() else c for c in value).lstrip("_").replace("-", "_")
        if key in FINISH_REASONS:
            return FINISH_REASONS[key]
    return "tool_use" if has_tool_use else "stop"


def stop_reason_of(data: Mapping[str, Any]) -> str | None:
    """The upstream's own stop reason: stopReason / stop_reason / finishReason / finish_reason,
    top-level or under ``response``."""
    response = data.get("response")
    for where in (data, response if isinstance(response, Mapping) else {}):
        for key in ("stopReason", "stop_reason", "finishReason", "finish_reason"):
            if isinstance(where.get(key), str) and where[key]:
                return str(where[key])
    return None


def text_of(content: Any) -> str:
    """The text of message content: a string, one block, or a list of blocks (``{text}``,
    ``{type: "text", text}``, bare strings); other blocks carry no text."""
    if isinstance(content, str):
        return content
    if isinstance(content, Mapping):
        text = content.get("text")
        return text if isinstance(text, str) and content.get("type", "text") == "text" else ""
    if isinstance(content, list):
        return "".join(text_of(block) for block in content)
    return ""


def tool_uses_of(*sources: Any) -> list[dict[str, Any]]:
    """Tool calls from any of: a ``toolUse`` object or list, content blocks ``{toolUse: {...}}`` or
    ``{type: "tool_use", id, name, input}``; each once per toolUseId, in order of appearance."""
    calls = ToolCalls()
    for source in sources:
        for item in source if isinstance(source, list) else [source]:
            if isinstance(item, Mapping):
                calls.take(item.get("toolUse") if isinstance(item.get("toolUse"), Mapping) else item)
    return calls.all()


def _tool_call(item: Mapping[str, Any]) -> dict[str, Any] | None:
    """One tool call read from a frame or block, or None when it names neither an id nor a tool."""
    if item.get("type") not in (None, "tool_use", "toolUse"):
        return None
    use_id = item.get("toolUseId") or item.get("tool_use_id") or (item.get("id") if item.get("type") else None)
    name = item.get("name") or item.get("toolName")
    if not isinstance(use_id, str | type(None)) or not isinstance(name, str | type(None)) or not (use_id or name):
        return None
    if "input" not in item and not use_id:
        return None  # e.g. a server-side tool event {name}: not a call to report
    call: dict[str, Any] = {}
    if use_id:
        call["toolUseId"] = use_id
    if name:
        call["name"] = name
    if "input" in item:
        value = item["input"]
        if isinstance(value, str):  # some frames carry the input as JSON text
            try:
                value = json.loads(value)
            except ValueError:
                pass
        call["input"] = value
    return call


class ToolCalls:
    """Tool calls as they arrive across frames, merged by toolUseId (announce, then input, then
    the summary's copy): each call is reported once."""

    def __init__(self) -> None:
        self._calls: dict[str, dict[str, Any]] = {}

    def take(self, item: Any) -> dict[str, Any] | None:
        """Merge one frame's call; the call when this frame first completed it (has input), else None."""
        if not isinstance(item, Mapping):
            return None
        call = _tool_call(item)
        if call is None:
            return None
        use_id, name = call.get("toolUseId"), call.get("name")
        nameless = next((k for k, c in self._calls.items() if "toolUseId" not in c and c.get("name") == name), None)
        if not use_id and name and any(c.get("name") == name for c in self._calls.values()):
            return None  # e.g. a tool_request {name} for a call already reported with its id
        if use_id and use_id not in self._calls and nameless is not None:
            self._calls[use_id] = self._calls.pop(nameless)  # the id arrives after a frame that had none
        key = use_id or "name:" + json.dumps([name, call.get("input")], sort_keys=True, default=str)
        known = self._calls.get(key)
        if known is None:
            self._calls[key] = call
            return call if "input" in call else None
        had_input = "input" in known
        known.update({k: v for k, v in call.items() if v is not None and (k != "input" or not had_input)})
        return known if not had_input and "input" in known else None

    def all(self) -> list[dict[str, Any]]:
        return [{**call, "input": call.get("input", {})} for call in self._calls.values()]


def as_tool_use(calls: list[dict[str, Any]]) -> dict[str, Any] | list[dict[str, Any]] | None:
    """``response.toolUse`` as results carry it: one call as an object, several as a list."""
    if not calls:
        return None
    return calls[0] if len(calls) == 1 else calls


# ----------------------------------------------------------------------------- buffered chat


def read_chat(data: Any) -> Any:
    """A buffered chat answer in one shape: ``response`` {role, content: text, toolUse?},
    ``stopReason`` as sent, ``finishReason`` normalised, ``model`` (or ``modelId``), the rest
    passed through. Anything that is not an object is returned as it came."""
    if not isinstance(data, Mapping):
        return data
    answer = dict(data)
    response = answer.get("response")
    if isinstance(response, str | list):
        response = {"role": "assistant", "content": response}
    if not isinstance(response, Mapping):
        return answer
    content = response.get("content")
    blocks = content if isinstance(content, list) else []
    calls = tool_uses_of(response.get("toolUse") or [], answer.get("toolUse") or [], blocks)
    message = {key: value for key, value in response.items() if key not in ("content", "toolUse")}
    message.setdefault("role", "assistant")
    message["content"] = text_of(content)
    if calls:
        message["toolUse"] = as_tool_use(calls)
    answer["response"] = message
    answer.pop("toolUse", None)
    stop = stop_reason_of(data)
    if stop is not None:
        answer["stopReason"] = stop
    answer["finishReason"] = finish_reason(stop, has_tool_use=bool(calls))
    if "model" not in answer and isinstance(answer.get("modelId"), str):
        answer["model"] = answer["modelId"]
    return answer


# ----------------------------------------------------------------------------- streams


class StreamError(Exception):
    """The stream cannot give an answer: it reported an error, or nothing readable came."""

    def __init__(self, reason: str, partial_text: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.partial_text = partial_text


@dataclass(frozen=True)
class Step:
    """Something to tell the agent while the stream runs: new text, or a progress line."""

    kind: Literal["text", "progress"]
    message: str


@dataclass
class StreamReader:
    """One chat stream, fed an SSE event at a time with :meth:`feed`; :attr:`finished` once it
    ended (``done``, ``complete: true``); :meth:`result` assembles the answer."""

    parts: list[str] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)
    summary: dict[str, Any] | None = None
    final: dict[str, Any] | None = None
    server_tools: list[dict[str, Any]] = field(default_factory=list)
    running_tools: dict[str, int] = field(default_factory=dict)
    status: str | None = None
    readable: int = 0
    skipped: int = 0
    finished: bool = False
    _calls: ToolCalls = field(default_factory=ToolCalls)
    _stop: str | None = None
    _usage: Any = None

    @property
    def text(self) -> str:
        return "".join(self.parts)

    @property
    def tools_running(self) -> bool:
        """True while a server-side tool has started and not completed (long silences are normal)."""
        return any(self.running_tools.values())

    def feed(self, event: str, raw: str) -> list[Step]:
        """Read one event (its name and its data); what to tell the agent about it."""
        if raw.strip() in ("", "[DONE]"):
            return []
        try:
            data = json.loads(raw)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            self.skipped += 1
            return []
        self.readable += 1
        event = event or "message"
        if event == "error" or (event != "done" and isinstance(data.get("error"), str) and "delta" not in data):
            error = data.get("error") or data.get("message") or data
            raise StreamError(f"the API reported an error: {error}", self.text)
        steps: list[Step] = []
        for key in ("requestId", "model", "modelId", "sessionId"):
            if isinstance(data.get(key), str) and data[key]:
                self.info.setdefault("model" if key == "modelId" else key, data[key])
        delta = data.get("delta")
        if isinstance(delta, str) and delta:
            self.parts.append(delta)
            steps.append(Step("text", delta))
        steps += self._server_tool(event, data)
        steps += self._tool_calls(event, data)
        if isinstance(data.get("usage"), dict):
            self._usage = data["usage"]
        stop = stop_reason_of(data)
        if stop is not None:
            self._stop = stop
        if isinstance(data.get("response"), dict) or (stop is not None and event != "done"):
            self.summary = data
        if event == "done" or data.get("complete") is True:
            self.final = data
            self.finished = True
        return steps

    def _server_tool(self, event: str, data: dict[str, Any]) -> list[Step]:
        name = data.get("name") if isinstance(data.get("name"), str) else "tool"
        if event == "tool_start":
            self.running_tools[name] = self.running_tools.get(name, 0) + 1
            return [Step("progress", f"[running server-side tool {name}]")]
        if event == "tool_input_progress":
            return [Step("progress", f"[preparing server-side tool {name}]")] if name not in self.running_tools else []
        if event == "tool_complete":
            if self.running_tools.get(name):
                self.running_tools[name] -= 1
            self.server_tools.append({"name": name, "result": data.get("result")})
            shown = json.dumps(data.get("result"), default=str)
            return [Step("progress", f"[server-side tool {name} finished: {shown[:500]}]")]
        if event == "orchestration_status" and isinstance(data.get("message"), str):
            self.status = data["message"]
            return [Step("progress", f"[{data['message']}]")]
        return []

    def _tool_calls(self, event: str, data: dict[str, Any]) -> list[Step]:
        frames: list[Any] = []
        if event not in ("tool_start", "tool_input_progress", "tool_complete") and ("toolUseId" in data or "input" in data):
            frames.append(data)  # an announce {toolUseId, name} or an inline input {toolUseId, name, input}
        elif event == "tool_request" and isinstance(data.get("name"), str):
            frames.append({**data, "input": data.get("input", {})})
        for source in (
            data.get("toolUse"),
            (data.get("response") or {}).get("toolUse") if isinstance(data.get("response"), dict) else None,
        ):
            frames += source if isinstance(source, list) else [source] if source else []
        steps = []
        for frame in frames:
            done = self._calls.take(frame)
            if done is not None:
                steps.append(Step("progress", f"[the model asks for tool {done.get('name')} ({done.get('toolUseId', 'no id')})]"))
        return steps

    def result(self) -> dict[str, Any]:
        """The assembled answer (call after the stream ended); :class:`StreamError` when it
        cannot be one: nothing readable came, or the stream stopped before any end."""
        if self.readable == 0:
            frames = f" ({self.skipped} frame(s) could not be read)" if self.skipped else ""
            raise StreamError(f"no readable event arrived{frames}")
        ended = self.finished or self.summary is not None
        if not ended and not self.skipped:
            raise StreamError("the stream ended before its final `done` event (truncated)", self.text)
        final = self.final or self.summary or {}
        summary = self.summary or {}
        response = summary.get("response") if isinstance(summary.get("response"), dict) else {}
        text = self.text or text_of(response.get("content"))  # the summary repeats the deltas' text
        calls = self._calls.all()
        message: dict[str, Any] = {"role": "assistant", "content": text}
        if calls:
            message["toolUse"] = as_tool_use(calls)
        complete = final.get("complete") if isinstance(final.get("complete"), bool) else ended
        result: dict[str, Any] = {
            **self.info,
            "response": message,
            "finishReason": finish_reason(self._stop, has_tool_use=bool(calls)),
            "stopReason": self._stop,
            "complete": complete,
            "chunks": len(self.parts),
        }
        if self._usage is not None:
            result["usage"] = self._usage
        if isinstance(final.get("orchestration"), dict):
            result["orchestration"] = final["orchestration"]
        if self.server_tools:
            result["serverTools"] = self.server_tools
        if self.status:
            result["status"] = self.status
        if self.skipped:
            result["skippedFrames"] = self.skipped
            if not ended:
                result["warning"] = (
                    f"The stream ended without its final event; {self.skipped} frame(s) could not be read "
                    "and were skipped (the end may have been among them)."
                )
        return result


# ----------------------------------------------------------------------------- validation errors


def field_messages(body: Any) -> str:
    """A Laravel validation body ``{message, errors: {field: [messages]}}`` as one line:
    ``field: message; message | other: message``; "" when the body has no field errors."""
    if isinstance(body, bytes | str):
        try:
            body = json.loads(body)
        except ValueError:
            return ""
    errors = body.get("errors") if isinstance(body, Mapping) else None
    if not isinstance(errors, Mapping) or not errors:
        return ""
    lines = []
    for name, messages in errors.items():
        said = messages if isinstance(messages, list) else [messages]
        lines.append(f"{name}: " + "; ".join(str(m) for m in said))
    return " | ".join(lines)[:1000]
