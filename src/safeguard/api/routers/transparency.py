"""The transparency report of a period, for admins: the figures of the key's client."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, Field

from safeguard.api.openapi import PROTECTED, problem_responses
from safeguard.api.state import AdminClient, AppState, app_state
from safeguard.transparency.formats import MEDIA_TYPES, ReportFormat, render
from safeguard.transparency.period import parse_period
from safeguard.transparency.report import build_report

router = APIRouter(tags=["transparency"], responses=problem_responses(*PROTECTED))

Section = dict[str, Any]
MAX_MIN_COUNT = 1_000_000


class TransparencyReportOut(BaseModel):
    """A transparency report (docs/transparency.md): every section's figures, the query
    that made it, and the paths of the counts it suppressed."""

    period: dict[str, str] = Field(description="'from' (included) and 'to' (excluded).")
    query: Section = Field(description="The parameters and a digest of the events read.")
    screenings: Section
    review: Section
    user_reports: Section
    appeals: Section
    reports_to_authorities: Section
    accounts: Section
    banks: Section
    volumes: Section
    child_safety: Section = Field(description="A TRUST-style child-safety summary.")
    suppressed: list[str] = Field(description="Dotted paths of the figures suppressed.")
    not_available: dict[str, str] = Field(description="Figures not logged, and why.")


_ANSWERS: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {
            MEDIA_TYPES[ReportFormat.CSV]: {"schema": {"type": "string"}},
            MEDIA_TYPES[ReportFormat.HTML]: {"schema": {"type": "string"}},
        }
    }
}


@router.get(
    "/v1/transparency/report",
    response_model=TransparencyReportOut,
    responses=_ANSWERS | problem_responses(400),
)
def transparency_report(
    client: AdminClient,
    state: Annotated[AppState, Depends(app_state)],
    start: Annotated[
        str, Query(alias="from", max_length=40, description="A date or ISO 8601 time (UTC).")
    ],
    end: Annotated[str, Query(alias="to", max_length=40, description="Excluded.")],
    output_format: Annotated[
        ReportFormat, Query(alias="format", description="json, csv (DSA template) or html.")
    ] = ReportFormat.JSON,
    min_count: Annotated[
        int | None,
        Query(ge=0, le=MAX_MIN_COUNT, description="Suppress counts from 1 below this."),
    ] = None,
) -> Response:
    """The report of [from, to) of the key's client (its screenings, review items,
    reports, appeals and accounts; the banks are the deployment's), as JSON, as the
    DSA template's CSV or as a self-contained HTML file. 400 for bad dates or a period
    that does not end after it starts."""
    period = parse_period(start, end)
    chosen = state.settings.transparency_min_count if min_count is None else min_count
    rendered = render(build_report(state.db, period, client, chosen), output_format)
    return Response(rendered.text, media_type=rendered.media_type)
