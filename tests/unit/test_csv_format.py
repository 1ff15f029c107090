"""The CSV list format: parsing, all-or-nothing errors that name the line, export."""

from __future__ import annotations

import io

import pytest

from safeguard.banks.csv_format import export_rows, parse_csv, parse_csv_bytes
from safeguard.errors import InvalidList

PDQ = "f" * 64
MD5 = "0123456789abcdef0123456789abcdef"


def test_parses_rows_with_and_without_optional_fields() -> None:
    text = f"md5,{MD5}\npdq,{PDQ.upper()},case-7,animal;test\n"
    entries = parse_csv(io.StringIO(text))
    assert [(e.signal_type, e.value, e.external_id, e.labels) for e in entries] == [
        ("md5", MD5, None, ()),
        ("pdq", PDQ, "case-7", ("animal", "test")),
    ]


def test_header_and_blank_lines_are_skipped() -> None:
    text = f"signal_type,signal_value,external_id,labels\n\nmd5,{MD5}\n"
    assert len(parse_csv(io.StringIO(text))) == 1


@pytest.mark.parametrize(
    ("text", "line", "needle"),
    [
        (f"md5,{MD5}\npdq,xyz\n", 2, "pdq"),
        (f"md5,{MD5}\nmd5\n", 2, "expected 2 to 4 fields"),
        (f"md5,{MD5}\nsha1,{MD5}\n", 2, "unknown signal type"),
        (f"md5,{MD5},a,b,c\n", 1, "expected 2 to 4 fields"),
        (f"md5,{MD5}\n\nmd5,{MD5[:-1]}\n", 3, "32 hex"),
    ],
)
def test_bad_row_names_its_line(text: str, line: int, needle: str) -> None:
    with pytest.raises(InvalidList) as error:
        parse_csv(io.StringIO(text))
    assert error.value.detail.startswith(f"line {line}:")
    assert needle in error.value.detail


def test_non_utf8_bytes_are_refused() -> None:
    with pytest.raises(InvalidList, match="not UTF-8"):
        parse_csv_bytes(b"md5,\xff\xfe\n")


def test_utf8_bom_is_accepted() -> None:
    assert len(parse_csv_bytes(f"\ufeffmd5,{MD5}\n".encode())) == 1


def test_export_round_trips() -> None:
    rows = [("md5", MD5, None, []), ("pdq", PDQ, "x,1", ["a", "b"])]
    text = "".join(export_rows(rows))
    parsed = parse_csv(io.StringIO(text))
    assert [(e.signal_type, e.value, e.external_id, list(e.labels)) for e in parsed] == [
        ("md5", MD5, None, []),
        ("pdq", PDQ, "x,1", ["a", "b"]),
    ]
