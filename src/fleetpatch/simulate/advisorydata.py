"""The real AlmaLinux 9 advisories shipped with the demo, loaded from the package's data folder.

`data/almalinux9-osv.json.xz` holds every AlmaLinux 9 record of the AlmaLinux OSV database (MIT
licence, `data/ALMALINUX-OSV-LICENSE`; how it was made: `data/SOURCES.md`). The generator's
AlmaLinux package data is derived from the same records, so every AlmaLinux package a generated
host can carry is covered. There are no Debian advisories in the shipped data, and the demo does not
invent any: Debian hosts show updates and days behind, not advisories.

Like `packagedata.py`, this module reads a package resource; everything else in `simulate` is pure.
"""

from __future__ import annotations

import json
import lzma
from dataclasses import dataclass
from functools import cache
from importlib import resources

from fleetpatch.advisories.osv import parse_advisory
from fleetpatch.advisories.records import Advisory

ALMALINUX_ADVISORIES = "almalinux9-osv.json.xz"


@dataclass(frozen=True, slots=True)
class ShippedAdvisory:
    """One parsed record and its OSV JSON (compact, sorted keys) as shipped."""

    advisory: Advisory
    raw: bytes


@cache
def load_advisories() -> tuple[ShippedAdvisory, ...]:
    """Every shipped AlmaLinux 9 record, sorted by id (cached: the data never changes)."""
    path = resources.files("fleetpatch.simulate").joinpath("data", ALMALINUX_ADVISORIES)
    records = json.loads(lzma.decompress(path.read_bytes()))
    return tuple(
        ShippedAdvisory(
            parse_advisory(record),
            json.dumps(record, sort_keys=True, separators=(",", ":")).encode(),
        )
        for record in records
    )
