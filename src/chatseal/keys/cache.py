"""A bounded cache of unwrapped data keys in front of any backend (DESIGN.md: size, TTL, uses).

A KMS is then called about once per conversation, not once per message. "No cache" is the same
class with `max_entries=0`, a null object rather than a branch in the service.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from chatseal.clock import Clock, SystemClock
from chatseal.crypto import DataKey
from chatseal.keys.base import KeyManager, WrappedKey


@dataclass(frozen=True)
class CacheLimits:
    """How much, how long and how often a cached data key may be used."""

    max_entries: int = 10_000
    ttl_seconds: float = 300.0
    max_uses: int = 1_000_000


@dataclass
class _Entry:
    key: DataKey
    expires_at: float
    uses_left: int


class DataKeyCache:
    """Unwrapped data keys by (tenant, wrapped blob), evicted by size (LRU), age and uses."""

    def __init__(
        self,
        keys: KeyManager,
        limits: CacheLimits | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.keys = keys
        self.limits = limits or CacheLimits()
        self._clock = clock or SystemClock()
        self._entries: OrderedDict[tuple[str, bytes, bytes], _Entry] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def data_key(self, tenant: str, wrapped: WrappedKey, context: bytes) -> DataKey:
        """Return the unwrapped data key, asking the backend only on a miss."""
        return self.lookup(tenant, wrapped, context)[0]

    def lookup(self, tenant: str, wrapped: WrappedKey, context: bytes) -> tuple[DataKey, bool]:
        """Return the data key and whether this was a miss (the backend was asked)."""
        cache_key = (tenant, wrapped.blob, context)
        now = self._clock.now()
        with self._lock:
            entry = self._entries.get(cache_key)
            if entry is not None and entry.expires_at > now and entry.uses_left > 0:
                entry.uses_left -= 1
                self._entries.move_to_end(cache_key)
                self.hits += 1
                return entry.key, False
            if entry is not None:
                del self._entries[cache_key]
            self.misses += 1
        key = DataKey(self.keys.unwrap(tenant, wrapped, context))
        self.put(tenant, wrapped, context, key)
        return key, True

    def put(self, tenant: str, wrapped: WrappedKey, context: bytes, key: DataKey) -> None:
        """Remember a data key this process just generated or unwrapped."""
        if self.limits.max_entries <= 0:
            return
        entry = _Entry(key, self._clock.now() + self.limits.ttl_seconds, self.limits.max_uses)
        with self._lock:
            self._entries[(tenant, wrapped.blob, context)] = entry
            self._entries.move_to_end((tenant, wrapped.blob, context))
            while len(self._entries) > self.limits.max_entries:
                self._entries.popitem(last=False)

    def forget(self, tenant: str, wrapped: WrappedKey, context: bytes) -> None:
        """Drop one data key (its conversation was deleted or re-keyed)."""
        with self._lock:
            self._entries.pop((tenant, wrapped.blob, context), None)

    def flush_tenant(self, tenant: str) -> None:
        """Drop every cached data key of a tenant (its keys were retired or destroyed)."""
        with self._lock:
            for cache_key in [k for k in self._entries if k[0] == tenant]:
                del self._entries[cache_key]

    def flush(self) -> None:
        """Drop everything."""
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
