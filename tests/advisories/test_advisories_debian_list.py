"""The Debian security tracker's DSA list, read from 24 real entries rebuilt into list text.

The oracle is the JSON the list text was rebuilt from (vuln-list-debian's own parse of the
tracker), read here independently of the parser under test. Malformed inputs are the real text
with one line changed or added, and say so.
"""

from __future__ import annotations

import json
import runpy
from datetime import UTC, datetime
from pathlib import Path

import pytest

from fleetpatch.advisories import build_index, match, parse_advisory
from fleetpatch.advisories.debian_list import looks_like_list, parse_list, to_osv

DEBIAN = Path(__file__).resolve().parents[1] / "data" / "advisories" / "debian"
LIST = DEBIAN / "DSA" / "list"
JSON_DIR = DEBIAN / "vuln-list-debian" / "tracker" / "DSA"
TEXT = LIST.read_text(encoding="utf-8")


def _oracle() -> dict[str, dict[str, object]]:
    found: dict[str, dict[str, object]] = {}
    for path in sorted(JSON_DIR.glob("*.json")):
        data = json.loads(path.read_text())
        header = data["Header"]
        notes = data["Annotations"]
        found[header["ID"]] = {
            "date": datetime.strptime(header["Original"][1:12], "%d %b %Y").replace(tzinfo=UTC),
            "cves": [c for n in notes if n["Type"] == "xref" for c in n["Bugs"]],
            "fixed": {
                (n["Release"], n["Package"]): n["Version"]
                for n in notes
                if n["Type"] == "package" and n["Kind"] == "fixed"
            },
        }
    return found


def test_the_fixture_is_the_list_rebuilt_from_its_json() -> None:
    build = runpy.run_path(str(DEBIAN / "build_list.py"))["build"]
    assert build(JSON_DIR) == TEXT


def test_every_entry_reads_with_its_cves_dates_and_fixed_versions() -> None:
    read = parse_list(TEXT, "DSA/list")
    assert (read.problems, read.warnings) == ((), ())
    oracle = _oracle()
    assert len(read.entries) == len(oracle) == 24
    for entry in read.entries:
        expected = oracle[entry.id]
        assert entry.published == expected["date"], entry.id
        assert list(entry.cves) == expected["cves"], entry.id
        assert {(f.release, f.package): f.version for f in entry.fixes} == expected["fixed"]


def test_dsa_5514_1_glibc_is_fixed_in_bookworm_by_2_36_9_deb12u3() -> None:
    entry = next(e for e in parse_list(TEXT, "DSA/list").entries if e.id == "DSA-5514-1")
    assert entry.cves == ("CVE-2023-4911",)
    assert entry.published == datetime(2023, 10, 3, tzinfo=UTC)
    bookworm = next(f for f in entry.fixes if f.release == "bookworm")
    assert (bookworm.ecosystem, bookworm.package, bookworm.version) == (
        "Debian:12",
        "glibc",
        "2.36-9+deb12u3",
    )


def test_the_osv_record_matches_source_versions_below_the_fix_only() -> None:
    records = [parse_advisory(to_osv(e)) for e in parse_list(TEXT, "DSA/list").entries]
    dsa = next(r for r in records if r.id == "DSA-5514-1")
    assert dsa.aliases == ("CVE-2023-4911",)
    assert dsa.published == dsa.modified == datetime(2023, 10, 3, tzinfo=UTC)
    assert dsa.severity.level == "unknown"
    assert {(a.ecosystem, a.package) for a in dsa.affected} == {
        ("Debian:11", "glibc"),
        ("Debian:12", "glibc"),
    }
    index = build_index(records)
    found = match(index, "Debian:12", "glibc", "2.36-9+deb12u2")
    assert "DSA-5514-1" in {f.advisory_id for f in found}
    assert {f.fixed_version for f in found if f.advisory_id == "DSA-5514-1"} == {"2.36-9+deb12u3"}
    later = {f.advisory_id for f in match(index, "Debian:12", "glibc", "2.36-9+deb12u3")}
    assert "DSA-5514-1" not in later
    assert "DSA-5611-1" in later  # the next glibc DSA still applies


def test_dsa_5895_1_names_what_bookworm_shipped_so_bookworm_was_never_affected() -> None:
    index = build_index([parse_advisory(to_osv(e)) for e in parse_list(TEXT, "x").entries])
    assert match(index, "Debian:12", "xz-utils", "5.4.1-1") == ()
    assert {f.advisory_id for f in match(index, "Debian:12", "xz-utils", "5.4.0-0.1")} == {
        "DSA-5895-1"
    }


# An entry written for this test (not a real DSA): the tracker's not-affected and NOTE forms.
NOT_AFFECTED = """\
[01 Jan 2026] DSA-9999-1 foo - test-authored entry
\t{CVE-2099-0002}
\t[bookworm] - foo <not-affected> (vulnerable code not present)
\t[bullseye] - foo 1.0-1+deb11u1 (bug #1234)
\t[trixie] - foo <unfixed>
\tNOTE: written for fleetpatch's tests
"""


def test_a_not_affected_release_gets_no_affected_entry() -> None:
    read = parse_list(NOT_AFFECTED, "t")
    assert read.problems == ()
    assert read.warnings == ("t:5: DSA-9999-1: [trixie] <unfixed> is not used, skipped",)
    record = to_osv(read.entries[0])
    assert [a["package"]["ecosystem"] for a in record["affected"]] == ["Debian:11"]
    assert record["affected"][0]["ranges"][0]["events"][1] == {"fixed": "1.0-1+deb11u1"}
    assert record["details"] == "NOTE: written for fleetpatch's tests"
    index = build_index([parse_advisory(record)])
    assert match(index, "Debian:12", "foo", "0.1-1") == ()
    assert len(match(index, "Debian:11", "foo", "1.0-1")) == 1


def _with(lines: dict[int, str | None], insert: dict[int, str] | None = None) -> str:
    """The real list with some lines replaced (None drops them) or inserted before a line."""
    out = []
    for number, line in enumerate(TEXT.splitlines(), 1):
        if insert and number in insert:
            out.append(insert[number])
        if number in lines:
            if lines[number] is not None:
                out.append(lines[number])  # type: ignore[arg-type]
            continue
        out.append(line)
    return "\n".join(out) + "\n"


def _line_of(text: str) -> int:
    return TEXT.splitlines().index(text) + 1


def test_bad_lines_are_counted_by_file_and_line_and_good_entries_still_read() -> None:
    glibc = _line_of("[03 Oct 2023] DSA-5514-1 glibc - security update")
    bind = _line_of("\t[bookworm] - bind9 1:9.18.24-1")
    curl = _line_of("\t[bullseye] - curl 7.74.0-1.3+deb11u11")
    ssh = _line_of("\t[bookworm] - openssh 1:9.2p1-2+deb12u2")
    truncated = _line_of("[24 Oct 2023] DSA-5532-1 openssl - security update")
    text = _with(
        {
            bind: "\t[bookworm] - bind9 1:9.18.24-",  # a version dpkg rejects
            curl: "\t[sid] - curl 8.5.0-1",  # a codename fleetpatch does not map
            ssh: "\tbookworm: fixed in 1:9.2p1-2+deb12u2",  # no annotation form
            truncated + 1: None,  # DSA-5532-1 loses its lines after the header
            truncated + 2: None,
        },
        insert={glibc: "this line is not part of any entry"},
    )
    read = parse_list(text, "DSA/list")
    orphan = text.splitlines().index("this line is not part of any entry") + 1
    assert orphan == glibc - 2  # the two lines dropped above it
    assert read.problems == (
        f"DSA/list:{bind}: DSA-5621-1: [bookworm] bind9: invalid dpkg version '1:9.18.24-': "
        "revision number is empty; entry skipped",
        f"DSA/list:{ssh}: DSA-5586-1: cannot read 'bookworm: fixed in 1:9.2p1-2+deb12u2'; "
        "entry skipped",
        f"DSA/list:{truncated}: DSA-5532-1 has no [release] lines (truncated?); skipped",
        f"DSA/list:{orphan}: not a DSA/DLA header, entry skipped: "
        "'this line is not part of any entry'",
    )
    assert read.warnings == (
        f"DSA/list:{curl}: DSA-5587-1: unknown release 'sid', that line is skipped",
    )
    ids = {e.id for e in read.entries}
    assert len(ids) == 21  # 24 less the garbled bind9 and openssh and the truncated openssl
    assert not ids & {"DSA-5621-1", "DSA-5586-1", "DSA-5532-1"}
    assert "DSA-5514-1" in ids  # a stray line ends the entry above it, not the one below
    curl_entry = next(e for e in read.entries if e.id == "DSA-5587-1")
    assert [f.release for f in curl_entry.fixes] == ["bookworm"]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("[bookworm] - foo <garbled>", "[bookworm] foo: unknown pseudo-version <garbled>"),
        ("[bookworm] - foo 1.0-1 (low)", "[bookworm] foo: cannot read '(low)'"),
        ("[bookworm] - foo", "cannot read '[bookworm] - foo'"),
        ("{CVE-2099-0003 #1234}", "reference '#1234' is not a CVE id"),
    ],
)
def test_a_line_outside_the_tracker_grammar_skips_its_entry(line: str, reason: str) -> None:
    text = f"[01 Jan 2026] DSA-9998-1 foo - test-authored\n\t{line}\n\t[bullseye] - foo 1.0-1\n"
    read = parse_list(text, "t")
    assert read.entries == ()
    assert read.problems == (f"t:2: DSA-9998-1: {reason}; entry skipped",)


def test_an_entry_naming_only_unmapped_releases_is_skipped_with_a_warning() -> None:
    text = "[01 Jan 2010] DSA-1-1 foo - test-authored\n\t[lenny] - foo 1.0-1\n"
    read = parse_list(text, "t")
    assert read.entries == ()
    assert read.warnings == (
        "t:2: DSA-1-1: unknown release 'lenny', that line is skipped",
        "t:1: DSA-1-1 names no release fleetpatch knows; skipped",
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (TEXT, True),
        ("\n\n" + TEXT, True),
        ("[13 Apr 2025] DLA-4123-1 foo - test-authored\n", True),
        ('[{"id": "DSA-1-1"}]', False),
        ("just some notes\n[03 Oct 2023] DSA-5514-1 glibc - x\n", False),
        ("", False),
        (b"\n" + TEXT.encode(), True),
        (b'[{"id": "DSA-1-1"}]', False),
    ],
)
def test_the_format_is_told_by_the_first_non_empty_line(text: str | bytes, expected: bool) -> None:
    assert looks_like_list(text) is expected


def test_the_readme_example_reads_as_the_readme_says() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("**Debian's DSA/DLA lists**", 1)[1]
    assert "fleetpatch advisories import data/DSA/list" in readme
    block = section.split("```\n", 2)[1]
    text = "".join(line.removeprefix("  ") for line in block.splitlines(keepends=True))
    (entry,) = parse_list(text, "README.md").entries
    assert (entry.id, entry.cves) == ("DSA-5514-1", ("CVE-2023-4911",))
    assert [(f.ecosystem, f.package, f.version) for f in entry.fixes] == [
        ("Debian:12", "glibc", "2.36-9+deb12u3")
    ]
