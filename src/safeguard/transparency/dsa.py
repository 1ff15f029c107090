"""The report as CSV in the structure of the DSA's harmonised transparency template
(Implementing Regulation (EU) 2024/2835): one row per field of the template
(``dsa_template.py``), filled from the report's figures where ``dsa_fields.csv`` names
them, left to the platform otherwise."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from functools import cache
from importlib import resources
from typing import Any, NamedTuple

from safeguard.transparency.dsa_template import Cell, Key, cells
from safeguard.transparency.stats import Figures

PLATFORM = "platform"
"""Who fills a field Safeguard has no figure for."""
PROVIDER = "Name of the service provider"
"""The one text field of the report's identification (the others are dates)."""
COLUMNS = (
    "section",
    "section_name",
    "applicability",
    "group",
    "row",
    "scope",
    "column",
    "unit",
    "value",
    "filled_by",
)
CONVERSIONS: dict[str, Callable[[Any], Any]] = {
    "": lambda value: value,
    "seconds_to_hours": lambda seconds: round(seconds / 3600, 2),
    "share_to_percent": lambda share: round(share * 100, 2),
    "date": lambda moment: datetime.fromisoformat(moment).date().isoformat(),
    "day_before": lambda moment: (
        (datetime.fromisoformat(moment) - timedelta.resolution).date().isoformat()
    ),
}
"""How a figure becomes the template's value: Safeguard counts seconds and shares, the
template hours and percentages; the template's period ends on its last day included."""


class Filling(NamedTuple):
    """The report figures (dotted paths) whose sum fills a field, and how the sum is
    converted."""

    figures: tuple[str, ...]
    convert: str


@cache
def fillings() -> dict[Key, Filling]:
    """The fields Safeguard fills (``dsa_fields.csv``), by the key of their cell."""
    text = resources.files(__package__).joinpath("dsa_fields.csv").read_text(encoding="utf-8")
    return {
        (int(line["section"]), line["group"], line["row"], line["scope"], line["column"]): Filling(
            tuple(path.strip() for path in line["figure"].split("+")), line["convert"]
        )
        for line in csv.DictReader(io.StringIO(text))
    }


def unit(cell: Cell) -> str:
    """What a field's value is: text, a date, hours, a percentage or a count."""
    if cell.section_name in ("categories_names", "qualitative") or cell.row == PROVIDER:
        return "text"
    if cell.section_name == "report_identification":
        return "date"
    words = f"{cell.row} {cell.scope} {cell.column}".lower()
    if "median time" in words:
        return "hours"
    if "percentage" in words or "accuracy of the automated means" in words:
        return "percent"
    return "count"


def figure(figures: Figures, path: str) -> Any:
    """The figure at a dotted path of the report."""
    value: Any = figures
    for part in path.split("."):
        value = value[part]
    return value


def rows(figures: Figures) -> Iterator[dict[str, str]]:
    """Each field of the template with its value and who filled it: ``safeguard``,
    ``platform`` (left empty) or ``suppressed`` (a small count left out)."""
    hidden = set(figures["suppressed"])
    filled = fillings()
    for cell in cells():
        filling = filled.get(cell.key)
        value, filled_by = None, PLATFORM
        if filling is not None:
            parts = [figure(figures, path) for path in filling.figures]
            filled_by = "suppressed" if hidden.intersection(filling.figures) else "safeguard"
            if None not in parts:  # a sum of counts, or one figure (a date, a share)
                value = CONVERSIONS[filling.convert](sum(parts) if len(parts) > 1 else parts[0])
        shown = "" if value is None else str(value)
        fields = (str(cell.section), *cell[1:], unit(cell), shown, filled_by)
        yield dict(zip(COLUMNS, fields, strict=True))


def to_csv(figures: Figures) -> str:
    """The template's fields as CSV, with a header."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows(figures))
    return out.getvalue()
