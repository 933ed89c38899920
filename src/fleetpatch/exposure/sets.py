"""Tier 2 of evaluation: one distinct package set, summed from its members' facts."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from fleetpatch.advisories.records import LEVELS, Finding
from fleetpatch.exposure.facts import PackageFacts, shadowed


@dataclass(frozen=True, slots=True)
class SetSummary:
    """Tier 2: one package set. `known` counts the packages the catalog offers at all."""

    packages: int = 0
    known: int = 0
    outdated: int = 0
    security_updates: int = 0
    days_behind_sum: float = 0.0
    days_behind_max: float = 0.0
    advisories: int = 0
    fix_available: int = 0
    no_fix: int = 0
    by_severity: Mapping[str, int] = field(default_factory=dict)
    drifted: int = 0
    problem: str = ""
    """Why some of the set's packages could not be evaluated (empty when all could): their
    figures leave those packages out, and its hosts' update state is `unknown`."""

    @property
    def worst_severity(self) -> str | None:
        return next((level for level in LEVELS if self.by_severity.get(level)), None)


@dataclass(frozen=True, slots=True)
class FactTable:
    """Tier 1 facts of one host architecture, split for fast set sums.

    Most installed packages are quiet: offered by the catalog, current, affected by nothing, on
    their canonical level. A set's quiet members only add to `known`, which a C-level set
    intersection counts; only the notable few are looked at one by one.
    """

    quiet: frozenset[int]
    notable: Mapping[int, PackageFacts]
    shadows: Mapping[int, frozenset[int]] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        facts: Mapping[tuple[str, int], PackageFacts],
        arch: str,
        shadows: Mapping[int, frozenset[int]] | None = None,
    ) -> FactTable:
        quiet: set[int] = set()
        notable: dict[int, PackageFacts] = {}
        for (fact_arch, vid), fact in facts.items():
            if fact_arch != arch:
                continue
            if _is_quiet(fact):
                quiet.add(vid)
            else:
                notable[vid] = fact
        return cls(frozenset(quiet), notable, shadows or {})


def _is_quiet(fact: PackageFacts) -> bool:
    update = fact.update
    return (
        update is not None
        and update.offered
        and update.candidate is None
        and update.days_behind == 0.0
        and not fact.findings
        and (fact.drift is None or fact.drift.direction is None)
    )


def summarise_set(members: Collection[int], table: FactTable) -> SetSummary:
    """Tier 2: sums over one set's members. Advisories are counted once per set, however many
    of its packages they name."""
    ids = members if isinstance(members, set | frozenset) else set(members)
    known = len(table.quiet.intersection(ids))
    outdated = security = drifted = 0
    days_sum = days_max = 0.0
    worst: dict[str, str] = {}
    statuses: dict[str, bool] = {}
    notable = table.notable
    for vid in ids.intersection(notable.keys()) if len(notable) < len(ids) * 4 else ids:
        fact = notable.get(vid)
        if fact is None or shadowed(vid, ids, table.shadows):
            continue
        update = fact.update
        if update is not None and update.offered:
            known += 1
            days_sum += update.days_behind
            days_max = max(days_max, update.days_behind)
            if update.candidate is not None:
                outdated += 1
                security += fact.security_update
        if fact.drift is not None and fact.drift.direction is not None:
            drifted += 1
        for finding in fact.findings:
            _count_finding(finding, worst, statuses)
    by_severity: dict[str, int] = defaultdict(int)
    for level in worst.values():
        by_severity[level] += 1
    fixable = sum(statuses.values())
    return SetSummary(
        packages=len(ids),
        known=known,
        outdated=outdated,
        security_updates=security,
        days_behind_sum=days_sum,
        days_behind_max=days_max,
        advisories=len(worst),
        fix_available=fixable,
        no_fix=len(statuses) - fixable,
        by_severity=dict(by_severity),
        drifted=drifted,
    )


def _count_finding(finding: Finding, worst: dict[str, str], fixable: dict[str, bool]) -> None:
    aid = finding.advisory_id
    level = finding.severity.level
    if aid not in worst or LEVELS.index(level) < LEVELS.index(worst[aid]):
        worst[aid] = level
    fixable[aid] = fixable.get(aid, False) or finding.fix_available
