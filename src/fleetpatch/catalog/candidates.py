"""Candidate versions and the outdated set, decided the way apt decides them.

apt's candidate for an installed package is the highest version, among the versions its sources
offer for the package's architecture, that has the highest pin priority; with no pinning every
regular suite has priority 500 and the installed version is elevated so only a downgrade pin can
replace it. Without pins this reduces to: the highest version offered by the host's suites, and the
package is upgradable when that version is strictly newer than the installed one. So:

- suites: by default the release's codename and its `-updates` and `-security` suites; backports
  are left out (their Release says `NotAutomatic`, apt gives them priority 100);
- architecture: a package installed as the native architecture or `all` (`noarch` for RPM and apk)
  can move to a version built for either (packages switch between the two); a foreign-arch
  package (`libc6:i386`) only to versions of that architecture;
- installed but offered by no suite (local, obsolete): not upgradable;
- installed newer than every offer (e.g. from backports): not upgradable;
- held packages are still listed (as `apt list --upgradable` does), flagged `held`;
- phased updates (Ubuntu) are listed with their percentage (apt lists them, `upgrade` defers some).

Pinning (`/etc/apt/preferences`) is not modelled yet.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence

from fleetpatch.catalog.records import CatalogEntry, Origin, Update
from fleetpatch.inventory.records import Package
from fleetpatch.versions import scheme_for_ecosystem, sort_key


def default_suites(codename: str) -> tuple[str, ...]:
    """The suites apt follows for a release by default: `bookworm`, `-updates`, `-security`."""
    return (codename, f"{codename}-updates", f"{codename}-security")


class CatalogIndex:
    """Catalog entries grouped by (ecosystem, package name) for fast candidate look-ups."""

    __slots__ = ("_by_name",)

    def __init__(self, entries: Iterable[CatalogEntry]) -> None:
        by_name: defaultdict[tuple[str, str], list[CatalogEntry]] = defaultdict(list)
        for entry in entries:
            by_name[(entry.ecosystem, entry.name)].append(entry)
        self._by_name = {key: tuple(found) for key, found in by_name.items()}

    def versions(self, ecosystem: str, name: str) -> tuple[CatalogEntry, ...]:
        """Every entry of `name` in `ecosystem`, any suite or architecture."""
        return self._by_name.get((ecosystem, name), ())

    def __len__(self) -> int:
        return sum(len(found) for found in self._by_name.values())


def in_suites(origin: Origin, suites: Collection[str]) -> bool:
    """Whether an origin belongs to one of `suites` (by directory name, codename or archive)."""
    return origin.suite in suites or origin.codename in suites or origin.archive in suites


_NEUTRAL_ARCHES = ("all", "noarch")  # dpkg's and RPM/apk's architecture-independent packages


def arch_fits(installed_arch: str, offered_arch: str, native_arch: str) -> bool:
    """Whether a version built for `offered_arch` can replace one installed as `installed_arch`."""
    if installed_arch in (native_arch, "", *_NEUTRAL_ARCHES):
        return offered_arch == native_arch or offered_arch in _NEUTRAL_ARCHES
    return offered_arch == installed_arch


def candidate(
    index: CatalogIndex,
    *,
    ecosystem: str,
    name: str,
    installed_arch: str,
    native_arch: str,
    suites: Collection[str],
) -> tuple[CatalogEntry, ...]:
    """The entries of the candidate version (one per origin offering it); empty when none."""
    offers = [
        e
        for e in index.versions(ecosystem, name)
        if in_suites(e.origin, suites) and arch_fits(installed_arch, e.arch, native_arch)
    ]
    if not offers:
        return ()
    scheme = scheme_for_ecosystem(ecosystem)
    best = max(offers, key=lambda e: sort_key(scheme, e.version))
    best_key = sort_key(scheme, best.version)
    return tuple(e for e in offers if sort_key(scheme, e.version) == best_key)


def outdated(
    installed_packages: Iterable[Package],
    index: CatalogIndex,
    *,
    ecosystem: str,
    arch: str,
    suites: Sequence[str],
    held: Collection[str] = frozenset(),
) -> tuple[Update, ...]:
    """Installed packages with a strictly newer candidate in `suites`, sorted by (name, arch).

    `arch` is the host's native architecture; `held` the names of packages on hold.
    """
    scheme = scheme_for_ecosystem(ecosystem)
    updates = []
    for package in installed_packages:
        offers = candidate(
            index,
            ecosystem=ecosystem,
            name=package.name,
            installed_arch=package.arch,
            native_arch=arch,
            suites=suites,
        )
        if offers and sort_key(scheme, offers[0].version) > sort_key(scheme, package.version):
            updates.append(_update(package, offers, suites, package.name in held))
    return tuple(sorted(updates, key=lambda u: (u.name, u.arch)))


def _update(
    package: Package, offers: Sequence[CatalogEntry], suites: Sequence[str], held: bool
) -> Update:
    origins = tuple(sorted({e.origin for e in offers}, key=lambda o: _suite_rank(o, suites)))
    phased = [e.phased_percentage for e in offers if e.phased_percentage is not None]
    return Update(
        name=package.name,
        installed=package.version,
        candidate=offers[0].version,
        arch=offers[0].arch,
        origins=origins,
        security_suite=any(o.security for o in origins),
        held=held,
        phased_percentage=min(phased) if phased else None,
    )


def _suite_rank(origin: Origin, suites: Sequence[str]) -> tuple[int, Origin]:
    for rank, suite in enumerate(suites):
        if suite in (origin.suite, origin.codename, origin.archive):
            return (rank, origin)
    return (len(suites), origin)
