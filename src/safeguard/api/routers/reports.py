"""User reports and appeals, sent by the platform on behalf of its users."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, Field

from safeguard.api.openapi import PROTECTED, problem_responses
from safeguard.api.schemas import AppealOut, ReportOut, ReportTarget
from safeguard.api.state import AppState, ScreenClient, app_state
from safeguard.api.validation import MAX_INT64, Text
from safeguard.moderation import appeals, reports
from safeguard.moderation.reports import Category, NewReport, Target

router = APIRouter(tags=["reports"], responses=problem_responses(*PROTECTED))

RecordId = Annotated[Text, Path(max_length=64)]


class ReportIn(BaseModel):
    reporter_id: Text = Field(
        min_length=1, max_length=reports.MAX_ID, description="The platform's id of the reporter."
    )
    category: Category
    target: ReportTarget
    text: Text | None = Field(
        default=None, max_length=reports.MAX_TEXT, description="What the reporter wrote."
    )


class AppealIn(BaseModel):
    decision_id: int = Field(ge=1, le=MAX_INT64, description="The decision appealed against.")
    appellant_id: Text = Field(
        min_length=1,
        max_length=appeals.MAX_APPELLANT,
        description="The platform's id of the user the decision affected.",
    )
    reason: Text = Field(min_length=1, max_length=appeals.MAX_REASON)


@router.post("/v1/reports", status_code=201, responses=problem_responses(400, 404))
def create_report(
    body: ReportIn, client: ScreenClient, state: Annotated[AppState, Depends(app_state)]
) -> ReportOut:
    """Queue a user's report; it joins the undecided review item of its target, if any.
    A screening target must be one of the caller's screenings (404 otherwise)."""
    target = Target(body.target.kind, body.target.value, body.target.signal_type)
    report = NewReport(body.reporter_id, body.category, target, body.text)
    return ReportOut.model_validate(reports.submit_report(state.db, client, report))


@router.get("/v1/reports/{report_id}", responses=problem_responses(404))
def get_report(
    report_id: RecordId, client: ScreenClient, state: Annotated[AppState, Depends(app_state)]
) -> ReportOut:
    """One of the caller's reports and where it stands."""
    return ReportOut.model_validate(reports.get_report(state.db, client, report_id))


@router.post("/v1/appeals", status_code=201, responses=problem_responses(400, 404, 409))
def create_appeal(
    body: AppealIn, client: ScreenClient, state: Annotated[AppState, Depends(app_state)]
) -> AppealOut:
    """Queue the affected user's appeal against a confirmed decision on one of the
    caller's items (403 if the item names another affected user; 409 if the decision
    was reversed or has an undecided appeal)."""
    appeal = appeals.submit_appeal(
        state.db, client, body.decision_id, body.appellant_id, body.reason
    )
    return AppealOut.model_validate(appeal)


@router.get("/v1/appeals/{appeal_id}", responses=problem_responses(404))
def get_appeal(
    appeal_id: RecordId, client: ScreenClient, state: Annotated[AppState, Depends(app_state)]
) -> AppealOut:
    """One of the caller's appeals and where it stands."""
    return AppealOut.model_validate(appeals.get_appeal(state.db, client, appeal_id))
