"""Parse the output of `rpm -qa --queryformat QUERY_FORMAT` into installed packages.

One line per package, tab-separated: NAME, EPOCH, VERSION, RELEASE, ARCH, SOURCERPM, INSTALLTIME.
rpm prints `(none)` for an absent tag. Versions are written the way RPM advisories write them,
`[epoch:]version-release`, with the epoch left out when the package has none. The source package
name is SOURCERPM without `-version-release.src.rpm` (RPM names may contain dashes, version and
release may not, so the last two dashes split it); the source version is the binary's epoch with the
source RPM's version-release.

`gpg-pubkey` entries are imported signing keys, not software, and are left out.
"""

from __future__ import annotations

from datetime import UTC, datetime

from fleetpatch.inventory.parsed import ParsedPackages
from fleetpatch.inventory.records import Package

QUERY_FORMAT = (
    "%{NAME}\\t%{EPOCH}\\t%{VERSION}\\t%{RELEASE}\\t%{ARCH}\\t%{SOURCERPM}\\t%{INSTALLTIME}\\n"
)
QUERY_ARGV = ("rpm", "-qa", "--queryformat", QUERY_FORMAT)
NONE = "(none)"
PSEUDO_PACKAGES = frozenset({"gpg-pubkey", "gpg-pubkey-release"})


def parse_rpm_query(text: str) -> ParsedPackages:
    """Packages from the query output, in rpm's order, with their newest install time per name."""
    packages: list[Package] = []
    problems: list[str] = []
    installed_at: dict[str, datetime] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            package, when = _package(line)
        except ValueError as exc:
            problems.append(f"line {number}: {exc}")
            continue
        if package is None:
            continue
        packages.append(package)
        if when is not None and (
            package.name not in installed_at or installed_at[package.name] < when
        ):
            installed_at[package.name] = when
    return ParsedPackages(tuple(packages), tuple(problems), installed_at)


def _package(line: str) -> tuple[Package | None, datetime | None]:
    parts = line.split("\t")
    if len(parts) != 7:
        raise ValueError(f"expected 7 tab-separated fields, got {len(parts)}: {line!r}")
    name, epoch, version, release, arch, source_rpm, install_time = parts
    if name in PSEUDO_PACKAGES:
        return None, None
    if not name or version in ("", NONE) or release in ("", NONE):
        raise ValueError(f"package {name or '?'}: missing name, version or release")
    if epoch != NONE and not epoch.isdigit():
        raise ValueError(f"package {name}: bad epoch {epoch!r}")
    prefix = "" if epoch == NONE else f"{epoch}:"
    source, source_vr = split_source_rpm(source_rpm, name, f"{version}-{release}")
    return (
        Package(
            name=name,
            version=f"{prefix}{version}-{release}",
            arch="" if arch == NONE else arch,
            source=source,
            source_version=f"{prefix}{source_vr}",
        ),
        _time(install_time, name),
    )


def split_source_rpm(source_rpm: str, name: str, version_release: str) -> tuple[str, str]:
    """`openssl-3.0.7-27.el9.src.rpm` → (`openssl`, `3.0.7-27.el9`); none → the binary itself."""
    stem = source_rpm
    for suffix in (".src.rpm", ".nosrc.rpm"):
        if stem.endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    else:
        return name, version_release
    parts = stem.rsplit("-", 2)
    if len(parts) != 3 or not all(parts):
        raise ValueError(f"package {name}: malformed SOURCERPM {source_rpm!r}")
    return parts[0], f"{parts[1]}-{parts[2]}"


def _time(value: str, name: str) -> datetime | None:
    if value == NONE:
        return None
    if not value.isdigit():
        raise ValueError(f"package {name}: bad INSTALLTIME {value!r}")
    return datetime.fromtimestamp(int(value), UTC)
