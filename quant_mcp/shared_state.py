"""What several replicas share, through Redis (``QUANT_REDIS_URL``); one process alone needs nothing.

One :class:`SharedState` per server holds:

* **Change notifications.** The server's subscription bus (the SDK's ``SubscriptionBus`` seam,
  ``subscriptions.TenantBus``) hands each event to :meth:`SharedState.publish_event`, and the
  other replicas deliver it to their 2026 ``subscriptions/listen`` streams of the same tenant
  (:meth:`SharedState.on_event`). The 2025 subscription registry rides the same channel
  (:meth:`SharedState.announce_2025`), so a ``resources/updated`` caused through replica B
  reaches a session held by replica A. Events are delivered locally at once and published for
  the others, which skip their own; like the SDK's bus, delivery is fire-and-forget with no
  replay (clients re-read).
* **Per-session state** (:meth:`SharedState.get` / :meth:`SharedState.put`): small JSON values
  under a key, such as a session's dynamic toolset choices, expiring after a day unused.
* **Per-key ordering** (:meth:`SharedState.ordered`): one holder at a time across replicas,
  e.g. ``chat_in_session`` per Quant session, so two turns never interleave their history.
* **Limit counters** (:meth:`SharedState.take`, :meth:`SharedState.pause`): token buckets
  and pauses that hold across replicas.

When Redis goes away, everything keeps working on this replica alone: a warning is logged,
``quant_mcp_redis_up`` drops to 0 and ``quant_mcp_redis_fallbacks_total`` counts what was
done locally. A background task reconnects with backoff and everything returns to Redis by
itself. Nothing here ever waits on a dead Redis for long: operations are bounded by a short
socket timeout, and while Redis is known to be down they go straight to the local path.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import anyio
from mcp.server.subscriptions import (
    PromptsListChanged,
    ResourcesListChanged,
    ResourceUpdated,
    ServerEvent,
    ToolsListChanged,
)

from quant_mcp.config import Settings
from quant_mcp.observability import REDIS_FALLBACKS, REDIS_UP

log = logging.getLogger("quant_mcp.shared_state")

SOCKET_SECONDS = 1.0  # a Redis that does not answer within this is treated as gone
RECONNECT_MAX_SECONDS = 5.0
SESSION_TTL_SECONDS = 86_400
LOCK_POLL_SECONDS = 0.02

Tenant = tuple[str | None, str | None]
"""A 2025 audience on the wire: organisation and the hex SHA-256 of the Quant token (never the token)."""

_EVENT_KINDS: dict[str, type[ServerEvent]] = {
    "tools": ToolsListChanged,
    "prompts": PromptsListChanged,
    "resources": ResourcesListChanged,
    "resource": ResourceUpdated,
}


def _encode_event(event: ServerEvent) -> dict[str, Any]:
    kind = next(name for name, cls in _EVENT_KINDS.items() if isinstance(event, cls))
    return {"kind": kind, "uri": getattr(event, "uri", None)}


def _decode_event(data: dict[str, Any]) -> ServerEvent | None:
    cls = _EVENT_KINDS.get(data.get("kind", ""))
    if cls is None:
        return None
    return cls(uri=data["uri"]) if cls is ResourceUpdated else cls()


class Busy(Exception):
    """:meth:`SharedState.ordered` found no turn within its wait."""


class _KeyedLocks:
    """One anyio.Lock per key while anyone holds or waits for it (then forgotten)."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[anyio.Lock, int]] = {}

    @asynccontextmanager
    async def held(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (None, 0))
        lock = lock or anyio.Lock()
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


class SharedState:
    """Replica-shared state over Redis, with a local fallback (see the module docstring)."""

    def __init__(self, settings: Settings) -> None:
        self.url = settings.redis_url.get_secret_value() if settings.redis_url else None
        self.prefix = settings.redis_prefix
        self.replica = uuid.uuid4().hex[:12]
        self.up = False
        self._redis: Any = None  # redis.asyncio.Redis while running
        self._on_2025: list[Callable[[Tenant, str | None], Any]] = []
        self._on_event: list[Callable[[Tenant, ServerEvent], Any]] = []
        self._locks = _KeyedLocks()
        self._local: dict[str, tuple[float, Any]] = {}  # key -> (expires at, value)
        self._down_since: float | None = None
        self._subscribed = anyio.Event()

    @property
    def enabled(self) -> bool:
        return self.url is not None

    def key(self, *parts: str) -> str:
        return ":".join((self.prefix, *parts))

    # ------------------------------------------------------------------ lifecycle

    @asynccontextmanager
    async def running(self) -> AsyncIterator[SharedState]:
        """Connect (if configured) and listen to the other replicas for the block's duration.
        Starting with Redis down is fine: the replica runs alone until it answers."""
        if not self.enabled:
            yield self
            return
        import redis.asyncio as redis
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff

        self._redis = redis.Redis.from_url(
            self.url,
            socket_timeout=SOCKET_SECONDS,
            socket_connect_timeout=SOCKET_SECONDS,
            socket_keepalive=True,
            health_check_interval=5,
            # One immediate retry (a pooled connection gone stale while Redis restarted), never
            # redis-py's default backoff of seconds: a failed command falls back to local at once.
            retry=Retry(NoBackoff(), 1),
        )
        try:
            async with anyio.create_task_group() as tg:
                tg.start_soon(self._listen)
                with anyio.move_on_after(SOCKET_SECONDS * 2):
                    await self._subscribed.wait()  # a change made right after start reaches the others
                try:
                    yield self
                finally:
                    tg.cancel_scope.cancel()
        finally:
            self.up = False
            REDIS_UP.set(0)
            await self._redis.aclose()
            self._redis = None

    async def _listen(self) -> None:
        """Receive the other replicas' messages; reconnect with backoff whenever Redis goes away."""
        from redis.exceptions import RedisError

        channel = self.key("events")
        backoff = 0.1
        while True:
            try:
                async with self._redis.pubsub(ignore_subscribe_messages=True) as pubsub:
                    await pubsub.subscribe(channel)
                    self._set_up(True)
                    self._subscribed.set()
                    backoff = 0.1
                    while True:
                        message = await pubsub.get_message(timeout=5.0)
                        self._set_up(True)  # the connection answers: up again after a command's failure
                        if message is not None:
                            await self._receive(message["data"])
            except (RedisError, OSError) as exc:
                self._set_up(False, exc)
                await anyio.sleep(backoff)
                backoff = min(backoff * 2, RECONNECT_MAX_SECONDS)

    def _set_up(self, up: bool, problem: BaseException | None = None) -> None:
        if up == self.up:
            return
        self.up = up
        REDIS_UP.set(1 if up else 0)
        if up:
            if self._down_since is not None:
                log.warning("Redis answers again after %.1f s: replicas share state again", time.monotonic() - self._down_since)
            self._down_since = None
        else:
            self._down_since = time.monotonic()
            log.warning(
                "Redis is unavailable (%s): this replica carries on alone (local notifications, locks and counters) "
                "and reconnects by itself",
                type(problem).__name__ if problem else "unknown",
            )

    def _fallback(self, kind: str, exc: BaseException | None = None) -> None:
        REDIS_FALLBACKS.labels(kind).inc()
        if exc is not None:
            self._set_up(False, exc)

    async def _redis_call(self, kind: str, call: Callable[[Any], Any]) -> tuple[bool, Any]:
        """Run ``call(redis)`` if Redis is up; (False, None) when it is not or it fails."""
        if not self.up or self._redis is None:
            if self.enabled:
                self._fallback(kind)
            return False, None
        from redis.exceptions import RedisError

        try:
            return True, await call(self._redis)
        except (RedisError, OSError) as exc:
            self._fallback(kind, exc)
            return False, None

    # ------------------------------------------------------------------ notifications

    async def _broadcast(self, message: dict[str, Any]) -> None:
        if not self.enabled:
            return
        payload = json.dumps({"from": self.replica, **message})
        await self._redis_call("notify", lambda r: r.publish(self.key("events"), payload))

    async def _receive(self, raw: bytes) -> None:
        try:
            message = json.loads(raw)
        except ValueError:
            return
        if not isinstance(message, dict) or message.get("from") == self.replica:
            return
        tenant = tuple(message.get("tenant") or (None, None))
        if message.get("type") == "event":
            event = _decode_event(message)
            if event is None:
                return
            for callback in self._on_event:
                try:
                    await callback(tenant, event)
                except Exception:
                    log.exception("another replica's event could not be delivered")
        elif message.get("type") == "2025":
            for callback in self._on_2025:
                try:
                    await callback(tenant, message.get("uri"))
                except Exception:
                    log.exception("a 2025 notification could not be delivered")

    async def publish_event(self, tenant: Tenant, event: ServerEvent) -> None:
        """Tell the other replicas' listen streams of ``tenant`` of ``event`` (this replica's have it already)."""
        await self._broadcast({"type": "event", "tenant": list(tenant), **_encode_event(event)})

    def on_event(self, callback: Callable[[Tenant, ServerEvent], Any]) -> None:
        """``await callback(tenant, event)`` for each listen-stream event another replica published."""
        self._on_event.append(callback)

    def on_2025(self, callback: Callable[[Tenant, str | None], Any]) -> None:
        """``await callback(tenant, uri)`` for each 2025-era change announced by another replica."""
        self._on_2025.append(callback)

    async def announce_2025(self, tenant: Tenant, uri: str | None) -> None:
        """Tell the other replicas' 2025 sessions of ``tenant`` that resources changed (``uri`` updated)."""
        await self._broadcast({"type": "2025", "tenant": list(tenant), "uri": uri})

    # ------------------------------------------------------------------ per-session state

    async def get(self, name: str) -> Any:
        """The JSON value stored under ``name`` (None when there is none)."""
        found, raw = await self._redis_call("state", lambda r: r.get(self.key("state", name)))
        if found:
            return None if raw is None else json.loads(raw)
        expires, value = self._local.get(name, (0.0, None))
        return value if expires > time.monotonic() else None

    async def put(self, name: str, value: Any, ttl: float = SESSION_TTL_SECONDS) -> None:
        """Store a JSON value under ``name`` for ``ttl`` seconds (here too, for when Redis goes)."""
        self._local[name] = (time.monotonic() + ttl, value)
        if len(self._local) > 10_000:
            now = time.monotonic()
            self._local = {key: item for key, item in self._local.items() if item[0] > now}
        payload = json.dumps(value)
        await self._redis_call("state", lambda r: r.set(self.key("state", name), payload, px=int(ttl * 1000)))

    # ------------------------------------------------------------------ ordering

    @asynccontextmanager
    async def ordered(self, name: str, hold_seconds: float, *, wait: float) -> AsyncIterator[None]:
        """One holder of ``name`` at a time across replicas, waiting up to ``wait`` seconds for a
        turn (else :class:`Busy`). ``hold_seconds`` bounds how long a holder that died keeps
        others out (the Redis key expires); waiters on this replica queue locally first, so only
        one of them polls Redis."""
        token = uuid.uuid4().hex
        key = self.key("lock", name)
        held = False
        async with AsyncExitStack() as turn:
            with anyio.move_on_after(wait) as waited:
                await turn.enter_async_context(self._locks.held(name))
                while self.enabled:
                    acquired, ok = await self._redis_call(
                        "lock", lambda r: r.set(key, token, nx=True, px=max(1, int(hold_seconds * 1000)))
                    )
                    if not acquired:
                        break  # Redis is down: the local lock is all there is
                    if ok:
                        held = True
                        break
                    await anyio.sleep(LOCK_POLL_SECONDS)
            if waited.cancelled_caught:
                raise Busy(name)
            try:
                yield
            finally:
                if held:
                    with anyio.CancelScope(shield=True):
                        await self._redis_call("lock", lambda r: r.eval(_RELEASE, 1, key, token))

    # ------------------------------------------------------------------ limit counters

    async def take(self, name: str, capacity: int, per_second: float) -> float:
        """Take one call from ``name``'s bucket (``capacity`` calls, refilled at ``per_second``),
        on every replica: 0 when taken, else the seconds until one is there (nothing is taken)."""
        now = time.time()
        idle_ms = int(capacity / per_second * 1000) + 1000  # a bucket left alone this long is full again

        async def bucket(r: Any) -> float:
            return float(await r.eval(_TAKE, 1, self.key("bucket", name), capacity, per_second, now, idle_ms))

        found, wait = await self._redis_call("count", bucket)
        if found:
            return wait
        expires, (tokens, at) = self._local.get(f"bucket:{name}", (0.0, (float(capacity), now)))
        tokens = min(float(capacity), tokens + (now - at) * per_second) if expires > time.monotonic() else float(capacity)
        wait = 0.0 if tokens >= 1.0 else (1.0 - tokens) / per_second
        self._local[f"bucket:{name}"] = (time.monotonic() + idle_ms / 1000, (tokens - 1.0 if not wait else tokens, now))
        return wait

    async def pause(self, name: str, seconds: float) -> None:
        """Make :meth:`paused_for` of ``name`` answer at least ``seconds`` from now, on every replica."""
        until = time.time() + seconds
        expires, current = self._local.get(f"pause:{name}", (0.0, 0.0))
        self._local[f"pause:{name}"] = (time.monotonic() + seconds, max(until, current))
        await self._redis_call("count", lambda r: r.set(self.key("pause", name), repr(until), px=max(1, int(seconds * 1000))))

    async def paused_for(self, name: str) -> float:
        """Seconds left of a pause of ``name`` (0 when there is none)."""
        found, raw = await self._redis_call("count", lambda r: r.get(self.key("pause", name)))
        if found:
            until = float(raw) if raw else 0.0
        else:
            expires, until = self._local.get(f"pause:{name}", (0.0, 0.0))
            until = until if expires > time.monotonic() else 0.0
        return max(0.0, until - time.time())


# A token bucket, refilled by the time that passed since it was last touched (the caller's clock).
_TAKE = """
local capacity, rate, now = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local tokens = tonumber(redis.call('hget', KEYS[1], 't') or capacity)
local at = tonumber(redis.call('hget', KEYS[1], 'a') or now)
tokens = math.min(capacity, tokens + math.max(0, now - at) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / rate end
redis.call('hset', KEYS[1], 't', tostring(tokens), 'a', tostring(now))
redis.call('pexpire', KEYS[1], ARGV[4])
return tostring(wait)
"""

_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end
"""
