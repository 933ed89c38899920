"""Reading apt indexes from disk (`/var/lib/apt/lists`) or from a mirror URL. The I/O edge.

apt names each downloaded index after its URI with `/` turned into `_`:
`deb.debian.org_debian_dists_bookworm-updates_main_binary-amd64_Packages.lz4` is
`http://deb.debian.org/debian/dists/bookworm-updates/main/binary-amd64/Packages` stored
lz4-compressed, next to `deb.debian.org_debian_dists_bookworm-updates_InRelease`. The suite is
the directory after `dists`, the component may itself hold a `/` (`updates/main`).

From a mirror we fetch `dists/<suite>/InRelease` (or `Release`), then for each wanted component and
architecture the best-compressed `Packages` variant the Release lists, checking its size and SHA256
against the Release (the Release signature itself is not verified). `binary-all` is fetched when the
Release lists `all` among its architectures and does not say `No-Support-for-Architecture-all`.

A Release past its `Valid-Until` is still imported; the import carries a `Staleness` warning (also
logged) so the catalog is never stale silently.
"""

from __future__ import annotations

import hashlib
import logging
import re
import urllib.error
import urllib.request
from collections import defaultdict
from collections.abc import Collection, Sequence
from datetime import datetime
from pathlib import Path
from typing import Protocol

from fleetpatch.catalog.apt import (
    control_text,
    decompress,
    parse_packages,
    parse_release,
    staleness,
)
from fleetpatch.catalog.records import (
    AptImport,
    IndexFile,
    PackagesIndex,
    ReleaseInfo,
    Staleness,
    SuiteIndex,
)
from fleetpatch.errors import CollectError, InputError, ParseError

log = logging.getLogger(__name__)

_PACKAGES_FILE = re.compile(
    r"^(?P<base>.+)_dists_(?P<suite>[^_]+)_(?P<component>.+)_binary-(?P<arch>[^_]+)"
    r"_Packages(?:\.(?:gz|xz|bz2|lz4|zst|lzma))?$"
)
_RELEASE_FILE = re.compile(r"^(?P<base>.+)_dists_(?P<suite>[^_]+)_(?P<kind>InRelease|Release)$")
_COMPRESSION_PREFERENCE = (".xz", ".gz", ".bz2", "", ".lz4", ".zst")


def read_lists_dir(
    path: Path,
    *,
    now: datetime,
    suites: Collection[str] | None = None,
    arches: Collection[str] | None = None,
) -> AptImport:
    """Read every suite in an apt lists directory (optionally only `suites` and `arches`)."""
    if not path.is_dir():
        raise InputError(f"{path}: not a directory")
    releases: dict[tuple[str, str], Path] = {}
    packages: defaultdict[tuple[str, str], list[tuple[str, str, Path]]] = defaultdict(list)
    for file in sorted(path.iterdir()):
        if m := _RELEASE_FILE.match(file.name):
            key = (m["base"], m["suite"])
            if m["kind"] == "InRelease" or key not in releases:
                releases[key] = file
        elif (m := _PACKAGES_FILE.match(file.name)) and (arches is None or m["arch"] in arches):
            packages[(m["base"], m["suite"])].append((m["component"], m["arch"], file))
    indexes = []
    for (base, suite), files in sorted(packages.items()):
        if suites is not None and suite not in suites:
            continue
        if (base, suite) not in releases:
            raise ParseError(f"{files[0][2]}: no InRelease/Release for suite {suite!r} beside it")
        release = _read_release(releases[(base, suite)])
        indexes.append(SuiteIndex(base.split("_")[0], suite, release, _read_indexes(files)))
    return _with_warnings(indexes, now)


def _text(data: bytes, name: str) -> str:
    text, warning = control_text(data, name)
    if warning:
        log.warning("%s", warning)
    return text


def _read_release(file: Path) -> ReleaseInfo:
    text = _text(file.read_bytes(), str(file))
    try:
        return parse_release(text)
    except ParseError as exc:
        raise ParseError(f"{file}: {exc}") from exc


def _read_indexes(files: Sequence[tuple[str, str, Path]]) -> tuple[PackagesIndex, ...]:
    read = []
    for component, arch, file in files:
        text = _text(decompress(file.read_bytes(), file.name), str(file))
        try:
            parsed = parse_packages(text)
        except ParseError as exc:
            raise ParseError(f"{file}: {exc}") from exc
        read.append(PackagesIndex(component.replace("_", "/"), arch, parsed, str(file)))
    return tuple(read)


def _with_warnings(indexes: Sequence[SuiteIndex], now: datetime) -> AptImport:
    warnings: list[Staleness] = []
    for index in indexes:
        stale = staleness(index.release, now)
        if stale is not None:
            log.warning("%s", stale)
            warnings.append(stale)
    return AptImport(tuple(indexes), tuple(warnings))


class Fetcher(Protocol):
    """Gets the bytes at a URL; None when the server says it does not exist (404)."""

    def fetch(self, url: str) -> bytes | None: ...


class UrllibFetcher:
    """`Fetcher` over the standard library's urllib, with a timeout (seconds)."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout

    def fetch(self, url: str) -> bytes | None:
        if not url.startswith(("http://", "https://")):
            raise InputError(f"{url}: only http and https mirrors are supported")
        try:
            with urllib.request.urlopen(url, timeout=self.timeout) as response:  # noqa: S310
                return bytes(response.read())
        except urllib.error.HTTPError as exc:
            if exc.code in (404, 410):
                return None
            raise CollectError(f"{url}: HTTP {exc.code}") from exc
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise CollectError(f"{url}: {exc}") from exc


def fetch_mirror(
    url: str,
    *,
    suites: Sequence[str],
    arches: Sequence[str],
    now: datetime,
    fetcher: Fetcher,
    components: Collection[str] | None = None,
) -> AptImport:
    """Fetch the named suites of a mirror (`http://deb.debian.org/debian`) and parse them."""
    base = url.rstrip("/")
    site = base.split("://", 1)[-1].split("/", 1)[0]
    indexes = []
    for suite in suites:
        release = _fetch_release(fetcher, f"{base}/dists/{suite}")
        wanted = [c for c in release.components if components is None or _short(c) in components]
        files = [
            _fetch_packages(fetcher, f"{base}/dists/{suite}", release, component, arch)
            for component in wanted
            for arch in _arches_to_fetch(release, arches)
        ]
        indexes.append(SuiteIndex(site, suite, release, tuple(f for f in files if f is not None)))
    return _with_warnings(indexes, now)


def _short(component: str) -> str:
    return component.rsplit("/", 1)[-1]


def _arches_to_fetch(release: ReleaseInfo, arches: Sequence[str]) -> list[str]:
    wanted = [a for a in arches if a != "all"]
    if "all" in release.architectures and not release.arch_all_in_arch_files:
        wanted.append("all")
    return wanted


def _fetch_release(fetcher: Fetcher, dist_url: str) -> ReleaseInfo:
    for name in ("InRelease", "Release"):
        data = fetcher.fetch(f"{dist_url}/{name}")
        if data is not None:
            text = _text(data, f"{dist_url}/{name}")
            try:
                return parse_release(text)
            except ParseError as exc:
                raise ParseError(f"{dist_url}/{name}: {exc}") from exc
    raise CollectError(f"{dist_url}: no InRelease or Release (wrong suite?)")


def _fetch_packages(
    fetcher: Fetcher, dist_url: str, release: ReleaseInfo, component: str, arch: str
) -> PackagesIndex | None:
    listed = {f.path: f for f in release.files}
    for directory in dict.fromkeys((component, _short(component))):
        for suffix in _COMPRESSION_PREFERENCE:
            entry = listed.get(f"{directory}/binary-{arch}/Packages{suffix}")
            if entry is None:
                continue
            data = fetcher.fetch(f"{dist_url}/{entry.path}")
            if data is None:
                continue
            _check(entry, data, dist_url)
            text = _text(decompress(data, entry.path), f"{dist_url}/{entry.path}")
            return PackagesIndex(_short(component), arch, parse_packages(text), entry.path)
    log.info("%s: no Packages for %s/%s listed", dist_url, component, arch)
    return None


def _check(entry: IndexFile, data: bytes, dist_url: str) -> None:
    digest = hashlib.sha256(data).hexdigest()
    if len(data) != entry.size or digest != entry.sha256:
        raise ParseError(
            f"{dist_url}/{entry.path}: size/SHA256 differ from the Release "
            f"({len(data)} {digest[:12]}… vs {entry.size} {entry.sha256[:12]}…)"
        )
