"""Decoding report input: one JSON object, a JSON array of objects, or NDJSON.

The format is told apart from the content, not the file name: a first line that is a complete JSON
object means NDJSON (one report per line, read as a stream, so a 1 GB file never sits in memory at
once); anything else is read whole as one JSON document, an object or an array of objects. Each
item carries where it came from (`reports.ndjson:17`, `batch.json[3]`, `me.json`) so that a
rejection names its source, and the number of input bytes it used, for progress display.

JSON syntax errors are items too: one bad line in an NDJSON stream does not stop the lines after it.
NDJSON lines after the first are handed on undecoded (`raw`), so decoding can run in parallel.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

import orjson


@dataclass(frozen=True, slots=True)
class Document:
    """One item: decoded (`value`), still raw JSON text (`raw`), or undecodable (`error`)."""

    where: str
    value: object = None
    raw: bytes = b""
    error: str = ""
    size: int = 0

    def decoded(self) -> object:
        """The item's value, decoding `raw` now; `ValueError` for invalid JSON."""
        if self.error:
            raise ValueError(self.error)
        if not self.raw:
            return self.value
        try:
            return orjson.loads(self.raw)
        except orjson.JSONDecodeError as exc:
            raise ValueError(f"invalid JSON: {exc}") from None


def read_documents(name: str, stream: IO[bytes]) -> Iterator[Document]:
    """Every report-shaped item in the stream, in input order."""
    lineno, first = first_content_line(stream)
    if first is None:
        return
    if is_ndjson_start(first):
        yield Document(f"{name}:{lineno}", raw=first, size=len(first))
        yield from _ndjson(name, stream, lineno)
        return
    yield from _whole(name, first + stream.read())


def is_ndjson_start(first: bytes) -> bool:
    """A first line holding a whole object (even a broken one) means one object per line.

    A pretty-printed document's first line is `{` or an unfinished object, never `{...}`.
    """
    text = first.strip()
    return text.startswith(b"{") and text.endswith(b"}")


def first_content_line(stream: IO[bytes]) -> tuple[int, bytes | None]:
    """The first non-blank line and its number, leaving the stream just after it."""
    lineno = 0
    for line in stream:
        lineno += 1
        if line.strip():
            return lineno, line
    return lineno, None


def _ndjson(name: str, stream: IO[bytes], lineno: int) -> Iterator[Document]:
    for line in stream:
        lineno += 1
        if line.strip():
            # Decoded later, possibly in a worker process: decoding is most of the cost.
            yield Document(f"{name}:{lineno}", raw=line, size=len(line))


def _whole(name: str, data: bytes) -> Iterator[Document]:
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        yield Document(name, error=f"invalid JSON: {exc}", size=len(data))
        return
    if not isinstance(value, list):
        yield Document(name, value, size=len(data))
        return
    share = len(data) // max(1, len(value))
    for index, item in enumerate(value):
        yield Document(f"{name}[{index}]", item, size=share)
