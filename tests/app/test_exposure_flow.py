"""The exposure engine through the store: a real Debian 12 host, its real apt lists, evaluated.

The host is this project's saved Debian 12 machine (`tests/data/catalog/debian12/`): its dpkg
status and the apt lists of its mirror, with `apt list --upgradable` saved beside them. One advisory
is written by this test (id `FLEETPATCH-TEST-1`, clearly not a real one) so that the CVE path has
something to find; everything else is real data.
"""

from __future__ import annotations

import json
import lzma
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from fleetpatch.app.evaluate import evaluate_fleet, evaluate_host_now
from fleetpatch.app.queries import cve_report, drift_report, fleet_status, outdated, vulns
from fleetpatch.app.upstream import import_advisories, import_catalog
from fleetpatch.cli.main import cli
from fleetpatch.errors import NotFoundError
from fleetpatch.inventory.dpkg import parse_dpkg_status
from fleetpatch.inventory.records import HostReport, KernelFacts, OsInfo, RebootEvidence
from fleetpatch.policy.loader import parse_policy
from fleetpatch.store import ReportRepository, Store, open_store

DEBIAN12 = Path(__file__).parents[1] / "data" / "catalog" / "debian12"
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
POLICY_TEXT = """
owners:
  dba: {contacts: {chat: "#dba", email: dba@example.com}}
buckets:
  - name: databases
    owner: dba
    strategy: in-place-gated
    windows: [{cron: "0 2 * * sat", duration: 2h}]
    gates: [{name: replication, command: [pg-check-replication], timeout: 1m}]
    match: [{labels: {role: db}}]
"""
UPGRADABLE = re.compile(r"^(\S+)/\S+ (\S+) (\S+) \[upgradable from: ([^\]]+)\]$")


def _apt_upgradable() -> dict[str, tuple[str, str]]:
    lines = (DEBIAN12 / "apt-list-upgradable.txt").read_text().splitlines()
    found = {}
    for line in lines:
        m = UPGRADABLE.match(line)
        if m:
            found[m[1]] = (m[4], m[2])
    return found


def _report(hostname: str, labels: dict[str, str], **kw: object) -> HostReport:
    text = lzma.decompress((DEBIAN12 / "status.xz").read_bytes()).decode()
    parsed = parse_dpkg_status(text)
    return HostReport(
        hostname=hostname,
        collected_at=kw.get("collected_at", NOW - timedelta(hours=1)),  # type: ignore[arg-type]
        os=OsInfo("debian", "12", "bookworm"),
        ecosystem="Debian:12",
        arch="amd64",
        packages=parsed.packages,
        kernel=kw.get("kernel", KernelFacts("6.1.0-26-amd64", ("6.1.0-26-amd64",))),  # type: ignore[arg-type]
        boot_time=NOW - timedelta(days=40),
        reboot_required=RebootEvidence(False),
        labels=labels,
        collector="local",
    )


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    tmp = tmp_path_factory.mktemp("flow")
    store = open_store(f"sqlite:///{tmp / 'fleetpatch.db'}")
    with store.session(write=True) as session:
        ReportRepository(session).add_many(
            [_report("db-01", {"role": "db"}), _report("odd-01", {})], received_at=NOW
        )
    import_catalog(store, [str(DEBIAN12 / "lists")], now=NOW)
    name, (_installed, candidate) = next(iter(sorted(_apt_upgradable().items())))
    record = {
        "id": "FLEETPATCH-TEST-1",
        "modified": "2026-11-20T00:00:00Z",
        "published": "2026-11-19T00:00:00Z",
        "aliases": ["CVE-2099-0001"],
        "summary": "test-authored advisory",
        "affected": [
            {
                "package": {"ecosystem": "Debian:12", "name": _source_of(name)},
                "ranges": [
                    {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": candidate}]}
                ],
                "ecosystem_specific": {"urgency": "high"},
            }
        ],
    }
    osv = tmp / "osv.json"
    osv.write_text(json.dumps(record))
    import_advisories(store, [osv], now=NOW)
    evaluate_fleet(store, parse_policy(POLICY_TEXT), now=NOW)
    return store


def _source_of(name: str) -> str:
    text = lzma.decompress((DEBIAN12 / "status.xz").read_bytes()).decode()
    for package in parse_dpkg_status(text).packages:
        if package.name == name:
            return package.source
    raise AssertionError(name)


POLICY = parse_policy(POLICY_TEXT)


def test_outdated_is_apts_upgradable_set_candidate_for_candidate(store: Store) -> None:
    rows = outdated(store, POLICY, "db-01", now=NOW)
    ours = {r.name: (r.installed, r.candidate) for r in rows}
    assert ours == _apt_upgradable()
    assert all(r.days_behind >= 0 for r in rows)
    assert any(r.security and "security suite" in r.why_security for r in rows)


def test_status_rolls_up_per_bucket_with_the_unclassified_host_apart(store: Store) -> None:
    result = fleet_status(store, by="bucket")
    assert result.evaluation is not None
    assert result.evaluation.hosts == 2
    groups = {r.key: r for r in result.groups}
    assert groups["databases"].hosts == 1
    assert groups[None].unclassified == 1
    assert result.fleet.hosts == 2
    assert result.fleet.current == 0  # both run the same outdated package set
    assert result.fleet.days_behind_max > 0


def test_vulns_and_cve_find_the_advisory_by_id_and_by_cve(store: Store) -> None:
    rows = vulns(store, POLICY, "db-01", now=NOW)
    assert {r.advisory for r in rows} == {"FLEETPATCH-TEST-1"}
    # one row per installed binary package built from the affected source
    assert len({r.package for r in rows}) == len(rows)
    assert {r.source for r in rows} == {rows[0].source}
    assert {r.severity for r in rows} == {"high"}
    report = cve_report(store, POLICY, "CVE-2099-0001", now=NOW)
    assert report.affected_hosts == 2
    buckets = {g.bucket: [h.hostname for h in g.hosts] for g in report.groups}
    assert buckets == {"databases": ["db-01"], None: ["odd-01"]}
    assert report.owners_to_act == ("(unowned)", "dba")
    assert report.groups[0].contacts == {"chat": "#dba", "email": "dba@example.com"}
    assert report.fleet_patched_at is None


def test_an_unknown_cve_is_a_clear_not_found(store: Store) -> None:
    with pytest.raises(NotFoundError, match="no advisory"):
        cve_report(store, POLICY, "CVE-1999-0000", now=NOW)


def test_drift_for_one_package_counts_hosts_per_version(store: Store) -> None:
    (row,) = drift_report(store, POLICY, now=NOW, package="bash")
    assert sum(v.hosts for v in row.versions) == 2


def test_a_new_report_moves_the_host_and_the_rollups_at_once(store: Store) -> None:
    newer = _report(
        "db-01",
        {"role": "db"},
        collected_at=NOW,
        kernel=KernelFacts("6.1.0-26-amd64", ("6.1.0-26-amd64", "6.1.0-27-amd64")),
    )
    with store.session(write=True) as session:
        ReportRepository(session).add_many([newer], received_at=NOW)
    status = evaluate_host_now(store, POLICY, "db-01", now=NOW)
    assert status.reboot == "pending_reboot"
    groups = {r.key: r for r in fleet_status(store).groups}
    assert groups["databases"].pending_reboot == 1


def test_cli_status_json_matches_the_rollups(store: Store, tmp_path: Path) -> None:
    policy = tmp_path / "fleet.yaml"
    policy.write_text(POLICY_TEXT)
    url = str(store.engine.url)
    result = CliRunner().invoke(
        cli, ["--db", url, "--policy", str(policy), "status", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert rows[0]["bucket"] == "fleet"
    assert rows[0]["hosts"] == 2


def test_cli_vulns_check_exits_1_on_findings(store: Store, tmp_path: Path) -> None:
    policy = tmp_path / "fleet.yaml"
    policy.write_text(POLICY_TEXT)
    args = ["--db", str(store.engine.url), "--policy", str(policy), "vulns", "db-01", "--check"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1
    assert "FLEETPATCH-TEST-1" in result.stdout


def test_vulns_check_without_advisories_for_the_ecosystem_is_exit_3(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'fleetpatch.db'}")
    with store.session(write=True) as session:
        ReportRepository(session).add_many([_report("db-01", {"role": "db"})], received_at=NOW)
    import_catalog(store, [str(DEBIAN12 / "lists")], now=NOW)
    evaluate_fleet(store, POLICY, now=NOW)
    store.close()
    policy = tmp_path / "fleet.yaml"
    policy.write_text(POLICY_TEXT)
    base = ["--db", str(tmp_path / "fleetpatch.db"), "--policy", str(policy), "vulns", "db-01"]
    checked = CliRunner().invoke(cli, [*base, "--check"])
    assert checked.exit_code == 3  # not a silent 0: nothing was looked for
    assert checked.stderr.startswith("error: no advisories for Debian:12 in the store")
    plain = CliRunner().invoke(cli, base)
    assert plain.exit_code == 0
    assert "note: no advisories for Debian:12 in the store" in plain.stderr


def test_days_behind_known_only_as_at_least_reads_at_least(store: Store, tmp_path: Path) -> None:
    # One catalog import: every version was already listed then, so its age is a lower bound.
    policy = tmp_path / "fleet.yaml"
    policy.write_text(POLICY_TEXT)
    base = ["--db", str(store.engine.url), "--policy", str(policy), "outdated", "db-01"]
    as_json = json.loads(CliRunner().invoke(cli, [*base, "--format", "json"]).stdout)
    assert as_json
    assert all(r["first_seen_exact"] is False for r in as_json)
    assert all(isinstance(r["days_behind"], float) for r in as_json)
    for fmt in ("table", "csv"):
        text = CliRunner().invoke(cli, [*base, "--format", fmt]).stdout
        assert text.count("≥ ") == len(as_json), fmt
