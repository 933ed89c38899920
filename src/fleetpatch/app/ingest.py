"""Ingest: store host reports from JSON input, idempotently, keeping the good ones of a bad batch.

Input is any number of sources, each one JSON object, a JSON array of objects, or NDJSON (see
`report_stream.py`). Every report is validated completely before anything is written, so a report
is stored whole or not at all; a bad one becomes a `Rejection` naming its source and line or index
(`reports.ndjson:17: packages[3].version: Field required`) and the rest of the batch carries on.
A report whose content is already stored counts as a duplicate and changes nothing. A source with
no report at all (an empty file, only whitespace, `[]`) is an `InputError` and nothing is stored:
it is almost always the wrong file or a collector that wrote nothing.

The whole call is one transaction (commit at the end, roll back on a store failure). Reports are
written in batches of `batch_size` so memory stays flat on large inputs, and a `PackageCache` and a
`ReportValidator` shared by the batches make hosts of one image cost one package set's work.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from fleetpatch.app.parallel import check_documents
from fleetpatch.app.parallel_files import check_ndjson_file, parallel_file_candidate
from fleetpatch.app.report_stream import read_documents
from fleetpatch.app.validation import Checked, ReportValidator
from fleetpatch.errors import InputError, StoreError
from fleetpatch.inventory.records import HostReport
from fleetpatch.store import PackageCache, ReportRepository, Store, StoreOutcome

DEFAULT_BATCH_SIZE = 500
Progress = Callable[[int], None]
"""Called with the number of input bytes consumed since the previous call."""


@dataclass(frozen=True, slots=True)
class Source:
    """Named report input: a file, stdin, an HTTP body."""

    name: str
    stream: IO[bytes]
    path: Path | None = None
    """Set for a regular file: large NDJSON files are then read by the workers themselves."""

    @classmethod
    def from_bytes(cls, name: str, data: bytes) -> Source:
        return cls(name, io.BytesIO(data))


@dataclass(frozen=True, slots=True)
class Rejection:
    where: str
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


@dataclass(frozen=True, slots=True)
class IngestSummary:
    stored: int = 0
    duplicates: int = 0
    rejected: tuple[Rejection, ...] = ()
    report_ids: tuple[int, ...] = ()


@dataclass(slots=True)
class _Tally:
    stored: list[int] = field(default_factory=list)
    duplicates: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    unreported_bytes: int = 0

    def add(self, outcome: StoreOutcome) -> None:
        self.stored.extend(outcome.stored)
        self.duplicates += outcome.duplicates

    def summary(self) -> IngestSummary:
        return IngestSummary(
            len(self.stored), self.duplicates, tuple(self.rejected), tuple(self.stored)
        )


def ingest(
    store: Store,
    sources: Iterable[Source],
    *,
    now: datetime | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    workers: int = 1,
    progress: Progress | None = None,
) -> IngestSummary:
    """Validate and store every report in `sources`; `now` is the time they were received.

    `workers` > 1 validates large inputs in that many processes (see `parallel.py`). They are
    started with `spawn`, so a script calling this with workers must guard its entry point with
    `if __name__ == "__main__":` (the `fleetpatch` command does).
    """
    received_at = now if now is not None else datetime.now(UTC)
    tally = _Tally()
    checked = _checked(sources, ReportValidator(), workers)
    try:
        with store.session(write=True) as session:
            reports = ReportRepository(session, PackageCache())
            for batch in _batches(checked, tally, batch_size):
                tally.add(reports.add_many(batch, received_at=received_at))
                _report_progress(tally, progress)
    except StoreError as exc:
        raise StoreError(f"ingest failed, nothing stored: {_first_line(exc)}") from exc
    return tally.summary()


def _checked(
    sources: Iterable[Source], validator: ReportValidator, workers: int
) -> Iterator[Checked]:
    for source in sources:
        items = 0
        for item in _checked_source(source, validator, workers):
            items += 1
            yield item
        if not items:
            # Raised inside the write transaction: the reports of earlier sources roll back too.
            raise InputError(f"no reports in {source.name}")


def _checked_source(source: Source, validator: ReportValidator, workers: int) -> Iterator[Checked]:
    if source.path is not None and parallel_file_candidate(source.path, workers):
        results = check_ndjson_file(source.name, source.path, validator, workers)
        if results is not None:
            yield from results
            return
    documents = read_documents(source.name, source.stream)
    yield from check_documents(documents, validator, workers)


def _batches(checked: Iterable[Checked], tally: _Tally, size: int) -> Iterator[list[HostReport]]:
    batch: list[HostReport] = []
    for item in checked:
        tally.unreported_bytes += item.size
        if item.report is None:
            tally.rejected.append(Rejection(item.where, item.error))
            continue
        batch.append(item.report)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _report_progress(tally: _Tally, progress: Progress | None) -> None:
    if progress is not None and tally.unreported_bytes:
        progress(tally.unreported_bytes)
    tally.unreported_bytes = 0


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
