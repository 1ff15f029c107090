"""The CSV list format: parsing, all-or-nothing errors that name the line, export."""

from __future__ import annotations

import io

import pytest

from safeguard.banks.csv_format import export_csv, parse_csv, read_csv
from safeguard.banks.models import NewEntry
from safeguard.errors import InvalidList

PDQ = "d8f8f0cec4f4a84f0637022a078f67f0b36e2ee5b6621e1d33e6239c4e9c9b22"
MD5 = "0123456789abcdef0123456789abcdef"


def parse(text: str) -> list[NewEntry]:
    return list(parse_csv(io.StringIO(text, newline="")))


def read(data: bytes) -> list[NewEntry]:
    return list(read_csv(io.BytesIO(data)))


def test_parses_rows_with_and_without_optional_fields() -> None:
    text = f"md5,{MD5}\npdq,{PDQ.upper()},case-7,animal;test\n"
    entries = parse(text)
    assert [(e.signal_type, e.value, e.external_id, e.labels) for e in entries] == [
        ("md5", MD5, None, ()),
        ("pdq", PDQ, "case-7", ("animal", "test")),
    ]


def test_header_and_blank_lines_are_skipped() -> None:
    text = f"signal_type,signal_value,external_id,labels\n\nmd5,{MD5}\n"
    assert len(parse(text)) == 1


@pytest.mark.parametrize(
    ("text", "line", "needle"),
    [
        (f"md5,{MD5}\npdq,xyz\n", 2, "pdq"),
        (f"md5,{MD5}\nmd5\n", 2, "expected 2 to 4 fields"),
        (f"md5,{MD5}\ntlsh,{MD5}\n", 2, "unknown signal type"),
        (f"md5,{MD5},a,b,c\n", 1, "expected 2 to 4 fields"),
        (f"md5,{MD5}\n\nmd5,{MD5[:-1]}\n", 3, "32 hex"),
    ],
)
def test_bad_row_names_its_line(text: str, line: int, needle: str) -> None:
    with pytest.raises(InvalidList) as error:
        parse(text)
    assert error.value.detail.startswith(f"line {line}:")
    assert needle in error.value.detail


def test_non_utf8_bytes_are_refused() -> None:
    with pytest.raises(InvalidList, match="not UTF-8"):
        read(b"md5,\xff\xfe\n")


def test_non_utf8_bytes_name_their_line_deep_in_a_long_list() -> None:
    good = f"md5,{MD5}\n".encode() * 5000
    with pytest.raises(InvalidList) as error:
        read(good + b"md5,\xff\n" + good)
    assert error.value.detail == "line 5001: the list is not UTF-8 text"


def test_utf8_bom_is_accepted() -> None:
    assert len(read(f"\ufeffmd5,{MD5}\n".encode())) == 1


def test_reading_leaves_the_source_open_at_any_line_ending() -> None:
    source = io.BytesIO(f"md5,{MD5}\r\npdq,{PDQ}\rmd5,{MD5.upper()}\n".encode())
    assert [e.signal_type for e in read_csv(source)] == ["md5", "pdq", "md5"]
    assert not source.closed


@pytest.mark.parametrize(
    ("row", "needle"),
    [
        ("pdq," + "0" * 64, "0 of 256 bits set"),
        ("pdq," + "f" * 64, "256 of 256 bits set"),
        (f"md5,{MD5},a\x00b", "external_id must not contain NUL"),
        (f"md5,{MD5},,ok;a\x00b", "label must not contain NUL"),
    ],
)
def test_degenerate_hashes_and_nul_characters_are_refused(row: str, needle: str) -> None:
    with pytest.raises(InvalidList) as error:
        read(f"md5,{MD5}\n{row}\n".encode())
    assert error.value.detail.startswith("line 2:") and needle in error.value.detail


def test_export_round_trips() -> None:
    rows = [("md5", MD5, None, []), ("pdq", PDQ, "x,1", ["a", "b"])]
    text = "".join(export_csv([rows[:1], rows[1:]]))
    parsed = parse(text)
    assert [(e.signal_type, e.value, e.external_id, list(e.labels)) for e in parsed] == [
        ("md5", MD5, None, []),
        ("pdq", PDQ, "x,1", ["a", "b"]),
    ]
