"""Use cases that bring upstream data into the store: the package catalog and OSV advisories.

`import_catalog` takes locations of several kinds, told apart by what they hold:

- a directory like `/var/lib/apt/lists` (apt `*_InRelease` and `*_Packages*` files);
- an apt mirror URL (`http://deb.debian.org/debian`) with `suites` and `arches`;
- an RPM repository (a directory or URL with `repodata/repomd.xml`; a URL needs an `ecosystem`
  that is not Debian or Ubuntu); `suites[0]`, when given, is the repository id, else the last path
  part; a repository id containing `security` marks its versions as security updates;
- an Alpine repository (`APKINDEX.tar.gz`, its folder, or a URL with an `Alpine:vX.Y` ecosystem);
  `suites[0]`, when given, is the repository name (`main`), else the folder above the arch folder.

An index entry whose version (or source version) is not valid for its ecosystem is left out
with a warning naming the file and line (`fleetpatch.catalog.screen`) and counted in `skipped`.
Every location is read before the store is opened for writing, and a location that cannot be read
becomes one line in `problems` while the others are stored. Writing is one transaction.

`import_advisories` reads OSV JSON files, folders and zips (see `osv_documents`) and Debian
security tracker lists (`data/DSA/list`, `data/DLA/list`: a file is one when its first line is a
DSA/DLA header, whatever its name; `fleetpatch.advisories.debian_list` turns each entry into the
OSV record it stands for). It merges the records into the store in batches, in one transaction; a
bad file or record is a problem line, never an abort, and list data fleetpatch does not use (a
release codename it does not map) is a warning. So is an affected entry holding a version its
ecosystem's scheme cannot read (`fleetpatch.advisories.screen`): the entry is left out of its
record, and counted in `skipped`. The merge rule (latest `modified` wins, withdrawn
retire their id) is the store's.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path, PurePosixPath

import orjson
from sqlalchemy.orm import Session

from fleetpatch.advisories.debian_list import looks_like_list, parse_list, to_osv
from fleetpatch.advisories.ecosystems import family
from fleetpatch.advisories.osv import parse_advisory
from fleetpatch.advisories.records import Advisory
from fleetpatch.advisories.screen import screen_advisory
from fleetpatch.catalog.lists import Fetcher, UrllibFetcher, fetch_mirror, read_lists_dir
from fleetpatch.catalog.records import AptImport, CatalogEntry
from fleetpatch.catalog.repos import (
    RpmRepo,
    apk_entries,
    read_apk_repo,
    read_rpm_repo,
    rpm_entries,
)
from fleetpatch.catalog.screen import scheme_of, screen_apt, screen_packages
from fleetpatch.errors import FleetpatchError, InputError, ParseError, StoreError
from fleetpatch.store import Store
from fleetpatch.store.advisories import AdvisoryRepository, OsvDocument, UpsertOutcome
from fleetpatch.store.catalog import CatalogOutcome, CatalogRepository, ReleaseImport

DEFAULT_HTTP_TIMEOUT = 60.0
"""Seconds a mirror or OSV download may stall before it fails (CLI `--timeout`)."""
ADVISORY_BATCH = 2000
Progress = Callable[[int], None]
"""Called with how many more units (locations, advisory records) are done."""


@dataclass(frozen=True, slots=True)
class CatalogImportSummary:
    """What a catalog import stored, and what it left out: `skipped` counts index entries whose
    version is not valid for their ecosystem (each is also one line in `warnings`)."""

    outcome: CatalogOutcome
    warnings: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()
    skipped: int = 0


@dataclass(frozen=True, slots=True)
class AdvisoryImportSummary:
    """Counts of one advisory import. `records` counts records read and parsed; `unchanged`
    those that wrote nothing (already stored, older, or a copy of another record read);
    `skipped` the affected entries left out of their records because a version in them is not
    valid for their ecosystem (each is also one line in `warnings`)."""

    files: int = 0
    records: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    replaced_duplicates: int = 0
    identical_duplicates: int = 0
    withdrawn: int = 0
    problems: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    skipped: int = 0


@dataclass(frozen=True, slots=True)
class _Read:
    """One location read: an apt import, or one repository index with its entries."""

    location: str
    apt: AptImport | None = None
    release: ReleaseImport | None = None
    entries: tuple[CatalogEntry, ...] = ()
    ecosystem: str | None = None
    skipped: tuple[str, ...] = ()


def import_catalog(
    store: Store,
    locations: Sequence[str],
    *,
    suites: Sequence[str] = (),
    arches: Sequence[str] = (),
    now: datetime,
    fetcher: Fetcher | None = None,
    ecosystem: str | None = None,
    progress: Progress | None = None,
) -> CatalogImportSummary:
    """Read every location, then store what could be read in one transaction."""
    fetcher = fetcher if fetcher is not None else UrllibFetcher(DEFAULT_HTTP_TIMEOUT)
    read: list[_Read] = []
    problems: list[str] = []
    for location in locations:
        try:
            read.append(_read(location, suites, arches, now, fetcher, ecosystem))
        except FleetpatchError as exc:
            problems.append(str(exc) if location in str(exc) else f"{location}: {exc}")
        if progress is not None:
            progress(1)
    outcome = CatalogOutcome()
    try:
        with store.session(write=True) as session:
            repository = CatalogRepository(session)
            for item in read:
                outcome += _store(repository, item, now)
    except StoreError as exc:
        raise StoreError(f"catalog import failed, nothing stored: {_first_line(exc)}") from exc
    warnings = [str(w) for item in read if item.apt for w in item.apt.warnings]
    skipped = [line for item in read for line in item.skipped]
    return CatalogImportSummary(outcome, (*warnings, *skipped), tuple(problems), len(skipped))


def _store(repository: CatalogRepository, item: _Read, now: datetime) -> CatalogOutcome:
    if item.apt is not None:
        return repository.import_apt(item.apt, now=now, ecosystem=item.ecosystem)
    if item.release is None:  # pragma: no cover - _read always sets one of the two
        raise ParseError(f"{item.location}: nothing read")
    return repository.import_release(item.release, item.entries, now=now)


def _read(
    location: str,
    suites: Sequence[str],
    arches: Sequence[str],
    now: datetime,
    fetcher: Fetcher,
    ecosystem: str | None,
) -> _Read:
    url = location.startswith(("http://", "https://"))
    path = Path(location)
    eco_family = family(ecosystem) if ecosystem else ""
    if location.endswith("APKINDEX.tar.gz"):
        return _read_apk(location, suites, fetcher, ecosystem)
    if eco_family == "Alpine" or (not url and (path / "APKINDEX.tar.gz").is_file()):
        return _read_apk(location, suites, fetcher, ecosystem)
    if (url and eco_family not in ("", "Debian", "Ubuntu")) or (
        not url and (path / "repodata" / "repomd.xml").is_file()
    ):
        return _read_rpm(location, suites, fetcher, ecosystem)
    if url:
        if not suites or not arches:
            raise InputError(f"{location}: a mirror needs --suite and --arch")
        apt = fetch_mirror(location, suites=suites, arches=arches, now=now, fetcher=fetcher)
        return _apt_read(location, apt, ecosystem)
    if not path.exists():
        raise InputError(f"{location}: no such file or folder")
    apt = read_lists_dir(path, now=now, suites=suites or None, arches=arches or None)
    if not apt.suites:
        raise InputError(f"{location}: no apt Release and Packages files found")
    return _apt_read(location, apt, ecosystem)


def _apt_read(location: str, apt: AptImport, ecosystem: str | None) -> _Read:
    screened, skipped = screen_apt(apt, ecosystem)
    return _Read(location, apt=screened, ecosystem=ecosystem, skipped=skipped)


def _read_rpm(
    location: str, suites: Sequence[str], fetcher: Fetcher, ecosystem: str | None
) -> _Read:
    if not ecosystem:
        raise InputError(f"{location}: an RPM repository needs --ecosystem (e.g. AlmaLinux:9)")
    repo = read_rpm_repo(location, fetcher=fetcher)
    screened = screen_packages(
        repo.packages, scheme=scheme_of(ecosystem, "rpm"), source=_primary_name(repo)
    )
    repo = replace(repo, packages=screened.kept)
    repo_id = suites[0] if suites else _last_part(location)
    entries = rpm_entries(
        repo, ecosystem=ecosystem, repo_id=repo_id, security="security" in repo_id.lower()
    )
    date = entries[0].first_seen if entries else repo.repomd.date
    if date is None:
        raise ParseError(f"{location}: repomd.xml has no revision or timestamp to date it")
    release = ReleaseImport(
        ecosystem, "rpm", location, repo_id, date, archive=repo_id, location=location
    )
    return _Read(location, release=release, entries=entries, skipped=screened.skipped)


def _primary_name(repo: RpmRepo) -> str:
    return f"{repo.location.rstrip('/')}/{repo.repomd.find('primary').href}"


def _read_apk(
    location: str, suites: Sequence[str], fetcher: Fetcher, ecosystem: str | None
) -> _Read:
    if not ecosystem or family(ecosystem) != "Alpine":
        raise InputError(f"{location}: an APKINDEX needs --ecosystem Alpine:vX.Y")
    location = location.removesuffix("APKINDEX.tar.gz").rstrip("/") or "."
    index = read_apk_repo(location, fetcher=fetcher)
    screened = screen_packages(
        index.packages, scheme=scheme_of(ecosystem, "apk"), source=f"{location}/APKINDEX.tar.gz"
    )
    index = replace(index, packages=screened.kept)
    branch = ecosystem.split(":", 1)[1]
    repository = suites[0] if suites else _last_part(location.rstrip("/").rsplit("/", 1)[0])
    entries = apk_entries(
        index, ecosystem=ecosystem, branch=branch, repository=repository, location=location
    )
    if index.newest_build is None:  # apk_entries raised already; keeps the type checker informed
        raise ParseError(f"{location}: no build time to date the index")
    release = ReleaseImport(
        ecosystem,
        "apk",
        location,
        branch,
        index.newest_build,
        archive=branch,
        codename=branch,
        location=location,
    )
    return _Read(location, release=release, entries=entries, skipped=screened.skipped)


def _last_part(location: str) -> str:
    return PurePosixPath(location.rstrip("/")).name or location


def import_advisories(
    store: Store,
    paths: Sequence[str | Path],
    *,
    now: datetime,
    progress: Progress | None = None,
) -> AdvisoryImportSummary:
    """Merge the OSV records and DSA/DLA list entries of every path into the store in one
    transaction."""
    problems: list[str] = []
    documents = (d for p in paths for d in osv_documents(Path(p), problems))
    return store_documents(store, documents, problems, now=now, progress=progress)


def store_documents(
    store: Store,
    documents: Iterable[tuple[str, bytes]],
    problems: list[str],
    *,
    now: datetime,
    progress: Progress | None = None,
    on_stored: Callable[[Session], None] | None = None,
) -> AdvisoryImportSummary:
    """Parse (origin, JSON bytes) documents and upsert them; `on_stored` runs in the same
    transaction after the last batch (sync uses it to save the source's validators)."""
    tally = _AdvisoryTally()
    try:
        with store.session(write=True) as session:
            repository = AdvisoryRepository(session)
            for batch in _batches(documents, problems, tally):
                tally.add(repository.upsert(batch, now=now))
                if progress is not None:
                    progress(len(batch))
            if on_stored is not None:
                on_stored(session)
    except StoreError as exc:
        raise StoreError(f"advisory import failed, nothing stored: {_first_line(exc)}") from exc
    problems.extend(f"{ident}: copies differ with the same 'modified'" for ident in tally.conflicts)
    return tally.summary(problems)


@dataclass(slots=True)
class _AdvisoryTally:
    files: int = 0
    records: int = 0
    outcomes: list[UpsertOutcome] = field(default_factory=list)
    conflicts: set[str] = field(default_factory=set)
    warnings: list[str] = field(default_factory=list)
    skipped: int = 0

    def add(self, outcome: UpsertOutcome) -> None:
        self.outcomes.append(outcome)
        self.conflicts.update(outcome.conflicts)

    def summary(self, problems: Sequence[str]) -> AdvisoryImportSummary:
        def total(name: str) -> int:
            return sum(int(getattr(o, name)) for o in self.outcomes)

        return AdvisoryImportSummary(
            files=self.files,
            records=self.records,
            inserted=total("inserted"),
            updated=total("updated"),
            unchanged=self.records - total("inserted") - total("updated"),
            replaced_duplicates=total("superseded"),
            identical_duplicates=total("identical"),
            withdrawn=total("withdrawn"),
            problems=tuple(problems),
            warnings=tuple(self.warnings),
            skipped=self.skipped,
        )

    def screened(self, where: str, advisory: Advisory, raw: bytes) -> OsvDocument:
        """The document to store: `advisory` without the affected entries it cannot place."""
        screened = screen_advisory(advisory)
        self.skipped += len(screened.skipped)
        self.warnings.extend(f"{where}: {advisory.id}: {reason}" for reason in screened.skipped)
        return OsvDocument(screened.advisory, raw)


def _batches(
    documents: Iterable[tuple[str, bytes]], problems: list[str], tally: _AdvisoryTally
) -> Iterator[list[OsvDocument]]:
    batch: list[OsvDocument] = []
    for origin, data in documents:
        tally.files += 1
        for document in _parse(origin, data, problems, tally):
            tally.records += 1
            batch.append(document)
            if len(batch) >= ADVISORY_BATCH:
                yield batch
                batch = []
    if batch:
        yield batch


def _parse(
    origin: str, data: bytes, problems: list[str], tally: _AdvisoryTally
) -> Iterator[OsvDocument]:
    if looks_like_list(data):
        yield from _list_documents(origin, data, problems, tally)
        return
    try:
        loaded = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        if data.lstrip()[:1] in (b"{", b"["):
            problems.append(f"{origin}: not valid JSON ({exc})")
        else:
            problems.append(f"{origin}: not an advisory file (neither OSV JSON nor a DSA/DLA list)")
        return
    for item in loaded if isinstance(loaded, list) else [loaded]:
        try:
            advisory = parse_advisory(item)
        except ParseError as exc:
            problems.append(f"{origin}: {exc}")
            continue
        yield tally.screened(origin, advisory, orjson.dumps(item, option=orjson.OPT_SORT_KEYS))


def _list_documents(
    origin: str, data: bytes, problems: list[str], tally: _AdvisoryTally
) -> Iterator[OsvDocument]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        problems.append(f"{origin}: a DSA/DLA list that is not UTF-8 ({exc})")
        return
    read = parse_list(text, origin)
    problems.extend(read.problems)
    tally.warnings.extend(read.warnings)
    for entry in read.entries:
        record = to_osv(entry)
        try:
            advisory = parse_advisory(record)
        except ParseError as exc:  # pragma: no cover - to_osv writes only what the parser takes
            problems.append(f"{origin}:{entry.line}: {exc}")
            continue
        raw = orjson.dumps(record, option=orjson.OPT_SORT_KEYS)
        yield tally.screened(f"{origin}:{entry.line}", advisory, raw)


def osv_documents(path: Path, problems: list[str]) -> Iterator[tuple[str, bytes]]:
    """(origin, bytes) of every document under a path: a file (OSV JSON or a DSA/DLA list), a
    folder (its `*.json`, walked recursively, sorted) or a `.zip` (an OSV `all.zip`); what cannot
    be read is a problem line."""
    if path.is_dir():
        for file in sorted(p for p in path.rglob("*.json") if p.is_file()):
            yield str(file), file.read_bytes()
    elif path.is_file() and path.suffix.lower() == ".zip":
        yield from zip_documents(str(path), path, problems)
    elif path.is_file():
        yield str(path), path.read_bytes()
    else:
        problems.append(f"{path}: no such file or folder")


def zip_documents(
    name: str, source: Path | bytes, problems: list[str]
) -> Iterator[tuple[str, bytes]]:
    """The `.json` members of a zip (a file, or bytes in memory), in sorted name order."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source)
    except zipfile.BadZipFile as exc:
        problems.append(f"{name}: not a zip file ({exc})")
        return
    with archive:
        members = sorted(i.filename for i in archive.infolist() if not i.is_dir())
        for member in members:
            if member.lower().endswith(".json"):
                yield f"{name}:{member}", archive.read(member)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
