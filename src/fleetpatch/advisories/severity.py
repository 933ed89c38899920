"""Severity: read the many ways OSV records rate an advisory into one level.

Sources, in the order a careful reader trusts them:

1. the distribution's own rating for one release, on the `affected` entry
   (``ecosystem_specific.ubuntu_priority``/``urgency``/``severity``,
   ``database_specific.severity``, or the CVE ratings in a USN's ``database_specific.cves_map``);
2. the distribution's rating for the record (``severity`` items of type ``Ubuntu``, top-level
   ``database_specific.severity``);
3. CVSS vectors in ``severity`` (base score computed with the `cvss` library, the worst one wins);
4. a summary prefix (AlmaLinux and Red Hat: ``Critical:``, ``Important:``, ``Moderate:``, ``Low:``).

Words map to levels through `WORDS`; CVSS scores through the CVSS v3 qualitative scale.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from cvss import CVSS2, CVSS3, CVSS4  # type: ignore[import-untyped]
from cvss.exceptions import CVSSError  # type: ignore[import-untyped]

from fleetpatch.advisories.records import UNKNOWN_SEVERITY, Severity

#: Words used by Debian (urgency), Ubuntu (priority), Red Hat (impact), GHSA and others.
WORDS: dict[str, str] = {
    "critical": "critical",
    "important": "high",
    "high": "high",
    "moderate": "medium",
    "medium": "medium",
    "low": "low",
    "negligible": "low",
    "unimportant": "low",
}

_ENTRY_KEYS = ("ubuntu_priority", "urgency", "severity", "priority")
_TRAILING_WORD = re.compile(r"\((\w+)\)\s*$")


def level_for_word(word: str) -> str:
    """The level for a rating word (case and a trailing ``*`` ignored), ``unknown`` if foreign."""
    return WORDS.get(word.strip().rstrip("*").strip().lower(), "unknown")


def level_for_score(score: float) -> str:
    """CVSS qualitative scale (v3/v4); 0.0 ("none") counts as low, not as unknown."""
    if score >= 9.0:
        return "critical"
    if score >= 7.0:
        return "high"
    if score >= 4.0:
        return "medium"
    return "low"


def worst(candidates: Iterable[Severity]) -> Severity:
    """The worst known severity; ties keep the first. `UNKNOWN_SEVERITY` when none is known."""
    known = [s for s in candidates if s.level != "unknown"]
    return min(known, key=lambda s: s.rank) if known else UNKNOWN_SEVERITY


def cvss_severity(kind: str, score: str) -> Severity | None:
    """A severity from one OSV ``severity`` item of a CVSS type; None when it cannot be read."""
    classes = {"CVSS_V2": CVSS2, "CVSS_V3": CVSS3, "CVSS_V4": CVSS4}
    try:
        number = float(score)
    except ValueError:
        number = None
    if number is None:
        try:
            vector = classes[kind](score.strip())
        except (CVSSError, KeyError, ValueError, IndexError):
            return None
        number = float(vector.base_score)
    return Severity(level=level_for_score(number), source=f"severity.{kind}", score=number)


def record_severity(data: Mapping[str, Any]) -> Severity:
    """The record-level severity: distribution word, then worst CVSS, then summary prefix."""
    items = [i for i in _as_list(data.get("severity")) if isinstance(i, Mapping)]
    words = [_word(str(i.get("score", "")), f"severity.{i.get('type')}") for i in items]
    named = worst(w for w in words if w is not None and not w.source.startswith("severity.CVSS"))
    if named.level != "unknown":
        return named
    db = data.get("database_specific")
    if isinstance(db, Mapping) and isinstance(db.get("severity"), str):
        found = _word(db["severity"], "database_specific.severity")
        if found is not None and found.level != "unknown":
            return found
    scored = worst(_cvss_items(items))
    return scored if scored.level != "unknown" else summary_severity(str(data.get("summary", "")))


def entry_severity(entry: Mapping[str, Any]) -> Severity | None:
    """The severity an `affected` entry gives for its own release, None when it gives none."""
    for field in ("ecosystem_specific", "database_specific"):
        block = entry.get(field)
        if not isinstance(block, Mapping):
            continue
        for key in _ENTRY_KEYS:
            if isinstance(block.get(key), str):
                found = _word(block[key], f"{field}.{key}")
                if found is not None and found.level != "unknown":
                    return found
        found = _cves_map_severity(block.get("cves_map"))
        if found is not None:
            return found
    return None


def summary_severity(summary: str) -> Severity:
    """``Important: kernel security update`` → high, from the word before the first colon.

    One real AlmaLinux record puts it last instead (``ALSA-2022:5468: php:8.0 security update
    (Important)``), so a trailing parenthesised word is read too.
    """
    head, sep, _ = summary.partition(":")
    level = level_for_word(head) if sep else "unknown"
    if level == "unknown":
        tail = _TRAILING_WORD.search(summary)
        level = level_for_word(tail[1]) if tail else "unknown"
    return UNKNOWN_SEVERITY if level == "unknown" else Severity(level=level, source="summary")


def _cves_map_severity(cves_map: object) -> Severity | None:
    """USN records rate each CVE per release under ``database_specific.cves_map``."""
    if not isinstance(cves_map, Mapping):
        return None
    found: list[Severity] = []
    for cve in _as_list(cves_map.get("cves")):
        items = _as_list(cve.get("severity")) if isinstance(cve, Mapping) else []
        for item in items:
            if isinstance(item, Mapping) and item.get("type") == "Ubuntu":
                word = _word(str(item.get("score", "")), "database_specific.cves_map")
                found.extend([word] if word is not None else [])
    best = worst(found)
    return None if best.level == "unknown" else best


def _cvss_items(items: list[Mapping[str, Any]]) -> Iterable[Severity]:
    for item in items:
        kind = str(item.get("type", ""))
        if kind.startswith("CVSS_"):
            found = cvss_severity(kind, str(item.get("score", "")))
            if found is not None:
                yield found


def _word(word: str, source: str) -> Severity | None:
    if source.startswith("severity.CVSS"):
        return None
    return Severity(level=level_for_word(word), source=source)


def _as_list(value: object) -> list[Any]:
    return list(value) if isinstance(value, list) else []
