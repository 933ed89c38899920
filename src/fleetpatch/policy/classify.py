"""Classification of hosts into buckets (pure).

The first bucket in file order whose rules match wins. A host no rule matches is unclassified.
A host claimed by two buckets of which one is `exclusive` is a policy error for that host: it is
reported as a conflict rather than silently given to the first.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass, field

from fleetpatch.inventory.records import HostReport
from fleetpatch.policy.records import Bucket, MatchRule, Policy
from fleetpatch.policy.regex import fullmatches


@dataclass(frozen=True, slots=True)
class HostFacts:
    """The facts classification looks at; a subset of a host report."""

    hostname: str
    ecosystem: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)
    image_id: str = ""
    collector: str = ""

    @classmethod
    def from_report(cls, report: HostReport) -> HostFacts:
        return cls(
            hostname=report.hostname,
            ecosystem=report.ecosystem,
            labels=dict(report.labels),
            image_id=report.image.id if report.image else "",
            collector=report.collector,
        )


@dataclass(frozen=True, slots=True)
class Classification:
    """Where a host belongs: a bucket and its owner, or nothing (unclassified or in conflict)."""

    bucket: str | None
    owner: str | None
    conflict: tuple[str, ...] = ()

    @property
    def unclassified(self) -> bool:
        return self.bucket is None


UNCLASSIFIED = Classification(bucket=None, owner=None)


def rule_matches(rule: MatchRule, host: HostFacts) -> bool:
    if rule.is_empty():
        return False
    if any(host.labels.get(k) != v for k, v in rule.labels.items()):
        return False
    if rule.hostname and not fnmatch.fnmatchcase(host.hostname, rule.hostname):
        return False
    if rule.hostname_regex and not fullmatches(rule.hostname_regex, host.hostname):
        return False
    if rule.ecosystem and not _ecosystem_matches(rule.ecosystem, host.ecosystem):
        return False
    if rule.image_prefix and not host.image_id.startswith(rule.image_prefix):
        return False
    return not (rule.collector and rule.collector != host.collector)


def _ecosystem_matches(wanted: str, actual: str) -> bool:
    if wanted.endswith(":"):
        return actual.startswith(wanted)
    return actual == wanted


def bucket_matches(bucket: Bucket, host: HostFacts) -> bool:
    return any(rule_matches(rule, host) for rule in bucket.match)


def classify(policy: Policy, host: HostFacts) -> Classification:
    """The host's bucket and owner; `conflict` names every claimant when exclusivity clashes."""
    claimants = [b for b in policy.buckets if bucket_matches(b, host)]
    if not claimants:
        return UNCLASSIFIED
    if len(claimants) > 1 and any(b.exclusive for b in claimants):
        return Classification(bucket=None, owner=None, conflict=tuple(b.name for b in claimants))
    first = claimants[0]
    return Classification(bucket=first.name, owner=first.owner)
