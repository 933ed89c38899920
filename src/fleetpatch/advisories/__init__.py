"""OSV advisories: parse, load, index and match (pure, except `loader`, which reads files).

Typical use::

    result = load_advisories([Path("AlmaLinux-osv-database.zip")])
    index = build_index(result.records)
    findings = match(index, "AlmaLinux:9", "openssl", "1:3.0.7-27.el9")

For Debian, Ubuntu and Alpine pass the source package name and source version
(`match_key` says which an ecosystem uses).
"""

from fleetpatch.advisories.ecosystems import (
    lookup_ecosystems,
    match_key,
    normalize_ecosystem,
)
from fleetpatch.advisories.index import AdvisoryIndex, build_index
from fleetpatch.advisories.loader import LoadResult, load_advisories
from fleetpatch.advisories.match import match
from fleetpatch.advisories.osv import parse_advisory
from fleetpatch.advisories.records import (
    AFFECTED_FIX_AVAILABLE,
    AFFECTED_NO_FIX,
    NOT_AFFECTED,
    Advisory,
    Affected,
    Event,
    Finding,
    Range,
    Severity,
)

__all__ = [
    "AFFECTED_FIX_AVAILABLE",
    "AFFECTED_NO_FIX",
    "NOT_AFFECTED",
    "Advisory",
    "AdvisoryIndex",
    "Affected",
    "Event",
    "Finding",
    "LoadResult",
    "Range",
    "Severity",
    "build_index",
    "load_advisories",
    "lookup_ecosystems",
    "match",
    "match_key",
    "normalize_ecosystem",
    "parse_advisory",
]
