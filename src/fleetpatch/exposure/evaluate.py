"""Fleet evaluation (pure): from hosts, package sets and the catalog and advisories to the truth.

Evaluation is the hot path, so it works in three tiers and never per host × package:

1. **Distinct package versions** (a few tens of thousands in a large fleet): the update each lacks
   (candidate, days behind, security suite), the advisories it is affected by, its drift.
2. **Distinct package sets** (hosts built from one image share one): counts, sums and worst
   severity over the set's members, from tier 1.
3. **Hosts**: the set's summary plus what only the host knows (reboot evidence, report age, uptime)
   and its bucket's SLAs. Rollups by bucket and owner are sums over tier 3.

Every state is derived here from the latest evidence at `now`; nothing is latched.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from fleetpatch.exposure.facts import PackageFacts, Sources, package_facts, shadowing
from fleetpatch.exposure.inputs import HostInput, VersionInput
from fleetpatch.exposure.rollups import Rollup, rollup, total
from fleetpatch.exposure.sets import FactTable, SetSummary, summarise_set
from fleetpatch.exposure.status import HostStatus, evaluate_host
from fleetpatch.policy.records import Policy

SetKey = tuple[int, str]  # (package set id, host native architecture)


@dataclass(frozen=True, slots=True)
class FleetEvaluation:
    hosts: tuple[HostStatus, ...]
    fleet: Rollup
    by_bucket: tuple[Rollup, ...]
    by_owner: tuple[Rollup, ...]
    sets: Mapping[SetKey, SetSummary]
    facts: Mapping[tuple[str, int], PackageFacts]


def evaluate_fleet(
    hosts: Sequence[HostInput],
    sets: Mapping[int, Sequence[int]],
    versions: Mapping[int, VersionInput],
    *,
    policy: Policy,
    sources: Sources,
    now: datetime,
) -> FleetEvaluation:
    """Evaluate every host. `sets` maps a package set id to its member version ids."""
    wanted = _set_keys(hosts)
    facts = package_facts(_members_by_arch(wanted, sets), versions, sources=sources, now=now)
    shadows = shadowing(versions)
    tables = {arch: FactTable.build(facts, arch, shadows) for arch in {a for _, a in wanted}}
    summaries = {key: summarise_set(sets.get(key[0], ()), tables[key[1]]) for key in wanted}
    statuses = tuple(
        evaluate_host(h, summaries[(h.package_set_id, h.arch)], policy=policy, now=now)
        for h in hosts
    )
    return FleetEvaluation(
        hosts=statuses,
        fleet=total(statuses),
        by_bucket=rollup(statuses, lambda s: s.bucket),
        by_owner=rollup(statuses, lambda s: s.owner),
        sets=summaries,
        facts=facts,
    )


def _set_keys(hosts: Iterable[HostInput]) -> set[SetKey]:
    return {(h.package_set_id, h.arch) for h in hosts}


def _members_by_arch(
    wanted: Iterable[SetKey], sets: Mapping[int, Sequence[int]]
) -> dict[str, set[int]]:
    by_arch: defaultdict[str, set[int]] = defaultdict(set)
    for set_id, arch in wanted:
        by_arch[arch].update(sets.get(set_id, ()))
    return by_arch
