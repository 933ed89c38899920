"""Hypothesis strategies for host reports: drawn from the published JSON Schema, seeded from real
reports, and mutated by hand-written cases an agent we do not control could send.

`from_schema` walks `report_json_schema()` so a field added to the schema is fuzzed without
touching this file; the checks the schema cannot state (a known ecosystem, versions valid under
its scheme, `uname -r` kernels) get real values from `tests/data/versions` through `overrides`,
otherwise almost every drawn report would be rejected on its ecosystem and nothing would be
accepted to evaluate.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from fleetpatch.inventory.schema import report_json_schema, report_to_dict
from fleetpatch.simulate.fleet import generate_fleet

DATA = Path(__file__).resolve().parents[1] / "data"
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
Json = Any
Overrides = dict[str, st.SearchStrategy[Json]]


def _lines(name: str, limit: int = 400) -> list[str]:
    path = DATA / "versions" / name
    out = [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines()]
    return [v for v in out if v and not v.startswith("#") and " " not in v][:limit]


DEBIAN_VERSIONS = _lines("real-debian-versions.txt")
RPM_VERSIONS = _lines("real-almalinux-evrs.txt")
ECOSYSTEM_VERSIONS = {
    "Debian:12": DEBIAN_VERSIONS,
    "Ubuntu:22.04": DEBIAN_VERSIONS,
    "AlmaLinux:9": RPM_VERSIONS,
    "Alpine:v3.20": ["1.2.3-r0", "3.0.15-r1", "2.36-r4", "1.0_alpha1-r0", "20240101-r2"],
}
KERNELS = ["6.1.0-25-amd64", "6.6.14-0-lts", "5.14.0-362.8.1.el9_3.x86_64", "1"]
EDGE_TIMES = [
    "9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59Z",
    "0001-01-01T00:00:00Z", "1970-01-01T00:00:00Z", "2026-11-27T10:00:00.999999+05:45",
]  # fmt: skip
"""Times at datetime's limits, where an offset or an SLA added to them leaves its range."""
TIMES = st.one_of(
    st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2027, 1, 1), timezones=st.just(UTC)
    ).map(lambda t: t.isoformat().replace("+00:00", "Z")),
    st.sampled_from(EDGE_TIMES),
)


def _resolve(schema: dict[str, Json], root: dict[str, Json]) -> dict[str, Json]:
    ref = schema.get("$ref")
    if ref is None:
        return schema
    found: dict[str, Json] = root["$defs"][ref.rsplit("/", 1)[1]]
    return found


def from_schema(
    schema: dict[str, Json], overrides: Overrides, root: dict[str, Json] | None = None, at: str = ""
) -> st.SearchStrategy[Json]:
    """Values of `schema` (the subset pydantic emits); `overrides[path]` replaces a field's
    strategy, paths written `packages[].version`."""
    root = root or schema
    if at in overrides:
        return overrides[at]
    schema = _resolve(schema, root)
    if "anyOf" in schema:
        return st.one_of([from_schema(s, overrides, root, at) for s in schema["anyOf"]])
    if "const" in schema:
        return st.just(schema["const"])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    if kind == "object":
        return _object(schema, overrides, root, at)
    if kind == "array":
        items = from_schema(schema["items"], overrides, root, f"{at}[]")
        return st.lists(items, max_size=min(schema.get("maxItems", 8), 8))
    if kind == "string":
        if schema.get("format") == "date-time":
            return TIMES
        if "pattern" in schema:
            return st.from_regex(schema["pattern"], fullmatch=True).filter(
                lambda s: schema.get("minLength", 0) <= len(s) <= schema.get("maxLength", 10**9)
            )
        return st.text(
            min_size=schema.get("minLength", 0), max_size=min(schema.get("maxLength", 40), 40)
        )
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    raise AssertionError(f"schema at {at or 'report'} uses {schema!r}: teach from_schema")


def _object(
    schema: dict[str, Json], overrides: Overrides, root: dict[str, Json], at: str
) -> st.SearchStrategy[Json]:
    def path(name: str) -> str:
        return f"{at}.{name}" if at else name

    properties = schema.get("properties", {})
    required = set(schema.get("required", ()))
    if not properties:  # a mapping (labels): keys and values from additionalProperties
        keys = st.from_regex(r"[a-z][a-z0-9_.-]{0,20}", fullmatch=True)
        values = from_schema(schema.get("additionalProperties", {}), overrides, root, f"{at}{{}}")
        return st.dictionaries(keys, values, max_size=4)
    return st.fixed_dictionaries(
        {
            n: from_schema(s, overrides, root, path(n))
            for n, s in properties.items()
            if n in required
        },
        optional={
            n: from_schema(s, overrides, root, path(n))
            for n, s in properties.items()
            if n not in required
        },
    )


def _overrides(ecosystem: str) -> Overrides:
    versions = st.sampled_from(ECOSYSTEM_VERSIONS[ecosystem])
    kernels = st.sampled_from(KERNELS)
    return {
        "ecosystem": st.just(ecosystem),
        "hostname": st.one_of(  # mostly distinct names; sometimes ".", "-", "..." and the like
            st.from_regex(r"fz-[a-z0-9]{1,12}", fullmatch=True),
            st.from_regex(r"[A-Za-z0-9._-]{1,6}", fullmatch=True),
        ),
        "packages[].name": st.sampled_from(["libssl3", "openssl", "libc6", "bash", "zlib1g"]),
        "packages[].version": versions,
        "packages[].source_version": st.one_of(st.just(""), versions),
        "kernel.running": st.one_of(st.none(), kernels),
        "kernel.installed[]": kernels,
        "labels{}": st.text(max_size=16).filter(lambda s: s.isprintable()),
    }


SCHEMA = report_json_schema()
SCHEMA_REPORTS: st.SearchStrategy[dict[str, Json]] = st.sampled_from(
    sorted(ECOSYSTEM_VERSIONS)
).flatmap(lambda eco: from_schema(SCHEMA, _overrides(eco)))
"""Reports the schema allows, most of which ingest should accept."""


def _small(hostname: str, seed: int, packages: int) -> dict[str, Json]:
    base = next(iter(generate_fleet(1, seed=seed, now=NOW + timedelta(hours=1))))
    data = report_to_dict(base)
    data["hostname"] = hostname
    data["packages"] = data["packages"][:packages]
    return data


HAND_WRITTEN: dict[str, Json] = {
    "schema": "fleetpatch.report/v1",
    "hostname": "fz-db-01",
    "collected_at": "2026-11-27T10:00:00Z",
    "os": {"id": "debian", "version_id": "12", "codename": "bookworm"},
    "ecosystem": "Debian:12",
    "arch": "amd64",
    "kernel": {"running": "6.1.0-25-amd64", "installed": ["6.1.0-25-amd64", "6.1.0-26-amd64"]},
    "boot_time": "2026-10-01T08:00:00Z",
    "reboot_required": {"flag": True, "packages": ["linux-image-6.1.0-26-amd64"]},
    "packages": [
        {"name": "libssl3", "version": "3.0.15-1~deb12u1", "arch": "amd64", "source": "openssl",
         "source_version": "3.0.15-1~deb12u1"},
        {"name": "libc6", "version": "2.36-9+deb12u8", "arch": "amd64", "source": "glibc",
         "source_version": "2.36-9+deb12u8"},
    ],
    "image": {"id": "ami-0abc", "name": "debian-12-base"},
    "labels": {"role": "db"},
}  # fmt: skip
SEEDS = [HAND_WRITTEN, _small("fz-gen-debian", 11, 40), _small("fz-gen-other", 5, 40)]

BAD_VERSIONS = ["1.0 beta", "1:", "1.0-", ":1.0", "1.0\n2.0", "1" * 100_000, "", "-1", "1:1:1"]
BAD_HOSTNAMES = ["a\nb", "..", ".", "h" * 1_000_007, "", "a/b", "x y", "é", "a\x00b"]
WRONG_TYPES: list[Json] = [None, 0, 1.5, True, [], {}, "x", [1], {"a": 1}]
Mutation = Callable[[dict[str, Json], Json], dict[str, Json]]


def _parent(report: dict[str, Json], path: str) -> tuple[Json, str] | None:
    """The container holding the last part of a dotted path, or None when an earlier mutation
    replaced a parent by something that holds nothing."""
    *parents, last = path.split(".")
    node: Json = report
    for part in parents:
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict):
            node = node.setdefault(part, {})
        else:
            return None
    if isinstance(node, list) and not (last.isdigit() and int(last) < len(node)):
        return None
    return (node, last) if isinstance(node, list | dict) else None


def _set(path: str) -> Mutation:
    """Set a dotted path (`kernel.running`, `packages.0.version`) to the drawn value."""

    def mutate(report: dict[str, Json], value: Json) -> dict[str, Json]:
        found = _parent(report, path)
        if found is not None:
            node, last = found
            node[int(last) if isinstance(node, list) else last] = value
        return report

    return mutate


def _drop(path: str) -> Mutation:
    def mutate(report: dict[str, Json], _: Json) -> dict[str, Json]:
        found = _parent(report, path)
        if found is not None and isinstance(found[0], dict):
            found[0].pop(found[1], None)
        return report

    return mutate


def _repeat_packages(report: dict[str, Json], count: Json) -> dict[str, Json]:
    if not isinstance(report.get("packages"), list) or not report["packages"]:
        return report
    first = report["packages"][0]
    report["packages"] = [
        {**first, "name": f"pkg-{i % 997}"} if i % 2 else dict(first) for i in range(count)
    ]
    return report


MUTATIONS: list[tuple[str, Mutation, st.SearchStrategy[Json]]] = [
    ("version", _set("packages.0.version"), st.sampled_from(BAD_VERSIONS)),
    ("source_version", _set("packages.0.source_version"), st.sampled_from(BAD_VERSIONS)),
    ("hostname", _set("hostname"), st.sampled_from(BAD_HOSTNAMES)),
    ("ecosystem", _set("ecosystem"), st.sampled_from(["Windows:11", "Debian", "debian:12",
                                                      "AlmaLinux:", ":12", "e" * 2**20])),
    ("wrong type", _set("packages"), st.sampled_from(WRONG_TYPES)),
    ("wrong type", _set("os"), st.sampled_from(WRONG_TYPES)),
    ("wrong type", _set("collected_at"), st.sampled_from([*WRONG_TYPES, "2026-11-27T10:00:00",
                                                          "yesterday", "9999-99-99T00:00:00Z"])),
    ("wrong type", _set("labels"), st.sampled_from(WRONG_TYPES)),
    ("wrong type", _set("reboot_required.flag"), st.sampled_from(WRONG_TYPES)),
    ("missing kernel", _drop("kernel"), st.none()),
    ("kernel.running null", _set("kernel.running"), st.none()),
    ("kernel.running", _set("kernel.running"), st.sampled_from(["", "6.1 0", "x" * 300, "-1"])),
    ("kernel.installed", _set("kernel.installed"), st.sampled_from([[""], ["6.1\n0"], [None]])),
    ("label control chars", _set("labels"), st.sampled_from([{"a\nb": "1"}, {"k": "v\x07"},
                                                             {"k": "\x1b[31m"}, {"": "x"}])),
    ("label any text", _set("labels"), st.dictionaries(st.text(max_size=8), st.text(max_size=8))),
    ("os.id", _set("os.id"), st.text(max_size=70)),
    ("machine_id", _set("machine_id"), st.text(max_size=300)),
    ("image", _set("image"), st.sampled_from([None, {}, {"id": "\n"}, {"id": "i" * 300}])),
    ("package name", _set("packages.0.name"), st.text(min_size=0, max_size=300)),
    ("package arch", _set("packages.0.arch"), st.text(max_size=40)),
    ("missing field", _drop("packages.0.version"), st.none()),
    ("missing field", _drop("schema"), st.none()),
    ("missing field", _drop("hostname"), st.none()),
    ("missing field", _drop("ecosystem"), st.none()),
    ("unknown key", _set("extra"), st.just(1)),
    ("many packages", _repeat_packages, st.sampled_from([0, 1, 2, 50, 2_000])),
    ("boot_time", _set("boot_time"), st.sampled_from([None, 0, *EDGE_TIMES])),
    ("collected_at", _set("collected_at"), st.sampled_from(EDGE_TIMES)),
    ("reboot since", _set("reboot_required.since"), st.sampled_from(EDGE_TIMES)),
]  # fmt: skip


@st.composite
def mutated_reports(draw: st.DrawFn) -> dict[str, Json]:
    """A real seed report with one or two hand-written mutations applied."""
    report = copy.deepcopy(draw(st.sampled_from(SEEDS)))
    report["hostname"] = f"{report['hostname']}-{draw(st.integers(0, 9))}"
    for _ in range(draw(st.integers(1, 2))):
        _, mutate, values = draw(st.sampled_from(MUTATIONS))
        report = mutate(report, draw(values))
    return report


REPORTS: st.SearchStrategy[dict[str, Json]] = st.one_of(SCHEMA_REPORTS, mutated_reports())
"""Valid and invalid reports, about half each."""
