"""Mirrors carry Latin-1 in descriptions: read leniently where the format allows it, refuse with
the file and line where it does not, never a traceback."""

from __future__ import annotations

import io
import lzma
import shutil
import tarfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from fleetpatch.catalog.apkindex import member_text, read_apkindex
from fleetpatch.catalog.apt import control_text, parse_packages
from fleetpatch.cli.main import cli
from fleetpatch.errors import ParseError

LISTS = Path(__file__).parents[1] / "data/catalog/debian12/lists"
UPDATES = "deb.debian.org_debian_dists_bookworm-updates"
STANZA = (
    b"Package: cafe\nVersion: 1.0-1\nArchitecture: amd64\nMaintainer: Ren\xe9 <r@example.org>\n"
)
DESCRIPTION = b"Description: caf\xe9 au lait\n continued: cr\xe8me\n\n"


def test_utf8_is_read_as_is_without_a_warning() -> None:
    text, warning = control_text("Description: café\n".encode(), "Packages")
    assert text == "Description: café\n"
    assert warning is None


def test_latin1_free_text_is_read_with_a_warning_naming_the_line() -> None:
    text, warning = control_text(b"Package: a\nVersion: 1\n\n" + STANZA + DESCRIPTION, "Packages")
    assert warning == "Packages:7: not UTF-8; free text read as Latin-1"
    cafe = [p for p in parse_packages(text) if p.name == "cafe"]
    assert [(p.name, p.version) for p in cafe] == [("cafe", "1.0-1")]
    assert "café au lait" in text


@pytest.mark.parametrize("field", [b"Package: caf\xe9", b"Version: 1.0\xe9", b"Source: x\xe9"])
def test_latin1_in_a_field_fleetpatch_reads_is_refused_with_its_line(field: bytes) -> None:
    data = b"Package: a\nVersion: 1\n\n" + field + b"\nArchitecture: amd64\n"
    with pytest.raises(ParseError) as caught:
        control_text(data, "Packages")
    name = field.split(b":")[0].decode()
    assert str(caught.value) == f"Packages:4: field {name} is not UTF-8 text"


def test_catalog_import_of_a_latin1_mirror_list_succeeds(tmp_path: Path) -> None:
    lists = tmp_path / "lists"
    lists.mkdir()
    shutil.copy(LISTS / f"{UPDATES}_InRelease", lists)
    packages = lzma.decompress((LISTS / f"{UPDATES}_main_binary-amd64_Packages.xz").read_bytes())
    (lists / f"{UPDATES}_main_binary-amd64_Packages").write_bytes(packages + STANZA + DESCRIPTION)
    db = f"sqlite:///{tmp_path / 'fp.db'}"
    result = CliRunner().invoke(cli, ["--db", db, "catalog", "import", str(lists)])
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output


APK_PACKAGE = b"P:cafe\nV:1.0-r0\nA:x86_64\no:cafe\nt:1725952200\n"


def _apkindex(tmp_path: Path, index: bytes) -> Path:
    """A repository folder whose APKINDEX.tar.gz holds `index` (and a DESCRIPTION)."""
    repo = tmp_path / "apk"
    repo.mkdir()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as archive:
        for name, data in (("DESCRIPTION", b"v3.20.3-fixture"), ("APKINDEX", index)):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    (repo / "APKINDEX.tar.gz").write_bytes(buf.getvalue())
    return repo


def test_latin1_apkindex_free_text_is_read_with_a_warning(tmp_path: Path) -> None:
    index = APK_PACKAGE + b"T:caf\xe9 au lait\nm:Ren\xe9 <r@example.org>\n"
    parsed = read_apkindex((_apkindex(tmp_path, index) / "APKINDEX.tar.gz").read_bytes())
    assert [(p.name, p.version) for p in parsed.packages] == [("cafe", "1.0-r0")]
    assert parsed.warnings == ("APKINDEX:6: not UTF-8; free text read as Latin-1",)
    db = f"sqlite:///{tmp_path / 'fp.db'}"
    (tmp_path / "cli").mkdir()
    repo = str(_apkindex(tmp_path / "cli", index))
    result = CliRunner().invoke(
        cli,
        ["--db", db, "catalog", "import", repo, "--ecosystem", "Alpine:v3.20", "--suite", "main"],
    )
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(("line", "field"), [(b"P:caf\xe9", "P"), (b"V:1.0\xe9-r0", "V")])
def test_latin1_in_an_apkindex_field_fleetpatch_reads_is_refused(
    tmp_path: Path, line: bytes, field: str
) -> None:
    index = APK_PACKAGE + b"\n" + line + b"\nA:x86_64\n"
    with pytest.raises(ParseError) as caught:
        member_text(index, "APKINDEX")
    assert str(caught.value) == f"APKINDEX:7: field {field} is not UTF-8 text"
    db = f"sqlite:///{tmp_path / 'fp.db'}"
    repo = str(_apkindex(tmp_path, index))
    result = CliRunner().invoke(
        cli,
        ["--db", db, "catalog", "import", repo, "--ecosystem", "Alpine:v3.20", "--suite", "main"],
    )
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert f"field {field} is not UTF-8 text" in result.output
