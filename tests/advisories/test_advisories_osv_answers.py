"""Our matching against real api.osv.dev answers, for every record we hold a copy of.

`osv-scanner-cassette-querybatch-answers.jsonl` holds 576 answers of api.osv.dev (`querybatch`):
for a query (ecosystem, package, version), the ids of every advisory that affects it. The answers
hold ids only. For each advisory whose record we hold (`ubuntu-osv/`, Canonical's records for
pcre3, util-linux, coreutils, libcap2, libzstd and dpkg) the check is exact in both directions,
over *every* answer row: the record is in the API's answer if and only if our `match` returns it.

Not checked: the Debian (DLA/DSA), Alpine and SUSE answers, because osv.dev's Debian, Alpine and
SUSE records are not published in a repository we could copy them from; the Ubuntu answers naming
records we do not hold (glibc, openssl, ...) are checked only in the "not returned" direction,
which says nothing about them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from fleetpatch.advisories import build_index, load_advisories, match

DATA = Path(__file__).resolve().parents[1] / "data" / "advisories"
ANSWERS = [
    json.loads(line)
    for line in (DATA / "osv-scanner-cassette-querybatch-answers.jsonl").read_text().splitlines()
    if line.strip()
]
RECORDS = load_advisories([DATA / "ubuntu-osv"]).records
HELD = {r.id for r in RECORDS}
INDEX = build_index(RECORDS)


def _ours(row: dict[str, Any]) -> set[str]:
    return {f.advisory_id for f in match(INDEX, row["ecosystem"], row["name"], row["version"])}


def _pairs() -> list[tuple[dict[str, Any], str, bool]]:
    """(answer row, held record id, did the API return it) for rows naming a held package."""
    packages = {a.package for r in RECORDS for a in r.affected}
    rows = [r for r in ANSWERS if r["ecosystem"].startswith("Ubuntu") and r["name"] in packages]
    return [(row, ident, ident in row["vuln_ids"]) for row in rows for ident in sorted(HELD)]


def test_fixtures_are_the_ones_described() -> None:
    assert len(ANSWERS) == 576
    assert len(HELD) == 9


@pytest.mark.parametrize(
    ("row", "ident", "returned"),
    [
        pytest.param(
            row, ident, returned, id=f"{row['ecosystem']}/{row['name']}@{row['version']}/{ident}"
        )
        for row, ident, returned in _pairs()
        if any(a.package == row["name"] for r in RECORDS if r.id == ident for a in r.affected)
    ],
)
def test_held_record_matches_exactly_when_the_api_returned_it(
    row: dict[str, Any], ident: str, returned: bool
) -> None:
    assert (ident in _ours(row)) is returned


def test_the_check_covers_positive_and_negative_answers() -> None:
    relevant = [
        (row, ident, returned)
        for row, ident, returned in _pairs()
        if any(a.package == row["name"] for r in RECORDS if r.id == ident for a in r.affected)
    ]
    positives = {(r["ecosystem"], r["name"], r["version"], i) for r, i, ok in relevant if ok}
    negatives = {(r["ecosystem"], r["name"], r["version"], i) for r, i, ok in relevant if not ok}
    assert len({(r["ecosystem"], r["name"], r["version"]) for r, _, _ in relevant}) == 12
    assert (len(positives), len(negatives)) == (13, 5)
    assert ("Ubuntu:22.04", "util-linux", "1:2.37.2-4ubuntu3.4", "USN-8091-1") in negatives
    assert ("Ubuntu:26.04", "coreutils", "9.5-1ubuntu2+0.0.0~ubuntu25", "UBUNTU-CVE-2016-2781") in (
        negatives
    )
    assert ("Ubuntu:20.04:LTS", "pcre3", "2:8.39-12ubuntu0.1", "UBUNTU-CVE-2017-11164") in (
        positives
    )


def test_no_held_record_is_returned_for_any_other_answer_row() -> None:
    wrong = [
        (row["ecosystem"], row["name"], row["version"], sorted(_ours(row) - set(row["vuln_ids"])))
        for row in ANSWERS
        if row["ecosystem"].startswith("Ubuntu") and _ours(row) - set(row["vuln_ids"])
    ]
    assert wrong == []
