"""Rebuild the demo's AlmaLinux 9 advisories from the AlmaLinux OSV database (a maintainer tool).

    .venv/bin/python src/fleetpatch/simulate/data/build_advisories.py \
        --alma-zip /work/shared/data/advisories/AlmaLinux-osv-database.zip

Writes `almalinux9-osv.json.xz` next to itself: every record of the zip's `advisories/almalinux9/`
folder, the same JSON values (parsed and re-serialised with sorted keys, no
whitespace), as one JSON list sorted by id; and `ALMALINUX-OSV-LICENSE`, the zip's LICENSE file.
The generator's AlmaLinux package data (`almalinux9.json.gz`) is derived from the same folder, so
these records cover every AlmaLinux package a generated host can have. Not imported at run time.
"""

from __future__ import annotations

import argparse
import json
import lzma
import zipfile
from pathlib import Path

FOLDER = "advisories/almalinux9/"
HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alma-zip", required=True, type=Path)
    args = parser.parse_args()
    with zipfile.ZipFile(args.alma_zip) as archive:
        names = sorted(
            n for n in archive.namelist() if n.startswith(FOLDER) and n.endswith(".json")
        )
        records = [json.loads(archive.read(n)) for n in names]
        licence = archive.read("LICENSE")
    records.sort(key=lambda r: str(r["id"]))
    blob = json.dumps(records, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    (HERE / "almalinux9-osv.json.xz").write_bytes(
        lzma.compress(blob.encode(), preset=9 | lzma.PRESET_EXTREME)
    )
    (HERE / "ALMALINUX-OSV-LICENSE").write_bytes(licence)
    print(f"{len(records)} records from {len(names)} files")


if __name__ == "__main__":
    main()
