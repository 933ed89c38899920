"""Readers for the third-party version vector files in tests/data/versions (see SOURCES.md)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data" / "versions"
SIGN = {"<": -1, "=": 0, ">": 1}


@dataclass(frozen=True, slots=True)
class Case:
    """One line of a vector file: `a op b` (op in <, <=, =, >=, > and apk's !/~ forms)."""

    file: str
    line: int
    a: str
    op: str
    b: str

    def where(self) -> str:
        return f"{self.file}:{self.line}: {self.a!r} {self.op} {self.b!r}"


def tsv_cases(name: str) -> Iterator[Case]:
    """`a<TAB>b<TAB>expected[<TAB>status]` lines; expected is -1/0/1."""
    for number, raw in enumerate((DATA / name).read_text("utf-8").splitlines(), 1):
        if not raw.strip() or raw.startswith("#"):
            continue
        a, b, expected = raw.split("\t")[:3]
        op = {-1: "<", 0: "=", 1: ">"}[int(expected)]
        yield Case(name, number, a, op, b)


def op_cases(name: str) -> Iterator[Case]:
    """`a OP b` lines; `#` starts a comment; one-word lines are skipped (see validity_cases)."""
    for number, raw in enumerate((DATA / name).read_text("utf-8").splitlines(), 1):
        text = raw.split("#", 1)[0].strip()
        parts = text.split()
        if len(parts) == 3:
            yield Case(name, number, parts[0], parts[1], parts[2])
        elif len(parts) not in (0, 1):
            raise ValueError(f"{name}:{number}: cannot read {raw!r}")


def validity_cases(name: str) -> Iterator[tuple[int, str, bool]]:
    """apk-tools `ver` (valid) and `!ver` (invalid) lines as (line, version, valid)."""
    for number, raw in enumerate((DATA / name).read_text("utf-8").splitlines(), 1):
        parts = raw.split("#", 1)[0].split()
        if len(parts) == 1:
            word = parts[0]
            if word.startswith("!"):
                yield number, word[1:], False
            else:
                yield number, word, True


def holds(op: str, result: int) -> bool:
    """Whether the comparison result (-1/0/1) satisfies a plain operator such as `<=`."""
    return (result < 0 and "<" in op) or (result > 0 and ">" in op) or (result == 0 and "=" in op)


def snapshot_histories() -> dict[str, list[str]]:
    """snapshot.debian.org version histories, newest first, by package."""
    raw = json.loads((DATA / "snapshot-debian-org-version-order.json").read_text("utf-8"))
    return {name: versions for name, versions in raw.items() if not name.startswith("_")}


def parse_cases() -> list[dict[str, object]]:
    """dpkg lib/dpkg/t/t-version.c parse cases (valid, error, warning)."""
    lines = (DATA / "dpkg-t-version-parse.jsonl").read_text("utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]
