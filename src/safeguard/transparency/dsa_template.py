"""The structure of the DSA's harmonised transparency template (``dsa_template.csv``):
its eleven sections in order, their rows and columns, and the cells they make."""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources
from typing import NamedTuple

Key = tuple[int, str, str, str, str]
"""What names a field uniquely: section, group, row, scope and column."""
FIGURE = "column"
"""The kind of a template column that holds a field in each row (the other kind,
``context``, is the free text the platform writes beside them)."""


class Cell(NamedTuple):
    """One field of the template: a row of a section (its applicability, group, label
    and scope) in one of the section's columns."""

    section: int
    section_name: str
    applicability: str
    group: str
    row: str
    scope: str
    column: str

    @property
    def key(self) -> Key:
        """The cell's section, group, row, scope and column."""
        return self.section, self.group, self.row, self.scope, self.column


@cache
def lines() -> tuple[dict[str, str], ...]:
    """The lines of ``dsa_template.csv`` (its comment lines left out), in order."""
    text = resources.files(__package__).joinpath("dsa_template.csv").read_text(encoding="utf-8")
    data = [line for line in text.splitlines() if not line.startswith("#")]
    return tuple(csv.DictReader(data))


@cache
def cells() -> tuple[Cell, ...]:
    """Every field of the template, section by section, row by row, in its columns'
    order."""
    found: list[Cell] = []
    for section in dict.fromkeys(line["section"] for line in lines()):
        mine = [line for line in lines() if line["section"] == section]
        columns = [line["label"] for line in mine if line["kind"] == FIGURE]
        found += [
            Cell(
                int(section),
                row["section_name"],
                row["applicability"],
                row["group"],
                row["label"],
                row["scope"],
                column,
            )
            for row in mine
            if row["kind"] == "row"
            for column in columns
        ]
    return tuple(found)
