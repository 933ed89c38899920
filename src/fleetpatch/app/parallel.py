"""Validating reports in worker processes, for inputs large enough to be worth it.

Decoding and validating JSON is almost all of ingest's CPU time and the GIL keeps it on one core,
so big inputs are checked by a pool of worker processes while the parent writes to the store. The
first `sequential_first` documents are checked in the parent: small inputs never pay the pool's
start-up, and the pool starts only when more input is actually there.

A worker sends a validated package list back once, as plain tuples (pickling 700 `Package`
records costs more than validating them); for later reports with the same list it sends the report
without packages and the parent attaches the tuple it already holds (one shared object per list,
which the store's digest cache relies on). Should the parent have forgotten a list
meanwhile, it re-checks that document itself, so results never depend on cache sizes. Results come
back in input order (`imap`), so a run with workers stores exactly what a sequential run stores.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from functools import partial
from itertools import islice

from fleetpatch.app.report_stream import Document
from fleetpatch.app.validation import Checked, ReportValidator
from fleetpatch.inventory.records import Package

CHUNK_DOCUMENTS = 32
SEQUENTIAL_FIRST = 200
_WORKER_SENT_MAX = 4096

_validator: ReportValidator | None = None
_sent: set[bytes] = set()


def check_documents(
    documents: Iterable[Document],
    validator: ReportValidator,
    workers: int,
    *,
    sequential_first: int = SEQUENTIAL_FIRST,
) -> Iterator[Checked]:
    """Every document checked, in input order, using up to `workers` processes."""
    pending = iter(documents)
    for document in islice(pending, sequential_first):
        yield validator.check(document)
    first = next(pending, None)
    if first is None:
        return
    if workers <= 1:
        yield validator.check(first)
        yield from (validator.check(d) for d in pending)
        return
    yield from _in_pool(_prepend(first, pending), validator, workers)


def _in_pool(
    documents: Iterator[Document], validator: ReportValidator, workers: int
) -> Iterator[Checked]:
    sent: deque[list[Document]] = deque()
    context = multiprocessing.get_context("spawn")
    with context.Pool(workers, initializer=start_worker) as pool:
        for results in pool.imap(_check_chunk, _chunks(documents, sent)):
            chunk = sent.popleft()
            for document, checked in zip(chunk, results, strict=True):
                yield adopt(checked, validator, partial(validator.check, document))


def adopt(checked: Checked, validator: ReportValidator, recheck: Callable[[], Checked]) -> Checked:
    """A worker's result with its package list attached; `recheck` if the list was forgotten."""
    report, key = checked.report, checked.packages_key
    if report is None or not key:
        return checked
    known = validator.remembered(key)
    if known is None and checked.package_rows:
        known = validator.remember(key, tuple(Package(*row) for row in checked.package_rows))
    if known is None:
        return recheck()
    return Checked(checked.where, checked.size, replace(report, packages=known), "", key)


def _chunks(documents: Iterator[Document], sent: deque[list[Document]]) -> Iterator[list[Document]]:
    while chunk := list(islice(documents, CHUNK_DOCUMENTS)):
        sent.append(chunk)
        yield chunk


def _prepend(first: Document, rest: Iterator[Document]) -> Iterator[Document]:
    yield first
    yield from rest


def start_worker() -> None:
    """Pool initializer: a fresh validator per worker process."""
    global _validator
    _validator = ReportValidator()
    _sent.clear()


def _check_chunk(documents: list[Document]) -> list[Checked]:
    return [worker_check(d) for d in documents]


def worker_check(document: Document) -> Checked:
    """In a worker: check one document; send each package list's packages only once."""
    if _validator is None:  # pragma: no cover - the pool initializer always ran
        raise RuntimeError("worker not initialised")
    if len(_sent) > _WORKER_SENT_MAX:
        _sent.clear()
    checked = _validator.check(document)
    report, key = checked.report, checked.packages_key
    if report is None or not key:
        return checked
    rows = () if key in _sent else tuple(_row(p) for p in report.packages)
    _sent.add(key)
    return replace(checked, report=replace(report, packages=()), package_rows=rows)


def _row(p: Package) -> tuple[str, str, str, str, str]:
    return (p.name, p.version, p.arch, p.source, p.source_version)
