"""The transparency report in the moderator UI, for admins: a period's charts and figures
for every client, and the report to download as HTML, the DSA template's CSV or JSON."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from safeguard.api.state import app_state
from safeguard.errors import SafeguardError
from safeguard.moderation.ui_sessions import SessionView
from safeguard.transparency.formats import ReportFormat, html_body
from safeguard.transparency.formats import render as render_report
from safeguard.transparency.period import parse_period
from safeguard.transparency.report import build_report
from safeguard.transparency.stats import Figures
from safeguard.web.auth import Admin
from safeguard.web.pages import refused, render

router = APIRouter()
DEFAULT_DAYS = 30
"""The period shown when none is asked for: the last 30 days and today."""

Start = Annotated[str | None, Query(alias="from", max_length=40)]
End = Annotated[str | None, Query(alias="to", max_length=40)]
MinCount = Annotated[int | None, Query(alias="min_count", ge=0, le=1_000_000)]


def _period_or_default(start: str | None, end: str | None) -> tuple[str, str]:
    today = datetime.now(UTC).date()
    return (
        start or (today - timedelta(days=DEFAULT_DAYS)).isoformat(),
        end or (today + timedelta(days=1)).isoformat(),
    )


def _report(
    request: Request, staff: SessionView, start: str, end: str, min_count: int | None
) -> Figures:
    """The report of every client's records; a refusal page for a bad period."""
    state = app_state(request)
    chosen = state.settings.transparency_min_count if min_count is None else min_count
    try:
        period = parse_period(start, end)
    except SafeguardError as exc:
        raise refused(exc, staff) from None
    return build_report(state.db, period, None, chosen)


@router.get("/transparency")
def transparency(
    request: Request, staff: Admin, start: Start = None, end: End = None, min_count: MinCount = None
) -> Response:
    """A period's report: charts, then every figure (the last 30 days by default)."""
    start, end = _period_or_default(start, end)
    figures = _report(request, staff, start, end, min_count)
    return render(
        request,
        "transparency.html",
        staff=staff,
        start=start,
        end=end,
        min_count=figures["query"]["min_count"],
        formats=list(ReportFormat),
        report=html_body(figures),
    )


@router.get("/transparency/download")
def download(
    request: Request,
    staff: Admin,
    start: Start = None,
    end: End = None,
    min_count: MinCount = None,
    chosen: Annotated[ReportFormat, Query(alias="format")] = ReportFormat.HTML,
) -> Response:
    """The report as a file to keep or publish."""
    start, end = _period_or_default(start, end)
    rendered = render_report(_report(request, staff, start, end, min_count), chosen)
    name = f"transparency-{start[:10]}-{end[:10]}.{chosen.value}"
    disposition = {"Content-Disposition": f'attachment; filename="{name}"'}
    return Response(rendered.text, media_type=rendered.media_type, headers=disposition)
