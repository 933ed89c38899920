"""`sync_advisories` against a real HTTP server on 127.0.0.1 and against the in-package fake."""

from __future__ import annotations

import io
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from fleetpatch.app.upstream_sync import (
    FakeDownloader,
    FakeResource,
    UrllibDownloader,
    osv_url,
    sync_advisories,
)
from fleetpatch.store import Store, open_store
from fleetpatch.store.advisories import AdvisoryRepository

UBUNTU = Path(__file__).resolve().parents[1] / "data" / "advisories" / "ubuntu-osv"
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def osv_zip(names: list[str]) -> bytes:
    """An OSV-style all.zip of fixture records (one JSON file per record)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in names:
            archive.writestr(name, (UBUNTU / name).read_bytes())
    return buffer.getvalue()


@dataclass
class OsvBucket:
    """What the local server serves at /Ubuntu/all.zip, and what it was asked."""

    body: bytes
    etag: str
    requests: list[dict[str, str]] = field(default_factory=list)


@pytest.fixture
def bucket() -> Iterator[tuple[str, OsvBucket]]:
    served = OsvBucket(osv_zip(["USN-7287-1.json", "USN-7768-1.json"]), '"v1"')

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            served.requests.append(dict(self.headers.items()))
            if self.path != "/Ubuntu/all.zip":
                self.send_error(404)
                return
            if self.headers.get("If-None-Match") == served.etag:
                self.send_response(304)
                self.send_header("ETag", served.etag)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("ETag", served.etag)
            self.send_header("Last-Modified", "Thu, 26 Nov 2026 10:00:00 GMT")
            self.send_header("Content-Length", str(len(served.body)))
            self.end_headers()
            self.wfile.write(served.body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", served
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return open_store(f"sqlite:///{tmp_path / 'store.db'}")


def test_second_sync_is_a_304_and_imports_nothing(
    store: Store, bucket: tuple[str, OsvBucket]
) -> None:
    base, served = bucket
    downloader = UrllibDownloader(timeout=10)
    (first,) = sync_advisories(store, ["Ubuntu"], base_url=base, fetcher=downloader, now=NOW)
    assert (first.status, first.error) == (200, None)
    assert first.imported is not None
    assert first.imported.inserted == 2
    later = NOW + timedelta(hours=6)
    (second,) = sync_advisories(store, ["Ubuntu"], base_url=base, fetcher=downloader, now=later)
    assert (second.status, second.imported, second.error) == (304, None, None)
    assert served.requests[1]["If-None-Match"] == '"v1"'
    assert served.requests[1]["If-Modified-Since"] == "Thu, 26 Nov 2026 10:00:00 GMT"
    with store.session() as session:
        state = AdvisoryRepository(session).sync_state(f"{base}/Ubuntu/all.zip")
    assert state is not None
    assert (state.etag, state.status, state.fetched_at) == ('"v1"', 304, later)


def test_a_changed_export_is_downloaded_and_imported_again(
    store: Store, bucket: tuple[str, OsvBucket]
) -> None:
    base, served = bucket
    downloader = UrllibDownloader(timeout=10)
    sync_advisories(store, ["Ubuntu"], base_url=base, fetcher=downloader, now=NOW)
    served.body = osv_zip(["USN-7287-1.json", "USN-7768-1.json", "USN-8091-1.json"])
    served.etag = '"v2"'
    (result,) = sync_advisories(store, ["Ubuntu"], base_url=base, fetcher=downloader, now=NOW)
    assert result.status == 200
    assert result.imported is not None
    assert (result.imported.inserted, result.imported.unchanged) == (1, 2)
    with store.session() as session:
        assert [a.id for a in AdvisoryRepository(session).by_id_or_alias("USN-8091-1")] == [
            "USN-8091-1"
        ]


def test_an_unknown_ecosystem_is_an_error_and_the_others_still_sync(
    store: Store, bucket: tuple[str, OsvBucket]
) -> None:
    base, _ = bucket
    results = sync_advisories(
        store, ["Nope", "Ubuntu"], base_url=base, fetcher=UrllibDownloader(10), now=NOW
    )
    assert [(r.ecosystem, r.status) for r in results] == [("Nope", 404), ("Ubuntu", 200)]
    assert results[0].error == f"{base}/Nope/all.zip: HTTP 404"


def test_fake_downloader_sync_and_a_corrupt_download_is_not_remembered(store: Store) -> None:
    url = osv_url("https://osv.test", "Rocky Linux")
    assert url == "https://osv.test/Rocky%20Linux/all.zip"
    fake = FakeDownloader({url: FakeResource(b"<html>not a zip</html>", etag='"bad"')})
    (broken,) = sync_advisories(
        store, ["Rocky Linux"], base_url="https://osv.test", fetcher=fake, now=NOW
    )
    assert broken.error == f"{url}: the download is not a zip file"
    fake.resources[url] = FakeResource(osv_zip(["USN-7287-1.json"]), etag='"good"')
    (fixed,) = sync_advisories(
        store, ["Rocky Linux"], base_url="https://osv.test", fetcher=fake, now=NOW
    )
    assert "If-None-Match" not in fake.requests[1][1]  # the bad download left no validator
    assert fixed.imported is not None
    assert fixed.imported.inserted == 1
    (again,) = sync_advisories(
        store, ["Rocky Linux"], base_url="https://osv.test", fetcher=fake, now=NOW
    )
    assert (again.status, fake.requests[2][1]["If-None-Match"]) == (304, '"good"')
