"""A hash list in a local file, fetched whole whenever it changes.

Two formats: Safeguard's CSV (``signal_type,signal_value[,external_id,labels]``, the
format of ``safeguard bank import``) and python-threatexchange's signal file (one
``signal_type value`` per line, or bare values of the type the ``signal_type`` setting
names). The checkpoint is the file's SHA-256, size and modification time: an unchanged
file gives no page, a changed one gives one snapshot page, so rows gone from the file
since the last fetch are removed from the bank.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from safeguard.banks.csv_format import csv_rows
from safeguard.banks.formats.threatexchange import parse_line
from safeguard.errors import ConfigError, InvalidList
from safeguard.exchanges.base import (
    Addition,
    Checkpoint,
    Config,
    ExchangeFailed,
    Page,
    only_keys,
    refuse_secrets,
    text_setting,
)

FORMATS = ("csv", "threatexchange")


class LocalFile:
    """The ``local_file`` adapter: settings ``path``, ``format`` (csv or threatexchange)
    and, for threatexchange files of bare values, ``signal_type``."""

    name = "local_file"

    def check_config(self, config: Mapping[str, Any]) -> Config:
        refuse_secrets(config)
        only_keys(config, {"path", "format", "signal_type"}, self.name)
        path = text_setting(config, "path")
        if not path:
            raise ConfigError("a local_file exchange needs a path")
        form = text_setting(config, "format", "csv")
        if form not in FORMATS:
            raise ConfigError(f"local_file format must be one of {', '.join(FORMATS)}")
        checked: Config = {"path": str(Path(path).expanduser().resolve()), "format": form}
        kind = text_setting(config, "signal_type")
        if kind:
            checked["signal_type"] = kind.lower()
        return checked

    def fetch(self, config: Config, checkpoint: Checkpoint | None) -> Iterator[Page]:
        path = Path(config["path"])
        try:
            stat = path.stat()
            unchanged = (checkpoint or {}).get("mtime_ns") == stat.st_mtime_ns
            if unchanged and (checkpoint or {}).get("size") == stat.st_size:
                return
            data = path.read_bytes()
        except OSError as exc:
            raise ExchangeFailed(f"cannot read {path}: {exc.strerror}") from None
        digest = hashlib.sha256(data).hexdigest()
        after: Checkpoint = {"sha256": digest, "size": len(data), "mtime_ns": stat.st_mtime_ns}
        if checkpoint and checkpoint.get("sha256") == digest:
            yield Page(after)  # touched, not changed
            return
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InvalidList(f"{path.name} is not UTF-8 text") from None
        if config["format"] == "csv":
            rows = _csv_rows(text)
        else:
            rows = _signal_file_rows(text, config.get("signal_type"))
        yield Page(after, additions=tuple(rows), snapshot=True)


def _csv_rows(text: str) -> Iterator[Addition]:
    """The rows of a Safeguard CSV list; InvalidList naming the first malformed line."""
    for _, row in csv_rows(io.StringIO(text, newline="")):
        yield Addition(row.signal_type.lower(), row.value, row.external_id, row.labels)


def _signal_file_rows(text: str, signal_type: str | None) -> Iterator[Addition]:
    """The lines of a python-threatexchange signal file: ``type value``, or bare values
    of ``signal_type``."""
    for number, line in enumerate(text.splitlines(), start=1):
        parsed = parse_line(line, number, signal_type)
        if parsed is not None:
            yield Addition(*parsed)


LOCAL_FILE = LocalFile()
