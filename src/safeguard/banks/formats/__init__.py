"""The list formats banks are imported from and exported to, by name.

Each format is a module of this package exposing ``FORMAT`` (a ``base.ListFormat``): a
reader of entries and a writer of content items. The modules are imported when a format
is asked for, so that naming the formats (the CLI's choices) stays light.
"""

from __future__ import annotations

from enum import StrEnum
from importlib import import_module
from typing import TYPE_CHECKING

from safeguard.errors import InvalidName

if TYPE_CHECKING:
    from safeguard.banks.formats.base import ListFormat


class FormatName(StrEnum):
    """The list formats, by the name the CLI and the API take."""

    CSV = "csv"
    THREATEXCHANGE = "threatexchange"
    HMA_JSON = "hma-json"
    VPDQ_TEXT = "vpdq-text"
    VPDQ_JSON = "vpdq-json"
    NCMEC_XML = "ncmec-xml"


_MODULES = {
    FormatName.CSV: "csv_list",
    FormatName.THREATEXCHANGE: "threatexchange",
    FormatName.HMA_JSON: "hma_json",
    FormatName.VPDQ_TEXT: "vpdq_text",
    FormatName.VPDQ_JSON: "vpdq_json",
    FormatName.NCMEC_XML: "ncmec_xml",
}


def list_format(name: str) -> ListFormat:
    """The format of this name; InvalidName for an unknown one."""
    try:
        chosen = FormatName(name)
    except ValueError:
        known = ", ".join(FormatName)
        raise InvalidName(f"unknown list format {name!r}: use one of {known}") from None
    module = import_module(f"{__name__}.{_MODULES[chosen]}")
    form: ListFormat = module.FORMAT
    return form
