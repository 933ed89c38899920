"""`verify: report`: a host is done only when a report after its start shows it patched *and*
running — a patched kernel on disk with the old one running is not done."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from fleetpatch.app.ingest import Source, ingest
from fleetpatch.orchestrate.executors import StepContext
from fleetpatch.orchestrate.verify import ReportVerifier
from fleetpatch.runs.records import StepSpec
from fleetpatch.store import Store

STARTED = datetime(2026, 12, 3, 3, 0, tzinfo=UTC)
TARGET = {"ecosystem": "Debian:12", "packages": {"libssl3": "3.0.15-1~deb12u1"}}


def _report(collected: str, ssl: str, running: str) -> dict[str, Any]:
    return {
        "schema": "fleetpatch.report/v1",
        "hostname": "db-01",
        "collected_at": collected,
        "os": {"id": "debian", "version_id": "12", "codename": "bookworm"},
        "ecosystem": "Debian:12",
        "arch": "amd64",
        "kernel": {"running": running, "installed": ["6.1.0-25-amd64", "6.1.0-26-amd64"]},
        "boot_time": "2026-11-01T00:00:00Z",
        "packages": [
            {
                "name": "libssl3",
                "version": ssl,
                "arch": "amd64",
                "source": "openssl",
                "source_version": ssl,
            },
        ],
    }


def _verify(store: Store, report: dict[str, Any]) -> tuple[bool, str]:
    data = json.dumps(report).encode()
    ingest(store, [Source.from_bytes("r.json", data)], now=datetime(2026, 12, 3, 4, tzinfo=UTC))
    step = StepSpec("verify", "verify", "verifying", 3600)
    ctx = StepContext("run-1", "databases", "db-01", step, 1, TARGET, since=STARTED)
    found = ReportVerifier(store).verify(ctx)
    return found.done, found.message


def test_no_report_after_the_start_is_not_done(store: Store) -> None:
    done, why = _verify(
        store, _report("2026-12-03T02:00:00Z", "3.0.15-1~deb12u1", "6.1.0-26-amd64")
    )
    assert not done
    assert "from before the run" in why


def test_an_old_version_is_not_done(store: Store) -> None:
    done, why = _verify(
        store, _report("2026-12-03T03:30:00Z", "3.0.11-1~deb12u2", "6.1.0-26-amd64")
    )
    assert not done
    assert why == "not patched: libssl3 3.0.11-1~deb12u2 < 3.0.15-1~deb12u1"


def test_patched_on_disk_with_the_old_kernel_running_is_not_done(store: Store) -> None:
    done, why = _verify(
        store, _report("2026-12-03T03:30:00Z", "3.0.15-1~deb12u1", "6.1.0-25-amd64")
    )
    assert not done
    assert why.startswith("patched on disk, reboot pending: kernel 6.1.0-26-amd64 installed")


def test_patched_and_running_is_done(store: Store) -> None:
    done, why = _verify(
        store, _report("2026-12-03T03:30:00Z", "3.0.15-1~deb12u1", "6.1.0-26-amd64")
    )
    assert done
    assert why.endswith("patched and running")
