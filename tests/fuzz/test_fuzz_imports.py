"""Fuzzed upstream inputs and policies through their commands, via click's runner.

`fleetpatch advisories import`, `fleetpatch catalog import` and `fleetpatch policy check` take
mutated real files (OSV records and a DSA list from tests/data, the Debian 12 bookworm-updates
lists, the example policy): each answers exit 0, or exit 2 with `error: ...` / `warning: ...`
lines on stderr; never exit 1 or a traceback.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from fuzz_support import FUZZ
from hypothesis import given, settings
from hypothesis import strategies as st
from input_mutations import apt_lists, dsa_list, osv_files, policies, write_files, write_zip

from fleetpatch.cli.main import cli
from fleetpatch.store import open_store

MAX_LINE = 2_000
CLI = settings(FUZZ, max_examples=FUZZ.max_examples * 3)  # a case costs milliseconds here


@pytest.fixture(scope="module")
def empty_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated empty store, copied per case: migrating each time would be most of the run."""
    path = tmp_path_factory.mktemp("imports") / "empty.db"
    open_store(f"sqlite:///{path}").close()
    return path


def fresh_db(empty_db: Path, folder: str) -> str:
    copy = Path(folder) / "fp.db"
    shutil.copyfile(empty_db, copy)
    return str(copy)


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def assert_clean(result: Result) -> None:
    """Exit 0, or exit 2 with bounded `error:` / `warning:` lines (a policy lists its problems
    one a line after the `error:`); no traceback, no uncaught exception."""
    shown = f"exit {result.exit_code}\n{result.output}"
    assert "Traceback" not in result.output, shown
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        shown,
        result.exception,
    )
    assert result.exit_code in (0, 2), shown
    lines = result.stderr.splitlines()
    assert all(len(line) <= MAX_LINE for line in lines), shown[:3000]
    if result.exit_code == 2:
        assert lines, shown
        assert lines[0].startswith(("error: ", "warning: ")), shown


@CLI
@given(
    files=st.lists(osv_files(), min_size=1, max_size=3),
    dsa=st.none() | dsa_list(),
    zipped=st.booleans(),
)
def test_advisories_import_of_mutated_records(
    empty_db: Path, files: list[tuple[str, bytes]], dsa: bytes | None, zipped: bool
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        named = {f"{i}-{n}": c for i, (n, c) in enumerate(files)}
        if zipped:  # the OSV bulk export's form
            args = [str(write_zip(Path(tmp) / "all.zip", named))]
        else:
            args = [str(write_files(Path(tmp) / "osv", named))]
        if dsa is not None:
            args.append(str(write_files(Path(tmp) / "DSA", {"list": dsa}) / "list"))
        assert_clean(invoke("--db", fresh_db(empty_db, tmp), "advisories", "import", *args))


@CLI
@given(files=apt_lists())
def test_catalog_import_of_mutated_apt_lists(empty_db: Path, files: dict[str, bytes]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_files(Path(tmp) / "lists", files)
        assert_clean(invoke("--db", fresh_db(empty_db, tmp), "catalog", "import", str(folder)))


@CLI
@given(policy=policies())
def test_policy_check_of_mutated_policies(policy: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fleet.yaml"
        path.write_bytes(policy)
        assert_clean(invoke("policy", "check", str(path)))
