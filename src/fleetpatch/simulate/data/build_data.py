"""Rebuild the compact package data the fleet generator ships (a maintainer tool, not imported).

Run on a Debian 12 machine with refreshed bookworm apt lists and Debian's `rpm` package:

    .venv/bin/python src/fleetpatch/simulate/data/build_data.py \
        --alma-zip /work/shared/data/advisories/AlmaLinux-osv-database.zip \
        --snapshot /work/shared/data/versions/dpkg/snapshot-debian-org-version-order.json

It writes `debian12.json.gz` and `almalinux9.json.gz` next to itself. Every version string comes
from a real source (this machine's dpkg database, the apt lists, snapshot.debian.org histories, the
AlmaLinux OSV records); nothing is invented. Versions are ordered by the distribution's own rules:
python-debian for dpkg (it reproduces `dpkg --compare-versions`), `rpm.ver` in rpm's Lua for RPM.
See SOURCES.md for what each field means and how it was derived.
"""

from __future__ import annotations

import argparse
import glob
import gzip
import json
import re
import subprocess
import tempfile
import zipfile
from collections import defaultdict
from datetime import date
from functools import cmp_to_key
from pathlib import Path
from typing import Any

from debian.debian_support import version_compare

HERE = Path(__file__).resolve().parent
LISTS = "/var/lib/apt/lists/*_dists_bookworm*_main_binary-amd64_Packages*"
# Server packages a real fleet has that this build machine lacks; versions come from the lists.
DEBIAN_EXTRAS = str.split(
    "postgresql-15 postgresql-client-15 postgresql-common postgresql-client-common libpq5 "
    "pgbouncer patroni nginx nginx-common haproxy containerd runc conntrack ebtables socat "
    "ethtool openssh-server openssh-sftp-server chrony unattended-upgrades cloud-init "
    "cloud-guest-utils sudo rsyslog cron logrotate prometheus-node-exporter smartmontools "
    "ipmitool mdadm lvm2 ifupdown isc-dhcp-client grub-efi-amd64 grub-pc lsof tcpdump htop "
    "vim tmux fail2ban iptables nftables linux-image-amd64 linux-image-cloud-amd64"
)
KERNEL = re.compile(r"^linux-image-(6\.1\.0-\d+-(?:cloud-)?amd64)$")
ALMA_SKIP = re.compile(
    r"(-devel|-debuginfo|-debugsource|-doc|-docs|-static|-tests?|-javadoc|-examples|-demo)$"
)


def run_lz4_aware_cat(path: str) -> str:
    if path.endswith(".lz4"):
        out = subprocess.run(
            ["/usr/lib/apt/apt-helper", "cat-file", path], check=True, capture_output=True
        )
        return out.stdout.decode()
    return Path(path).read_text()


def parse_packages(text: str) -> list[dict[str, str]]:
    stanzas = []
    for block in text.split("\n\n"):
        fields: dict[str, str] = {}
        for line in block.splitlines():
            if line and not line[0].isspace() and ":" in line:
                key, _, value = line.partition(":")
                fields[key] = value.strip()
        if "Package" in fields:
            stanzas.append(fields)
    return stanzas


def suite_of(path: str) -> str:
    for suite in ("bookworm-security", "bookworm-updates"):
        if suite in path:
            return suite
    return "bookworm"


def debian_candidates() -> dict[str, dict[str, dict[str, str]]]:
    """name -> version -> {arch, source, source_version, origin} from the three bookworm lists."""
    found: dict[str, dict[str, dict[str, str]]] = defaultdict(dict)
    for path in sorted(glob.glob(LISTS)):
        for st in parse_packages(run_lz4_aware_cat(path)):
            src, _, src_ver = st.get("Source", st["Package"]).partition(" ")
            found[st["Package"]][st["Version"]] = {
                "arch": st["Architecture"],
                "source": src,
                "source_version": src_ver.strip("()") or st["Version"],
                "origin": suite_of(path),
            }
    return found


def installed_here() -> dict[str, dict[str, str]]:
    fmt = "${Package}\t${Version}\t${Architecture}\t${source:Package}\t${source:Version}\n"
    out = subprocess.run(["dpkg-query", "-W", "-f", fmt], check=True, capture_output=True)
    rows = {}
    for line in out.stdout.decode().splitlines():
        name, version, arch, src, src_ver = line.split("\t")
        rows[name] = {"version": version, "arch": arch, "source": src, "source_version": src_ver}
    return rows


def dpkg_sorted(versions: list[str]) -> list[str]:
    return sorted(versions, key=cmp_to_key(version_compare))


def snapshot_versions(
    snapshot: Path, lists: dict[str, dict[str, dict[str, str]]]
) -> dict[str, list[str]]:
    """Older bookworm source versions of curl and nginx from snapshot.debian.org histories."""
    history = json.loads(snapshot.read_text())
    out: dict[str, list[str]] = {}
    for source in ("curl", "nginx"):
        in_lists = [v for info in lists.get(source, {}).values() for v in [info["source_version"]]]
        bases = {v.split("+deb12")[0] for v in in_lists}
        out[source] = [
            v for v in history[source] if v.split("+deb12")[0] in bases and "~bpo" not in v
        ]
    return out


def debian_record(
    name: str, lists: dict[str, dict[str, str]], here: dict[str, str] | None, extra: list[str]
) -> dict[str, Any]:
    versions: dict[str, dict[str, str]] = dict(lists)
    if here and here["version"] not in versions:
        versions[here["version"]] = {**here, "origin": "installed-here"}
    any_info = next(iter(versions.values()))
    for v in extra:
        versions.setdefault(v, {**any_info, "source_version": v, "origin": "snapshot.debian.org"})
    src_order = dpkg_sorted(sorted({info["source_version"] for info in versions.values()}))
    rows = [
        [
            v,
            versions[v]["source_version"],
            src_order.index(versions[v]["source_version"]),
            versions[v]["origin"],
        ]
        for v in dpkg_sorted(list(versions))
    ]
    return {
        "name": name,
        "arch": any_info["arch"],
        "source": any_info["source"],
        "group": any_info["source"],
        "versions": rows,
    }


def build_debian(snapshot: Path) -> dict[str, Any]:
    lists = debian_candidates()
    here = installed_here()
    history = snapshot_versions(snapshot, lists)
    names = sorted((set(here) | set(DEBIAN_EXTRAS)) & set(lists))
    packages, base = [], []
    for name in names:
        info = lists[name]
        src = next(iter(info.values()))["source"]
        # Snapshot versions only for binaries whose version equals their source version.
        same = all(v == i["source_version"] for v, i in info.items())
        extra = history.get(src, []) if same else []
        packages.append(debian_record(name, info, here.get(name), extra))
        if name in here:
            base.append(name)
    kernels = []
    for name in sorted(lists):
        m = KERNEL.match(name)
        if m:
            rec = debian_record(name, lists[name], None, [])
            kernels.append({**rec, "release": m.group(1)})
    kernels.sort(key=lambda k: int(k["release"].split("-")[1]))
    return {
        "ecosystem": "Debian:12",
        "arch": "amd64",
        "packages": packages,
        "installed_here": base,
        "kernels": kernels,
    }


def alma_advisories(zip_path: Path) -> tuple[dict[str, dict[str, str]], list[list[str]]]:
    """name -> fixed version -> earliest published date; and each advisory's package names."""
    first: dict[str, dict[str, str]] = defaultdict(dict)
    together: list[list[str]] = []
    with zipfile.ZipFile(zip_path) as zf:
        for member in sorted(zf.namelist()):
            if not (member.startswith("advisories/almalinux9/") and member.endswith(".json")):
                continue
            record = json.loads(zf.read(member))
            published = record["published"][:10]
            names = []
            for aff in record.get("affected", []):
                if aff["package"]["ecosystem"] != "AlmaLinux:9":
                    continue
                name = aff["package"]["name"]
                names.append(name)
                for rng in aff.get("ranges", []):
                    for event in rng["events"]:
                        if "fixed" in event:
                            seen = first[name].get(event["fixed"])
                            first[name][event["fixed"]] = min(seen or published, published)
            together.append(names)
    return first, together


def rpm_sorted_all(versions: dict[str, list[str]]) -> dict[str, list[str]]:
    """Sort each package's versions with rpm's own EVR comparison (one rpm process)."""
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp, "in.tsv")
        src.write_text("".join(f"{n}\t{v}\n" for n, vs in versions.items() for v in vs))
        lua = Path(tmp, "sort.lua")
        lua.write_text(
            "local g, order = {}, {}\n"
            f"for line in io.lines('{src}') do\n"
            "  local n, v = line:match('^(.-)\\t(.*)$')\n"
            "  if not g[n] then g[n] = {}; table.insert(order, n) end\n"
            "  table.insert(g[n], v)\n"
            "end\n"
            "for _, n in ipairs(order) do\n"
            "  table.sort(g[n], function(a, b) return rpm.ver(a) < rpm.ver(b) end)\n"
            "  for _, v in ipairs(g[n]) do io.write(n .. '\\t' .. v .. '\\n') end\n"
            "end\n"
        )
        out = subprocess.run(
            ["rpm", "--eval", f"%{{lua: dofile('{lua}')}}"], check=True, capture_output=True
        )
    result: dict[str, list[str]] = defaultdict(list)
    for line in out.stdout.decode().splitlines():
        if "\t" in line:
            name, version = line.split("\t", 1)
            result[name].append(version)
    return result


def alma_groups(names: set[str], together: list[list[str]]) -> dict[str, str]:
    """Packages named in one advisory move together (roughly: built from one source RPM)."""
    parent = {n: n for n in names}

    def find(n: str) -> str:
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    for group in together:
        kept = [n for n in group if n in names]
        if 1 < len(kept) <= 40:  # bundle advisories (dozens of unrelated packages) link nothing
            for other in kept[1:]:
                parent[find(other)] = find(kept[0])
    roots = {n: find(n) for n in names}
    label = {root: min(n for n in names if roots[n] == root) for root in set(roots.values())}
    return {n: label[roots[n]] for n in names}


def build_alma(zip_path: Path) -> dict[str, Any]:
    first, together = alma_advisories(zip_path)
    names = {n for n in first if not ALMA_SKIP.search(n)}
    ordered = rpm_sorted_all({n: sorted(first[n]) for n in sorted(names)})
    groups = alma_groups(names, together)
    epoch = date(1970, 1, 1)
    packages = []
    for name in sorted(names):
        rows = [
            [v, "", (date.fromisoformat(first[name][v]) - epoch).days, first[name][v]]
            for v in ordered[name]
        ]
        packages.append(
            {"name": name, "arch": "x86_64", "source": "", "group": groups[name], "versions": rows}
        )
    return {"ecosystem": "AlmaLinux:9", "arch": "x86_64", "packages": packages}


def write(doc: dict[str, Any], name: str) -> None:
    raw = json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()
    (HERE / name).write_bytes(gzip.compress(raw, compresslevel=9, mtime=0))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--alma-zip", type=Path, required=True)
    parser.add_argument("--snapshot", type=Path, required=True)
    args = parser.parse_args()
    write(build_debian(args.snapshot), "debian12.json.gz")
    write(build_alma(args.alma_zip), "almalinux9.json.gz")


if __name__ == "__main__":
    main()
