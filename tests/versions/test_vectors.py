"""Every line of every third-party version vector file, one test per file.

Each test collects all mismatching lines and reports them at once, so a regression shows every
affected vector instead of the first one.
"""

from __future__ import annotations

import itertools

import pytest

from fleetpatch import versions
from fleetpatch.errors import VersionError
from fleetpatch.versions import apk, dpkg, rpm

from .vectors import (
    Case,
    holds,
    op_cases,
    parse_cases,
    snapshot_histories,
    tsv_cases,
    validity_cases,
)


def _mismatches(scheme: str, cases: list[Case]) -> list[str]:
    bad = []
    for case in cases:
        result = versions.compare(scheme, case.a, case.b)
        if not holds(case.op, result):
            bad.append(f"{case.where()} but compare gave {result}")
    return bad


@pytest.mark.parametrize(
    ("scheme", "name", "count"),
    [
        ("dpkg", "dpkg-Dpkg_Version_t.tsv", 43),
        ("dpkg", "apt-compareversion_test.tsv", 64),
    ],
)
def test_tsv_vectors(scheme: str, name: str, count: int) -> None:
    cases = list(tsv_cases(name))
    assert len(cases) == count
    assert _mismatches(scheme, cases) == []


@pytest.mark.parametrize(
    ("scheme", "name", "count"),
    [
        ("dpkg", "osv-scalibr-debian-versions.txt", 30),
        ("dpkg", "osv-scalibr-debian-versions-generated.txt", 14442),
        ("apk", "osv-scalibr-alpine-versions-generated.txt", 13979),
    ],
)
def test_op_vectors(scheme: str, name: str, count: int) -> None:
    cases = list(op_cases(name))
    assert len(cases) == count
    assert _mismatches(scheme, cases) == []


def test_rpmvercmp_vectors_including_disabled_oddities() -> None:
    cases = list(tsv_cases("rpm-rpmvercmp_at.tsv"))
    assert len(cases) == 103
    bad = [
        case.where()
        for case in cases
        if not holds(case.op, rpm.vercmp(case.a, case.b))
        or not holds(case.op, versions.compare("rpm", case.a, case.b))
    ]
    assert bad == []


# python3-rpm's labelCompare raises "invalid version" for an empty version field, and so do we:
# `+2-:` is epoch `+2-` with nothing after the colon.
RPM_INVALID_LINE = "+2-: > +1-:"


def test_redhat_evr_vectors() -> None:
    cases = list(op_cases("osv-scalibr-redhat-versions.txt"))
    assert len(cases) == 165
    invalid = [c for c in cases if f"{c.a} {c.op} {c.b}" == RPM_INVALID_LINE]
    assert len(invalid) == 1
    assert _mismatches("rpm", [c for c in cases if c not in invalid]) == []


def test_redhat_empty_version_field_is_invalid_like_python3_rpm() -> None:
    with pytest.raises(VersionError, match=r"invalid rpm version '\+2-:'"):
        versions.compare("rpm", "+2-:", "+1-:")


def test_snapshot_histories_are_strictly_descending() -> None:
    histories = snapshot_histories()
    assert {name: len(h) for name, h in histories.items()} == {
        "curl": 475,
        "nginx": 312,
        "blender": 213,
    }
    bad = [
        f"{name}: {newer!r} should be > {older!r}"
        for name, history in histories.items()
        for newer, older in itertools.pairwise(history)
        if versions.compare("dpkg", newer, older) != 1
    ]
    assert bad == []
    for history in histories.values():
        shuffled = sorted(history)
        assert sorted(shuffled, key=lambda v: versions.sort_key("dpkg", v), reverse=True) == history


def test_dpkg_parse_cases_errors_warnings_and_fields() -> None:
    cases = parse_cases()
    assert len(cases) == 80
    bad = []
    for case in cases:
        text = str(case["input"])
        if case["expect"] == "error":
            try:
                dpkg.validate(text)
            except VersionError:
                continue
            bad.append(f"{text!r}: accepted, dpkg refuses it")
            continue
        parsed = dpkg.parse(text)
        if case["expect"] == "valid":
            got = (parsed.epoch, parsed.upstream, parsed.revision, parsed.warnings)
            want = (case["epoch"], case["upstream"], case["revision"], ())
            if got != want:
                bad.append(f"{text!r}: parsed {got}, want {want}")
        elif not parsed.warnings:
            bad.append(f"{text!r}: no warning, dpkg warns ({case['why']})")
        elif versions.compare("dpkg", text, text) != 0:
            bad.append(f"{text!r}: not equal to itself")
    assert bad == []


def test_dpkg_error_messages_name_the_reason_like_dpkg() -> None:
    for case in parse_cases():
        stderr = str(case["dpkg_stderr"])
        if case["expect"] != "error" or "bad syntax: " not in stderr:
            continue
        reason = stderr.split("bad syntax: ", 1)[1].splitlines()[0]
        with pytest.raises(VersionError) as caught:
            dpkg.validate(str(case["input"]))
        assert str(caught.value).endswith(reason)
        assert "\n" not in str(caught.value)


def test_apk_tools_version_data_every_line() -> None:
    cases = list(op_cases("apk-tools-version.data"))
    assert len(cases) == 754
    bad = []
    for case in cases:
        negated = case.op.startswith("!")
        op = case.op.lstrip("!")
        if "~" in op:
            result = 0 if apk.fuzzy_match(case.a, case.b) else apk.compare(case.a, case.b)
            ok = holds(op.replace("~", "="), result)
        else:
            ok = holds(op, apk.compare(case.a, case.b))
        if ok == negated:
            bad.append(case.where())
    assert bad == []


def test_apk_tools_validity_lines() -> None:
    lines = list(validity_cases("apk-tools-version.data"))
    assert len(lines) == 31
    bad = []
    for number, version, valid in lines:
        try:
            versions.validate("apk", version)
            accepted = True
        except VersionError:
            accepted = False
        if accepted != valid:
            bad.append(f"line {number}: {version!r} valid={accepted}, want {valid}")
    assert bad == []


def test_scalibr_alpine_hand_written_vectors() -> None:
    cases = list(op_cases("osv-scalibr-alpine-versions.txt"))
    assert len(cases) == 778
    assert _mismatches("apk", cases) == []
