"""Screening jobs: uploads whose screening takes longer than the request may wait (long
videos), screened in the background and asked after by id.

A job's row holds its state, and until it ends the upload itself, encrypted with the
evidence vault's keys (bound to the job's id), so that a job survives a restart of the
service: every API worker runs a ``JobWorker`` that leases the job due first, screens it
and records the answer. A worker that dies mid-job leaves its lease to expire, and the job
is taken up again, at most ``MAX_ATTEMPTS`` times. The upload is erased when the job ends;
if it was flagged, the screening has kept it in the evidence vault as any upload. An ended
job's row (its answer) is deleted after the retention (``SAFEGUARD_JOB_RETENTION_DAYS``);
the screening's own record stays.

A crash after the screening's commit and before the job's retries the screening: the
answer is the same, and the review queue joins the repeated upload to the same item.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update

from safeguard.errors import PROBLEM_BASE, NotFound, SafeguardError
from safeguard.evidence.keys import Keyring
from safeguard.media.content import decode_content
from safeguard.media.decode import DecodeLimits
from safeguard.media.video import VideoContent
from safeguard.screening.service import Requester, Screener, Upload
from safeguard.screening.signals import hash_content
from safeguard.store.db import Database, changed_rows
from safeguard.store.models import ScreeningJob, new_uuid, utcnow
from safeguard.workers import PeriodicWorker

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
MAX_ATTEMPTS = 3
FORGET_EVERY = timedelta(hours=1)  # how often a worker deletes ended jobs past retention
FORGET_BATCH = 500
LEASE = timedelta(seconds=60)  # a worker that has not reported for this long is gone
REPORT_EVERY_SECONDS = 2.0  # progress is written (and the lease renewed) this often;
# a lease must be longer (SAFEGUARD_JOB_LEASE_SECONDS)
_CONTENT, _DETAILS = "job-content", "job-details"

_log = logging.getLogger("safeguard.jobs")


@dataclass(frozen=True)
class JobView:
    """A job as its client sees it: state, progress (0..1) and, once done, the answer in
    the shape of ``POST /v1/screen``'s, or the problem that ended it."""

    id: str
    status: str
    progress: float
    attempts: int
    created_at: datetime
    finished_at: datetime | None
    result: dict[str, Any] | None
    error: dict[str, Any] | None


def submit(
    db: Database,
    keyring: Keyring,
    *,
    data: bytes,
    content_type: str,
    requester: Requester,
    facts: Mapping[str, object],
) -> str:
    """Queue ``data`` for screening; the job's id."""
    job_id = new_uuid()
    details = {
        "content_type": content_type,
        "content_id": requester.content_id,
        "uploader_id": requester.uploader_id,
        "facts": dict(facts),
    }
    key_id, sealed = keyring.encrypt(data, evidence_id=job_id, part=_CONTENT)
    _, sealed_details = keyring.encrypt(
        json.dumps(details).encode(), evidence_id=job_id, part=_DETAILS
    )
    with db.session() as session:
        session.add(
            ScreeningJob(
                id=job_id,
                client=requester.client,
                status=QUEUED,
                key_id=key_id,
                content=sealed,
                details=sealed_details,
            )
        )
    return job_id


def get(db: Database, job_id: str, client: str) -> JobView:
    """The job, if ``client`` submitted it."""
    with db.read_session() as session:
        job = session.get(ScreeningJob, job_id)
        if job is None or job.client != client:
            raise NotFound(f"no screening job {job_id}")
        return JobView(
            id=job.id,
            status=job.status,
            progress=round(job.progress, 3),
            attempts=job.attempts,
            created_at=job.created_at,
            finished_at=job.finished_at,
            result=job.result,
            error=job.error,
        )


@dataclass(frozen=True)
class Claimed:
    """A leased job and its upload, decrypted."""

    id: str
    attempt: int
    data: bytes
    requester: Requester
    content_type: str
    facts: dict[str, object]
    lease: timedelta


def claim(
    db: Database, keyring: Keyring, now: datetime | None = None, lease: timedelta = LEASE
) -> Claimed | None:
    """Lease the job due first (queued, or running under a lease that has run out),
    counting the attempt; a job out of attempts fails instead. None if none is due."""
    at = now or utcnow()
    with db.session() as session:
        query = (
            select(ScreeningJob.id, ScreeningJob.attempts)
            .where(ScreeningJob.status.in_((QUEUED, RUNNING)), ScreeningJob.lease_until <= at)
            .order_by(ScreeningJob.lease_until, ScreeningJob.created_at)
            .limit(1)
        )
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        row = session.execute(query).first()
        if row is None:
            return None
        job_id, attempts = row
        due = (ScreeningJob.id == job_id, ScreeningJob.lease_until <= at)
        if attempts >= MAX_ATTEMPTS:
            detail = f"the job stopped {attempts} times before it ended; it was given up"
            problem = _problem("job-failed", "Screening job failed", 500, detail)
            session.execute(update(ScreeningJob).where(*due).values(**_ended(FAILED, at, problem)))
            _log.error("screening job %s given up after %d attempts", job_id, attempts)
            return None
        leased = changed_rows(
            session,
            update(ScreeningJob)
            .where(*due)
            .values(status=RUNNING, attempts=attempts + 1, lease_until=at + lease)
            .execution_options(synchronize_session=False),
        )
        if leased != 1:
            return None
        job = session.get(ScreeningJob, job_id)
        assert job is not None and job.content is not None and job.details is not None
        data = keyring.decrypt(job.content, evidence_id=job_id, key_id=job.key_id, part=_CONTENT)
        details = json.loads(
            keyring.decrypt(job.details, evidence_id=job_id, key_id=job.key_id, part=_DETAILS)
        )
        requester = Requester(job.client, "upload", details["content_id"], details["uploader_id"])
        return Claimed(
            job_id,
            attempts + 1,
            data,
            requester,
            details["content_type"],
            details["facts"],
            lease,
        )


def run(db: Database, screener: Screener, limits: DecodeLimits, job: Claimed) -> None:
    """Screen a claimed job and record its answer (or the problem with its upload)."""
    report = _Reporter(db, job.id, job.lease)
    try:
        content = decode_content(job.data, limits)
        if isinstance(content, VideoContent):
            content = replace(content, on_progress=report)
        signals = hash_content(content)
        upload = Upload(job.data, job.content_type, job.facts)
        result = screener.screen(signals, job.requester, None, upload)
    except SafeguardError as exc:  # the upload itself is bad: no retry will help
        _finish(db, job.id, FAILED, None, _problem(exc.slug, exc.title, exc.status, exc.detail))
        return
    _finish(db, job.id, DONE, result.as_dict(), None)


def _finish(
    db: Database,
    job_id: str,
    status: str,
    result: dict[str, Any] | None,
    error: dict[str, Any] | None,
) -> None:
    with db.session() as session:
        values = _ended(status, utcnow(), error) | {"result": result, "progress": 1.0}
        session.execute(update(ScreeningJob).where(ScreeningJob.id == job_id).values(**values))


def _problem(slug: str, title: str, status: int, detail: str) -> dict[str, Any]:
    """A problem+json body (RFC 9457), as the API would have answered it."""
    return {"type": PROBLEM_BASE + slug, "title": title, "status": status, "detail": detail}


def _ended(status: str, at: datetime, error: dict[str, Any] | None) -> dict[str, Any]:
    """The columns of an ended job: its upload erased."""
    return {
        "status": status,
        "finished_at": at,
        "error": error,
        "content": None,
        "details": None,
        "lease_until": at,
    }


def forget_ended(db: Database, before: datetime) -> int:
    """Delete jobs that ended before ``before``, a batch per transaction; how many."""
    forgotten = 0
    while True:
        with db.session() as session:
            ids = list(
                session.scalars(
                    select(ScreeningJob.id)
                    .where(
                        ScreeningJob.status.in_((DONE, FAILED)), ScreeningJob.finished_at < before
                    )
                    .limit(FORGET_BATCH)
                )
            )
            if not ids:
                return forgotten
            session.execute(delete(ScreeningJob).where(ScreeningJob.id.in_(ids)))
        forgotten += len(ids)


class _Reporter:
    """Writes a job's progress and renews its lease, at most every few seconds."""

    def __init__(self, db: Database, job_id: str, lease: timedelta) -> None:
        self.db = db
        self.job_id = job_id
        self.lease = lease
        self._last = 0.0

    def __call__(self, share: float) -> None:
        now = time.monotonic()
        if now - self._last < REPORT_EVERY_SECONDS:
            return
        self._last = now
        with self.db.session() as session:
            session.execute(
                update(ScreeningJob)
                .where(ScreeningJob.id == self.job_id, ScreeningJob.status == RUNNING)
                .values(progress=share, lease_until=utcnow() + self.lease)
            )


class JobWorker(PeriodicWorker):
    """Screens queued jobs, one at a time, in each API worker process."""

    def __init__(
        self,
        db: Database,
        keyring: Keyring,
        screener: Screener,
        limits: DecodeLimits,
        interval: timedelta,
        lease: timedelta = LEASE,
        retention: timedelta = timedelta(days=7),
    ) -> None:
        super().__init__("screening-jobs", "screening queued jobs", interval, _log)
        self.db = db
        self.keyring = keyring
        self.screener = screener
        self.limits = limits
        self.lease = lease
        self.retention = retention
        self._forgot_at: float | None = None

    def run_pass(self, stop: threading.Event) -> bool:
        now = time.monotonic()
        if self._forgot_at is None or now - self._forgot_at >= FORGET_EVERY.total_seconds():
            self._forgot_at = now
            forget_ended(self.db, utcnow() - self.retention)
        job = claim(self.db, self.keyring, lease=self.lease)
        if job is None:
            return False
        run(self.db, self.screener, self.limits, job)
        return not stop.is_set()
