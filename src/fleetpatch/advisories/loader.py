"""Load OSV records from files, folders and zips (the edge of the advisories package).

Accepted inputs, in any mix:

- a ``.json`` file holding one OSV record (or a JSON list of records);
- a folder, walked recursively for ``*.json`` in sorted path order (the OSV git layout, with
  one folder per release as AlmaLinux ships it);
- a ``.zip``, such as an OSV bulk export (``all.zip`` per ecosystem): members ending in ``.json``
  are read one at a time in sorted name order, folders inside the zip are allowed.

A file given by path whose first line is a Debian security tracker header (``[03 Oct 2023]
DSA-5514-1 …``) is read as a DSA/DLA list (`fleetpatch.advisories.debian_list`), whatever its
name; what that reader cannot use goes to `problems` or `warnings` as it says.

A file that is not valid JSON or not a valid record becomes one line in `LoadResult.problems`
(``path[:member]: reason``); the import carries on.

The same id can arrive more than once (AlmaLinux ships a record affecting several releases in
each release's folder). Copies that parse to equal records count as `duplicates_identical`.
Otherwise the record with the latest `modified` wins; on a tie the first one read wins (inputs in
the order given, files in sorted order), and the tie is reported as a problem because the two
copies disagree. Withdrawn records are dropped after that, so a withdrawal also retires the older
copies of its id.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from fleetpatch.advisories.debian_list import looks_like_list, parse_list, to_osv
from fleetpatch.advisories.osv import parse_advisory
from fleetpatch.advisories.records import Advisory
from fleetpatch.errors import InputError, ParseError


@dataclass(frozen=True, slots=True)
class LoadResult:
    """What an import produced: records sorted by id, and what was set aside."""

    records: tuple[Advisory, ...]
    problems: tuple[str, ...]
    duplicates_replaced: int
    withdrawn_dropped: int
    duplicates_identical: int = 0
    files_read: int = 0
    warnings: tuple[str, ...] = ()


class _Merger:
    """Keeps one record per id while records stream in."""

    def __init__(self) -> None:
        self.by_id: dict[str, Advisory] = {}
        self.problems: list[str] = []
        self.warnings: list[str] = []
        self.replaced = 0
        self.identical = 0

    def add(self, record: Advisory, origin: str) -> None:
        kept = self.by_id.get(record.id)
        if kept is None:
            self.by_id[record.id] = record
        elif kept == record:
            self.identical += 1
        else:
            self.replaced += 1
            if record.modified > kept.modified:
                self.by_id[record.id] = record
            elif record.modified == kept.modified:
                self.problems.append(
                    f"{origin}: {record.id} differs from a copy with the same 'modified'; "
                    "kept the one read first"
                )


def load_advisories(paths: Iterable[str | Path]) -> LoadResult:
    """Read every record under `paths`; raises `InputError` only for a path that is not there."""
    merger = _Merger()
    files = 0
    for path in (Path(p) for p in paths):
        for origin, raw in _documents(path, merger.problems):
            files += 1
            for record in _records(origin, raw, merger.problems, merger.warnings):
                merger.add(record, origin)
    live = sorted((r for r in merger.by_id.values() if r.withdrawn is None), key=lambda r: r.id)
    return LoadResult(
        records=tuple(live),
        problems=tuple(merger.problems),
        duplicates_replaced=merger.replaced,
        withdrawn_dropped=len(merger.by_id) - len(live),
        duplicates_identical=merger.identical,
        files_read=files,
        warnings=tuple(merger.warnings),
    )


def _documents(path: Path, problems: list[str]) -> Iterator[tuple[str, bytes]]:
    """(origin, bytes) for every JSON document under one path, one at a time."""
    if path.is_dir():
        for file in sorted(p for p in path.rglob("*.json") if p.is_file()):
            yield str(file), file.read_bytes()
    elif path.is_file() and path.suffix.lower() == ".zip":
        yield from _zip_members(path, problems)
    elif path.is_file():
        yield str(path), path.read_bytes()
    else:
        raise InputError(f"{path}: no such file or folder")


def _zip_members(path: Path, problems: list[str]) -> Iterator[tuple[str, bytes]]:
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        problems.append(f"{path}: not a zip file ({exc})")
        return
    with archive:
        names = sorted(i.filename for i in archive.infolist() if not i.is_dir())
        for name in names:
            if name.lower().endswith(".json"):
                yield f"{path}:{name}", archive.read(name)


def _records(
    origin: str, raw: bytes, problems: list[str], warnings: list[str]
) -> Iterator[Advisory]:
    if looks_like_list(raw):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            problems.append(f"{origin}: a DSA/DLA list that is not UTF-8 ({exc})")
            return
        read = parse_list(text, origin)
        problems.extend(read.problems)
        warnings.extend(read.warnings)
        yield from (parse_advisory(to_osv(entry)) for entry in read.entries)
        return
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        problems.append(f"{origin}: not valid JSON ({exc})")
        return
    for item in data if isinstance(data, list) else [data]:
        try:
            yield parse_advisory(item)
        except ParseError as exc:
            problems.append(f"{origin}: {exc}")
