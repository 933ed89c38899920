"""Index packages with invalid versions are left out, with the file and line they came from."""

from __future__ import annotations

import gzip
import lzma

from catalog_support import DATA, DEBIAN12

from fleetpatch.catalog.apkindex import parse_apkindex
from fleetpatch.catalog.apt import numbered_stanzas, parse_packages
from fleetpatch.catalog.rpmmd import parse_primary
from fleetpatch.catalog.screen import scheme_of, screen_packages

SECURITY = (
    DEBIAN12 / "lists" / "deb.debian.org_debian-security_dists_bookworm-security_main_binary-amd64"
    "_Packages.xz"
)


def security_packages() -> str:
    return lzma.decompress(SECURITY.read_bytes()).decode("utf-8")


def test_stanzas_are_numbered_by_their_first_line() -> None:
    text = "# comment\nA: 1\nB: x\n y\n \nA: 2\n\n\n\nA: 3\n"
    assert [(line, fields["A"]) for line, fields in numbered_stanzas(text)] == [
        (2, "1"),
        (6, "2"),
        (10, "3"),
    ]


def test_each_package_knows_the_line_its_stanza_starts_on() -> None:
    text = security_packages()
    lines = text.split("\n")
    packages = parse_packages(text)
    assert len(packages) == 189
    for package in packages:
        assert package.line is not None
        assert lines[package.line - 1] == f"Package: {package.name}"


def test_the_real_security_index_is_kept_whole() -> None:
    packages = parse_packages(security_packages())
    screened = screen_packages(packages, scheme="dpkg", source="Packages")
    assert (screened.kept, screened.skipped) == (packages, ())


def test_a_package_with_an_invalid_version_is_skipped_naming_file_and_line() -> None:
    text = security_packages().replace("Version: 2.6.2\n", "Version: 2.6.2-\n", 1)
    screened = screen_packages(parse_packages(text), scheme="dpkg", source="sec/Packages")
    assert len(screened.kept) == 188
    assert "apt" not in {p.name for p in screened.kept}
    assert screened.skipped == (
        "sec/Packages:18: apt (amd64) skipped: version: invalid dpkg version '2.6.2-': "
        "revision number is empty",
    )


def test_an_invalid_source_version_skips_its_binary_package() -> None:
    text = security_packages().replace("Source: aom\n", "Source: aom (3.6.0-1+deb12u3-)\n", 1)
    screened = screen_packages(parse_packages(text), scheme="dpkg", source="Packages")
    assert [p.name for p in parse_packages(text) if p not in screened.kept] == ["libaom3"]
    assert screened.skipped[0].startswith("Packages:1: libaom3 (amd64) skipped: source version:")


def test_an_apk_paragraph_with_a_bad_version_is_skipped_naming_its_line() -> None:
    text = (DATA / "apk" / "APKINDEX.txt").read_text(encoding="utf-8")
    mutated = text.replace("V:3.3.2-r0\n", "V:3.3.2-rX\n", 1)
    packages = parse_apkindex(mutated)
    screened = screen_packages(packages, scheme="apk", source="APKINDEX")
    assert len(screened.kept) == len(packages) - 1
    line = mutated.split("\n").index("P:libcrypto3")
    (skipped,) = screened.skipped
    assert skipped.startswith(f"APKINDEX:{line}: libcrypto3 (x86_64) skipped: version: invalid apk")


def test_an_rpm_package_is_named_by_package_and_arch_where_xml_has_no_line() -> None:
    primary = DATA / "rpm" / "el9-demo" / "repodata"
    gz = next(primary.glob("*-primary.xml.gz"))
    text = (
        gzip.decompress(gz.read_bytes())
        .decode("utf-8")
        .replace('rel="29.el9"', f'rel="{"9" * 65}"', 1)
    )
    packages = parse_primary(text.encode("utf-8"))
    screened = screen_packages(packages, scheme="rpm", source="primary.xml.gz")
    assert len(screened.kept) == len(packages) - 1
    (skipped,) = screened.skipped
    assert skipped.startswith("primary.xml.gz: openssl-demo (noarch) skipped: version: invalid rpm")
    assert skipped.endswith("a numeric part longer than 64 digits")


def test_the_scheme_is_the_ecosystems_else_the_formats() -> None:
    assert scheme_of("AlmaLinux:9", "rpm") == "rpm"
    assert scheme_of("Alpine:v3.20", "dpkg") == "apk"
    assert scheme_of("Photon:5", "rpm") == "rpm"
    assert scheme_of(None, "dpkg") == "dpkg"
