"""The report as HTML: one self-contained file (charts as SVG images inside it, no
script, no request for anything else), and the same body for the moderator UI."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from safeguard.transparency.charts import Chart, charts
from safeguard.transparency.stats import Figures

TABLED = (
    "screenings",
    "review",
    "user_reports",
    "appeals",
    "reports_to_authorities",
    "accounts",
    "banks",
    "child_safety",
)
"""The sections shown as tables of figures."""

_ENV = Environment(
    loader=PackageLoader("safeguard.transparency", "templates"),
    autoescape=select_autoescape(default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def data_uri(chart: Chart) -> str:
    """The chart as an image URL holding the SVG itself."""
    return "data:image/svg+xml;base64," + base64.b64encode(chart.svg.encode()).decode()


def flatten(figures: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """(dotted path, value) of every figure below ``figures``."""
    if isinstance(figures, dict):
        for name, value in figures.items():
            yield from flatten(value, f"{path}.{name}" if path else str(name))
    else:
        yield path, figures


def body(figures: Figures) -> Markup:
    """The report's charts and tables, as an HTML fragment."""
    tables = {name: list(flatten(figures[name])) for name in TABLED}
    hidden = set(figures["suppressed"])
    shown = [(c, data_uri(c)) for c in charts(figures)]
    html = _ENV.get_template("body.html").render(
        figures=figures, charts=shown, tables=tables, hidden=hidden
    )
    return Markup(html)  # safe: rendered by an autoescaping template


def document(figures: Figures) -> str:
    """The report as one self-contained HTML file."""
    return _ENV.get_template("document.html").render(figures=figures, body=body(figures))
