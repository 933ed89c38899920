"""Mutations of real upstream inputs (OSV JSON, Debian security lists, apt lists) and of the
example policy: structural ones on the decoded document, and byte-level ones on the file."""

from __future__ import annotations

import copy
import json
import lzma
import zipfile
from pathlib import Path
from typing import Any

import orjson
import yaml
from hypothesis import strategies as st
from report_strategies import BAD_VERSIONS, DATA

from fleetpatch.policy.example import EXAMPLE_POLICY

OSV_SEEDS = [
    DATA / "advisories/osv-dev-testdata/DSA-3029-1.json",
    DATA / "advisories/osv-dev-testdata/USN-6332-1.json",
    DATA / "advisories/ubuntu-osv/UBUNTU-CVE-2022-4899.json",
    *sorted((DATA / "web/almalinux9-osv").glob("*.json"))[:2],
]
DSA_LIST = DATA / "advisories/debian/DSA/list"
LISTS = DATA / "catalog/debian12/lists"
UPDATES = "deb.debian.org_debian_dists_bookworm-updates"

ODD_VALUES: list[Any] = [
    None, "", 0, -1, 2**70, 1e308, True, [], {}, [None], {"": ""}, "\x00", "\n", "é" * 50,
    "2026-13-45T00:00:00Z", "2026-02-30", "0000-00-00T00:00:00Z", *BAD_VERSIONS,
    [[[[[[[[[[[]]]]]]]]]]],
]  # fmt: skip
ODD_TEXT = ["", " ", "\t", "\x00", ":", "1.0 beta", ":1.0", "1:", "-", "é", "\ufeff", "x" * 5000]


def paths(node: Any, at: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside a decoded JSON or YAML document."""
    found = [at] if at else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += paths(value, (*at, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += paths(value, (*at, index))
    return found


@st.composite
def mutated_document(draw: st.DrawFn, document: Any, values: list[Any]) -> Any:
    """The document with one to three values replaced, deleted or duplicated."""
    doc = copy.deepcopy(document)
    for _ in range(draw(st.integers(1, 3))):
        every = paths(doc)
        if not every:
            break
        *parent_path, last = draw(st.sampled_from(every))
        parent = doc
        for part in parent_path:
            parent = parent[part]
        action = draw(st.sampled_from(["replace", "replace", "delete", "double"]))
        if action == "delete":
            del parent[last]
        elif action == "double" and isinstance(parent[last], list):
            parent[last] = parent[last] * 2
        else:
            # A copy: a later mutation may reach inside it, and `values` must stay as it was.
            parent[last] = copy.deepcopy(draw(st.sampled_from(values)))
    return doc


@st.composite
def mutated_bytes(draw: st.DrawFn, data: bytes) -> bytes:
    """Truncated, with a byte flipped, invalid UTF-8 inserted, or a line repeated."""
    kind = draw(st.sampled_from(["truncate", "flip", "insert", "repeat-line", "bom"]))
    at = draw(st.integers(0, max(len(data) - 1, 0)))
    if kind == "truncate":
        return data[:at]
    if kind == "flip":
        return data[:at] + bytes([data[at] ^ draw(st.integers(1, 255))]) + data[at + 1 :]
    if kind == "insert":
        return data[:at] + draw(st.sampled_from([b"\xff\xfe", b"\xe9", b"\x00", b"\r"])) + data[at:]
    if kind == "bom":
        return b"\xef\xbb\xbf" + data
    lines = data.splitlines(keepends=True)
    index = draw(st.integers(0, max(len(lines) - 1, 0)))
    return b"".join(lines[: index + 1] + lines[index:])


@st.composite
def osv_files(draw: st.DrawFn) -> tuple[str, bytes]:
    """(file name, content) of a mutated OSV record."""
    seed = draw(st.sampled_from(OSV_SEEDS))
    raw = seed.read_bytes()
    if draw(st.booleans()):
        return seed.name, draw(mutated_bytes(raw))
    document = draw(mutated_document(orjson.loads(raw), ODD_VALUES))
    return seed.name, json.dumps(document).encode()


@st.composite
def text_lines(draw: st.DrawFn, text: str, values: list[str], keep: int) -> str:
    """`text`'s first `keep` lines with one to three lines' values (after `: ` or a space)
    replaced, a line dropped, or a garbage line inserted."""
    lines = text.splitlines()[:keep]
    for _ in range(draw(st.integers(1, 3))):
        index = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["value", "value", "drop", "insert"]))
        if action == "drop":
            del lines[index]
        elif action == "insert":
            lines.insert(index, draw(st.sampled_from(values)))
        else:
            head, sep, _ = lines[index].partition(": ")
            lines[index] = f"{head}{sep or ' '}{draw(st.sampled_from(values))}"
        if not lines:
            break
    return "\n".join(lines) + "\n"


def dsa_list() -> st.SearchStrategy[bytes]:
    text = DSA_LIST.read_text(encoding="utf-8")
    return st.one_of(
        text_lines(text, [*ODD_TEXT, "[bookworm] - openssl", "{CVE-x}", "[x] DSA-1"], 40).map(
            str.encode
        ),
        mutated_bytes("\n".join(text.splitlines()[:40]).encode()),
    )


PACKAGES = lzma.decompress((LISTS / f"{UPDATES}_main_binary-amd64_Packages.xz").read_bytes())
IN_RELEASE = (LISTS / f"{UPDATES}_InRelease").read_bytes()


@st.composite
def apt_lists(draw: st.DrawFn) -> dict[str, bytes]:
    """A lists folder (file name -> content): the bookworm-updates InRelease and Packages, one of
    them mutated; the Packages plain or xz-compressed."""
    packages, release = PACKAGES, IN_RELEASE
    text = PACKAGES.decode()
    if draw(st.booleans()):
        if draw(st.booleans()):
            packages = draw(text_lines(text, ODD_TEXT + BAD_VERSIONS[:5], 400)).encode()
        else:
            packages = draw(mutated_bytes(PACKAGES))
    else:
        release = draw(
            st.one_of(
                text_lines(IN_RELEASE.decode(), [*ODD_TEXT, "Date: yesterday"], 60).map(str.encode),
                mutated_bytes(IN_RELEASE),
            )
        )
    name = f"{UPDATES}_main_binary-amd64_Packages"
    if draw(st.booleans()):
        return {f"{UPDATES}_InRelease": release, f"{name}.xz": lzma.compress(packages)}
    return {f"{UPDATES}_InRelease": release, name: packages}


POLICY_VALUES: list[Any] = [
    *ODD_VALUES[:14], "61 * * * *", "* * * * * *", "0 3 * * 8", "Mars/Olympus", "-1d", "1x",
    "0m", "99999999d", 10**100, "2026-02-30", "2026-12-21T25:00", "../../etc/passwd",
    {"cron": "0 3 * * *"}, ["a", "b"], "platform", "databases", "reporter",
]  # fmt: skip


def policies() -> st.SearchStrategy[bytes]:
    document = yaml.safe_load(EXAMPLE_POLICY)
    return st.one_of(
        mutated_document(document, POLICY_VALUES).map(
            lambda d: yaml.safe_dump(d, allow_unicode=True).encode()
        ),
        text_lines(EXAMPLE_POLICY, [*ODD_TEXT, "  - &a [*a]", "owners: {", "\t- x"], 10_000).map(
            str.encode
        ),
        mutated_bytes(EXAMPLE_POLICY.encode()),
    )


def write_files(folder: Path, files: dict[str, bytes]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (folder / name).write_bytes(content)
    return folder


def write_zip(path: Path, files: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return path
