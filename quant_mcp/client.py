"""QuantClient: the one way quant-mcp talks to the Quant AI API.

One shared ``httpx2.AsyncClient`` (connection pooling), bearer auth, timeouts, retries for
idempotent requests only (honouring ``Retry-After``), SSE streaming (httpx2's own parser, each
event bounded in size), and
every failure raised as one of the types in :mod:`quant_mcp.errors`, whose message says what
happened and what to do about it. The token is attached per request and never appears in a
message, a log line or an exception.
"""

from __future__ import annotations

import email.utils
import http.cookiejar
import json
import logging
import random
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import anyio
import httpx2  # the next httpx (same API, also the MCP SDK's), chosen by measurement: tests/benchmarks
from httpx2 import EventSource, ServerSentEvent, SSEError

from quant_mcp import __version__
from quant_mcp.config import Settings
from quant_mcp.errors import (
    NotSent,
    QuantAPIError,
    UpstreamDecodeError,
    UpstreamStatusError,
    UpstreamTimeout,
    UpstreamTransportError,
)
from quant_mcp.observability import UpstreamClient, upstream_hooks

log = logging.getLogger("quant_mcp.client")

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE"})


def _retry_after_seconds(value: str | None) -> float | None:
    """Parse Retry-After: delta-seconds or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


@dataclass(frozen=True)
class StreamedBody:
    """A JSON request body written piece by piece, so that a large one (attachments) is never
    held whole in memory. ``chunks()`` starts a fresh pass and yields exactly ``length`` bytes;
    the length is sent as Content-Length (no chunked encoding, which some gateways refuse)."""

    length: int
    chunks: Callable[[], AsyncIterator[bytes]]


def _content(body: Any) -> tuple[dict[str, str], Any]:
    """Headers and content for a request body: None, a JSON value, or a :class:`StreamedBody`."""
    if body is None:
        return {}, None
    if isinstance(body, StreamedBody):
        return {"Content-Type": "application/json", "Content-Length": str(body.length)}, body.chunks()
    return {"Content-Type": "application/json"}, _encode(body)


class QuantClient:
    """Async client for the Quant AI API.

    ``token`` arguments override the configured token for one request (multi-tenant HTTP
    mode); the base URL always comes from configuration.
    """

    def __init__(self, settings: Settings, *, transport: httpx2.AsyncBaseTransport | None = None) -> None:
        self.settings = settings
        self._transport = transport

    @cached_property
    def _http(self) -> httpx2.AsyncClient:
        """Made on first use: its TLS context costs ~50 ms of CPU, which a session that only
        lists tools (or a cold start) should not pay."""
        return UpstreamClient(
            self.settings.api_routes,  # spans of upstream requests, when tracing (observability.py)
            base_url=self.settings.api_base_url,
            timeout=httpx2.Timeout(self.settings.timeout, connect=self.settings.connect_timeout),
            headers={"Accept": "application/json", "User-Agent": f"quant-mcp/{__version__}"},
            transport=self._transport,
            follow_redirects=False,  # a redirect must never carry the bearer token elsewhere
            event_hooks=upstream_hooks(self.settings.api_routes),  # request id upstream, metrics (observability.py)
            cookies=_NoCookies(),  # one client serves every tenant: nothing upstream-stateful is kept
        )

    async def aclose(self) -> None:
        if "_http" in self.__dict__:
            await self._http.aclose()

    def _auth(self, token: str | None) -> dict[str, str]:
        token = token or self.settings.token_value()
        if not token:
            raise NotSent("No Quant API token is configured: set QUANT_API_TOKEN (or, over HTTP, send X-Quant-Token).")
        if token != token.strip() or not (token.isascii() and token.isprintable()):
            # httpx would refuse the header with an error quoting it (a trailing newline from a
            # secret file leaked the token into the tool error), or crash on non-ASCII.
            raise NotSent(
                "The Quant API token has surrounding whitespace or a line break, control or non-ASCII character, so it "
                "cannot be sent: check QUANT_API_TOKEN (or X-Quant-Token). Nothing was sent to the Quant API."
            )
        return {"Authorization": f"Bearer {token}"}

    def _unreachable(self, method: str, path: str, exc: Exception) -> str:
        """No connection at all: name the URL tried and the settings that choose it."""
        return (
            f"Could not connect to the Quant API at {self.settings.api_base_url} for {method} {path}: {_network_reason(exc)}. "
            "Check QUANT_BASE_URL (or QUANT_PLATFORM) and that this machine can reach that address."
        )

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        token: str | None = None,
        idempotent: bool | None = None,
        timeout: float | None = None,
    ) -> Any:
        """Send one request and return the decoded JSON body (None when there is none).

        A request that is safe to repeat (``idempotent``; by default GET, PUT and DELETE) is
        retried on 429/5xx and broken connections within ``settings.max_retries``. Any other
        request is retried only when the connection never opened, so nothing is ever
        created or appended twice. ``timeout`` replaces QUANT_TIMEOUT for a call known to be slow.
        """
        limit = timeout or self.settings.timeout
        timeouts = httpx2.Timeout(limit, connect=self.settings.connect_timeout, pool=self.settings.timeout)
        repeatable = method in IDEMPOTENT_METHODS if idempotent is None else idempotent
        auth = self._auth(token)
        attempt = 0
        while True:
            body_headers, content = _content(body)  # afresh per attempt: a streamed body is read once
            try:
                response = await self._http.request(
                    method, path, params=params, content=content, headers=auth | body_headers, timeout=timeouts
                )
                if response.is_success:
                    return _decode_json(method, path, response)
                error: QuantAPIError = UpstreamStatusError.from_response(
                    method,
                    path,
                    response.status_code,
                    response.content,
                    _retry_after_seconds(response.headers.get("Retry-After")),
                )
            except httpx2.ConnectError as exc:
                error = UpstreamTransportError(self._unreachable(method, path, exc), never_sent=True)
            except httpx2.PoolTimeout:
                raise _busy(method, path) from None
            except httpx2.TimeoutException:
                raise UpstreamTimeout(
                    f"The Quant API did not answer {method} {path} within {limit:g} s "
                    + ("(QUANT_STREAM_TIMEOUT)." if timeout else "(QUANT_TIMEOUT).")
                ) from None
            except httpx2.InvalidURL as exc:  # e.g. a query too long for a URL: nothing was sent
                raise NotSent(f"The request could not be sent: {exc}. Use shorter arguments.") from None
            except httpx2.TransportError as exc:
                error = UpstreamTransportError(
                    f"The connection to the Quant API broke during {method} {path}: {_network_reason(exc)}"
                )
            never_sent = isinstance(error, UpstreamTransportError) and error.never_sent
            if not (error.retryable and (repeatable or never_sent) and attempt < self.settings.max_retries):
                raise error
            wait = error.retry_after if isinstance(error, UpstreamStatusError) else None
            if wait is not None and wait > self.settings.retry_max_wait:
                raise UpstreamStatusError(
                    f"{error} Retry after {wait:.0f} s.", status=error.status or 0, detail=error.detail, retry_after=wait
                )
            attempt += 1
            await anyio.sleep(wait if wait is not None else _backoff(attempt))
            log.info("retrying %s %s (attempt %d)", method, path, attempt + 1)

    @asynccontextmanager
    async def stream_events(
        self, method: str, path: str, *, body: Any, token: str | None = None, read_timeout: float | None = None
    ) -> AsyncIterator[AsyncIterator[ServerSentEvent]]:
        """Open an SSE stream and yield its events as they arrive.

        Leaving the ``async with`` block (normally, by error or by cancellation) closes the
        upstream connection at once. Streams are never retried: a POST may have started work.
        ``read_timeout`` (default QUANT_TIMEOUT) bounds each wait for data once the stream is open;
        a caller that watches silences itself (the relay) passes a longer one.
        """
        body_headers, content = _content(body)
        headers = self._auth(token) | {"Accept": "text/event-stream"} | body_headers
        timeout = httpx2.Timeout(
            self.settings.stream_timeout,
            connect=self.settings.connect_timeout,
            read=read_timeout if read_timeout is not None else self.settings.timeout,
            pool=self.settings.timeout,  # waiting for a free connection is this server's queue, not the answer
        )
        request = self._http.build_request(method, path, content=content, headers=headers, timeout=timeout)
        try:
            response = await self._http.send(request, stream=True)
        except httpx2.PoolTimeout:
            raise _busy(method, path) from None
        except httpx2.TimeoutException:
            raise UpstreamTimeout(f"The Quant API did not answer {method} {path} within {self.settings.timeout:g} s.") from None
        except httpx2.ConnectError as exc:
            raise UpstreamTransportError(self._unreachable(method, path, exc), never_sent=True) from None
        except httpx2.TransportError as exc:
            raise UpstreamTransportError(f"Could not reach the Quant API for {method} {path}: {_network_reason(exc)}") from None
        try:
            if not response.is_success:
                body = await response.aread()
                raise UpstreamStatusError.from_response(method, path, response.status_code, body)
            content_type = response.headers.get("content-type", "")
            if "text/event-stream" not in content_type:
                body = await response.aread()
                raise UpstreamDecodeError(
                    f"Quant API answered {method} {path} with {content_type or 'no content type'} instead of an event stream: {body[:200]!r}",
                    status=response.status_code,
                )
            yield _events(EventSource(response), method, path)
        finally:
            await response.aclose()


async def _events(source: EventSource, method: str, path: str) -> AsyncIterator[ServerSentEvent]:
    try:
        async for event in source:
            yield event
    except httpx2.TimeoutException:
        raise UpstreamTimeout(f"The Quant API stream for {method} {path} stalled (no data within the read timeout).") from None
    except (httpx2.TransportError, SSEError) as exc:
        raise UpstreamTransportError(f"The Quant API stream for {method} {path} broke off: {_network_reason(exc)}") from None


class _NoCookies(http.cookiejar.CookieJar):
    """A cookie jar that keeps nothing: a cookie the Quant API (or a gateway in front of it) sets
    on one tenant's answer must never ride along with another tenant's request."""

    def extract_cookies(self, response: Any, request: Any) -> None:
        return None

    def set_cookie(self, cookie: http.cookiejar.Cookie) -> None:
        return None


def _busy(method: str, path: str) -> NotSent:
    """All of this server's connections to the Quant API are taken: a local queue, not the API's fault."""
    return NotSent(
        f"This server is busy: all its connections to the Quant API were in use for the whole wait, so {method} {path} "
        "was not sent. The Quant API was not asked; retry in a few seconds."
    )


def _encode(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def _decode_json(method: str, path: str, response: httpx2.Response) -> Any:
    if not response.content.strip():
        return None
    try:
        return response.json()
    except ValueError:
        raise UpstreamDecodeError(
            f"Quant API answered {method} {path} with {response.status_code} but the body is not valid JSON.",
            status=response.status_code,
        ) from None


def _network_reason(exc: Exception) -> str:
    """Describe a network failure without echoing request headers: a LocalProtocolError (our
    own request was malformed) may quote one, the Authorization header included."""
    if isinstance(exc, httpx2.LocalProtocolError) or not str(exc):
        return type(exc).__name__
    return f"{type(exc).__name__} ({exc})"


def _backoff(attempt: int) -> float:
    return min(2.0, 0.1 * 2 ** (attempt - 1)) * (0.5 + random.random() / 2)
