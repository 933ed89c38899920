"""Release/InRelease and Packages parsing, on the real indexes of a Debian 12 machine."""

from __future__ import annotations

import bz2
import gzip
import lzma
import sys
from datetime import UTC, datetime

import pytest
from catalog_support import DEBIAN12

from fleetpatch.catalog.apt import (
    decompress,
    ecosystem_of,
    origin_of,
    parse_packages,
    parse_release,
    parse_stanzas,
    staleness,
    strip_clearsign,
    suite_entries,
)
from fleetpatch.catalog.records import PackagesIndex, ReleaseInfo, SuiteIndex
from fleetpatch.errors import InputError, ParseError

LISTS = DEBIAN12 / "lists"
UPDATES_PACKAGES = "deb.debian.org_debian_dists_bookworm-updates_main_binary-amd64_Packages.xz"
MAIN = LISTS / "deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages.xz"


def _release(name: str) -> ReleaseInfo:
    return parse_release((LISTS / f"deb.debian.org_{name}_InRelease").read_text())


def test_inrelease_header_of_bookworm() -> None:
    release = _release("debian_dists_bookworm")
    assert release.date == datetime(2026, 7, 11, 10, 16, 37, tzinfo=UTC)
    assert (release.suite, release.codename, release.version) == ("oldstable", "bookworm", "12.15")
    assert (release.origin, release.label) == ("Debian", "Debian")
    assert release.valid_until is None
    assert "main" in release.components
    assert "all" in release.architectures
    assert release.arch_all_in_arch_files  # No-Support-for-Architecture-all: Packages


def test_inrelease_of_security_lists_files_with_hashes() -> None:
    release = _release("debian-security_dists_bookworm-security")
    assert release.valid_until == datetime(2026, 12, 2, 22, 33, 12, tzinfo=UTC)
    assert release.label == "Debian-Security"
    assert not release.arch_all_in_arch_files
    files = {f.path: f for f in release.files}
    entry = files["main/binary-amd64/Packages.xz"]
    assert (entry.size, entry.sha256[:12]) == (380972, "0320b58c17c5")


def test_clearsign_armor_is_stripped_and_dash_escapes_undone() -> None:
    signed = (
        "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nOrigin: X\n- -----odd line\n"
        "-----BEGIN PGP SIGNATURE-----\n\nabc\n-----END PGP SIGNATURE-----\n"
    )
    assert strip_clearsign(signed) == "Origin: X\n-----odd line\n"
    assert strip_clearsign("Origin: X\n") == "Origin: X\n"


def test_truncated_clearsigned_release_is_an_error() -> None:
    text = (LISTS / "deb.debian.org_debian_dists_bookworm-updates_InRelease").read_text()
    with pytest.raises(ParseError, match="no signature block"):
        strip_clearsign(text[:2000])


def test_release_without_date_is_an_error() -> None:
    with pytest.raises(ParseError, match="no Date"):
        parse_release("Origin: Debian\nSuite: stable\n")
    with pytest.raises(ParseError, match="RFC 2822"):
        parse_release("Date: yesterday\n")


def test_packages_stanzas_with_binnmu_source_version() -> None:
    text = lzma.decompress(MAIN.read_bytes()).decode()
    packages = {(p.name, p.version): p for p in parse_packages(text)}
    assert len(packages) == 754
    bash = packages[("bash", "5.2.15-2+b13")]
    assert (bash.arch, bash.source, bash.source_version) == ("amd64", "bash", "5.2.15-2")
    curl = packages[("libcurl4", "7.88.1-10+deb12u15")]
    assert (curl.source, curl.source_version, curl.multi_arch) == (
        "curl",
        "7.88.1-10+deb12u15",
        "same",
    )
    base = packages[("base-files", "12.4+deb12u15")]
    assert (base.source, base.source_version) == ("base-files", "12.4+deb12u15")


def test_stanza_continuation_lines_and_errors() -> None:
    stanzas = list(parse_stanzas("A: 1\nB: x\n y\n\n\nA: 2\n"))
    assert stanzas == [{"A": "1", "B": "x\ny"}, {"A": "2"}]
    with pytest.raises(ParseError, match="continuation"):
        list(parse_stanzas(" y\nA: 1\n"))
    with pytest.raises(ParseError, match="Field: value"):
        list(parse_stanzas("garbage line\n"))
    with pytest.raises(ParseError, match="without Version"):
        parse_packages("Package: x\nArchitecture: all\n")


def test_phased_update_percentage_is_kept() -> None:
    (pkg,) = parse_packages(
        "Package: p\nVersion: 1\nArchitecture: amd64\nPhased-Update-Percentage: 30\n"
    )
    assert pkg.phased_percentage == 30


@pytest.mark.parametrize(
    ("suffix", "compress"),
    [(".gz", gzip.compress), (".xz", lzma.compress), (".bz2", bz2.compress), ("", bytes)],
)
def test_decompress_by_suffix(suffix: str, compress: object) -> None:
    raw = b"Package: a\nVersion: 1\n"
    assert callable(compress)
    assert decompress(compress(raw), f"x_Packages{suffix}") == raw


def test_decompress_lz4_and_zstd() -> None:
    lz4_frame = pytest.importorskip("lz4.frame", reason="optional dependency lz4 not installed")
    zstandard = pytest.importorskip(
        "zstandard", reason="optional dependency zstandard not installed"
    )
    raw = b"Package: a\nVersion: 1\n"
    assert decompress(lz4_frame.compress(raw), "x_Packages.lz4") == raw
    assert decompress(zstandard.ZstdCompressor().compress(raw), "primary.xml.zst") == raw


def test_missing_lz4_library_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "lz4", None)
    monkeypatch.setitem(sys.modules, "lz4.frame", None)
    with pytest.raises(InputError, match="optional 'lz4' package"):
        decompress(b"\x04\x22\x4d\x18", "x_Packages.lz4")


def test_corrupt_compressed_file_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="cannot decompress"):
        decompress(b"not xz at all", "x_Packages.xz")


def test_ecosystem_from_release_version() -> None:
    assert ecosystem_of(_release("debian_dists_bookworm")) == "Debian:12"
    assert ecosystem_of(_release("debian_dists_bookworm-updates")) == "Debian:12"
    assert ecosystem_of(_release("debian-security_dists_bookworm-security")) == "Debian:12"
    jammy = ReleaseInfo(
        datetime(2024, 1, 1, tzinfo=UTC), None, "jammy", "jammy", "Ubuntu", "", "22.04"
    )
    assert ecosystem_of(jammy) == "Ubuntu:22.04"
    with pytest.raises(ParseError, match="give the ecosystem"):
        ecosystem_of(ReleaseInfo(datetime(2024, 1, 1, tzinfo=UTC), None, "nodistro", "nodistro"))


def test_security_origin_is_known() -> None:
    security = _release("debian-security_dists_bookworm-security")
    updates = _release("debian_dists_bookworm-updates")
    assert origin_of(security, suite="bookworm-security", component="main").security
    assert not origin_of(updates, suite="bookworm-updates", component="main").security
    ubuntu = ReleaseInfo(
        datetime(2024, 1, 1, tzinfo=UTC), None, "jammy-security", "jammy", "Ubuntu", "Ubuntu"
    )
    assert origin_of(ubuntu, suite="jammy-security", component="main").security


def test_expired_release_gives_staleness_not_silence() -> None:
    release = _release("debian-security_dists_bookworm-security")
    before = datetime(2026, 12, 1, tzinfo=UTC)
    after = datetime(2026, 12, 3, tzinfo=UTC)
    assert staleness(release, before) is None
    stale = staleness(release, after)
    assert stale is not None
    assert stale.suite == "bookworm-security"
    assert "may be stale" in str(stale)


def test_suite_entries_carry_origin_and_release_date() -> None:
    release = _release("debian_dists_bookworm-updates")
    packages = parse_packages(lzma.decompress((LISTS / UPDATES_PACKAGES).read_bytes()).decode())
    index = SuiteIndex(
        "deb.debian.org", "bookworm-updates", release, (PackagesIndex("main", "amd64", packages),)
    )
    entries = suite_entries(index)
    assert len(entries) == 6
    assert {e.ecosystem for e in entries} == {"Debian:12"}
    assert {e.origin.archive for e in entries} == {"oldstable-updates"}
    assert all(e.first_seen == release.date and not e.first_seen_exact for e in entries)
