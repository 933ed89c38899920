"""Fleet evaluation (pure): from hosts, package sets and the catalog and advisories to the truth.

Evaluation is the hot path, so it works in three tiers and never per host × package:

1. **Distinct package versions** (a few tens of thousands in a large fleet): the update each lacks
   (candidate, days behind, security suite), the advisories it is affected by, its drift.
2. **Distinct package sets** (hosts built from one image share one): counts, sums and worst
   severity over the set's members, from tier 1.
3. **Hosts**: the set's summary plus what only the host knows (reboot evidence, report age, uptime)
   and its bucket's SLAs. Rollups by bucket and owner are sums over tier 3.

Beside tier 2, each (set, arch) gets its exposures: the advisories its hosts are affected by, for
the (advisory, host) patch pairs evaluation keeps (`fleetpatch.exposure.patching`).

Every state is derived here from the latest evidence at `now`; nothing is latched.

One bad input never stops the rest: a stored version its ecosystem's scheme rejects (from before
ingest checked versions, or from a store written by hand) is left out of every figure, and the
package sets holding it carry the reason (`SetSummary.problem`), which makes their hosts `unknown`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from fleetpatch.errors import InputError
from fleetpatch.exposure.facts import PackageFacts, Sources, package_facts, shadowing
from fleetpatch.exposure.inputs import HostInput, VersionInput
from fleetpatch.exposure.patching import Exposure, fix_times, published_times, set_exposures
from fleetpatch.exposure.rollups import Rollup, rollup, total
from fleetpatch.exposure.sets import FactTable, SetSummary, summarise_set
from fleetpatch.exposure.status import HostStatus, evaluate_host
from fleetpatch.policy.records import Policy
from fleetpatch.versions import scheme, scheme_for_ecosystem

SetKey = tuple[int, str]  # (package set id, host native architecture)


@dataclass(frozen=True, slots=True)
class FleetEvaluation:
    hosts: tuple[HostStatus, ...]
    fleet: Rollup
    by_bucket: tuple[Rollup, ...]
    by_owner: tuple[Rollup, ...]
    sets: Mapping[SetKey, SetSummary]
    facts: Mapping[tuple[str, int], PackageFacts]
    exposures: Mapping[SetKey, Mapping[str, Exposure]] = field(default_factory=dict)
    """Per (set, arch): the advisories its hosts are affected by (see `patching`)."""


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
    members = _members_by_arch(wanted, sets)
    bad = unevaluable(versions, {vid for ids in members.values() for vid in ids})
    if bad:
        members = {arch: ids - bad.keys() for arch, ids in members.items()}
    facts = package_facts(members, versions, sources=sources, now=now)
    shadows = shadowing({vid: v for vid, v in versions.items() if vid not in bad})
    tables = {arch: FactTable.build(facts, arch, shadows) for arch in {a for _, a in wanted}}
    summaries = {
        key: with_problem(
            summarise_set(sets.get(key[0], ()), tables[key[1]]), sets.get(key[0], ()), bad, versions
        )
        for key in wanted
    }
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
        exposures=set_exposures(
            wanted,
            sets,
            facts,
            shadows=shadows,
            published=published_times(sources.advisories),
            fix_time=fix_times(versions, sources.catalog, sources.suites_for),
        ),
    )


def unevaluable(versions: Mapping[int, VersionInput], ids: Iterable[int]) -> dict[int, str]:
    """The version ids among `ids` that cannot be evaluated, each with the reason: an ecosystem
    without a version scheme, or a version or source version its scheme rejects."""
    bad: dict[int, str] = {}
    for vid in ids:
        v = versions[vid]
        try:
            check = scheme(scheme_for_ecosystem(v.ecosystem)).validate
            check(v.version)
            if v.source_version:
                check(v.source_version)
        except InputError as exc:  # VersionError is an InputError
            bad[vid] = str(exc)
    return bad


def with_problem(
    summary: SetSummary,
    members: Iterable[int],
    bad: Mapping[int, str],
    versions: Mapping[int, VersionInput],
) -> SetSummary:
    """`summary` with the reason its set could not be wholly evaluated, if it could not."""
    if not bad:
        return summary
    found = [vid for vid in members if vid in bad]
    if not found:
        return summary
    first = found[0]
    more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
    problem = f"package {versions[first].name}: {bad[first]}{more}"
    return replace(summary, problem=problem)


def _set_keys(hosts: Iterable[HostInput]) -> set[SetKey]:
    return {(h.package_set_id, h.arch) for h in hosts}


def _members_by_arch(
    wanted: Iterable[SetKey], sets: Mapping[int, Sequence[int]]
) -> dict[str, set[int]]:
    by_arch: defaultdict[str, set[int]] = defaultdict(set)
    for set_id, arch in wanted:
        by_arch[arch].update(sets.get(set_id, ()))
    return by_arch
