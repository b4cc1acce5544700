"""QuantClient on the wire (httpx2), read off a raw TCP server on loopback: a streamed body goes
with its exact Content-Length and no chunked encoding; a connection cut before any answer is
retried for a GET and not for a POST; an SSE stream is parsed, and one event larger than the
bound is a transport error that names no secret."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import anyio
import pytest
from anyio.abc import SocketStream

from quant_mcp.client import QuantClient, StreamedBody
from quant_mcp.config import Settings
from quant_mcp.errors import UpstreamTransportError

pytestmark = pytest.mark.anyio

TOKEN = "qc_wire-secret-7f3a"
Handler = Callable[[bytes, bytes, SocketStream], Awaitable[None]]


async def _read_request(stream: SocketStream) -> tuple[bytes, bytes]:
    """The request head and its body (by Content-Length)."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += await stream.receive()
    head, _, body = data.partition(b"\r\n\r\n")
    length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")), 0)
    while len(body) < length:
        body += await stream.receive()
    return head, body


@asynccontextmanager
async def raw_server(handler: Handler) -> AsyncIterator[tuple[str, list[bytes]]]:
    """A one-connection-at-a-time HTTP/1.1 server; yields its base URL and every request head seen."""
    heads: list[bytes] = []
    listener = await anyio.create_tcp_listener(local_host="127.0.0.1")
    port = listener.extra(anyio.abc.SocketAttribute.local_port)

    async def serve(stream: SocketStream) -> None:
        async with stream:
            try:
                while True:
                    head, body = await _read_request(stream)
                    heads.append(head)
                    await handler(head, body, stream)
            except (anyio.EndOfStream, anyio.BrokenResourceError, anyio.ClosedResourceError):
                pass

    async with anyio.create_task_group() as tg:
        tg.start_soon(listener.serve, serve)
        yield f"http://127.0.0.1:{port}", heads
        tg.cancel_scope.cancel()


def _client(base_url: str) -> QuantClient:
    return QuantClient(Settings(_env_file=None, base_url=base_url, api_token=TOKEN, max_retries=2, retry_max_wait=1.0))


def _json(body: bytes) -> bytes:
    return b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)


async def test_a_streamed_body_is_sent_whole_with_its_exact_length_and_no_chunking() -> None:
    pieces = [b'{"a":"', b"x" * 70_000, b'"}']
    received: list[bytes] = []

    async def echo(head: bytes, body: bytes, stream: SocketStream) -> None:
        received.append(body)
        await stream.send(_json(b'{"ok":true}'))

    async def chunks() -> AsyncIterator[bytes]:
        for piece in pieces:
            yield piece

    async with raw_server(echo) as (url, heads):
        client = _client(url)
        try:
            body = StreamedBody(length=sum(map(len, pieces)), chunks=chunks)
            assert await client.request("POST", "/x", body=body) == {"ok": True}
        finally:
            await client.aclose()
    head = heads[0].lower()
    assert b"content-length: %d" % body.length in head
    assert b"transfer-encoding" not in head
    assert received == [b"".join(pieces)]
    assert b"authorization: bearer " + TOKEN.lower().encode() in head


async def test_a_cut_connection_is_retried_for_a_get_and_never_for_a_post() -> None:
    async def cut_once(head: bytes, body: bytes, stream: SocketStream) -> None:
        if len(heads) == 1:
            await stream.aclose()  # no answer at all: the request may or may not have been acted on
        else:
            await stream.send(_json(b"[1]"))

    async with raw_server(cut_once) as (url, heads):
        client = _client(url)
        try:
            assert await client.request("GET", "/models") == [1]
            assert len(heads) == 2
            heads.clear()
            with pytest.raises(UpstreamTransportError) as caught:
                await client.request("POST", "/chat", body={"q": 1})
            assert len(heads) == 1
        finally:
            await client.aclose()
    assert TOKEN not in str(caught.value)


async def test_sse_events_arrive_and_an_oversized_event_is_a_transport_error() -> None:
    async def events(head: bytes, body: bytes, stream: SocketStream) -> None:
        await stream.send(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n")
        for event in (b'data: {"n":1}\n\n', b"event: done\ndata: 2\n\n", b"data: " + b"y" * (2 << 20) + b"\n\n"):
            await stream.send(b"%x\r\n%s\r\n" % (len(event), event))
        await stream.send(b"0\r\n\r\n")

    async with raw_server(events) as (url, _):
        client = _client(url)
        seen = []
        try:
            with pytest.raises(UpstreamTransportError) as caught:
                async with client.stream_events("POST", "/chat/stream", body={"q": 1}) as stream:
                    async for event in stream:
                        seen.append((event.event, event.data))
        finally:
            await client.aclose()
    assert seen == [("message", '{"n":1}'), ("done", "2")]
    assert "broke off" in str(caught.value) and TOKEN not in str(caught.value)
