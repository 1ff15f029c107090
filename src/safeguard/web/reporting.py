"""Reporting confirmed items to authorities from the UI: the "Report to authorities" step
of a confirmed item's page (draft, read the exact payload, send) and the admins' list of
every report with the authorities' answers.

Drafting sends nothing; "Send" confirms one report and runs its steps once, the worker
(``reporting.service.ReportSender``) retries the rest. Moderators and admins draft and
send; the list is the admins'.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from safeguard.api.state import AppState, app_state
from safeguard.errors import ConfigError, SafeguardError
from safeguard.moderation.people import Role
from safeguard.moderation.queue import ReviewItemView
from safeguard.moderation.ui_sessions import SessionView
from safeguard.reporting import service
from safeguard.reporting.adapter import CLASSIFICATIONS, Authority
from safeguard.reporting.authorities import configured_authorities, provider_from_settings
from safeguard.web.auth import Admin, PostingStaff
from safeguard.web.pages import PageError, redirect, refused, render

router = APIRouter()
CLASSIFICATION_LABELS = {
    "A1": "A1: prepubescent minor, sex act",
    "A2": "A2: prepubescent minor, lascivious exhibition",
    "B1": "B1: pubescent minor, sex act",
    "B2": "B2: pubescent minor, lascivious exhibition",
}


def _authorities(state: AppState) -> dict[str, Authority]:
    return configured_authorities(state.settings)


def authority_context(state: AppState, staff: SessionView, item: ReviewItemView) -> dict[str, Any]:
    """What the item page needs for its "Report to authorities" step."""
    reportable = service.is_confirmed(state.db, item.id)
    reports = service.reports_for_item(state.db, item.id)
    try:
        names = list(_authorities(state))
        problem = None if names else "No authority is configured (SAFEGUARD_REPORT_JURISDICTIONS)."
    except ConfigError as exc:
        names, problem = [], exc.detail
    return {
        "authority": {
            "shown": reportable or bool(reports),
            "reportable": reportable,
            "may_report": staff.user.role.includes(Role.MODERATOR),
            "names": names,
            "problem": problem,
            "reports": reports,
            "classifications": {c: CLASSIFICATION_LABELS[c] for c in CLASSIFICATIONS},
            "annotations": service.ANNOTATIONS,
        }
    }


def _allowed(staff: SessionView) -> None:
    if not staff.user.role.includes(Role.MODERATOR):
        raise PageError(403, "Not allowed", "This needs the moderator role.", staff)


@router.post("/items/{item_id}/authority-reports")
def draft(
    request: Request,
    staff: PostingStaff,
    item_id: str,
    classification: Annotated[str, Form()] = "",
    annotations: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """Draft the item's report to every configured authority (nothing is sent), then
    show the item with the payloads."""
    _allowed(staff)
    state = app_state(request)
    try:
        service.draft(
            state.db,
            item_id,
            staff.user,
            _authorities(state),
            classification=classification,
            annotations=annotations or [],
            keyring=state.keyring,
            provider=provider_from_settings(state.settings),
        )
    except SafeguardError as exc:
        raise refused(exc, staff) from None
    return redirect(request, f"/items/{item_id}#authority")


@router.post("/authority-reports/{report_id}/send")
def send(request: Request, staff: PostingStaff, report_id: str) -> Response:
    """Confirm the drafted report and run its steps once; show its item again."""
    _allowed(staff)
    state = app_state(request)
    try:
        report = service.get_report(state.db, report_id)
        authority = _authorities(state).get(report.authority)
        if authority is None:
            raise PageError(409, "Not done", f"{report.authority} is no longer configured.", staff)
        service.confirm(state.db, report_id, staff.user)
        service.advance(
            state.db,
            report_id,
            authority,
            state.keyring,
            hold=timedelta(days=state.settings.evidence_hold_days),
        )
    except SafeguardError as exc:
        raise refused(exc, staff) from None
    return redirect(request, f"/items/{report.item_id}#authority")


@router.get("/reports")
def reports(request: Request, staff: Admin) -> Response:
    """Every report to an authority: state, remote id, attempts, errors and answers."""
    found = service.list_reports(app_state(request).db)
    return render(request, "reports.html", staff=staff, reports=found)
