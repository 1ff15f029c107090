"""Writing a published report in each of its formats."""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum

from markupsafe import Markup

from safeguard.transparency import dsa
from safeguard.transparency.stats import Figures


class ReportFormat(StrEnum):
    """What a report is written as."""

    JSON = "json"
    CSV = "csv"
    HTML = "html"


MEDIA_TYPES = {
    ReportFormat.JSON: "application/json",
    ReportFormat.CSV: "text/csv; charset=utf-8",
    ReportFormat.HTML: "text/html; charset=utf-8",
}


@dataclass(frozen=True)
class Rendered:
    """A report written out: its text and its media type."""

    text: str
    media_type: str


def render(figures: Figures, chosen: ReportFormat) -> Rendered:
    """The published figures as JSON, as the DSA template's CSV, or as HTML."""
    if chosen is ReportFormat.CSV:
        text = dsa.to_csv(figures)
    elif chosen is ReportFormat.HTML:
        text = _document(figures)
    else:
        text = json.dumps(figures, indent=2) + "\n"
    return Rendered(text, MEDIA_TYPES[chosen])


def html_body(figures: Figures) -> Markup:
    """The published figures' charts and tables, as an HTML fragment for a page."""
    from safeguard.transparency.html import body  # see _document

    return body(figures)


def _document(figures: Figures) -> str:
    """The HTML file. Its writer is imported when first needed: matplotlib takes about
    a second to import, which no other command or request should wait for."""
    from safeguard.transparency.html import document

    return document(figures)
