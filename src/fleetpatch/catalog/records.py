"""Records of the package catalog: what upstream repositories offer, and since when.

A `CatalogEntry` is one (ecosystem, package, version, architecture) as listed by one repository
index, with the `Origin` that listed it (so "comes from the security suite" is a fact we keep) and
the time we first saw it published. `first_seen` is the `Date` of the first `Release` that listed
the version; when that was the very first import of the suite, the version may be older than that,
so `first_seen_exact` is False ("at least since").

All fields are plain strings, numbers, booleans and aware datetimes so that the store can persist
them one column each.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True, order=True)
class Origin:
    """Where a version comes from, in apt's own terms.

    `archive` is the Release `Suite:` field (apt's `a=`, what `apt list` prints, e.g.
    `oldstable-security`), `suite` the distribution directory the host's sources name
    (`bookworm-security`), `codename` the Release `Codename:` (apt's `n=`). `origin` is `o=`
    (`Debian`) and `site` the mirror host.
    """

    archive: str
    suite: str
    codename: str
    label: str
    component: str
    security: bool
    origin: str = ""
    site: str = ""


@dataclass(frozen=True, slots=True)
class IndexFile:
    """One file a Release lists: path relative to the `dists/<suite>/` directory."""

    path: str
    size: int
    sha256: str


@dataclass(frozen=True, slots=True)
class ReleaseInfo:
    """The header of one `Release`/`InRelease` file (signatures are not verified)."""

    date: datetime
    valid_until: datetime | None
    suite: str
    codename: str
    origin: str = ""
    label: str = ""
    version: str = ""
    architectures: tuple[str, ...] = ()
    components: tuple[str, ...] = ()
    not_automatic: bool = False
    but_automatic_upgrades: bool = False
    arch_all_in_arch_files: bool = False
    files: tuple[IndexFile, ...] = ()


@dataclass(frozen=True, slots=True)
class IndexPackage:
    """One binary package stanza of an index, before it is tied to an origin.

    `line` is where its stanza starts in the index file (None where the format has no lines
    worth naming, such as RPM's XML); it says where a package came from, not what it is, so two
    packages compare equal whatever their lines.
    """

    name: str
    version: str
    arch: str
    source: str
    source_version: str
    multi_arch: str = ""
    phased_percentage: int | None = None
    build_time: datetime | None = None
    line: int | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    """One version of one package as a repository offers it."""

    ecosystem: str
    name: str
    version: str
    arch: str
    source: str
    source_version: str
    origin: Origin
    first_seen: datetime
    first_seen_exact: bool
    multi_arch: str = ""
    phased_percentage: int | None = None

    @property
    def key(self) -> VersionKey:
        return (self.ecosystem, self.name, self.version, self.arch)


VersionKey = tuple[str, str, str, str]
"""(ecosystem, name, version, arch): the identity first-seen times are kept under."""


@dataclass(frozen=True, slots=True)
class FirstSeen:
    """When a version was first seen published; `exact` is False for "at least since"."""

    at: datetime
    exact: bool


@dataclass(frozen=True, slots=True)
class Update:
    """An installed package for which the host's suites offer a newer candidate.

    `origins` are all the origins offering the candidate version (apt prints their archives
    comma-separated); `security_suite` is True when one of them is a security suite. `held` is
    reported, not filtered: `apt list --upgradable` lists held packages too. `phased_percentage`
    is set when the candidate is being phased (Ubuntu); apt lists it but may defer installing it.
    """

    name: str
    installed: str
    candidate: str
    arch: str
    origins: tuple[Origin, ...]
    security_suite: bool
    held: bool = False
    phased_percentage: int | None = None


@dataclass(frozen=True, slots=True)
class Staleness:
    """A Release read past its `Valid-Until`: imported anyway, but the catalog may be stale."""

    suite: str
    valid_until: datetime
    now: datetime

    def __str__(self) -> str:
        return (
            f"Release of {self.suite} expired at {self.valid_until.isoformat()} "
            f"(now {self.now.isoformat()}): the catalog may be stale"
        )


@dataclass(frozen=True, slots=True)
class PackagesIndex:
    """The parsed `Packages` file of one component and architecture of a suite."""

    component: str
    arch: str
    packages: tuple[IndexPackage, ...]
    source: str = ""


@dataclass(frozen=True, slots=True)
class SuiteIndex:
    """One suite of one repository as read: its Release and its `Packages` files."""

    site: str
    suite: str
    release: ReleaseInfo
    indexes: tuple[PackagesIndex, ...]


@dataclass(frozen=True, slots=True)
class AptImport:
    """What one read of apt lists or of a mirror produced, with the warnings to show."""

    suites: tuple[SuiteIndex, ...]
    warnings: tuple[Staleness, ...] = ()
