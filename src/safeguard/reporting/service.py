"""Reports of confirmed items to authorities, as a state machine stored in
``authority_reports``.

``draft`` builds the case of a confirmed item (its uploads' evidence, read from the vault
and recorded as read) and stores one report per authority, ``drafted``, with the exact
payload the moderator is shown. Nothing is sent before ``confirm`` (a moderator or admin;
``confirmed``). ``advance`` then runs the steps left, each answer persisted before the
next step: submitted (the authority's id stored), each file uploaded and described,
finished. Every request and answer is an ``authority_exchanges`` row (never content).

A step that fails with a retryable error (timeout, connection, 5xx) is tried again at
``next_attempt_at``, with backoff; ``run_due`` (the ``ReportSender`` thread of each API
worker) advances every due report. A step already done is never repeated: the remote ids
are stored before moving on. A non-retryable error, or a report submitted more than
``SUBMIT_DEADLINE`` ago and still not finished (NCMEC deletes reports left open), has the
report retracted: a report is never left half-sent and forgotten. A finished report puts
its evidence under legal hold until ``finished_at`` + SAFEGUARD_EVIDENCE_HOLD_DAYS.

Only one process works a report at a time: ``advance`` first takes a lease (a
conditional UPDATE of ``next_attempt_at``), so the worker and a moderator's "Send" never
both submit.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from safeguard import events
from safeguard.config import Settings
from safeguard.errors import BadRequest, Conflict, Forbidden, NotFound, SafeguardError
from safeguard.events import (
    SYSTEM_ACTOR,
    AuthorityReportConfirmed,
    AuthorityReportDrafted,
    AuthorityReportFinished,
    AuthorityReportRetracted,
    AuthorityReportSubmitted,
)
from safeguard.evidence import vault
from safeguard.evidence.keys import Keyring
from safeguard.moderation.decisions import latest_decision_id
from safeguard.moderation.intake import item_screening_ids
from safeguard.moderation.people import Role, UserView, user_view
from safeguard.moderation.retention import DEFAULT_HOLD
from safeguard.reporting.adapter import (
    CLASSIFICATIONS,
    Authority,
    AuthorityError,
    Case,
    Provider,
    Reply,
)
from safeguard.reporting.cases import aware, build_case, case_file
from safeguard.store.db import Database, changed_rows
from safeguard.store.models import (
    AuthorityExchange,
    AuthorityReport,
    AuthorityReportFile,
    ReviewDecision,
    ReviewItem,
    User,
    utcnow,
)
from safeguard.workers import PeriodicWorker

log = logging.getLogger("safeguard.reporting")

DRAFTED, CONFIRMED, SUBMITTED, FINISHED, RETRACTED = (
    "drafted",
    "confirmed",
    "submitted",
    "finished",
    "retracted",
)
STATES = (DRAFTED, CONFIRMED, SUBMITTED, FINISHED, RETRACTED)
ACTIVE = (CONFIRMED, SUBMITTED)
"""States with steps left to run."""
PENDING, UPLOADED, DESCRIBED, LISTED = "pending", "uploaded", "described", "listed"
"""File states: ``listed`` for an authority that takes no files (only their facts)."""

ANNOTATIONS = (
    "animeDrawingVirtualHentai",
    "potentialMeme",
    "viral",
    "possibleSelfProduction",
    "physicalHarm",
    "violenceGore",
    "bestiality",
    "liveStreaming",
    "infant",
    "generativeAi",
)
"""What a moderator may add about the content (NCMEC's file annotations)."""
MAX_ANNOTATIONS = len(ANNOTATIONS)
MAX_FILES = 20  # evidence objects in one report (repeat uploads of the same content)
SUBMIT_DEADLINE = timedelta(minutes=50)
"""A submitted report not finished after this long is retracted (NCMEC deletes a report
left open an hour after its last change)."""
LEASE = timedelta(minutes=5)
"""How long ``advance`` holds a report while working on it (longer than its requests)."""
FIRST_RETRY = timedelta(seconds=30)
LONGEST_RETRY = timedelta(minutes=10)
SEND_EVERY = timedelta(seconds=30)
_MAX_DETAIL = 2000
DRAFT_STEP = "draft"
"""The exchange recording a draft's choices (classification, annotations), no content."""


@dataclass(frozen=True)
class ReportFileView:
    evidence_id: str
    file_name: str
    md5: str
    sha1: str
    remote_file_id: str | None
    state: str


@dataclass(frozen=True)
class ExchangeView:
    at: datetime
    step: str
    status_code: int | None
    detail: str


@dataclass(frozen=True)
class ReportView:
    """A report as the faces show it: its payload, state, files and the authority's
    answers (no content)."""

    id: str
    item_id: str
    authority: str
    environment: str
    state: str
    payload: str
    remote_id: str | None
    drafted_by: str
    confirmed_by: str | None
    created_at: datetime
    updated_at: datetime
    confirmed_at: datetime | None
    submitted_at: datetime | None
    finished_at: datetime | None
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    files: tuple[ReportFileView, ...] = ()
    exchanges: tuple[ExchangeView, ...] = ()


def validate_annotations(annotations: Collection[str]) -> tuple[str, ...]:
    """The annotations, each known and once; BadRequest otherwise."""
    chosen = tuple(dict.fromkeys(annotations))
    if len(chosen) > MAX_ANNOTATIONS:
        raise BadRequest(f"at most {MAX_ANNOTATIONS} annotations")
    unknown = [a for a in chosen if a not in ANNOTATIONS]
    if unknown:
        raise BadRequest(f"unknown annotation {unknown[0][:64]!r}: use {', '.join(ANNOTATIONS)}")
    return chosen


def validate_classification(classification: str) -> str:
    if classification not in CLASSIFICATIONS:
        raise BadRequest(f"unknown classification: use {', '.join(CLASSIFICATIONS)}")
    return classification


def is_confirmed(db: Database, item_id: str) -> bool:
    """Whether the item's latest decision is ``confirmed`` (it may then be reported)."""
    with db.read_session() as session:
        return _confirming_decision(session, item_id) is not None


def draft(
    db: Database,
    item_id: str,
    user: UserView,
    authorities: Mapping[str, Authority] | Sequence[Authority],
    *,
    classification: str,
    annotations: Collection[str] = (),
    keyring: Keyring | None,
    provider: Provider,
) -> list[ReportView]:
    """Draft a report of the confirmed item ``item_id`` to each authority, as ``user``
    (a moderator or admin); nothing is sent. A draft replaces an earlier draft or a
    retracted report of the same item to the same authority; Conflict for one being sent
    or sent. NotFound for an unknown item; BadRequest for an item whose latest decision
    is not ``confirmed``, without kept evidence, or for unknown annotations."""
    chosen = validate_classification(classification)
    notes = validate_annotations(annotations)
    targets = list(authorities.values()) if isinstance(authorities, Mapping) else list(authorities)
    if not targets:
        raise BadRequest("no authority is configured: set SAFEGUARD_REPORT_JURISDICTIONS")
    if keyring is None:
        raise BadRequest("the evidence vault is not configured: there is nothing to report")
    with db.read_session() as session:
        _acting(session, user)
        if session.get(ReviewItem, item_id) is None:
            raise NotFound(f"no review item {item_id!r}")
        decision = _confirming_decision(session, item_id)
        if decision is None:
            raise BadRequest("only an item whose latest decision is confirmed can be reported")
        moderator = session.scalar(select(User.name).where(User.id == decision.user_id)) or ""
        confirmed_at = decision.decided_at
        evidence_ids = vault.find(session, item_screening_ids(session, item_id))[:MAX_FILES]
        busy = session.scalars(
            select(AuthorityReport.authority).where(
                AuthorityReport.review_item_id == item_id,
                AuthorityReport.authority.in_([a.name for a in targets]),
                AuthorityReport.state.not_in([DRAFTED, RETRACTED]),
            )
        ).all()
    if busy:
        raise Conflict(f"the item's report to {busy[0]} is being sent or was sent already")
    if not evidence_ids:
        raise BadRequest("no evidence was kept for this item: there is nothing to report")
    case = build_case(
        db, keyring, item_id, evidence_ids, user, chosen, notes, provider, moderator, confirmed_at
    )
    payloads = [(a, a.payload(case)) for a in targets]  # BadRequest before anything is stored
    ids = []
    with db.session() as session:
        for authority, payload in payloads:
            ids.append(_store_draft(session, item_id, authority, payload, case, user))
    return [get_report(db, i) for i in ids]


def confirm(db: Database, report_id: str, user: UserView) -> ReportView:
    """``user`` (a moderator or admin) confirms the drafted report: it may be sent, and
    its payload is fixed. BadRequest if its item is no longer confirmed; Conflict if the
    report is not a draft."""
    now = utcnow()
    with db.session() as session:
        actor = _acting(session, user)
        report = _report(session, report_id)
        if _confirming_decision(session, report.review_item_id) is None:
            raise BadRequest("the item's latest decision is no longer confirmed")
        confirmed = (
            update(AuthorityReport)
            .where(AuthorityReport.id == report_id, AuthorityReport.state == DRAFTED)
            .values(
                state=CONFIRMED,
                confirmed_by=actor.name,
                confirmed_at=now,
                updated_at=now,
                next_attempt_at=now,
                attempts=0,
                last_error=None,
            )
        )
        if changed_rows(session, confirmed) != 1:
            raise Conflict(f"the report is {report.state}, not drafted")
        events.record(
            session,
            AuthorityReportConfirmed(
                actor.name, report_id, report.authority, report.review_item_id, CONFIRMED
            ),
        )
    return get_report(db, report_id)


def advance(
    db: Database,
    report_id: str,
    authority: Authority,
    keyring: Keyring | None,
    now: datetime | None = None,
    *,
    hold: timedelta = DEFAULT_HOLD,
) -> ReportView:
    """Run the report's steps left, as far as they go; the report as it is then. Does
    nothing to a report that is not due, not confirmed or submitted, or being worked on
    by another process."""
    at = now or utcnow()
    if not _lease(db, report_id, at):
        return get_report(db, report_id)
    try:
        _run_steps(db, report_id, authority, keyring, at, hold)
    except AuthorityError as exc:
        _failed(db, report_id, authority, exc, at)
    except SafeguardError as exc:  # e.g. the evidence no longer decrypts: give up for good
        _failed(
            db, report_id, authority, AuthorityError("evidence", exc.detail, retryable=False), at
        )
    return get_report(db, report_id)


def run_due(
    db: Database,
    authorities: Mapping[str, Authority],
    keyring: Keyring | None,
    now: datetime | None = None,
    *,
    hold: timedelta = DEFAULT_HOLD,
) -> int:
    """Advance every report due at ``now`` whose authority is configured; how many."""
    at = now or utcnow()
    query = (
        select(AuthorityReport.id, AuthorityReport.authority)
        .where(
            AuthorityReport.state.in_(ACTIVE),
            or_(AuthorityReport.next_attempt_at.is_(None), AuthorityReport.next_attempt_at <= at),
        )
        .order_by(AuthorityReport.next_attempt_at)
        .limit(100)
    )
    with db.read_session() as session:
        due = session.execute(query).all()
    done = 0
    for report_id, name in due:
        authority = authorities.get(name)
        if authority is None:
            continue
        advance(db, report_id, authority, keyring, at, hold=hold)
        done += 1
    return done


def get_report(db: Database, report_id: str) -> ReportView:
    """The report with its files and exchanges; NotFound for an unknown id."""
    with db.read_session() as session:
        return _view(session, _report(session, report_id), full=True)


def list_reports(db: Database, limit: int = 200) -> list[ReportView]:
    """Every report, newest first, with files and exchanges (for admins)."""
    query = select(AuthorityReport).order_by(AuthorityReport.created_at.desc()).limit(limit)
    with db.read_session() as session:
        return [_view(session, r, full=True) for r in session.scalars(query)]


def reports_for_item(db: Database, item_id: str) -> list[ReportView]:
    """The item's reports, by authority, with their files and exchanges."""
    query = (
        select(AuthorityReport)
        .where(AuthorityReport.review_item_id == item_id)
        .order_by(AuthorityReport.authority)
    )
    with db.read_session() as session:
        return [_view(session, r, full=True) for r in session.scalars(query)]


class ReportSender(PeriodicWorker):
    """Advances due reports at start and then every ``interval``, on a daemon thread."""

    def __init__(
        self,
        db: Database,
        authorities: Mapping[str, Authority],
        keyring: Keyring | None,
        interval: timedelta = SEND_EVERY,
        hold: timedelta = DEFAULT_HOLD,
    ) -> None:
        super().__init__("report-sender", "sending reports to authorities", interval, log)
        self.db = db
        self.authorities = dict(authorities)
        self.keyring = keyring
        self.hold = hold

    def run_pass(self, stop: threading.Event) -> bool:
        run_due(self.db, self.authorities, self.keyring, hold=self.hold)
        return False


def _acting(session: Session, user: UserView) -> User:
    row = session.get(User, user.id)
    if row is None or row.disabled_at is not None:
        raise Forbidden("this user may no longer work the review queue")
    if not user_view(row).role.includes(Role.MODERATOR):
        raise Forbidden("reports to authorities need the moderator role")
    return row


def _confirming_decision(session: Session, item_id: str) -> ReviewDecision | None:
    """The item's latest decision, if it is ``confirmed``."""
    latest = latest_decision_id(session, item_id)
    if latest is None:
        return None
    decision = session.get(ReviewDecision, latest)
    return decision if decision is not None and decision.outcome == "confirmed" else None


def _report(session: Session, report_id: str) -> AuthorityReport:
    report = session.get(AuthorityReport, report_id, populate_existing=True)
    if report is None:
        raise NotFound(f"no authority report {report_id!r}")
    return report


def _store_draft(
    session: Session,
    item_id: str,
    authority: Authority,
    payload: str,
    case: Case,
    user: UserView,
) -> str:
    """Store (or replace) the item's draft to ``authority``; its id."""
    now = utcnow()
    report = session.scalars(
        select(AuthorityReport).where(
            AuthorityReport.review_item_id == item_id, AuthorityReport.authority == authority.name
        )
    ).one_or_none()
    if report is None:
        report = AuthorityReport(
            review_item_id=item_id, authority=authority.name, created_at=now, attempts=0
        )
        session.add(report)
    elif report.state not in (DRAFTED, RETRACTED):
        raise Conflict(f"the item's report to {authority.name} is {report.state} already")
    else:
        session.execute(
            delete(AuthorityReportFile).where(AuthorityReportFile.report_id == report.id),
            execution_options={"synchronize_session": False},
        )
    report.environment = authority.environment
    report.state = DRAFTED
    report.payload = payload
    report.remote_id = None
    report.drafted_by = user.name
    report.confirmed_by = None
    report.confirmed_at = report.submitted_at = report.finished_at = None
    report.updated_at = now
    report.attempts = 0
    report.next_attempt_at = None
    report.last_error = None
    session.flush()
    file_state = PENDING if authority.sends_files else LISTED
    session.add_all(
        AuthorityReportFile(
            report_id=report.id,
            evidence_id=f.evidence_id,
            file_name=f.file_name[:256],
            md5=f.md5,
            sha1=f.sha1,
            state=file_state,
        )
        for f in case.files
    )
    choices = {
        "classification": case.files[0].classification,
        "annotations": list(case.files[0].annotations),
    }
    _exchange(session, report.id, DRAFT_STEP, None, json.dumps(choices))
    events.record(
        session, AuthorityReportDrafted(user.name, report.id, authority.name, item_id, DRAFTED)
    )
    return report.id


def _lease(db: Database, report_id: str, at: datetime) -> bool:
    """Take the report for ``LEASE`` if it is active and due; whether it was taken."""
    with db.session() as session:
        _report(session, report_id)
        taken = (
            update(AuthorityReport)
            .where(
                AuthorityReport.id == report_id,
                AuthorityReport.state.in_(ACTIVE),
                or_(
                    AuthorityReport.next_attempt_at.is_(None),
                    AuthorityReport.next_attempt_at <= at,
                ),
            )
            .values(next_attempt_at=at + LEASE)
        )
        return changed_rows(session, taken) == 1


def _exchange(session: Session, report_id: str, step: str, code: int | None, detail: str) -> None:
    session.add(
        AuthorityExchange(
            report_id=report_id, step=step, status_code=code, detail=detail[:_MAX_DETAIL]
        )
    )


def _record(db: Database, report_id: str, step: str, reply: Reply, **changes: Any) -> None:
    """Persist a step's answer and what it changed, in one transaction."""
    with db.session() as session:
        detail = reply.detail + (f" (id {reply.value})" if reply.value else "")
        _exchange(session, report_id, step, reply.status_code, detail)
        if changes:
            session.execute(
                update(AuthorityReport).where(AuthorityReport.id == report_id).values(**changes),
                execution_options={"synchronize_session": False},
            )


def _deadline_passed(report: AuthorityReport, at: datetime) -> bool:
    return report.submitted_at is not None and at - aware(report.submitted_at) > SUBMIT_DEADLINE


def _run_steps(
    db: Database,
    report_id: str,
    authority: Authority,
    keyring: Keyring | None,
    at: datetime,
    hold: timedelta,
) -> None:
    with db.read_session() as session:
        report = _report(session, report_id)
        state, payload, remote_id = report.state, report.payload, report.remote_id
        item_id = report.review_item_id
        if _deadline_passed(report, at):
            raise AuthorityError(
                "deadline", f"not finished within {SUBMIT_DEADLINE} of submitting", retryable=False
            )
    if state == CONFIRMED or remote_id is None:
        reply = authority.submit(payload)
        if not reply.value:
            raise AuthorityError("submit", "the authority gave no report id", retryable=False)
        remote_id = reply.value
        with db.session() as session:
            _exchange(
                session, report_id, "submit", reply.status_code, f"{reply.detail} (id {remote_id})"
            )
            session.execute(
                update(AuthorityReport)
                .where(AuthorityReport.id == report_id)
                .values(
                    state=SUBMITTED,
                    remote_id=remote_id[:128],
                    submitted_at=at,
                    updated_at=at,
                    last_error=None,
                ),
                execution_options={"synchronize_session": False},
            )
            events.record(
                session,
                AuthorityReportSubmitted(
                    SYSTEM_ACTOR, report_id, authority.name, item_id, SUBMITTED, remote_id
                ),
            )
    if authority.sends_files:
        _send_files(db, report_id, remote_id, authority, keyring, at)
    reply = authority.finish(remote_id)
    with db.session() as session:
        _exchange(session, report_id, "finish", reply.status_code, reply.detail)
        finished = (
            update(AuthorityReport)
            .where(AuthorityReport.id == report_id, AuthorityReport.state == SUBMITTED)
            .values(
                state=FINISHED, finished_at=at, updated_at=at, next_attempt_at=None, last_error=None
            )
        )
        if changed_rows(session, finished) != 1:
            return
        evidence_ids = session.scalars(
            select(AuthorityReportFile.evidence_id).where(
                AuthorityReportFile.report_id == report_id
            )
        ).all()
        until = max(at, utcnow()) + hold
        reason = f"reported to {authority.name} ({remote_id[:64]}), review item {item_id}"
        for evidence_id in evidence_ids:
            try:
                with session.begin_nested():
                    vault.hold(session, evidence_id, until=until, reason=reason, actor=SYSTEM_ACTOR)
            except NotFound:  # purged meanwhile; the report stands
                log.warning("evidence %s of report %s is gone: not held", evidence_id, report_id)
        events.record(
            session,
            AuthorityReportFinished(
                SYSTEM_ACTOR, report_id, authority.name, item_id, FINISHED, remote_id
            ),
        )


def _send_files(
    db: Database,
    report_id: str,
    remote_id: str,
    authority: Authority,
    keyring: Keyring | None,
    at: datetime,
) -> None:
    """Upload and describe each file not done yet, each answer stored before the next;
    each file's facts and content are read again from the vault (the read recorded)."""
    with db.read_session() as session:
        rows = session.scalars(
            select(AuthorityReportFile)
            .where(AuthorityReportFile.report_id == report_id)
            .order_by(AuthorityReportFile.id)
        ).all()
        files = [(r.id, r.evidence_id, r.state, r.remote_file_id) for r in rows]
        chosen = session.scalar(
            select(AuthorityExchange.detail)
            .where(AuthorityExchange.report_id == report_id, AuthorityExchange.step == DRAFT_STEP)
            .order_by(AuthorityExchange.id.desc())
            .limit(1)
        )
    choices = json.loads(chosen) if chosen else {}
    classification = str(choices.get("classification", ""))
    annotations = tuple(str(a) for a in choices.get("annotations", ()))
    for row_id, evidence_id, state, file_id in files:
        if state not in (PENDING, UPLOADED):
            continue
        if keyring is None:
            raise AuthorityError("upload", "the evidence vault is not configured", retryable=True)
        read = vault.read(
            db,
            keyring,
            evidence_id,
            actor=SYSTEM_ACTOR,
            purpose=f"authority report {report_id} to {authority.name}",
        )
        described = case_file(read, classification, annotations)
        if state == PENDING:
            reply = authority.upload(remote_id, described, read.content)
            if not reply.value:
                raise AuthorityError("upload", "the authority gave no file id", retryable=False)
            file_id = reply.value[:128]
            _record(db, report_id, "upload", reply, updated_at=at)
            _file_state(db, row_id, UPLOADED, file_id)
        reply = authority.describe(remote_id, file_id or "", described)
        _record(db, report_id, "describe", reply, updated_at=at)
        _file_state(db, row_id, DESCRIBED, file_id or "")


def _file_state(db: Database, row_id: int, state: str, file_id: str) -> None:
    with db.session() as session:
        session.execute(
            update(AuthorityReportFile)
            .where(AuthorityReportFile.id == row_id)
            .values(state=state, remote_file_id=file_id),
            execution_options={"synchronize_session": False},
        )


def _backoff(attempts: int) -> timedelta:
    factor: int = 2 ** min(max(attempts - 1, 0), 20)
    return min(FIRST_RETRY * factor, LONGEST_RETRY)


def _failed(
    db: Database, report_id: str, authority: Authority, error: AuthorityError, at: datetime
) -> None:
    """Record a failed step: retry it later if it may succeed before the deadline, else
    retract the report."""
    with db.session() as session:
        report = _report(session, report_id)
        _exchange(session, report_id, error.step, error.status_code, f"failed: {error.detail}")
        attempts = report.attempts + 1
        retry_at = at + _backoff(attempts)
        deadline = aware(report.submitted_at) + SUBMIT_DEADLINE if report.submitted_at else None
        if error.retryable and (deadline is None or at < deadline):
            report.attempts = attempts
            report.next_attempt_at = min(retry_at, deadline) if deadline else retry_at
            report.last_error = f"{error.step}: {error.detail}"[:_MAX_DETAIL]
            report.updated_at = at
            return
        remote_id = report.remote_id
    _retract(db, report_id, authority, remote_id, error, at)


def _retract(
    db: Database,
    report_id: str,
    authority: Authority,
    remote_id: str | None,
    error: AuthorityError,
    at: datetime,
) -> None:
    """Withdraw the report at the authority (if it was opened there) and mark it
    retracted. A withdrawal that fails is recorded: the authority discards unfinished
    reports on its own."""
    note = f"{error.step}: {error.detail}"
    if remote_id is not None:
        try:
            reply = authority.retract(remote_id)
        except AuthorityError as failed:
            with db.session() as session:
                _exchange(
                    session, report_id, "retract", failed.status_code, f"failed: {failed.detail}"
                )
            note += f"; the withdrawal failed too ({failed.detail})"
        else:
            _record(db, report_id, "retract", reply)
    with db.session() as session:
        report = _report(session, report_id)
        report.state = RETRACTED
        report.attempts = report.attempts + 1
        report.next_attempt_at = None
        report.last_error = note[:_MAX_DETAIL]
        report.updated_at = at
        events.record(
            session,
            AuthorityReportRetracted(
                SYSTEM_ACTOR, report_id, authority.name, report.review_item_id, RETRACTED, remote_id
            ),
        )


def _view(session: Session, r: AuthorityReport, *, full: bool) -> ReportView:
    files: tuple[ReportFileView, ...] = ()
    exchanges: tuple[ExchangeView, ...] = ()
    if full:
        files = tuple(
            ReportFileView(f.evidence_id, f.file_name, f.md5, f.sha1, f.remote_file_id, f.state)
            for f in session.scalars(
                select(AuthorityReportFile)
                .where(AuthorityReportFile.report_id == r.id)
                .order_by(AuthorityReportFile.id)
            )
        )
        exchanges = tuple(
            ExchangeView(e.at, e.step, e.status_code, e.detail)
            for e in session.scalars(
                select(AuthorityExchange)
                .where(AuthorityExchange.report_id == r.id)
                .order_by(AuthorityExchange.id)
            )
        )
    return ReportView(
        id=r.id,
        item_id=r.review_item_id,
        authority=r.authority,
        environment=r.environment,
        state=r.state,
        payload=r.payload,
        remote_id=r.remote_id,
        drafted_by=r.drafted_by,
        confirmed_by=r.confirmed_by,
        created_at=r.created_at,
        updated_at=r.updated_at,
        confirmed_at=r.confirmed_at,
        submitted_at=r.submitted_at,
        finished_at=r.finished_at,
        attempts=r.attempts,
        next_attempt_at=r.next_attempt_at,
        last_error=r.last_error,
        files=files,
        exchanges=exchanges,
    )


def report_sender(db: Database, settings: Settings, keyring: Keyring | None) -> ReportSender | None:
    """The worker that retries due report steps for the configured authorities, not yet
    started; None when no authority is configured (ConfigError if their settings are
    incomplete)."""
    from safeguard.reporting.authorities import configured_authorities

    sender = ReportSender(
        db,
        configured_authorities(settings),
        keyring,
        timedelta(seconds=settings.report_interval_seconds),
        timedelta(days=settings.evidence_hold_days),
    )
    return sender if sender.authorities else None
