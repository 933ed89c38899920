"""Parse one OSV record (a decoded JSON object) into an `Advisory`.

The parser is strict about what matching depends on (an id, a `modified` time, well-formed
`affected` entries and range events) and lenient about the rest (unknown fields are ignored,
missing optional fields default). Anything wrong raises `ParseError` with a one-line message that
names the record and the field, so an import can report the bad record and carry on.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from fleetpatch.advisories.records import EVENT_KINDS, Advisory, Affected, Event, Range
from fleetpatch.advisories.severity import entry_severity, record_severity
from fleetpatch.errors import ParseError


def parse_advisory(data: object) -> Advisory:
    """One OSV record → `Advisory`; raises `ParseError` naming the id and field on bad input."""
    if not isinstance(data, Mapping):
        raise ParseError(f"an OSV record is a JSON object, got {type(data).__name__}")
    ident = data.get("id")
    if not isinstance(ident, str) or not ident.strip():
        raise ParseError("OSV record without a string 'id'")
    try:
        return _parse(ident.strip(), data)
    except ParseError as exc:
        raise ParseError(f"{ident}: {exc}") from None


def parse_time(value: object, field: str) -> datetime:
    """RFC 3339 timestamp (``Z`` or offset, optional fraction) → aware UTC datetime."""
    if not isinstance(value, str):
        raise ParseError(f"'{field}' must be an RFC 3339 string")
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ParseError(f"'{field}' is not an RFC 3339 time: {value!r}") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _parse(ident: str, data: Mapping[str, Any]) -> Advisory:
    return Advisory(
        id=ident,
        modified=parse_time(data.get("modified"), "modified"),
        summary=_text(data.get("summary"), "summary"),
        aliases=_names(data.get("aliases"), "aliases"),
        related=_names(data.get("related"), "related"),
        upstream=_names(data.get("upstream"), "upstream"),
        published=_optional_time(data.get("published"), "published"),
        withdrawn=_optional_time(data.get("withdrawn"), "withdrawn"),
        severity=record_severity(data),
        affected=tuple(_affected(e, i) for i, e in enumerate(_list(data, "affected"))),
    )


def _affected(entry: object, index: int) -> Affected:
    where = f"affected[{index}]"
    if not isinstance(entry, Mapping):
        raise ParseError(f"'{where}' must be an object")
    package = entry.get("package")
    if not isinstance(package, Mapping):
        raise ParseError(f"'{where}.package' is missing")
    ecosystem, name = package.get("ecosystem"), package.get("name")
    if not isinstance(ecosystem, str) or not ecosystem.strip():
        raise ParseError(f"'{where}.package.ecosystem' is missing")
    if not isinstance(name, str) or not name.strip():
        raise ParseError(f"'{where}.package.name' is missing")
    ranges = tuple(_range(r, f"{where}.ranges[{i}]") for i, r in enumerate(_list(entry, "ranges")))
    versions = tuple(_version(v, f"{where}.versions") for v in _list(entry, "versions"))
    return Affected(
        ecosystem=ecosystem.strip(),
        package=name.strip(),
        ranges=ranges,
        versions=versions,
        severity=entry_severity(entry),
    )


def _range(value: object, where: str) -> Range:
    if not isinstance(value, Mapping) or not isinstance(value.get("type"), str):
        raise ParseError(f"'{where}' must be an object with a 'type'")
    events = tuple(_event(e, f"{where}.events[{i}]") for i, e in enumerate(_list(value, "events")))
    return Range(type=value["type"], events=events)


def _event(value: object, where: str) -> Event:
    if not isinstance(value, Mapping) or len(value) != 1:
        raise ParseError(f"'{where}' must have exactly one of {', '.join(EVENT_KINDS)}")
    ((kind, version),) = value.items()
    if kind not in EVENT_KINDS:
        raise ParseError(f"'{where}' has an unknown event {kind!r}")
    return Event(kind=kind, version=_version(version, where))


def _version(value: object, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ParseError(f"'{where}' holds an empty or non-string version")
    return value.strip()


def _list(data: Mapping[str, Any], field: str) -> list[Any]:
    value = data.get(field)
    if value is None:
        return []
    if not isinstance(value, list):
        raise ParseError(f"'{field}' must be a list")
    return value


def _names(value: object, field: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ParseError(f"'{field}' must be a list of strings")
    return tuple(value)


def _text(value: object, field: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ParseError(f"'{field}' must be a string")
    return value


def _optional_time(value: object, field: str) -> datetime | None:
    return None if value is None else parse_time(value, field)
