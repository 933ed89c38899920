"""Fuzzed host reports through `POST /api/v1/reports` and `fleetpatch.app.ingest.ingest`.

Properties: an accepted report can be evaluated and shown on every page and endpoint without a
5xx; a rejected one changes no row of the store; a rejection is one line naming a field.
"""

from __future__ import annotations

import re
from typing import Any

import orjson
from fuzz_checks import check_rejection, digest, host_pages
from fuzz_support import FUZZ, Served, bearer
from hypothesis import given
from hypothesis import strategies as st
from report_strategies import HAND_WRITTEN, NOW, REPORTS

from fleetpatch.app.evaluate import evaluate_fleet
from fleetpatch.app.ingest import Source, ingest
from fleetpatch.inventory.schema import MAX_PACKAGES

HOSTNAME = re.compile(r"[A-Za-z0-9._-]{1,253}")


def packages_of(reports: list[Any]) -> list[dict[str, Any]]:
    """The first package of each well-formed report, with its ecosystem, for the drift views."""
    out = []
    for report in reports:
        packages, ecosystem = report.get("packages"), report.get("ecosystem")
        if isinstance(packages, list) and packages and isinstance(ecosystem, str):
            first = packages[0]
            if isinstance(first, dict) and isinstance(first.get("name"), str):
                out.append({**first, "version": str(first.get("version")), "eco": ecosystem})
    return out


def assert_shown(served: Served, hosts: list[str], reports: list[Any]) -> None:
    """Evaluate the fleet, then every page and endpoint answers below 500."""
    upstream = served.client.app.state.fleetpatch.upstream_all()  # loaded once, as serve does
    evaluate_fleet(served.store, served.policy, now=NOW, upstream=upstream)
    for path, params in host_pages(served.policy, hosts, packages_of(reports)):
        response = served.client.get(path, params=params)
        assert response.status_code < 500, (path, params, response.text, served.errors.lines)
    assert served.errors.lines == []


def encode(reports: list[Any], form: str) -> bytes:
    if form == "object":
        return orjson.dumps(reports[0])
    if form == "array":
        return orjson.dumps(reports)
    return b"".join(orjson.dumps(r) + b"\n" for r in reports)


@FUZZ
@given(report=REPORTS)
def test_a_posted_report_is_shown_or_rejected_without_a_trace(
    served: Served, report: dict[str, Any]
) -> None:
    served.errors.lines.clear()
    before = digest(served.store)
    response = served.client.post(
        "/api/v1/reports",
        content=orjson.dumps(report),
        headers=bearer(served.reporter),
    )
    assert response.status_code < 500, (response.text, served.errors.lines)
    body = response.json()
    for reason in body["rejected"]:
        check_rejection(reason)
    if body["stored"]:
        assert response.status_code == 201
        assert_shown(served, body["hosts"], [report])
    elif body["rejected"]:
        assert response.status_code == 422
        assert digest(served.store) == before


@FUZZ
@given(reports=st.lists(REPORTS, min_size=1, max_size=2), form=st.sampled_from(["array", "ndjson"]))
def test_an_ingested_batch_keeps_the_good_and_writes_nothing_of_the_bad(
    served: Served, reports: list[dict[str, Any]], form: str
) -> None:
    served.errors.lines.clear()
    before = digest(served.store)
    summary = ingest(served.store, [Source.from_bytes("fuzz", encode(reports, form))], now=NOW)
    for rejection in summary.rejected:
        check_rejection(str(rejection))
    assert summary.stored + summary.duplicates + len(summary.rejected) == len(reports)
    if summary.stored:
        names = [r.get("hostname") for r in reports]
        assert_shown(
            served, [n for n in names if isinstance(n, str) and HOSTNAME.fullmatch(n)], reports
        )
    else:
        assert digest(served.store) == before


def test_one_package_over_the_limit_is_one_line_and_writes_nothing(served: Served) -> None:
    """The huge-count case Hypothesis draws too rarely to rely on: 50,001 packages."""
    report = {**HAND_WRITTEN, "hostname": "fz-huge"}
    first = HAND_WRITTEN["packages"][0]
    report["packages"] = [{**first, "name": f"p{i}"} for i in range(MAX_PACKAGES + 1)]
    before = digest(served.store)
    summary = ingest(served.store, [Source.from_bytes("huge", orjson.dumps(report))], now=NOW)
    assert [str(r) for r in summary.rejected] == [
        "huge:1: packages: List should have at most 50000 items after validation, not 50001"
    ]
    check_rejection(str(summary.rejected[0]))
    assert digest(served.store) == before
