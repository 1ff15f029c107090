"""The DSA template's CSV against the template's field list (``dsa_template.csv``):
every field comes out, in order, with exactly the template's labels; every figure the
mapping (``dsa_fields.csv``) names exists in a report; values converted and small
counts suppressed."""

from __future__ import annotations

import csv
import io
from collections import Counter
from typing import Any

import pytest

from safeguard.transparency import dsa
from safeguard.transparency.dsa_template import FIGURE, Key, cells, lines
from safeguard.transparency.report import publish
from safeguard.transparency.stats import Figures
from tests.unit.test_transparency import facts

SECTIONS = [
    (1, "report_identification"),
    (2, "categories_names"),
    (3, "member_states_orders"),
    (4, "notices"),
    (5, "own_initiative_illegal"),
    (6, "own_initiative_TC"),
    (7, "appeals_and_recidivism"),
    (8, "automated_means"),
    (9, "human_resources"),
    (10, "AMAR"),
    (11, "qualitative"),
]
UNITS = {
    "": {"count"},
    "seconds_to_hours": {"hours"},
    "share_to_percent": {"percent"},
    "date": {"date"},
    "day_before": {"date"},
}
"""The units a field may have for each conversion of its figure."""
PROTECTION = "STATEMENT_CATEGORY_PROTECTION_OF_MINORS"
CSAM = (4, PROTECTION, "KEYWORD_CHILD_SEXUAL_ABUSE_MATERIAL", "", "Number of notices received")


def published(**changes: Any) -> Figures:
    """An empty period's exact report, with figures set by dotted path."""
    figures = publish(facts([]), 0)
    for path, value in changes.items():
        parent, _, name = path.rpartition(".")
        (dsa.figure(figures, parent) if parent else figures)[name] = value
    return figures


def exported(figures: Figures) -> list[dict[str, str]]:
    """The rows of the report's CSV."""
    return list(csv.DictReader(io.StringIO(dsa.to_csv(figures))))


def key(row: dict[str, str]) -> Key:
    """The key of a row of the exported CSV."""
    return int(row["section"]), row["group"], row["row"], row["scope"], row["column"]


def test_the_export_has_every_field_of_the_template_in_order() -> None:
    rows = exported(published())
    assert list(rows[0]) == list(dsa.COLUMNS)
    assert list(dict.fromkeys((int(r["section"]), r["section_name"]) for r in rows)) == SECTIONS
    # Each section's fields are its rows (in order) times its figure columns (in order).
    expected = [
        (int(row["section"]), row["group"], row["label"], row["scope"], column["label"])
        for section, _ in SECTIONS
        for row in lines()
        if row["section"] == str(section) and row["kind"] == "row"
        for column in lines()
        if column["section"] == str(section) and column["kind"] == FIGURE
    ]
    assert [key(r) for r in rows] == expected == [c.key for c in cells()]
    assert len(set(expected)) == len(expected)
    applicability = {c.key: c.applicability for c in cells()}
    assert all(r["applicability"] == applicability[key(r)] for r in rows)


def test_the_template_structure_is_the_published_one() -> None:
    by_section = Counter(c.section for c in cells())
    # Rows times figure columns: 100 categories; 91 categories in two scopes times 7
    # order figures; 91 times 10 notice figures; 90 and 98 times 16 kinds of measure.
    assert [by_section[n] for n, _ in SECTIONS] == [5, 100, 1274, 910, 1440, 1568, 47, 25, 4, 2, 11]
    categories = {r["category_label"]: (r["category_description"], r["label"]) for r in lines()}
    assert categories["Category 9b"] == (
        "Child sexual abuse material",
        "KEYWORD_CHILD_SEXUAL_ABUSE_MATERIAL",
    )
    assert categories["Category 9d"][1] == "KEYWORD_GROOMING_SEXUAL_ENTICEMENT_MINORS"
    assert categories["Category 17"][1] == "STATEMENT_CATEGORY_NOT_SPECIFIED_NOTICE"
    contexts = [r["label"] for r in lines() if r["section"] == "4" and r["kind"] == "context"]
    notices = [c.column for c in cells() if c.section == 4 and c.row == "TOTAL"]
    assert contexts == ['Description of the sub-category "Other"'] + [
        f"Contextual information on {column}" for column in notices
    ]


def test_every_mapped_figure_exists_and_fills_a_field_of_its_unit() -> None:
    figures = published()
    by_key = {c.key: c for c in cells()}
    for where, filling in dsa.fillings().items():
        assert where in by_key, where
        assert dsa.unit(by_key[where]) in UNITS[filling.convert], where
        for path in filling.figures:
            dsa.figure(figures, path)  # a KeyError names a figure the report lacks
    rows = exported(figures)
    assert {key(r) for r in rows if r["filled_by"] == "safeguard"} == set(dsa.fillings())
    left = [r for r in rows if key(r) not in dsa.fillings()]
    assert {(r["value"], r["filled_by"]) for r in left} == {("", dsa.PLATFORM)}


def test_values_are_converted_summed_and_suppressed() -> None:
    figures = published(
        **{
            "user_reports.by_category.csam": 12,
            "user_reports.by_category.underage_user": 10,
            "user_reports.by_category.grooming": None,
            "user_reports.time_to_decision.median_seconds": 5400.0,
            "review.precision_by_detector.hash_match.precision": 0.9751,
            "suppressed": ["user_reports.by_category.grooming"],
        }
    )
    values = {key(r): (r["value"], r["filled_by"]) for r in exported(figures)}
    assert values[CSAM] == ("12", "safeguard")
    grooming = (4, PROTECTION, "KEYWORD_GROOMING_SEXUAL_ENTICEMENT_MINORS", "", CSAM[4])
    assert values[grooming] == ("", "suppressed")
    # The category's total needs the suppressed count: it is left out too.
    assert values[(4, "", PROTECTION, "", CSAM[4])] == ("", "suppressed")
    assert values[(4, "", "TOTAL", "", "Median time to take action")] == ("1.5", "safeguard")
    automated = "Use of automated means for content moderation"
    precision = (8, automated, "Accuracy of the automated means - Precision", "Own-initiative")
    assert values[(*precision, "Value")] == ("97.51", "safeguard")
    start, end = (
        values[(1, "", f"{which} date of reporting period", "", "Value")][0]
        for which in ("Starting", "Ending")
    )
    assert (start, end) == ("2026-03-01", "2026-03-01")  # the period ends on its last day


@pytest.mark.parametrize("counts", [(1, 2, 3), (0, 4, 0)])
def test_a_category_total_is_the_sum_of_its_keywords(counts: tuple[int, int, int]) -> None:
    names = ("underage_user", "csam", "grooming")
    figures = published(
        **{f"user_reports.by_category.{n}": c for n, c in zip(names, counts, strict=True)}
    )
    values = {key(r): r["value"] for r in exported(figures)}
    assert values[(4, "", PROTECTION, "", CSAM[4])] == str(sum(counts))
