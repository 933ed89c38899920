"""Rendering of listings as table, JSON or CSV. Every listing command takes `--format`."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

import click

FORMATS = ("table", "json", "csv")

format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="table",
    show_default=True,
    help="Output format.",
)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):  # to the second: microseconds are noise to a reader
        return value.replace(microsecond=0).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def _cell(value: Any) -> str:
    value = _plain(value)
    if value is None:
        return "-"
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    if isinstance(value, dict):
        return ",".join(f"{k}={v}" for k, v in value.items())
    return str(value)


def render_rows(rows: Sequence[Mapping[str, Any]], columns: Sequence[str], fmt: str) -> str:
    """Render rows (dicts) with the given column order. JSON keeps every key and nested values."""
    if fmt == "json":
        return json.dumps([_plain(dict(r)) for r in rows], indent=2, sort_keys=False)
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_cell(row.get(c)) for c in columns])
        return buf.getvalue().rstrip("\n")
    return render_table([[_cell(r.get(c)) for c in columns] for r in rows], columns)


def render_table(cells: Sequence[Sequence[str]], header: Sequence[str]) -> str:
    """A plain aligned text table: readable in a terminal and in a pipe."""
    widths = [len(h) for h in header]
    for row in cells:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]
    lines = ["  ".join(h.upper().ljust(w) for h, w in zip(header, widths, strict=True)).rstrip()]
    lines += [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells
    ]
    return "\n".join(lines)


def render_object(obj: Mapping[str, Any], fmt: str) -> str:
    """Render one object: JSON as is, table/CSV as key/value lines."""
    if fmt == "json":
        return json.dumps(_plain(dict(obj)), indent=2)
    rows = [{"field": k, "value": _cell(v)} for k, v in obj.items()]
    return render_rows(rows, ["field", "value"], fmt)
