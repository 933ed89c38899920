"""Advisory records: what an OSV record says, reduced to what matching and reporting need.

An `Advisory` is one OSV record after parsing. Each `Affected` entry names one package in one
ecosystem (as written in the record, e.g. ``Ubuntu:22.04:LTS``) with its version `Range`s and an
explicit `versions` list. A `Range` keeps its events in the order the record gives them; the
index sorts them once, by the ecosystem's version order, when it is built.

A `Finding` is the answer for one ``(ecosystem, package, version)`` triple and one advisory: the
package is affected, with or without a fix. "Not affected" is the absence of a finding.

All records are frozen and hold only tuples, so they compare by value: two copies of the same OSV
record parse to equal `Advisory` objects, which is how the loader tells identical duplicates from
conflicting ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

#: Event kinds of an OSV range, in the order the schema lists them.
INTRODUCED: Final = "introduced"
FIXED: Final = "fixed"
LAST_AFFECTED: Final = "last_affected"
LIMIT: Final = "limit"
EVENT_KINDS: Final = (INTRODUCED, FIXED, LAST_AFFECTED, LIMIT)

#: Severity levels, worst first. `unknown` means the record carries nothing we can read.
LEVELS: Final = ("critical", "high", "medium", "low", "unknown")

#: Finding statuses (DESIGN.md §3, security dimension). Not affected means no finding.
AFFECTED_FIX_AVAILABLE: Final = "affected_fix_available"
AFFECTED_NO_FIX: Final = "affected_no_fix"
NOT_AFFECTED: Final = "not_affected"


@dataclass(frozen=True, slots=True)
class Severity:
    """A severity level with where it came from.

    `source` names the field it was read from (``severity.CVSS_V3``, ``severity.Ubuntu``,
    ``ecosystem_specific.urgency``, ``summary`` ...), `score` is the CVSS base score when one was
    computed from a vector or given as a number.
    """

    level: str
    source: str
    score: float | None = None

    @property
    def rank(self) -> int:
        """0 for critical ... 4 for unknown: lower is worse."""
        return LEVELS.index(self.level)


UNKNOWN_SEVERITY: Final = Severity(level="unknown", source="none")


@dataclass(frozen=True, slots=True)
class Event:
    """One range event: `kind` is one of `EVENT_KINDS`, `version` its value (``0`` or ``*`` too)."""

    kind: str
    version: str


@dataclass(frozen=True, slots=True)
class Range:
    """An OSV range. Only ``ECOSYSTEM`` ranges are matched; others are kept for display."""

    type: str
    events: tuple[Event, ...]


@dataclass(frozen=True, slots=True)
class Affected:
    """One `affected` entry: a package in an ecosystem, its ranges and listed versions.

    `severity` is the entry's own rating (``ecosystem_specific``/``database_specific``), which
    distributions use for a per-release priority; None when the entry has none.
    """

    ecosystem: str
    package: str
    ranges: tuple[Range, ...]
    versions: tuple[str, ...] = ()
    severity: Severity | None = None


@dataclass(frozen=True, slots=True)
class Advisory:
    """One OSV record.

    `aliases` are the record's aliases; `related` and `upstream` are kept apart because they are
    weaker links (AlmaLinux puts its CVE ids in `related`). `cve_ids` gathers the CVE ids from all
    three, which is what a user searches by.
    """

    id: str
    modified: datetime
    summary: str = ""
    aliases: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    upstream: tuple[str, ...] = ()
    published: datetime | None = None
    withdrawn: datetime | None = None
    severity: Severity = UNKNOWN_SEVERITY
    affected: tuple[Affected, ...] = ()

    @property
    def cve_ids(self) -> tuple[str, ...]:
        """CVE ids named by aliases, related or upstream, sorted, without duplicates."""
        names = (*self.aliases, *self.related, *self.upstream)
        return tuple(sorted({n for n in names if n.startswith("CVE-")}))


@dataclass(frozen=True, slots=True)
class Finding:
    """One advisory affecting one ``(ecosystem, package, version)`` triple.

    `ecosystem` is the normalised ecosystem the triple was matched in; `fixed_version` is the lowest
    fix above `version`, None when the status is `affected_no_fix`.
    """

    advisory_id: str
    ecosystem: str
    package: str
    version: str
    status: str
    fixed_version: str | None
    severity: Severity
    aliases: tuple[str, ...]

    @property
    def fix_available(self) -> bool:
        return self.status == AFFECTED_FIX_AVAILABLE
