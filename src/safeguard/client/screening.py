"""Screening: uploads, text and URLs, hash lookups, jobs and the audit records."""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from safeguard.client.calls import Call, Upload, form, model, operation, present
from safeguard.client.models import Job, Screening, ScreeningRecord


def _screening_or_job(response: httpx.Response) -> Screening | Job:
    """A decision, or (``202``) the job screening a long video in the background."""
    if response.status_code == 202:
        return Job.model_validate_json(response.content)
    return Screening.model_validate_json(response.content)


class ScreeningEndpoints:
    @operation("POST", "/v1/screen")
    def screen(
        self,
        content: Upload | None = None,
        *,
        text: str | None = None,
        url: str | None = None,
        content_id: str | None = None,
        uploader_id: str | None = None,
        uploader_ip: str | None = None,
        uploader_port: int | None = None,
        file_name: str = "upload",
    ) -> Call[Screening | Job]:
        """Screen an image or a video, and the text or URL posted with it (or the text
        or URL alone), before it is published: a ``Screening`` deciding ``block``,
        ``review`` or ``allow``, or for a long video a ``Job`` to follow with
        ``get_job``. Never retried once sent (it would screen twice)."""
        fields = present(
            text=text,
            url=url,
            content_id=content_id,
            uploader_id=uploader_id,
            uploader_ip=uploader_ip,
            uploader_port=uploader_port,
        )
        return Call(_screening_or_job, files=form(content, file_name, **fields))

    @operation("POST", "/v1/lookup")
    def lookup(
        self,
        signals: Mapping[str, str] | None = None,
        *,
        text: str | None = None,
        qualities: Mapping[str, int] | None = None,
        content_id: str | None = None,
        uploader_id: str | None = None,
    ) -> Call[Screening]:
        """Decide on hashes computed by the caller (signal type to value, e.g.
        ``{"pdq": "<64 hex>"}``, ``{"url": ...}``), or a text's URLs and keywords."""
        body = present(
            signals=dict(signals or {}),
            text=text,
            qualities=dict(qualities or {}),
            content_id=content_id,
            uploader_id=uploader_id,
        )
        return Call(model(Screening), json=body)

    @operation("GET", "/v1/jobs/{job_id}")
    def get_job(self, job_id: str) -> Call[Job]:
        """A screening job: queued, running (with its progress), done (with the
        decision) or failed (with the problem)."""
        return Call(model(Job), path={"job_id": job_id})

    @operation("GET", "/v1/screenings/{screening_id}")
    def get_screening(self, screening_id: str) -> Call[ScreeningRecord]:
        """The audit record of one of the caller's screenings."""
        return Call(model(ScreeningRecord), path={"screening_id": screening_id})
