"""Checking a large NDJSON file in worker processes that read the file themselves.

Shipping every line from the parent to a worker costs the parent as much CPU as its own work, so
for a regular file the parent only cuts it into byte ranges that end at a newline and hands out
`(path, start, end)`; each worker reads, decodes and validates its range and sends back results
tagged with line numbers relative to the range. Results come back in range order (`imap`), so the
parent turns them into absolute `file:LINE` positions by counting the lines of earlier ranges.

Package lists cross the process boundary once per worker, as in `parallel.py`.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from functools import partial
from multiprocessing.pool import Pool
from pathlib import Path
from typing import IO

from fleetpatch.app.parallel import adopt, start_worker, worker_check
from fleetpatch.app.report_stream import Document, first_content_line, is_ndjson_start
from fleetpatch.app.validation import Checked, ReportValidator

RANGE_BYTES = 4 * 1024 * 1024
PARALLEL_MIN_BYTES = 16 * 1024 * 1024

Range = tuple[str, int, int]
"""(path, start, end): whole lines, `end` just after a newline or at the end of the file."""


def parallel_file_candidate(path: Path | None, workers: int) -> bool:
    return (
        workers > 1
        and path is not None
        and path.is_file()
        and (path.stat().st_size >= PARALLEL_MIN_BYTES)
    )


def check_ndjson_file(
    name: str,
    path: Path,
    validator: ReportValidator,
    workers: int,
    *,
    range_bytes: int = RANGE_BYTES,
) -> Iterator[Checked] | None:
    """Every line of an NDJSON file, checked in `workers` processes; None when not NDJSON."""
    with path.open("rb") as stream:
        lineno, first = first_content_line(stream)
        if first is None or not is_ndjson_start(first):
            return None
        start, size = stream.tell(), path.stat().st_size
        ranges = list(_ranges(str(path), stream, start, size, range_bytes))
    head = validator.check(Document(f"{name}:{lineno}", raw=first, size=start))
    return _results(name, lineno, head, ranges, validator, workers)


def _results(
    name: str,
    lineno: int,
    head: Checked,
    ranges: list[Range],
    validator: ReportValidator,
    workers: int,
) -> Iterator[Checked]:
    yield head
    if not ranges:
        return
    context = multiprocessing.get_context("spawn")
    with context.Pool(workers, initializer=start_worker) as pool:
        for (path, _, _), (lines, results) in zip(ranges, _imap(pool, ranges), strict=True):
            for relative, offset, checked in results:
                where = f"{name}:{lineno + relative}"
                recheck = partial(_recheck, validator, where, path, offset, checked.size)
                located = Checked(
                    where, checked.size, checked.report, checked.error, checked.packages_key
                )
                yield adopt(located, validator, recheck)
            lineno += lines


def _imap(pool: Pool, ranges: list[Range]) -> Iterator[tuple[int, list[tuple[int, int, Checked]]]]:
    return pool.imap(_check_range, ranges)


def _recheck(validator: ReportValidator, where: str, path: str, offset: int, size: int) -> Checked:
    with open(path, "rb") as stream:
        stream.seek(offset)
        line = stream.readline()
    return validator.check(Document(where, raw=line, size=size))


def _ranges(path: str, stream: IO[bytes], start: int, size: int, step: int) -> Iterator[Range]:
    while start < size:
        stream.seek(min(start + step, size))
        stream.readline()
        end = min(stream.tell(), size)
        yield (path, start, end)
        start = end


def _check_range(task: Range) -> tuple[int, list[tuple[int, int, Checked]]]:
    """In a worker: check every non-blank line of one range.

    Returns the range's line count and, per report line, its number within the range, its file
    offset, and the result. Blank lines' bytes count towards the next report line's size.
    """
    path, start, end = task
    with open(path, "rb") as stream:
        stream.seek(start)
        data = stream.read(end - start)
    lines = data.splitlines(keepends=True)
    results = []
    offset = pending = 0
    for index, line in enumerate(lines, start=1):
        if line.strip():
            document = Document("", raw=line, size=pending + len(line))
            results.append((index, start + offset, worker_check(document)))
            pending = 0
        else:
            pending += len(line)
        offset += len(line)
    return len(lines), results
