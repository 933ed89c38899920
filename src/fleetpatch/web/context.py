"""What every request handler needs, built once by `create_app` and kept on `app.state`.

`WebContext` holds the store, the policy, the clock, whether auth is on, and the in-memory
catalog/advisory indexes (`Upstream`) per ecosystem, loaded on first use and shared by all
requests, so the host page and `POST /api/v1/reports` compute package facts without re-reading
the catalog (`serve` warms them in the background at start).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from starlette.requests import Request

from fleetpatch.app.evaluate import Upstream, load_upstream
from fleetpatch.policy.records import Policy
from fleetpatch.settings import Settings
from fleetpatch.store import Store

Clock = Callable[[], datetime]
MAX_REPORT_BYTES = 16 * 2**20


@dataclass(slots=True)
class WebContext:
    settings: Settings
    store: Store
    policy: Policy
    clock: Clock
    auth: bool
    max_report_bytes: int = MAX_REPORT_BYTES
    _upstream: dict[str, Upstream] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def upstream(self, ecosystem: str) -> Upstream:
        """The catalog and advisory indexes of one ecosystem, loaded once (thread-safe)."""
        with self._lock:
            found = self._upstream.get(ecosystem)
            if found is None:
                with self.store.session() as session:
                    found = self._upstream[ecosystem] = load_upstream(session, [ecosystem])
            return found

    def loaded_upstream(self, ecosystem: str) -> Upstream | None:
        """The indexes if already loaded; never waits for a load."""
        return self._upstream.get(ecosystem)

    def forget_upstream(self) -> None:
        """Drop the loaded indexes (after a catalog or advisory import) so the next use reloads."""
        with self._lock:
            self._upstream.clear()


def context_of(request: Request) -> WebContext:
    context: WebContext = request.app.state.fleetpatch
    return context
