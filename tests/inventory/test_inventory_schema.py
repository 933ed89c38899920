"""The report schema: round trip, strictness, one-line errors naming the field, published schema."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from fleetpatch.errors import ReportError
from fleetpatch.inventory.records import (
    HostReport,
    Image,
    KernelFacts,
    OsInfo,
    Package,
    RebootEvidence,
)
from fleetpatch.inventory.schema import (
    parse_report,
    parse_report_json,
    report_json_schema,
    report_to_dict,
)


def full_report() -> dict[str, Any]:
    """The example of DESIGN.md §6, with every optional field filled in."""
    return {
        "schema": "fleetpatch.report/v1",
        "hostname": "db-01",
        "machine_id": "3d1219c7c4c5404aaa1f6d2a48adfda4",
        "collected_at": "2026-11-27T10:00:00Z",
        "os": {
            "id": "debian",
            "version_id": "12",
            "codename": "bookworm",
            "pretty_name": "Debian GNU/Linux 12 (bookworm)",
        },
        "ecosystem": "Debian:12",
        "arch": "amd64",
        "kernel": {"running": "6.1.0-25-amd64", "installed": ["6.1.0-25-amd64", "6.1.0-26-amd64"]},
        "boot_time": "2026-11-20T09:00:00+01:00",
        "boot_id": "e3577dad-0e09-4b6c-99d8-0e50be7791a3",
        "reboot_required": {
            "flag": True,
            "since": "2026-11-21T10:00:00Z",
            "packages": ["linux-image-6.1.0-26-amd64"],
        },
        "packages": [
            {
                "name": f"lib{i}",
                "version": f"1.{i}-1",
                "arch": "amd64",
                "source": f"src{i % 7}",
                "source_version": f"1.{i}-1",
            }
            for i in range(20)
        ]
        + [{"name": "libssl3", "version": "3.0.15-1~deb12u1"}],
        "image": {"id": "ami-0abc", "name": "base-2026-11"},
        "labels": {"role": "db"},
        "collector": "local",
    }


def error_of(obj: Any) -> str:
    with pytest.raises(ReportError) as info:
        parse_report(obj)
    message = str(info.value)
    assert "\n" not in message
    return message


def test_full_report_parses_to_records() -> None:
    report = parse_report(full_report())
    assert report.boot_time == datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
    assert report.boot_time.tzinfo is UTC
    assert report.reboot_required == RebootEvidence(
        True, datetime(2026, 11, 21, 10, tzinfo=UTC), ("linux-image-6.1.0-26-amd64",)
    )
    assert report.packages[-1] == Package("libssl3", "3.0.15-1~deb12u1")
    assert report.image == Image("ami-0abc", "base-2026-11")
    assert report.kernel == KernelFacts("6.1.0-25-amd64", ("6.1.0-25-amd64", "6.1.0-26-amd64"))


def test_round_trip_both_ways() -> None:
    report = parse_report(full_report())
    as_dict = report_to_dict(report)
    assert parse_report(as_dict) == report
    assert report_to_dict(parse_report(as_dict)) == as_dict
    assert as_dict["boot_time"] == "2026-11-20T08:00:00Z"
    assert parse_report_json(json.dumps(as_dict)) == report


def test_minimal_report_and_defaults_round_trip() -> None:
    report = HostReport(
        hostname="h",
        collected_at=datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=2))),
        os=OsInfo("alpine"),
        ecosystem="Alpine:v3.20",
        packages=(),
    )
    again = parse_report(report_to_dict(report))
    assert again == report
    assert (again.image, again.collector, again.reboot_required.flag) == (None, "", None)
    minimal = {
        "schema": "fleetpatch.report/v1",
        "hostname": "h",
        "os": {"id": "alpine"},
        "collected_at": "2026-01-01T00:00:00Z",
        "ecosystem": "Alpine:v3.20",
        "packages": [],
    }
    assert parse_report(minimal).kernel == KernelFacts()


def mutate(path: str, value: Any) -> dict[str, Any]:
    obj = copy.deepcopy(full_report())
    *parents, last = path.split(".")
    target: Any = obj
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    if value is DELETE:
        del target[int(last) if last.isdigit() else last]
    else:
        target[int(last) if last.isdigit() else last] = value
    return obj


DELETE = object()


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("packages.12.version", DELETE, "packages[12].version: Field required"),
        ("packages.3.epoch", "1", "packages[3].epoch: Unexpected keyword argument"),
        ("extra_key", 1, "extra_key: Extra inputs are not permitted"),
        ("os.kernel", "x", "os.kernel: Extra inputs are not permitted"),
        ("reboot_required.why", "x", "reboot_required.why: Extra inputs are not permitted"),
        ("collected_at", "2026-11-27T10:00:00", "collected_at: Input should have timezone info"),
        ("boot_time", "2026-11-27 10:00", "boot_time: Input should have timezone info"),
        ("collected_at", 1795779855, "collected_at: Value error, Input should be an RFC 3339"),
        ("reboot_required.flag", "yes", "reboot_required.flag: Input should be a valid boolean"),
        ("packages.0.version", 1, "packages[0].version: Input should be a valid string"),
        ("packages.0.name", "", "packages[0].name: String should have at least 1 character"),
        ("packages", {"a": 1}, "packages: Input should be a valid list"),
        ("labels", {"role": 1}, "labels.role: Input should be a valid string"),
        ("schema", "fleetpatch.report/v2", "schema: Input should be 'fleetpatch.report/v1'"),
        ("collector", "agent", "collector: Input should be 'local', 'root', 'ssh', 'k8s' or"),
        ("hostname", DELETE, "hostname: Field required"),
        ("packages.4", "libc6", "packages[4]: Input should be a dictionary or an instance of"),
    ],
)
def test_rejections_are_one_line_naming_the_field(path: str, value: Any, message: str) -> None:
    assert error_of(mutate(path, value)).startswith(message)


def test_several_problems_are_counted_on_the_one_line() -> None:
    obj = mutate("hostname", DELETE)
    obj["packages"][0]["arch"] = 5
    assert error_of(obj).endswith("(and 1 more problem)")
    obj["packages"][1]["arch"] = 5
    assert error_of(obj).endswith("(and 2 more problems)")


def test_not_an_object() -> None:
    assert error_of([1, 2]) == "report: expected a JSON object, got list"
    with pytest.raises(ReportError, match=r"^report: Invalid JSON"):
        parse_report_json(b"{not json")


def test_published_json_schema_is_strict() -> None:
    schema = report_json_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["additionalProperties"] is False
    assert schema["properties"]["schema"]["const"] == "fleetpatch.report/v1"
    assert schema["properties"]["packages"]["items"]["additionalProperties"] is False
    assert schema["properties"]["packages"]["items"]["required"] == ["name", "version"]
    assert set(schema["required"]) == {
        "schema",
        "hostname",
        "collected_at",
        "os",
        "ecosystem",
        "packages",
    }
    for name in ("OsDict", "KernelDict", "RebootDict", "ImageDict"):
        assert schema["$defs"][name]["additionalProperties"] is False
    assert set(full_report()) == set(schema["properties"])


@pytest.mark.parametrize("field", ["collected_at", "boot_time", "reboot_required.since"])
@pytest.mark.parametrize("value", ["9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00"])
def test_fuzz_case_edge_time_with_an_offset_is_one_line_not_an_overflow(
    field: str, value: str
) -> None:
    """Found by tests/fuzz: in UTC these leave datetime's range; ingest raised OverflowError and
    `POST /api/v1/reports` answered 500."""
    data = full_report()
    parent = data["reboot_required"] if field.startswith("reboot") else data
    parent[field.rsplit(".", 1)[-1]] = value
    for parse in (parse_report, lambda d: parse_report_json(json.dumps(d))):
        with pytest.raises(ReportError) as caught:
            parse(data)
        assert (
            str(caught.value)
            == f"{field}: Value error, date-time out of range once converted to UTC"
        )
