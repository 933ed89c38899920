"""An incident's live picture: every member host's state, grouped by bucket and owner, from the
current reports (who is affected now, reboot evidence) and the stored patch pairs (when each host
was affected and patched), at `now`. Nothing here writes.

The membership is the hosts found affected when the incident opened plus any found affected
since (`new_members`: the caller stores them). A replace bucket's affected hosts wait for an
image carrying the fix: an image that a current, unaffected, non-pending host of the fleet runs
with one of the affected packages installed (the report evidence that the image has the fix).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from fleetpatch.app.queries import CveReport, cve_report
from fleetpatch.app.time_to_patch import BucketTime, bucket_times, per_host
from fleetpatch.errors import UnknownNameError
from fleetpatch.exposure.host_states import reboot_status
from fleetpatch.exposure.patching import PatchPair
from fleetpatch.policy.classify import HostFacts, classify
from fleetpatch.policy.records import Policy
from fleetpatch.runs.incident_rules import DONE_STATES, host_state
from fleetpatch.store import PackageRepository, Store
from fleetpatch.store.fleet import FleetReader
from fleetpatch.store.records import ReportHeader
from fleetpatch.store.runs import RunRepository

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


@dataclass(frozen=True, slots=True)
class HostLine:
    host: str
    bucket: str | None
    owner: str | None
    state: str
    packages: tuple[tuple[str, str, str | None], ...] = ()  # (package, installed, fixed)
    run: str | None = None
    run_state: str | None = None
    reason: str = ""
    affected_since: datetime | None = None
    patched_at: datetime | None = None

    @property
    def done(self) -> bool:
        return self.state in DONE_STATES


@dataclass(frozen=True, slots=True)
class BucketLine:
    bucket: str | None
    owner: str | None
    strategy: str
    contacts: Mapping[str, str]
    hosts: tuple[HostLine, ...]
    fixed_image: str | None = None

    @property
    def remaining(self) -> int:
        return sum(1 for h in self.hosts if not h.done)

    @property
    def waiting_for_image(self) -> bool:
        return any(h.state == "waiting_for_image" for h in self.hosts)

    def count(self, state: str) -> int:
        return sum(1 for h in self.hosts if h.state == state)


@dataclass(frozen=True, slots=True)
class LiveIncident:
    report: CveReport | None
    buckets: tuple[BucketLine, ...]
    pairs: tuple[PatchPair, ...]  # one per host (per_host), members only
    new_members: tuple[tuple[str, str | None, str | None], ...] = field(default_factory=tuple)

    @property
    def hosts(self) -> tuple[HostLine, ...]:
        return tuple(h for b in self.buckets for h in b.hosts)

    @property
    def remaining(self) -> int:
        return sum(b.remaining for b in self.buckets)

    @property
    def all_done(self) -> bool:
        return bool(self.hosts) and self.remaining == 0

    def bucket_times(self, disclosed_at: datetime | None) -> tuple[BucketTime, ...]:
        return bucket_times(list(self.pairs), disclosed_at)


def live_incident(
    store: Store,
    policy: Policy,
    name: str,
    members: Mapping[str, tuple[str | None, str | None]],
    run_ids: Sequence[str],
    *,
    now: datetime,
) -> LiveIncident:
    """`members`: host -> (bucket, owner) as stored; `run_ids`: the incident's runs, oldest
    first."""
    try:
        report: CveReport | None = cve_report(store, policy, name, now=now)
    except UnknownNameError:
        report = None  # every advisory withdrawn: nothing is affected any more
    affected = {h.hostname: h for g in (report.groups if report else ()) for h in g.hosts}
    patching = report.patching if report else None
    pairs = {p.hostname: p for p in per_host(patching.pairs)} if patching else {}
    with store.session() as session:
        headers = {h.hostname: h for h in FleetReader(session).current_headers()}
        runs = _runs_of(RunRepository(session), run_ids)
        fixed_images = _fixed_images(session, policy, headers, affected)
    placed = dict(members)
    new = []
    for host in sorted(affected.keys() - placed.keys()):
        where = _where(policy, headers[host]) if host in headers else (None, None)
        placed[host] = where
        new.append((host, *where))
    grouped: dict[tuple[str | None, str | None], list[HostLine]] = {}
    for host, (bucket, owner) in sorted(placed.items()):
        found = policy.bucket(bucket) if bucket else None
        strategy = found.strategy if found else ""
        hit = affected.get(host)
        header = headers.get(host)
        pair = pairs.get(host)
        state = host_state(
            reported=header is not None,
            affected=hit is not None,
            fix_known=hit is not None and all(fix for _, _, fix in hit.packages),
            replace_without_image=strategy == "replace" and fixed_images.get(bucket) is None,
            pending_reboot=header is not None and reboot_status(header).state == "pending_reboot",
            pair_open=pair is not None and pair.open,
        )
        run_id, run_state, reason = runs.get(host, (None, None, ""))
        grouped.setdefault((bucket, owner), []).append(
            HostLine(
                host,
                bucket,
                owner,
                state,
                hit.packages if hit else (),
                run_id,
                run_state,
                reason,
                pair.affected_since if pair else None,
                pair.patched_at if pair else None,
            )
        )
    buckets = []
    for (bucket, owner), lines in sorted(grouped.items(), key=lambda kv: (kv[0][0] is None, kv[0])):
        found = policy.bucket(bucket) if bucket else None
        team = policy.owner(owner) if owner else None
        contacts = team.contacts if team else None
        buckets.append(
            BucketLine(
                bucket,
                owner,
                found.strategy if found else "",
                _contacts(contacts),
                tuple(lines),
                fixed_images.get(bucket),
            )
        )
    kept = tuple(p for h, p in sorted(pairs.items()) if h in placed)
    return LiveIncident(report, tuple(buckets), kept, tuple(new))


def _where(policy: Policy, h: ReportHeader) -> tuple[str | None, str | None]:
    image = h.image.id if h.image else ""
    where = classify(policy, HostFacts(h.hostname, h.ecosystem, h.labels, image, h.collector))
    return where.bucket, where.owner


def _contacts(contacts: object) -> dict[str, str]:
    if contacts is None:
        return {}
    pairs = (
        ("chat", getattr(contacts, "chat", "")),
        ("pager", getattr(contacts, "pager_key", "")),
        ("email", getattr(contacts, "email", "")),
    )
    return {k: v for k, v in pairs if v}


def _runs_of(repo: RunRepository, run_ids: Sequence[str]) -> dict[str, tuple[str, str, str]]:
    """host -> (run id, host state in it, reason), the newest incident run holding the host."""
    found: dict[str, tuple[str, str, str]] = {}
    for run_id in run_ids:
        for h in repo.hosts(run_id):
            found[h.host] = (run_id, h.state, h.reason)
    return found


def _fixed_images(
    session: Session,
    policy: Policy,
    headers: Mapping[str, ReportHeader],
    affected: Mapping[str, object],
) -> dict[str | None, str]:
    """Per replace bucket with affected hosts: an image id that carries the fix, by evidence."""
    wanted: dict[str | None, set[str]] = {}
    for host, hit in affected.items():
        header = headers.get(host)
        if header is None:
            continue
        bucket, _ = _where(policy, header)
        found = policy.bucket(bucket) if bucket else None
        if found is not None and found.strategy == "replace":
            names = {p for p, _, _ in getattr(hit, "packages", ())}
            wanted.setdefault(bucket, set()).update(names)
    if not wanted:
        return {}
    packages = PackageRepository(session)
    names_of: dict[int, set[str]] = {}
    images: dict[str | None, str] = {}
    for h in headers.values():
        if h.hostname in affected or h.image is None or not h.image.id:
            continue
        if reboot_status(h).state == "pending_reboot":
            continue
        for bucket, names in wanted.items():
            if bucket in images:
                continue
            if h.package_set_id not in names_of:
                names_of[h.package_set_id] = {p.name for p in packages.members(h.package_set_id)}
            if names & names_of[h.package_set_id]:
                images[bucket] = h.image.id
    return images
