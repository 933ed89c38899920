"""A small cache for figures that cost a table scan: valid for one evaluation, refreshed behind.

`FreshCache.get(name, version, compute)` returns the cached value while `version` (the latest
evaluation id) is unchanged. A value older than `ttl` seconds is still returned, and one
background thread recomputes it (stale-while-revalidate), so a reader never waits for the scan
because time passed; it waits only when there is no value, the version moved, or `clear()` was
called (a write through this process), which is when the figures must be right at once.
A background result is dropped if a `clear()` happened while it was computed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _Entry:
    value: Any
    version: Hashable
    loaded: float


class FreshCache:
    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._entries: dict[str, _Entry] = {}
        self._refreshing: set[str] = set()
        self._generation = 0
        self._lock = threading.Lock()

    def get(self, name: str, version: Hashable, compute: Callable[[], Any]) -> Any:
        with self._lock:
            entry = self._entries.get(name)
            generation = self._generation
        if entry is None or entry.version != version:
            return self._store(name, version, compute(), generation)
        if time.monotonic() - entry.loaded >= self.ttl:
            self._refresh_behind(name, version, compute, generation)
        return entry.value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._generation += 1

    def _store(self, name: str, version: Hashable, value: Any, generation: int) -> Any:
        with self._lock:
            if generation == self._generation:
                self._entries[name] = _Entry(value, version, time.monotonic())
        return value

    def _refresh_behind(
        self, name: str, version: Hashable, compute: Callable[[], Any], generation: int
    ) -> None:
        with self._lock:
            if name in self._refreshing:
                return
            self._refreshing.add(name)

        def refresh() -> None:
            try:
                self._store(name, version, compute(), generation)
            except Exception:  # a failed refresh keeps the old value; the next read retries
                log.exception("refreshing %s failed", name)
            finally:
                with self._lock:
                    self._refreshing.discard(name)

        threading.Thread(target=refresh, name=f"refresh-{name}", daemon=True).start()


class EvaluationCache:
    """Values that belong to one evaluation and cost seconds at fleet scale (time to patch reads
    every stored patch pair): computed once per evaluation id, and when a newer evaluation shows
    up, the previous value is served while one background thread computes the new one. Only the
    very first read waits. Writes through this server do not clear it: a single re-evaluated
    host shows in these figures at the next evaluation."""

    def __init__(self) -> None:
        self._entries: dict[str, _Entry] = {}
        self._refreshing: set[str] = set()
        self._lock = threading.Lock()

    def get(self, name: str, version: Hashable, compute: Callable[[], Any]) -> Any:
        with self._lock:
            entry = self._entries.get(name)
        if entry is None:
            value = compute()
            with self._lock:
                self._entries[name] = _Entry(value, version, time.monotonic())
            return value
        if entry.version != version:
            self._refresh_behind(name, version, compute)
        return entry.value

    def _refresh_behind(self, name: str, version: Hashable, compute: Callable[[], Any]) -> None:
        with self._lock:
            if name in self._refreshing:
                return
            self._refreshing.add(name)

        def refresh() -> None:
            try:
                value = compute()
                with self._lock:
                    self._entries[name] = _Entry(value, version, time.monotonic())
            except Exception:  # a failed refresh keeps the old value; the next read retries
                log.exception("refreshing %s failed", name)
            finally:
                with self._lock:
                    self._refreshing.discard(name)

        threading.Thread(target=refresh, name=f"refresh-{name}", daemon=True).start()
