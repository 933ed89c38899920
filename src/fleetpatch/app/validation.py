"""Report validation for bulk ingest: `parse_report` with package lists remembered.

Hosts built from one image send byte-identical package lists, and validating 700 packages is most
of the cost of a report. Package entries are validated on their own (no rule ties a package to the
report's other fields), so a list already validated once in this ingest gives the same result
again: the rest of the report is validated normally and the remembered packages are attached.
The key is a digest of the list re-encoded by orjson, so a list that differs in any byte (even key
order) is simply validated afresh. Error messages are exactly those of `parse_report`.

Reports sharing a list also share one `tuple[Package, ...]` object, which lets the store compute
the package set's digest once per list (see `PackageCache.content_of`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace

import orjson

from fleetpatch.app.report_stream import Document
from fleetpatch.errors import ReportError
from fleetpatch.inventory.records import HostReport, Package
from fleetpatch.inventory.schema import parse_report

DEFAULT_REMEMBERED_LISTS = 2048


@dataclass(frozen=True, slots=True)
class Checked:
    """A validated report, or why the document was rejected.

    `packages_key` names the report's package list when it has one (see the module docstring).
    `package_rows` carries a worker's package list across processes as plain tuples, which
    pickle several times faster than `Package` records (see `parallel.py`).
    """

    where: str
    size: int
    report: HostReport | None = None
    error: str = ""
    packages_key: bytes = b""
    package_rows: tuple[tuple[str, str, str, str, str], ...] = ()


class ReportValidator:
    """Validates reports, remembering up to `max_lists` validated package lists."""

    def __init__(self, max_lists: int = DEFAULT_REMEMBERED_LISTS) -> None:
        self._max_lists = max_lists
        self._lists: dict[bytes, tuple[Package, ...]] = {}

    def check(self, document: Document) -> Checked:
        try:
            value = document.decoded()
            report, key = self._parse(value)
        except (ValueError, ReportError) as exc:
            return Checked(document.where, document.size, error=str(exc))
        return Checked(document.where, document.size, report, packages_key=key)

    def parse(self, value: object) -> HostReport:
        return self._parse(value)[0]

    def _parse(self, value: object) -> tuple[HostReport, bytes]:
        if not isinstance(value, dict):
            raise ReportError(f"report: expected a JSON object, got {_json_type(value)}")
        packages = value.get("packages")
        if not isinstance(packages, list) or not packages:
            return parse_report(value), b""
        key = hashlib.blake2b(orjson.dumps(packages), digest_size=20).digest()
        known = self._lists.get(key)
        if known is None:
            report = parse_report(value)
            return replace(report, packages=self.remember(key, report.packages)), key
        return replace(parse_report({**value, "packages": []}), packages=known), key

    def remembered(self, key: bytes) -> tuple[Package, ...] | None:
        return self._lists.get(key)

    def remember(self, key: bytes, packages: tuple[Package, ...]) -> tuple[Package, ...]:
        """Keep `packages` under `key`; returns the tuple to use (the one kept first)."""
        known = self._lists.get(key)
        if known is not None:
            return known
        if len(self._lists) >= self._max_lists:
            self._lists.pop(next(iter(self._lists)))
        self._lists[key] = packages
        return packages


def _json_type(value: object) -> str:
    names = {list: "array", str: "string", int: "number", float: "number", bool: "boolean"}
    return "null" if value is None else names.get(type(value), type(value).__name__)
