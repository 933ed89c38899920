"""Keeping advisories current from OSV's bulk exports, downloading only what changed.

OSV publishes one zip per ecosystem at `{base}/{ecosystem}/all.zip`. `sync_advisories` sends the
validators saved from the previous download (`If-None-Match` with the ETag, `If-Modified-Since`
with the Last-Modified date); a `304 Not Modified` costs one request and imports nothing. A `200`
is imported like a local zip, and the new validators are saved in the same transaction as the
records, so a failed import is retried in full next time. Each ecosystem is its own transaction: one
source failing does not undo the others.

HTTP goes through `Downloader`, a one-method protocol: `UrllibDownloader` for real use (with a
timeout) and `FakeDownloader` for tests and demos.
"""

from __future__ import annotations

import io
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session

from fleetpatch.app.upstream import AdvisoryImportSummary, Progress, store_documents, zip_documents
from fleetpatch.errors import CollectError, InputError
from fleetpatch.store import Store
from fleetpatch.store.advisories import AdvisoryRepository, SyncState

OSV_BASE_URL = "https://osv-vulnerabilities.storage.googleapis.com"
Response = tuple[int, Mapping[str, str], bytes]
"""(status, headers with lower-case names, body)."""


class Downloader(Protocol):
    """Gets a URL with extra request headers; any status is returned, not raised."""

    def get(self, url: str, headers: Mapping[str, str]) -> Response: ...


class UrllibDownloader:
    """`Downloader` over urllib; `timeout` seconds per blocking operation."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout

    def get(self, url: str, headers: Mapping[str, str]) -> Response:
        if not url.startswith(("http://", "https://")):
            raise InputError(f"{url}: only http and https sources are supported")
        request = urllib.request.Request(url, headers=dict(headers))  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                return response.status, _lower(response.headers.items()), response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, _lower(exc.headers.items()), b""
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise CollectError(f"{url}: {exc}") from exc


def _lower(items: Sequence[tuple[str, str]]) -> dict[str, str]:
    return {k.lower(): v for k, v in items}


@dataclass(frozen=True, slots=True)
class FakeResource:
    body: bytes
    etag: str | None = None
    last_modified: str | None = None


@dataclass(slots=True)
class FakeDownloader:
    """Serves in-memory resources, honouring `If-None-Match`; records every request made."""

    resources: dict[str, FakeResource] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def get(self, url: str, headers: Mapping[str, str]) -> Response:
        self.requests.append((url, dict(headers)))
        found = self.resources.get(url)
        if found is None:
            return 404, {}, b""
        validators = {"etag": found.etag, "last-modified": found.last_modified}
        sent = {k: v for k, v in validators.items() if v is not None}
        if found.etag is not None and headers.get("If-None-Match") == found.etag:
            return 304, sent, b""
        return 200, sent, found.body


@dataclass(frozen=True, slots=True)
class SyncResult:
    """One ecosystem's sync: the HTTP status and, when it was downloaded, the import.

    `error` says why nothing was imported (network failure, HTTP error, not a zip); the saved
    validators are then left as they were, so the next sync downloads again.
    """

    ecosystem: str
    url: str
    status: int
    imported: AdvisoryImportSummary | None = None
    error: str | None = None


def osv_url(base_url: str, ecosystem: str) -> str:
    return f"{base_url.rstrip('/')}/{urllib.parse.quote(ecosystem)}/all.zip"


def sync_advisories(
    store: Store,
    ecosystems: Sequence[str],
    *,
    base_url: str = OSV_BASE_URL,
    fetcher: Downloader,
    now: datetime,
    progress: Progress | None = None,
) -> tuple[SyncResult, ...]:
    """Download and import each ecosystem's `all.zip` when it changed since the last sync."""
    results = []
    for ecosystem in ecosystems:
        url = osv_url(base_url, ecosystem)
        try:
            results.append(_sync_one(store, ecosystem, url, fetcher, now, progress))
        except (CollectError, InputError) as exc:
            results.append(SyncResult(ecosystem, url, 0, error=str(exc)))
    return tuple(results)


def _sync_one(
    store: Store,
    ecosystem: str,
    url: str,
    fetcher: Downloader,
    now: datetime,
    progress: Progress | None,
) -> SyncResult:
    with store.session() as session:
        previous = AdvisoryRepository(session).sync_state(url)
    status, headers, body = fetcher.get(url, _conditional_headers(previous))
    if status == 304 and previous is not None:
        _save(store, SyncState(url, previous.etag, previous.last_modified, now, 304))
        return SyncResult(ecosystem, url, 304)
    if status != 200:
        return SyncResult(ecosystem, url, status, error=f"{url}: HTTP {status}")
    if not zipfile.is_zipfile(io.BytesIO(body)):
        return SyncResult(ecosystem, url, status, error=f"{url}: the download is not a zip file")
    state = SyncState(
        url, headers.get("etag"), headers.get("last-modified"), now, 200, {"bytes": len(body)}
    )

    def save_state(session: Session) -> None:
        AdvisoryRepository(session).set_sync_state(state)

    problems: list[str] = []
    documents = zip_documents(url, body, problems)
    summary = store_documents(
        store, documents, problems, now=now, progress=progress, on_stored=save_state
    )
    return SyncResult(ecosystem, url, 200, summary)


def _conditional_headers(previous: SyncState | None) -> dict[str, str]:
    headers = {"User-Agent": "fleetpatch"}
    if previous is not None and previous.etag:
        headers["If-None-Match"] = previous.etag
    if previous is not None and previous.last_modified:
        headers["If-Modified-Since"] = previous.last_modified
    return headers


def _save(store: Store, state: SyncState) -> None:
    with store.session(write=True) as session:
        AdvisoryRepository(session).set_sync_state(state)
