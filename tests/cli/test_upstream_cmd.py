"""`fleetpatch catalog import` and `fleetpatch advisories import|sync` through click's runner."""

from __future__ import annotations

import io
import json
import lzma
import shutil
import threading
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from fleetpatch.cli.main import cli
from fleetpatch.store import open_store
from fleetpatch.store.advisories import AdvisoryRepository
from fleetpatch.store.catalog import CatalogRepository

DATA = Path(__file__).resolve().parents[1] / "data"
LISTS = DATA / "catalog" / "debian12" / "lists"
UBUNTU = DATA / "advisories" / "ubuntu-osv"


@pytest.fixture
def db(tmp_path: Path) -> str:
    return str(tmp_path / "cli.db")


def run(db: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--db", db, *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_catalog_import_prints_a_summary_with_the_rate(db: str) -> None:
    code, out, _ = run(db, "catalog", "import", str(LISTS), "--format", "json")
    assert code == 0
    summary = json.loads(out)
    assert (summary["releases_imported"], summary["entries_new"]) == (3, 949)
    assert summary["entries_per_second"] > 0
    code, out, _ = run(db, "catalog", "import", str(LISTS), "--format", "json")
    assert (code, json.loads(out)["releases_unchanged"]) == (0, 3)


def test_catalog_import_with_a_bad_location_stores_the_rest_and_exits_2(db: str) -> None:
    code, out, err = run(db, "catalog", "import", "/no/such/dir", str(LISTS))
    assert code == 2
    # (The fixture's security Release may be past Valid-Until by now: stale lines may show too.)
    assert "warning: /no/such/dir: no such file or folder" in err.splitlines()
    assert "entries_new" in out
    store = open_store(f"sqlite:///{db}")
    with store.session() as session:
        assert len(CatalogRepository(session).entries(["Debian:12"])) == 949
    store.close()


def test_catalog_import_skips_an_invalid_version_with_a_warning_and_exits_0(
    db: str, tmp_path: Path
) -> None:
    lists = tmp_path / "lists"
    shutil.copytree(LISTS, lists)
    name = "deb.debian.org_debian_dists_bookworm-updates_main_binary-amd64_Packages.xz"
    text = lzma.decompress((lists / name).read_bytes()).decode("utf-8")
    version = text.split("Version: ", 1)[1].split("\n", 1)[0]
    mutated = text.replace(f"Version: {version}\n", f"Version: {version}:\n", 1)
    (lists / name).write_bytes(lzma.compress(mutated.encode("utf-8")))
    code, out, err = run(db, "catalog", "import", str(lists), "--format", "json")
    assert code == 0
    summary = json.loads(out)
    assert (summary["skipped"], summary["entries_new"]) == (1, 948)
    skipped = [line for line in err.splitlines() if "skipped" in line]
    assert len(skipped) == 1
    assert skipped[0].startswith(f"warning: {lists / name}:1: ")


def test_catalog_import_of_a_mirror_needs_suites_and_arches(db: str) -> None:
    code, _, err = run(db, "catalog", "import", "http://127.0.0.1:9/debian")
    assert code == 2
    assert "a mirror needs --suite and --arch" in err


def test_advisories_import_reports_counts_and_bad_files(db: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2", encoding="utf-8")
    code, out, err = run(db, "advisories", "import", str(UBUNTU), str(bad), "--format", "json")
    assert code == 2
    summary = json.loads(out)
    assert (summary["records"], summary["inserted"], summary["problems"]) == (9, 9, 1)
    assert summary["records_per_second"] > 0
    assert len(err.splitlines()) == 1
    assert err.startswith(f"warning: {bad}: not valid JSON")
    store = open_store(f"sqlite:///{db}")
    with store.session() as session:
        assert AdvisoryRepository(session).count_by_ecosystem()["Ubuntu:22.04"] == 9
    store.close()


@pytest.fixture
def osv_server() -> Iterator[str]:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(UBUNTU.glob("*.json")):
            archive.writestr(path.name, path.read_bytes())
    body = buffer.getvalue()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path != "/Ubuntu/all.zip":
                self.send_error(404)
            elif self.headers.get("If-None-Match") == '"one"':
                self.send_response(304)
                self.end_headers()
            else:
                self.send_response(200)
                self.send_header("ETag", '"one"')
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


def test_advisories_import_counts_skipped_entries_and_exits_0(db: str, tmp_path: Path) -> None:
    record = json.loads((UBUNTU / "UBUNTU-CVE-2022-4899.json").read_text(encoding="utf-8"))
    record["affected"][0]["versions"].append("1.5.0-")
    (tmp_path / "bad.json").write_text(json.dumps(record), encoding="utf-8")
    code, out, err = run(db, "advisories", "import", str(tmp_path / "bad.json"), "--format", "json")
    assert code == 0
    assert (json.loads(out)["skipped"], json.loads(out)["warnings"]) == (1, 1)
    assert err.startswith(f"warning: {tmp_path / 'bad.json'}: UBUNTU-CVE-2022-4899: affected[0]")


def test_advisories_sync_downloads_once_then_is_not_modified(db: str, osv_server: str) -> None:
    args = ("advisories", "sync", "--ecosystem", "Ubuntu", "--base-url", osv_server)
    code, out, _ = run(db, *args, "--format", "json")
    assert code == 0
    assert [(r["status"], r["inserted"]) for r in json.loads(out)] == [(200, 9)]
    code, out, _ = run(db, *args, "--format", "json")
    assert code == 0
    assert json.loads(out) == [{"ecosystem": "Ubuntu", "status": 304}]


def test_advisories_sync_of_a_missing_export_exits_3(db: str, osv_server: str) -> None:
    code, _, err = run(db, "advisories", "sync", "--ecosystem", "Nope", "--base-url", osv_server)
    assert code == 3
    assert err.strip() == f"error: {osv_server}/Nope/all.zip: HTTP 404"


def test_advisories_import_help_names_the_dsa_list_format_with_an_example(db: str) -> None:
    code, out, _ = run(db, "advisories", "import", "--help")
    assert code == 0
    assert "data/DSA/list" in out
    assert "[03 Oct 2023] DSA-5514-1 glibc" in out
    assert "fleetpatch advisories import security-tracker/data/DSA/list" in out
