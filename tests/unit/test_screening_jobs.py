"""Screening jobs on SQLite and PostgreSQL: a job is screened once and answers as a
screening does; a worker that dies leaves the job to be taken up again, at most
``MAX_ATTEMPTS`` times; a bad upload fails at once with its problem; the upload is erased
when a job ends; a job is read only by its client."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from sqlalchemy import select

from safeguard.banks import service
from safeguard.banks.models import BankSpec, NewEntry
from safeguard.errors import NotFound
from safeguard.evidence.keys import Keyring
from safeguard.media.content import decode_content
from safeguard.media.decode import DecodeLimits, VideoLimits
from safeguard.screening import jobs
from safeguard.screening.service import Requester, Screener
from safeguard.signals.vpdq import VPDQ
from safeguard.store.db import Database
from safeguard.store.models import ScreeningJob, utcnow
from tests.videos import excerpt, video

KEYS = Keyring([("k1", bytes(range(32)))])
LIMITS = DecodeLimits(max_bytes=50 << 20, max_pixels=50_000_000)
WHO = Requester("platform", "upload", "post-1", "user-1")
FACTS = {"uploader_ip": "192.0.2.7", "uploader_port": 50000, "file_name": "clip.mp4"}


def _bank_a_video(db: Database) -> bytes:
    original = video(seed=31, seconds=15)
    banking = dataclasses.replace(LIMITS, video=VideoLimits(seconds_per_hash=0))
    [value] = VPDQ.hash_content(decode_content(original, banking), views=False)
    with db.session() as session:
        bank = service.create_bank(session, BankSpec("videos"))
        service.add_entries(session, bank, [NewEntry("vpdq", value.value)])
    return original


def _submit(db: Database, data: bytes) -> str:
    return jobs.submit(db, KEYS, data=data, content_type="video", requester=WHO, facts=FACTS)


def _row(db: Database, job_id: str) -> ScreeningJob:
    with db.read_session() as session:
        row = session.scalars(select(ScreeningJob).where(ScreeningJob.id == job_id)).one()
        session.expunge(row)
        return row


def test_a_job_is_screened_once_and_answers_as_a_screening(db: Database) -> None:
    original = _bank_a_video(db)
    job_id = _submit(db, excerpt(original, start=3, seconds=8))
    assert jobs.get(db, job_id, "platform").status == jobs.QUEUED
    claimed = jobs.claim(db, KEYS)
    assert claimed is not None and claimed.id == job_id and claimed.attempt == 1
    assert claimed.requester == WHO and claimed.facts == FACTS
    assert jobs.claim(db, KEYS) is None  # leased: no other worker takes it
    jobs.run(db, Screener(db, 50), LIMITS, claimed)
    done = jobs.get(db, job_id, "platform")
    assert done.status == jobs.DONE and done.progress == 1.0 and done.error is None
    assert done.result is not None and done.result["decision"] == "block"
    [match] = done.result["matches"]
    assert match["signal_type"] == "vpdq" and match["video"]["clip_seconds"] >= 6
    row = _row(db, job_id)
    assert row.content is None and row.details is None  # the upload is erased
    assert jobs.claim(db, KEYS, now=utcnow() + timedelta(hours=1)) is None


def test_a_dead_worker_s_job_is_retried_then_given_up(db: Database) -> None:
    job_id = _submit(db, video(seed=32, seconds=2))
    later = utcnow()
    for attempt in range(1, jobs.MAX_ATTEMPTS + 1):
        claimed = jobs.claim(db, KEYS, now=later)
        assert claimed is not None and claimed.attempt == attempt
        assert jobs.claim(db, KEYS, now=later) is None  # still leased
        later += jobs.LEASE + timedelta(seconds=1)  # the worker died: the lease runs out
    assert jobs.claim(db, KEYS, now=later) is None
    failed = jobs.get(db, job_id, "platform")
    assert failed.status == jobs.FAILED and failed.attempts == jobs.MAX_ATTEMPTS
    assert failed.error is not None and failed.error["status"] == 500
    assert _row(db, job_id).content is None


def test_a_bad_upload_fails_at_once_with_its_problem(db: Database) -> None:
    job_id = _submit(db, video(seed=33, seconds=4)[:3000])
    claimed = jobs.claim(db, KEYS)
    assert claimed is not None
    jobs.run(db, Screener(db, 50), LIMITS, claimed)
    failed = jobs.get(db, job_id, "platform")
    assert failed.status == jobs.FAILED and failed.attempts == 1
    assert failed.error is not None and failed.error["status"] in (415, 422)
    assert failed.error["type"].startswith("https://")


def test_only_its_client_reads_a_job(db: Database) -> None:
    job_id = _submit(db, video(seed=34, seconds=2))
    with pytest.raises(NotFound):
        jobs.get(db, job_id, "someone-else")
    assert jobs.get(db, job_id, "platform").id == job_id


def test_ended_jobs_are_forgotten_after_the_retention(db: Database) -> None:
    ended, waiting = _submit(db, video(seed=35, seconds=2)), _submit(db, video(seed=36, seconds=2))
    claimed = jobs.claim(db, KEYS)
    assert claimed is not None and claimed.id == ended
    jobs.run(db, Screener(db, 50), LIMITS, claimed)
    assert jobs.forget_ended(db, before=utcnow() - timedelta(days=7)) == 0
    assert jobs.forget_ended(db, before=utcnow() + timedelta(seconds=1)) == 1
    with pytest.raises(NotFound):
        jobs.get(db, ended, "platform")
    assert jobs.get(db, waiting, "platform").status == jobs.QUEUED
