"""The report as CSV in the structure of the DSA's harmonised transparency template
(Implementing Regulation (EU) 2024/2835): one row per field of ``dsa_fields.csv``, filled
from the report's figures where Safeguard has them, left to the platform otherwise."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from functools import cache
from importlib import resources
from typing import Any, NamedTuple

from safeguard.transparency.stats import Figures

PLATFORM = "platform"
"""The source of a field only the platform can fill."""
COLUMNS = ("section", "field_id", "description", "unit", "value", "filled_by")


class TemplateField(NamedTuple):
    """One field of the template and the report figure that fills it (a dotted path),
    or ``platform``."""

    section: str
    field_id: str
    description: str
    unit: str
    source: str


@cache
def template_fields() -> tuple[TemplateField, ...]:
    """The template's fields, in its order (``dsa_fields.csv``)."""
    text = resources.files(__package__).joinpath("dsa_fields.csv").read_text(encoding="utf-8")
    return tuple(TemplateField(**row) for row in csv.DictReader(io.StringIO(text)))


def _figure(figures: Figures, path: str) -> Any:
    value: Any = figures
    for part in path.split("."):
        value = value[part]
    return value


def rows(figures: Figures) -> Iterator[dict[str, str]]:
    """Each template field with its value and who filled it: ``safeguard``,
    ``platform`` (left empty) or ``suppressed`` (a small count left out)."""
    hidden = set(figures["suppressed"])
    for field in template_fields():
        value = None if field.source == PLATFORM else _figure(figures, field.source)
        if field.source == PLATFORM:
            filled_by = PLATFORM
        elif field.source in hidden:
            filled_by = "suppressed"
        else:
            filled_by = "safeguard"
        shown = "" if value is None else str(value)
        yield dict(zip(COLUMNS, (*field[:4], shown, filled_by), strict=True))


def to_csv(figures: Figures) -> str:
    """The template's rows as CSV, with a header."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows(figures))
    return out.getvalue()
