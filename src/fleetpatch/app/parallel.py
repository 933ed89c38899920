"""Validating reports in worker processes, for inputs large enough to be worth it.

Decoding and validating JSON is almost all of ingest's CPU time and the GIL keeps it on one core,
so big inputs are checked by a pool of worker processes while the parent writes to the store. The
first `sequential_first` documents are checked in the parent: small inputs never pay the pool's
start-up, and the pool starts only when more input is actually there.

A worker sends a validated package list back once; for later reports with the same list it sends
the report without packages and the parent attaches the tuple it already holds (one shared object
per list, which the store's digest cache relies on). Should the parent have forgotten a list
meanwhile, it re-checks that document itself, so results never depend on cache sizes. Results come
back in input order (`imap`), so a run with workers stores exactly what a sequential run stores.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import replace
from itertools import islice

from fleetpatch.app.report_stream import Document
from fleetpatch.app.validation import Checked, ReportValidator

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
    with context.Pool(workers, initializer=_start_worker) as pool:
        for results in pool.imap(_check_chunk, _chunks(documents, sent)):
            chunk = sent.popleft()
            for document, checked in zip(chunk, results, strict=True):
                yield _adopt(checked, document, validator)


def _adopt(checked: Checked, document: Document, validator: ReportValidator) -> Checked:
    report = checked.report
    if report is None or not checked.packages_key:
        return checked
    if report.packages:
        packages = validator.remember(checked.packages_key, report.packages)
        return replace(checked, report=replace(report, packages=packages))
    known = validator.remembered(checked.packages_key)
    if known is None:
        return validator.check(document)
    return replace(checked, report=replace(report, packages=known))


def _chunks(documents: Iterator[Document], sent: deque[list[Document]]) -> Iterator[list[Document]]:
    while chunk := list(islice(documents, CHUNK_DOCUMENTS)):
        sent.append(chunk)
        yield chunk


def _prepend(first: Document, rest: Iterator[Document]) -> Iterator[Document]:
    yield first
    yield from rest


def _start_worker() -> None:
    global _validator
    _validator = ReportValidator()
    _sent.clear()


def _check_chunk(documents: list[Document]) -> list[Checked]:
    """In a worker: check each document; send each package list's packages only once."""
    if _validator is None:  # pragma: no cover - the pool initializer always ran
        raise RuntimeError("worker not initialised")
    if len(_sent) > _WORKER_SENT_MAX:
        _sent.clear()
    results = []
    for document in documents:
        checked = _validator.check(document)
        if checked.report is not None and checked.packages_key:
            if checked.packages_key in _sent:
                checked = replace(checked, report=replace(checked.report, packages=()))
            _sent.add(checked.packages_key)
        results.append(checked)
    return results
