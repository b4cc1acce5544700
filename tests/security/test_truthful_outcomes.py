"""Outcomes that are true: concurrent chat_in_session calls on one session run one at a time, so
the stored transcript is what the model saw; a cancelled chat_in_session leaves the session
either untouched or with both turns. And the server's disk: file attachments over HTTP are off
unless their own setting turns them on, and refusals never say where a path resolves."""

from __future__ import annotations

import os
import sys
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp.server.mcpserver.exceptions import ToolError

from quant_mcp.simulator import Fault
from tests.conftest import text_of
from tests.security.conftest import as_alice, shared_service

MODEL = "amazon.nova-lite-v1:0"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def ok(result: Any) -> dict[str, Any]:
    assert not result.is_error, text_of(result)
    return result.structured_content


async def messages(client: Any, session_id: str) -> list[dict[str, Any]]:
    return ok(await client.call_tool("get_session", {"sessionId": session_id}))["messages"]


def streamed_requests(simulator: Any) -> list[Any]:
    return sorted((r for r in simulator.state.requests if r.path.endswith("/chat/stream")), key=lambda r: r.started_at)


@pytest.mark.anyio
async def test_concurrent_turns_on_one_session_each_see_the_ones_before(simulator, era) -> None:
    simulator.state.chunk_delay = 0.01  # each answer takes a while, so the calls overlap
    async with shared_service(simulator) as url, as_alice(url, era) as alice:
        session_id = ok(await alice.call_tool("create_session", {"userId": "alice"}))["sessionId"]
        async with anyio.create_task_group() as tg:
            for n in range(3):
                tg.start_soon(
                    alice.call_tool, "chat_in_session", {"sessionId": session_id, "message": f"turn {n}", "modelId": MODEL}
                )
        stored = await messages(alice, session_id)
    assert len(stored) == 6
    sent = [request.body["messages"] for request in streamed_requests(simulator)]
    assert [len(history) for history in sent] == [1, 3, 5], "each turn saw every turn stored before it"
    for history in sent:
        assert history == [{"role": m["role"], "content": m["content"]} for m in stored[: len(history)]]


@pytest.mark.anyio
async def test_a_cancelled_turn_leaves_the_session_untouched_or_with_both_turns(simulator) -> None:
    async with shared_service(simulator) as url, as_alice(url, "legacy") as alice:
        described = {tool.name: tool.description or "" for tool in (await alice.list_tools()).tools}["chat_in_session"]
        assert "neither turn or both" in described and "get_session" in described, "the agent is told how to tell which"
        session_id = ok(await alice.call_tool("create_session", {"userId": "alice"}))["sessionId"]

        async def cancel_when(path_end: str, method: str) -> None:
            async def call() -> None:
                await alice.call_tool("chat_in_session", {"sessionId": session_id, "message": "are you there?", "modelId": MODEL})

            async with anyio.create_task_group() as tg:
                tg.start_soon(call)
                with anyio.fail_after(10):
                    while not any(r.method == method and r.path.endswith(path_end) for r in simulator.state.requests):
                        await anyio.sleep(0.01)
                tg.cancel_scope.cancel()  # the client gives up: notifications/cancelled

        # Cancelled during the model's answer: nothing is appended.
        simulator.state.add_fault(Fault(mode="slow_stream", delay=0.3, path="/chat/stream$", count=1))
        await cancel_when("/chat/stream", "POST")
        await anyio.sleep(1.0)
        assert await messages(alice, session_id) == []
        assert not any(r.method == "PUT" for r in simulator.state.requests)

        # Cancelled while the turns are being appended: the append completes, both turns are there.
        simulator.state.add_fault(Fault(mode="latency", delay=1.0, method="PUT", path=f"/sessions/{session_id}$", count=1))
        await cancel_when(f"/sessions/{session_id}", "PUT")
        await anyio.sleep(1.5)
        stored = await messages(alice, session_id)
        assert [m["role"] for m in stored] == ["user", "assistant"]
        assert stored[0]["content"] == "are you there?" and stored[1]["content"]


# ----------------------------------------------------------------------------- the server's disk


def file_chat(path: str) -> dict[str, Any]:
    return {"modelId": MODEL, "messages": [{"role": "user", "content": [{"text": "look"}, {"file": {"path": path}}]}]}


@pytest.mark.anyio
async def test_http_clients_cannot_attach_the_servers_files_unless_enabled(simulator, era, tmp_path: Path) -> None:
    (tmp_path / "photo.png").write_bytes(PNG)
    async with shared_service(simulator, allowed_dirs=[str(tmp_path)]) as url, as_alice(url, era) as alice:
        refused = await alice.call_tool("chat", file_chat(str(tmp_path / "photo.png")))
    assert refused.is_error and "QUANT_HTTP_FILE_ATTACHMENTS" in text_of(refused)
    assert not any(r.path.endswith("/chat") for r in simulator.state.requests), "nothing was sent"
    async with (
        shared_service(simulator, allowed_dirs=[str(tmp_path)], http_file_attachments=True) as url,
        as_alice(url, era) as alice,
    ):
        ok(await alice.call_tool("chat", file_chat(str(tmp_path / "photo.png"))))


@pytest.mark.anyio
async def test_refusals_name_the_path_as_given_never_where_it_resolves(simulator, tmp_path: Path) -> None:
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    (allowed / "cwd").symlink_to("/proc/self/cwd", target_is_directory=True)
    (allowed / "python").symlink_to(sys.executable)
    (allowed / "stdout").symlink_to("/proc/self/fd/1")
    server_side = {os.path.realpath("/proc/self/cwd"), os.path.realpath(sys.executable), str(tmp_path.parent)}
    async with (
        shared_service(simulator, allowed_dirs=[str(allowed)], http_file_attachments=True) as url,
        as_alice(url) as alice,
    ):
        for given in (f"{allowed}/cwd/README.md", f"{allowed}/python", f"{allowed}/stdout", f"{allowed}/../../../etc/passwd"):
            result = await alice.call_tool("chat", file_chat(given))
            text = text_of(result)
            assert result.is_error and f"Refused to attach {given}" in text, text
            shown = text.replace(given, "").replace(str(allowed), "")
            assert not [place for place in server_side if place in shown], text


def test_a_path_that_changes_under_the_check_is_refused_cleanly(tmp_path: Path) -> None:
    """A link on the way flipped to a plain file and back, as fast as possible, while the check
    runs over and over: every outcome is the file opened or a refusal naming the path, never a
    crash (before: os.path.realpath raised OSError EINVAL when the link vanished mid-resolution)."""
    from quant_mcp.attachments import _open_inside

    allowed = tmp_path / "allowed"
    (allowed / "real").mkdir(parents=True)
    (allowed / "real" / "photo.png").write_bytes(PNG)
    flip = allowed / "flip"
    flip.symlink_to(allowed / "real", target_is_directory=True)
    stop = threading.Event()

    def swap() -> None:
        spare = allowed / "spare"
        while not stop.is_set():
            try:
                if flip.is_symlink():
                    spare.write_bytes(b"x")
                else:
                    spare.symlink_to(allowed / "real", target_is_directory=True)
                os.replace(spare, flip)
            except OSError:
                pass

    worker = threading.Thread(target=swap, daemon=True)
    worker.start()
    outcomes: Counter[str] = Counter()
    try:
        for _ in range(30_000):
            try:
                fd, _size = _open_inside(flip / "photo.png", [allowed], str(allowed))
            except ToolError as exc:
                assert str(exc).startswith(("Refused to attach", "Cannot attach")) and str(flip) in str(exc), exc
                outcomes["refused"] += 1
            else:
                os.close(fd)
                outcomes["opened"] += 1
    finally:
        stop.set()
        worker.join()
    assert outcomes["refused"] and outcomes["opened"], outcomes
