"""Reading RPM and Alpine repositories from a directory or a URL. The I/O edge.

An RPM repository is a base location holding `repodata/repomd.xml`; the primary metadata is fetched
from the `href` repomd gives and checked against its checksum. An Alpine repository is a location
holding `APKINDEX.tar.gz` (e.g. `https://dl-cdn.alpinelinux.org/alpine/v3.20/main/x86_64`).
Locations starting with `http://` or `https://` go through a `Fetcher`; anything else is a path.

Dating, for first-seen times: an RPM repository is dated by its repomd revision (or newest metadata
timestamp); an APKINDEX has no date of its own, so it is dated by its newest package build time
(the index is regenerated after every build, so it is at least that new). Neither kind of
repository says which of its packages are security fixes: `security` is what the operator says of
the whole repository (errata live in `updateinfo.xml` and in the advisories area).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

from fleetpatch.catalog.apkindex import ApkIndex, read_apkindex
from fleetpatch.catalog.apt import catalog_entries, decompress
from fleetpatch.catalog.lists import Fetcher
from fleetpatch.catalog.records import CatalogEntry, IndexPackage, Origin
from fleetpatch.catalog.rpmmd import RepoMd, parse_primary, parse_repomd
from fleetpatch.errors import CollectError, InputError, ParseError

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RpmRepo:
    """A read RPM repository: its repomd and the packages of its primary metadata."""

    location: str
    repomd: RepoMd
    packages: tuple[IndexPackage, ...]


def _read(location: str, relative: str, fetcher: Fetcher | None) -> bytes:
    if location.startswith(("http://", "https://")):
        if fetcher is None:
            raise InputError(f"{location}: a URL needs a fetcher")
        url = f"{location.rstrip('/')}/{relative}"
        data = fetcher.fetch(url)
        if data is None:
            raise CollectError(f"{url}: not found")
        return data
    path = Path(location) / relative
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: {exc.strerror}") from exc


def read_rpm_repo(location: str, *, fetcher: Fetcher | None = None) -> RpmRepo:
    """Read `repodata/repomd.xml` and the primary metadata it points at."""
    repomd = parse_repomd(_read(location, "repodata/repomd.xml", fetcher))
    primary = repomd.find("primary")
    data = _read(location, primary.href, fetcher)
    if primary.checksum_type in hashlib.algorithms_guaranteed:
        digest = hashlib.new(primary.checksum_type, data).hexdigest()
        if digest != primary.checksum:
            raise ParseError(f"{location}/{primary.href}: checksum differs from repomd.xml")
    try:
        packages = parse_primary(decompress(data, primary.href))
    except ParseError as exc:
        raise ParseError(f"{location}/{primary.href}: {exc}") from exc
    return RpmRepo(location, repomd, packages)


def read_apk_repo(location: str, *, fetcher: Fetcher | None = None) -> ApkIndex:
    """Read `APKINDEX.tar.gz` of an Alpine repository."""
    try:
        index = read_apkindex(_read(location, "APKINDEX.tar.gz", fetcher))
    except ParseError as exc:
        raise ParseError(f"{location}/APKINDEX.tar.gz: {exc}") from exc
    for warning in index.warnings:
        log.warning("%s/APKINDEX.tar.gz: %s", location, warning)
    return index


def rpm_entries(
    repo: RpmRepo, *, ecosystem: str, repo_id: str, label: str = "", security: bool = False
) -> tuple[CatalogEntry, ...]:
    """Catalog entries of an RPM repository (`repo_id` as in the host's `.repo` file)."""
    if repo.repomd.date is None:
        raise ParseError(f"{repo.location}: repomd.xml has no revision or timestamp to date it")
    origin = Origin(repo_id, repo_id, "", label, "", security, site=repo.location)
    return catalog_entries(
        repo.packages, ecosystem=ecosystem, origin=origin, release_date=repo.repomd.date
    )


def apk_entries(
    index: ApkIndex, *, ecosystem: str, branch: str, repository: str, location: str = ""
) -> tuple[CatalogEntry, ...]:
    """Catalog entries of an APKINDEX (`branch` e.g. `v3.20`, `repository` e.g. `main`)."""
    if index.newest_build is None:
        raise ParseError(f"{location or 'APKINDEX'}: no build time (t:) to date the index")
    origin = Origin(branch, branch, branch, index.description, repository, False, site=location)
    return catalog_entries(
        index.packages, ecosystem=ecosystem, origin=origin, release_date=index.newest_build
    )
