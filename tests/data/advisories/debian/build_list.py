"""Rebuild the tracker's `data/DSA/list` text from vuln-list-debian's per-advisory JSON.

    python build_list.py vuln-list-debian/tracker/DSA > DSA/list

Each JSON file keeps every list line it was parsed from in an `Original` field (the header's and
each annotation's), so the list is those lines in the tracker's layout: the header, then each
annotation tab-indented, entries newest first (same day: higher number first) as the tracker
orders them. Nothing else is added.
"""

import json
import pathlib
import re
import sys
from datetime import datetime


def _order(entry: dict) -> tuple[datetime, tuple[int, ...]]:
    header = entry["Header"]
    date = datetime.strptime(header["Original"][1:12], "%d %b %Y")
    return date, tuple(int(n) for n in re.findall(r"\d+", header["ID"]))


def build(folder: pathlib.Path) -> str:
    entries = [json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))]
    lines = []
    for entry in sorted(entries, key=_order, reverse=True):
        lines.append(entry["Header"]["Original"])
        lines.extend("\t" + note["Original"] for note in entry["Annotations"])
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(build(pathlib.Path(sys.argv[1])))
