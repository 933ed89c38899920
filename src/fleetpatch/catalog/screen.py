"""Screening index packages before they enter the catalog: a version that is not a version.

Every version the catalog stores is later ordered against installed versions and advisory
ranges, so one that the ecosystem's scheme cannot parse would fail there, far from its cause.
An import therefore checks each package's `version` and `source_version` and leaves out the
package whose either one is invalid, with a warning that names the index file, the line its
stanza starts on (or the package, where the format has no lines) and the scheme's reason.

The scheme is the ecosystem's (`fleetpatch.versions.scheme_for_ecosystem`); an ecosystem that
has none here falls back to the scheme of the index format (`dpkg` for apt, `rpm` for repodata,
`apk` for an APKINDEX), which is what the file's versions are written in anyway.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from fleetpatch.catalog.records import AptImport, IndexPackage, PackagesIndex, SuiteIndex
from fleetpatch.errors import InputError, VersionError
from fleetpatch.versions import scheme_for_ecosystem, validate


@dataclass(frozen=True, slots=True)
class Screened:
    """The packages kept, in index order, and one warning per package left out."""

    kept: tuple[IndexPackage, ...]
    skipped: tuple[str, ...] = ()


def scheme_of(ecosystem: str | None, format_scheme: str) -> str:
    """The version scheme to check an index with: the ecosystem's, else the format's."""
    if not ecosystem:
        return format_scheme
    try:
        return scheme_for_ecosystem(ecosystem)
    except InputError:
        return format_scheme


def screen_packages(packages: Sequence[IndexPackage], *, scheme: str, source: str) -> Screened:
    """Keep the packages whose versions are valid under `scheme`; `source` names the file."""
    kept: list[IndexPackage] = []
    skipped: list[str] = []
    for package in packages:
        reason = _invalid(package, scheme)
        if reason is None:
            kept.append(package)
            continue
        where = f"{source}:{package.line}" if package.line is not None else source
        skipped.append(f"{where}: {package.name} ({package.arch or 'no arch'}) skipped: {reason}")
    return Screened(tuple(kept), tuple(skipped))


def _invalid(package: IndexPackage, scheme: str) -> str | None:
    fields = [("version", package.version)]
    if package.source_version != package.version:
        fields.append(("source version", package.source_version))
    for label, version in fields:
        try:
            validate(scheme, version)
        except VersionError as exc:
            return f"{label}: {exc}"
    return None


def screen_apt(apt: AptImport, ecosystem: str | None = None) -> tuple[AptImport, tuple[str, ...]]:
    """`apt` without the packages whose versions are invalid, and a warning for each of them."""
    scheme = scheme_of(ecosystem, "dpkg")
    skipped: list[str] = []
    suites: list[SuiteIndex] = []
    for suite in apt.suites:
        indexes: list[PackagesIndex] = []
        for index in suite.indexes:
            screened = screen_packages(index.packages, scheme=scheme, source=_name(suite, index))
            skipped.extend(screened.skipped)
            indexes.append(replace(index, packages=screened.kept) if screened.skipped else index)
        suites.append(replace(suite, indexes=tuple(indexes)))
    return replace(apt, suites=tuple(suites)), tuple(skipped)


def _name(suite: SuiteIndex, index: PackagesIndex) -> str:
    """The file a warning names: a lists file's path says it all, a mirror's is relative."""
    if suite.suite in index.source:
        return index.source
    return f"{suite.site}/dists/{suite.suite}/{index.source}"
