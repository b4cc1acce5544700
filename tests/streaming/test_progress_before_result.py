"""The last progress notification of a streamed call reaches the client in a read of its own,
before the result.

The official TypeScript SDK client (what most desktop hosts are built on) handles a progress
notification a tick after reading it but a result at once, so a notification read together
with its call's result is dropped as "unknown token" (typescript-sdk issue #2580). Here the
simulator sends the whole answer at once, so the last delta and the end of the stream are
ready together: the worst case. Read as raw JSON-RPC lines from a ``serve`` subprocess.
"""

from __future__ import annotations

import json
import os
import sys
import time

import anyio
import pytest

from tests.conftest import MODEL

pytestmark = pytest.mark.anyio


async def test_the_result_follows_the_last_progress_notification_after_a_pause():
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUANT_")}
    async with await anyio.open_process([sys.executable, "-m", "quant_mcp", "serve", "--simulate"], env=env) as process:
        lines = _lines(process.stdout)

        async def send(message: dict) -> None:
            await process.stdin.send((json.dumps(message) + "\n").encode())

        await send(
            {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "initialize",
                "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
            }
        )
        assert (await anext(lines))[1]["id"] == 1
        await send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        arguments = {"modelId": MODEL, "messages": [{"role": "user", "content": "Count to five, please."}]}
        for call in range(2, 5):
            await send(
                {
                    "jsonrpc": "2.0",
                    "id": call,
                    "method": "tools/call",
                    "params": {"name": "chat_stream", "arguments": arguments, "_meta": {"progressToken": f"p{call}"}},
                }
            )
            progress: list[float] = []
            with anyio.fail_after(30):
                async for arrived, message in lines:
                    if message.get("method") == "notifications/progress":
                        assert message["params"]["progressToken"] == f"p{call}"
                        progress.append(arrived)
                    elif message.get("id") == call:
                        result = arrived
                        break
            assert len(progress) > 3 and not message["result"].get("isError")
            # 10 ms was enough for the TypeScript client over 100 calls (0 lost, against 7 with no pause).
            assert result - progress[-1] >= 0.04, f"the result followed the last progress after {result - progress[-1]:.4f} s"
        await process.stdin.aclose()


async def _lines(stream):  # type: ignore[no-untyped-def]
    """(arrival time, message) for each JSON-RPC line on ``stream``."""
    buffer = b""
    async for chunk in stream:
        arrived = time.monotonic()
        buffer += chunk
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            if line.strip():
                yield arrived, json.loads(line)
