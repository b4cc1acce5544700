"""Locks by name, for work that must not overlap: one ``chat_in_session`` per session at a time.

``KeyedLocks`` is the seam: :class:`LocalLocks` serves one process; a deployment with several
replicas can put in an implementation over a shared store (Redis) with the same ``hold``. Keys
are plain strings (``chat_in_session:<organisation>/<session id>``), so any backend can take them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol

import anyio


class Busy(Exception):
    """The lock was not free within the wait."""


class KeyedLocks(Protocol):
    def hold(self, key: str, *, wait: float) -> AbstractAsyncContextManager[None]:
        """Hold the lock named ``key`` for the block, waiting up to ``wait`` seconds for it (else :class:`Busy`)."""
        ...


class LocalLocks:
    """In-process locks, created on first use and dropped when nobody holds or waits for them."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[anyio.Lock, int]] = {}  # key -> (lock, holders and waiters)

    @asynccontextmanager
    async def hold(self, key: str, *, wait: float) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (anyio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            with anyio.move_on_after(wait) as waited:
                await lock.acquire()
            if waited.cancelled_caught:
                raise Busy(key)
            try:
                yield
            finally:
                lock.release()
        finally:
            lock, users = self._locks[key]
            if users > 1:
                self._locks[key] = (lock, users - 1)
            else:
                del self._locks[key]

    def __len__(self) -> int:
        return len(self._locks)


SESSION_LOCKS: KeyedLocks = LocalLocks()
"""The locks ``chat_in_session`` takes, one per session; replace to share them between replicas."""
