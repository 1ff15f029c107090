"""Bank import and export in every list format: round trips, the reference's vPDQ
files, and bad input refused with nothing imported."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from safeguard.banks import catalog, service
from safeguard.banks.formats import FormatName, list_format
from safeguard.banks.models import BankSpec, NewEntry
from safeguard.cli import context
from safeguard.cli.main import app
from safeguard.errors import InvalidList, InvalidName
from safeguard.store.db import Database

PDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
PDQ2 = "d8f8f0cee0f4a84f06370a32038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
VPDQ = f"0,100,{PDQ},0.000\n1,90,{PDQ2},1.000"
MD5 = hashlib.md5(b"a").hexdigest()
SHA1 = hashlib.sha1(b"a").hexdigest()
SHA256 = hashlib.sha256(b"a").hexdigest()
SHA256_B = hashlib.sha256(b"b").hexdigest()
ENTRIES = [
    *(NewEntry(k, v, "7-a", ("A1",)) for k, v in [("md5", MD5), ("sha256", SHA256)]),
    *(NewEntry(k, v, "7-a", ("A1",)) for k, v in [("pdq", PDQ), ("sha1", SHA1)]),
    NewEntry("vpdq", VPDQ, "7-b", ("B1",)),
    NewEntry("sha256", SHA256_B),
]
CARRIED = {  # signal types (None: all), whether external ids and labels come back
    FormatName.CSV: (None, True, True),
    FormatName.THREATEXCHANGE: (None, False, False),
    FormatName.HMA_JSON: (None, True, False),
    FormatName.VPDQ_TEXT: ({"vpdq"}, False, False),
    FormatName.VPDQ_JSON: ({"vpdq"}, True, True),
    FormatName.NCMEC_XML: ({"md5", "sha1", "pdq"}, True, True),
}
VPDQ_JSON = json.dumps({"vpdq": [{"frame": 0, "quality": 100, "pdq": PDQ, "timestamp": 0.0}]})
BAD = [
    (FormatName.CSV, f"md5,{MD5}\nmd5,nothex\n", "line 2:"),
    (FormatName.THREATEXCHANGE, f"md5 {MD5}\nnonsense\n", "line 2:"),
    (FormatName.HMA_JSON, f'[{{"signals": {{"md5": "{MD5}"}}}}, {{"signals": 1}}]', "item 2:"),
    (FormatName.HMA_JSON, '{"content": [', "not JSON"),
    (FormatName.VPDQ_TEXT, f"{VPDQ}\n\n0,100,zz,0.000\n", "line 4:"),
    (FormatName.VPDQ_JSON, VPDQ_JSON + '\n{"vpdq": 5}\n', "line 2:"),
    (FormatName.NCMEC_XML, "<queryResult><images><image><id>1</id></image>", "not well-formed"),
    (
        FormatName.NCMEC_XML,
        '<?xml version="1.0"?><!DOCTYPE q [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]>'
        "<queryResult>&b;</queryResult>",
        "document type",
    ),
    (
        FormatName.NCMEC_XML,
        '<queryResult><images><image><member id="7"/><id>x</id><fingerprints>'
        "<md5>nothex</md5></fingerprints></image></images></queryResult>",
        r"image 1 \(7-x, md5\):",
    ),
]


def entries(db: Database, bank: str) -> set[tuple[str, str, str | None, tuple[str, ...]]]:
    found = catalog.list_entries(db, bank, limit=1000)
    return {(e.signal_type, e.value, e.external_id, e.labels) for e in found}


def expected(form: FormatName) -> set[tuple[str, str, str | None, tuple[str, ...]]]:
    kinds, ids, labels = CARRIED[form]
    return {
        (e.signal_type, e.value, e.external_id if ids else None, e.labels if labels else ())
        for e in ENTRIES
        if kinds is None or e.signal_type in kinds
    }


def make_bank(db: Database, name: str) -> None:
    catalog.create_bank(db, BankSpec(name), "test")


def test_every_format_round_trips(db: Database) -> None:
    make_bank(db, "source")
    catalog.add_entries(db, "source", ENTRIES, "test")
    for form in FormatName:
        text = "".join(service.export_list(db, "source", form))
        make_bank(db, form.value)
        service.import_list(db, form.value, io.BytesIO(text.encode()), format_name=form)
        assert entries(db, form.value) == expected(form), form
    with pytest.raises(InvalidName, match="unknown list format"):
        service.export_list(db, "source", "yaml")


def test_bad_input_imports_nothing(db: Database) -> None:
    make_bank(db, "target")
    for form, text, message in BAD:
        with pytest.raises(InvalidList, match=message):
            service.import_list(db, "target", io.BytesIO(text.encode()), format_name=form)
        assert entries(db, "target") == set(), form


@pytest.mark.shared
def test_the_reference_vpdq_files_import(db: Database, shared_data: Path) -> None:
    """Each file is one video; all of them at once (blank lines between) import."""
    files = sorted((shared_data / "reference/threatexchange/vpdq/sample-hashes").glob("*.txt"))
    assert len(files) == 31
    reader = list_format(FormatName.VPDQ_TEXT).read
    for path in files:
        with path.open("rb") as source:
            assert len(list(reader(source))) == 1, path.name
    make_bank(db, "videos")
    videos = b"\n".join(path.read_bytes() for path in files)
    result = service.import_list(db, "videos", io.BytesIO(videos), format_name="vpdq-text")
    assert result.added + result.already_present == len(files)
    text = "".join(service.export_list(db, "videos", FormatName.VPDQ_JSON))
    assert len(text.splitlines()) == result.added


def test_cli_exports_and_imports_a_format(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(context, "database", lambda: db)
    make_bank(db, "source")
    make_bank(db, "copy")
    catalog.add_entries(db, "source", ENTRIES, "test")
    cli = CliRunner()
    exported = cli.invoke(app, ["bank", "export", "source", "--format", "ncmec-xml"])
    assert exported.exit_code == 0, exported.output
    path = tmp_path / "list.xml"
    path.write_text(exported.stdout)
    imported = cli.invoke(app, ["bank", "import", "copy", str(path), "--format", "ncmec-xml"])
    assert imported.exit_code == 0, imported.output
    assert "imported 3 entries" in imported.stdout
    assert entries(db, "copy") == expected(FormatName.NCMEC_XML)
    unknown = cli.invoke(app, ["bank", "export", "source", "--format", "yaml"])
    assert unknown.exit_code == 2
