"""Reading apt lists directories and mirrors (a real local HTTP server on 127.0.0.1)."""

from __future__ import annotations

import functools
import gzip
import hashlib
import http.server
import logging
import lzma
import shutil
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from catalog_support import DEBIAN12

from fleetpatch.catalog.apt import strip_clearsign, suite_entries
from fleetpatch.catalog.lists import UrllibFetcher, fetch_mirror, read_lists_dir
from fleetpatch.errors import CollectError, InputError, ParseError

LISTS = DEBIAN12 / "lists"
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
SUITES = {
    "bookworm": ("debian", "deb.debian.org_debian_dists_bookworm"),
    "bookworm-updates": ("debian", "deb.debian.org_debian_dists_bookworm-updates"),
    "bookworm-security": (
        "debian-security",
        "deb.debian.org_debian-security_dists_bookworm-security",
    ),
}


def _signature(entries: tuple[object, ...]) -> set[tuple[str, str, str, str, str]]:
    return {(e.name, e.version, e.arch, e.origin.suite, e.origin.archive) for e in entries}  # type: ignore[attr-defined]


def test_lists_dir_finds_suites_components_and_arches() -> None:
    imported = read_lists_dir(LISTS, now=NOW)
    assert imported.warnings == ()
    found = {
        (s.site, s.suite, i.component, i.arch, len(i.packages))
        for s in imported.suites
        for i in s.indexes
    }
    assert found == {
        ("deb.debian.org", "bookworm", "main", "amd64", 754),
        ("deb.debian.org", "bookworm-updates", "main", "amd64", 6),
        ("deb.debian.org", "bookworm-security", "main", "amd64", 189),
    }


def test_lists_dir_filters_suites_and_arches() -> None:
    only = read_lists_dir(LISTS, now=NOW, suites={"bookworm-security"})
    assert [s.suite for s in only.suites] == ["bookworm-security"]
    assert read_lists_dir(LISTS, now=NOW, arches={"arm64"}).suites == ()


def test_lists_dir_reads_lz4_as_apt_stores_it(tmp_path: Path) -> None:
    lz4_frame = pytest.importorskip("lz4.frame", reason="optional dependency lz4 not installed")
    name = "deb.debian.org_debian_dists_bookworm-updates_main_binary-amd64_Packages"
    shutil.copy(LISTS / "deb.debian.org_debian_dists_bookworm-updates_InRelease", tmp_path)
    raw = lzma.decompress((LISTS / f"{name}.xz").read_bytes())
    (tmp_path / f"{name}.lz4").write_bytes(lz4_frame.compress(raw))
    (imported,) = read_lists_dir(tmp_path, now=NOW).suites
    (from_xz,) = read_lists_dir(LISTS, now=NOW, suites={"bookworm-updates"}).suites
    assert imported.indexes[0].packages == from_xz.indexes[0].packages
    assert {p.name for p in imported.indexes[0].packages} >= {"ca-certificates", "tzdata"}


def test_packages_without_release_is_an_error(tmp_path: Path) -> None:
    name = "deb.debian.org_debian_dists_bookworm-updates_main_binary-amd64_Packages.xz"
    shutil.copy(LISTS / name, tmp_path)
    with pytest.raises(ParseError, match="no InRelease/Release"):
        read_lists_dir(tmp_path, now=NOW)
    with pytest.raises(InputError, match="not a directory"):
        read_lists_dir(tmp_path / "missing", now=NOW)


def test_expired_valid_until_imports_with_a_logged_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    later = datetime(2026, 12, 10, tzinfo=UTC)
    with caplog.at_level(logging.WARNING, logger="fleetpatch.catalog.lists"):
        imported = read_lists_dir(LISTS, now=later)
    assert len(imported.suites) == 3  # still imported
    assert [w.suite for w in imported.warnings] == ["bookworm-security"]
    assert "bookworm-security" in caplog.text
    assert "stale" in caplog.text


def _build_mirror(root: Path) -> None:
    """A mirror tree from the fixture lists: real Release headers, our trimmed Packages + hashes."""
    for suite, (archive, prefix) in SUITES.items():
        dist = root / archive / "dists" / suite
        (dist / "main" / "binary-amd64").mkdir(parents=True)
        raw = lzma.decompress((LISTS / f"{prefix}_main_binary-amd64_Packages.xz").read_bytes())
        listing = []
        for suffix, data in ((".xz", lzma.compress(raw)), (".gz", gzip.compress(raw)), ("", raw)):
            path = f"main/binary-amd64/Packages{suffix}"
            (dist / path).write_bytes(data)
            listing.append(f" {hashlib.sha256(data).hexdigest()} {len(data)} {path}")
        header = strip_clearsign((LISTS / f"{prefix}_InRelease").read_text()).split("\nMD5Sum:")[0]
        header = header.split("\nSHA256:")[0]
        (dist / "Release").write_text(header + "\nSHA256:\n" + "\n".join(listing) + "\n")


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def mirror(tmp_path: Path) -> Iterator[str]:
    _build_mirror(tmp_path)
    handler = functools.partial(_QuietHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_mirror_import_equals_lists_dir_import(mirror: str) -> None:
    fetcher = UrllibFetcher(timeout=10)
    debian = fetch_mirror(
        f"{mirror}/debian",
        suites=["bookworm", "bookworm-updates"],
        arches=["amd64"],
        now=NOW,
        fetcher=fetcher,
    )
    security = fetch_mirror(
        f"{mirror}/debian-security",
        suites=["bookworm-security"],
        arches=["amd64"],
        now=NOW,
        fetcher=fetcher,
    )
    from_mirror = tuple(e for s in debian.suites + security.suites for e in suite_entries(s))
    from_lists = tuple(e for s in read_lists_dir(LISTS, now=NOW).suites for e in suite_entries(s))
    assert _signature(from_mirror) == _signature(from_lists)
    assert len(from_mirror) == 754 + 6 + 189
    # binary-all is not fetched: bookworm says its arch-all packages are in the arch files.
    assert {i.source for s in debian.suites for i in s.indexes} == {"main/binary-amd64/Packages.xz"}


def test_mirror_file_not_matching_release_hash_is_refused(mirror: str, tmp_path: Path) -> None:
    packages = (
        tmp_path / "debian" / "dists" / "bookworm-updates" / "main" / "binary-amd64" / "Packages.xz"
    )
    packages.write_bytes(lzma.compress(b"Package: evil\nVersion: 9\nArchitecture: amd64\n"))
    with pytest.raises(ParseError, match="SHA256 differ"):
        fetch_mirror(
            f"{mirror}/debian",
            suites=["bookworm-updates"],
            arches=["amd64"],
            now=NOW,
            fetcher=UrllibFetcher(10),
        )


def test_mirror_unknown_suite_and_unreachable_host(mirror: str) -> None:
    with pytest.raises(CollectError, match="no InRelease or Release"):
        fetch_mirror(
            f"{mirror}/debian", suites=["sid"], arches=["amd64"], now=NOW, fetcher=UrllibFetcher(10)
        )
    with pytest.raises(CollectError):
        UrllibFetcher(timeout=2).fetch("http://127.0.0.1:9/dists/x/InRelease")
    with pytest.raises(InputError, match="only http"):
        UrllibFetcher(timeout=2).fetch("file:///etc/passwd")
