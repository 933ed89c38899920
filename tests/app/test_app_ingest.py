"""Ingest: input shapes, idempotency, rejections that name their place, all-or-nothing reports."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from fleetpatch.app.ingest import Source, ingest
from fleetpatch.app.parallel import check_documents
from fleetpatch.app.parallel_files import check_ndjson_file
from fleetpatch.app.report_stream import read_documents
from fleetpatch.app.validation import ReportValidator
from fleetpatch.errors import InputError
from fleetpatch.store import HostRepository, PackageRepository, ReportRepository, Store

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
PACKAGES = [
    {"name": "libssl3", "version": "3.0.15-1~deb12u1", "arch": "amd64", "source": "openssl",
     "source_version": "3.0.15-1~deb12u1"},
    {"name": "openssl", "version": "3.0.15-1~deb12u1", "arch": "amd64", "source": "openssl",
     "source_version": "3.0.15-1~deb12u1"},
    {"name": "libc6", "version": "2.36-9+deb12u8", "arch": "amd64", "source": "glibc",
     "source_version": "2.36-9+deb12u8"},
]  # fmt: skip


def report(hostname: str, minute: int = 0, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "schema": "fleetpatch.report/v1",
        "hostname": hostname,
        "collected_at": f"2026-11-27T10:{minute:02d}:00Z",
        "os": {"id": "debian", "version_id": "12", "codename": "bookworm"},
        "ecosystem": "Debian:12",
        "arch": "amd64",
        "kernel": {"running": "6.1.0-25-amd64", "installed": ["6.1.0-25-amd64", "6.1.0-26-amd64"]},
        "boot_time": "2026-10-01T08:00:00Z",
        "reboot_required": {"flag": True, "packages": ["linux-image-6.1.0-26-amd64"]},
        "packages": PACKAGES,
        "image": {"id": "ami-0abc", "name": "debian-12-base"},
        "labels": {"role": "db"},
    }
    body.update(changes)
    return body


def ndjson(*reports: dict[str, Any]) -> bytes:
    return b"".join(orjson.dumps(r) + b"\n" for r in reports)


def run(store: Store, name: str, data: bytes, **options: Any) -> Any:
    return ingest(store, [Source.from_bytes(name, data)], now=NOW, **options)


def stored_hosts(store: Store) -> list[str]:
    with store.session() as session:
        return HostRepository(session).names()


def test_ndjson_array_and_object_inputs_are_all_accepted(store: Store) -> None:
    one = json.dumps(report("db-01"), indent=2).encode()
    many = json.dumps([report("db-02"), report("db-03")]).encode()
    lines = ndjson(report("db-04"), report("db-05"))
    summary = ingest(
        store,
        [Source.from_bytes("one.json", one), Source.from_bytes("many.json", many),
         Source.from_bytes("r.ndjson", lines)],
        now=NOW,
    )  # fmt: skip
    assert (summary.stored, summary.duplicates, summary.rejected) == (5, 0, ())
    assert stored_hosts(store) == ["db-01", "db-02", "db-03", "db-04", "db-05"]


def test_same_input_twice_is_stored_once(store: Store) -> None:
    data = ndjson(report("db-01"), report("db-02"), report("db-01"))
    first = run(store, "r.ndjson", data)
    second = run(store, "r.ndjson", data)
    assert (first.stored, first.duplicates) == (2, 1)
    assert (second.stored, second.duplicates) == (0, 3)
    with store.session() as session:
        assert ReportRepository(session).count() == 2


def test_bad_reports_are_named_and_good_ones_stored(store: Store) -> None:
    broken_package = report("db-02", packages=[*PACKAGES[:3], {"name": "zlib1g", "arch": "amd64"}])
    data = ndjson(report("db-01"), broken_package, report("db-03"))
    data += b'{"schema": "fleetpatch.report/v1", "hostname": \n'
    data += b"\n" + ndjson(report("db-04", collected_at="2026-11-27T10:00:00"), report("db-05"))
    summary = run(store, "reports.ndjson", data)
    reasons = [str(r) for r in summary.rejected]
    assert reasons[0] == "reports.ndjson:2: packages[3].version: Field required"
    assert reasons[1].startswith("reports.ndjson:4: invalid JSON: ")
    assert reasons[2].startswith("reports.ndjson:6: collected_at: ")
    assert len(reasons) == 3
    assert summary.stored == 3
    assert stored_hosts(store) == ["db-01", "db-03", "db-05"]


def test_array_items_are_named_by_index(store: Store) -> None:
    data = json.dumps([report("db-01"), {"hostname": 3}, [1, 2]]).encode()
    summary = run(store, "batch.json", data)
    assert [r.where for r in summary.rejected] == ["batch.json[1]", "batch.json[2]"]
    assert summary.rejected[1].reason == "report: expected a JSON object, got array"


def test_a_broken_document_is_one_rejection(store: Store) -> None:
    summary = run(store, "me.json", b'{\n  "schema": "fleetpatch.report/v1",\n  "hostname": ')
    assert len(summary.rejected) == 1
    assert summary.rejected[0].where == "me.json"
    assert summary.rejected[0].reason.startswith("invalid JSON: ")


def test_a_rejected_report_writes_nothing_at_all(store: Store) -> None:
    newcomer = {"name": "only-in-the-bad-report", "version": "1.0-1", "arch": "amd64"}
    bad = report("db-09", packages=[newcomer, {"name": "x"}])
    summary = run(store, "r.ndjson", ndjson(bad, report("db-01")))
    assert len(summary.rejected) == 1
    with store.session() as session:
        names = {v.name for v in PackageRepository(session).distinct_versions()}
    assert "only-in-the-bad-report" not in names
    assert stored_hosts(store) == ["db-01"]


def test_hosts_from_one_image_share_a_set_across_batches(store: Store) -> None:
    data = ndjson(*(report(f"node-{i:02d}") for i in range(7)))
    summary = run(store, "r.ndjson", data, batch_size=2)
    assert summary.stored == 7
    with store.session() as session:
        by_set = HostRepository(session).hosts_by_package_set()
    assert list(by_set.values()) == [tuple(f"node-{i:02d}" for i in range(7))]


def test_history_is_kept_and_the_newest_is_current(store: Store) -> None:
    run(store, "a.ndjson", ndjson(report("db-01", minute=30)))
    run(store, "b.ndjson", ndjson(report("db-01", minute=10), report("db-01", minute=50)))
    with store.session() as session:
        history = ReportRepository(session).history("db-01")
        current = HostRepository(session).current_for("db-01")
    assert [h.collected_at.minute for h in history] == [50, 30, 10]
    assert current is not None
    assert current.collected_at.minute == 50
    assert current.received_at == NOW


def test_progress_counts_every_input_byte(store: Store) -> None:
    data = ndjson(*(report(f"h{i}") for i in range(5)))
    seen: list[int] = []
    run(store, "r.ndjson", data, batch_size=2, progress=seen.append)
    assert sum(seen) == len(data)
    assert len(seen) == 3


def test_input_without_reports_is_bad_input_and_stores_nothing(store: Store) -> None:
    with pytest.raises(InputError, match=r"^no reports in empty\.ndjson$"):
        run(store, "empty.ndjson", b"\n\n")
    good = Source.from_bytes("good.ndjson", ndjson(report("h001")))
    with pytest.raises(InputError, match=r"^no reports in none\.json$"):
        ingest(store, [good, Source.from_bytes("none.json", b"[]")], now=NOW)
    with store.session() as session:
        assert HostRepository(session).names() == []  # the good source rolled back too


@pytest.mark.slow
def test_worker_processes_give_the_sequential_result() -> None:
    reports = [report(f"h{i:03d}", packages=PACKAGES[: 1 + i % 3]) for i in range(120)]
    reports[40]["packages"] = [{"name": "bad"}]
    reports[77]["packages"] = []
    data = ndjson(*reports) + b"not json\n"

    def checked(workers: int) -> list[Any]:
        stream = Source.from_bytes("r.ndjson", data).stream
        documents = read_documents("r.ndjson", stream)
        return list(check_documents(documents, ReportValidator(), workers, sequential_first=5))

    sequential, parallel = checked(1), checked(2)
    assert [c.error for c in parallel] == [c.error for c in sequential]
    assert [c.report for c in parallel] == [c.report for c in sequential]
    assert sum(1 for c in parallel if c.error) == 2
    shared = {id(c.report.packages) for c in parallel if c.report and len(c.report.packages) == 3}
    assert len(shared) == 1


@pytest.mark.slow
def test_workers_reading_file_ranges_give_the_sequential_result(tmp_path: Path) -> None:
    reports = [report(f"h{i:03d}", packages=PACKAGES[: 1 + i % 3]) for i in range(60)]
    reports[7]["packages"] = [{"name": "bad"}]
    lines = [orjson.dumps(r) + b"\n" for r in reports]
    lines[20:20] = [b"\n", b"{not json}\n", b"   \n"]
    path = tmp_path / "r.ndjson"
    path.write_bytes(b"\n" + b"".join(lines))

    with path.open("rb") as stream:
        validator = ReportValidator()
        sequential = [validator.check(d) for d in read_documents("r.ndjson", stream)]
    ranged = check_ndjson_file("r.ndjson", path, ReportValidator(), 2, range_bytes=900)
    assert ranged is not None
    parallel = list(ranged)
    assert [c.where for c in parallel] == [c.where for c in sequential]
    assert [c.error for c in parallel] == [c.error for c in sequential]
    assert [c.report for c in parallel] == [c.report for c in sequential]
    assert [c.where for c in parallel if c.error] == ["r.ndjson:9", "r.ndjson:23"]
    assert sum(c.size for c in parallel) == path.stat().st_size


def test_a_pretty_printed_file_is_not_split(tmp_path: Path) -> None:
    path = tmp_path / "me.json"
    path.write_text(json.dumps(report("db-01"), indent=2))
    assert check_ndjson_file("me.json", path, ReportValidator(), 2) is None
