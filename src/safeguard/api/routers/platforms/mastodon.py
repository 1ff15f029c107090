"""Mastodon's admin webhooks: each new or edited local status's media is fetched from
the server, screened, and a status with flagged media is reported through Mastodon's
reports API, once however often the delivery comes (``docs/integration.md``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from safeguard.api.openapi import problem_responses
from safeguard.api.state import AppState, app_state
from safeguard.api.uploads import screen_bytes
from safeguard.errors import NotFound, SafeguardError
from safeguard.integrations import mastodon
from safeguard.integrations.fetch import FetchFailed, MediaTooLarge, fetch
from safeguard.integrations.mastodon import SIGNATURE_HEADER, StatusEvent, UpstreamFailed
from safeguard.screening.service import Requester, ScreeningResult

PATH = "/v1/integrations/mastodon/webhook"

router = APIRouter()


class MastodonWebhookOut(BaseModel):
    """What was done with a delivery."""

    event: str
    status_id: str | None = Field(description="None for events other than status.*")
    screening_ids: list[str] = Field(description="One screening per media attachment fetched.")
    decision: str | None = Field(description="The strictest decision of the status's media.")
    skipped: int = Field(description="Attachments not screened: elsewhere, too large, undecodable.")
    report_id: str | None = Field(description="The Mastodon report filed, now or before.")
    already_reported: bool = Field(description="The status was reported by an earlier delivery.")


@router.post(PATH, responses=problem_responses(400, 401, 404, 413, 422, 502, 503))
async def webhook(
    request: Request,
    state: Annotated[AppState, Depends(app_state)],
    signature: Annotated[str, Header(alias=SIGNATURE_HEADER)] = "",
) -> MastodonWebhookOut:
    """A delivery of Mastodon's admin webhooks, signed `X-Hub-Signature:
    sha256=<hex HMAC-SHA256(secret, body)>`. `status.created` and `status.updated` are
    screened; other events are acknowledged and ignored. `502` when Mastodon's media or
    reports API failed: Mastodon delivers again later."""
    settings = state.settings
    if settings.mastodon_url is None or settings.mastodon_webhook_secret is None:
        raise NotFound("the Mastodon integration is off: set SAFEGUARD_MASTODON_URL")
    body = await request.body()
    mastodon.verify(settings.mastodon_webhook_secret, body, signature)
    name = mastodon.event_name(body)
    if name not in mastodon.STATUS_EVENTS:
        return MastodonWebhookOut(
            event=name,
            status_id=None,
            screening_ids=[],
            decision=None,
            skipped=0,
            report_id=None,
            already_reported=False,
        )
    status = mastodon.parse_status(body)
    client = settings.mastodon_client
    filed = await run_in_threadpool(mastodon.filed_report, state.db, client, status.subject)
    if filed is not None:
        return _answer(status, [], 0, filed, already_reported=True)
    results, skipped = await _screen_media(state, status)
    flagged = [r for r in results if r.decision.value in ("block", "review")]
    report_id = None
    if flagged:
        ids = [r.screening_id for r in flagged]
        comment = mastodon.report_comment([r.decision.value for r in flagged], ids)
        report_id = await mastodon.file_report(
            settings.mastodon_url,
            settings.mastodon_token or "",
            status,
            comment,
            settings.mastodon_report_category,
            settings.platform_fetch_seconds,
        )
        await run_in_threadpool(
            mastodon.record_report, state.db, client, status.subject, report_id, ids
        )
    return _answer(status, results, skipped, report_id, already_reported=False)


async def _screen_media(state: AppState, status: StatusEvent) -> tuple[list[ScreeningResult], int]:
    """Screen each attachment; the results, and how many could not be screened (on a
    host not configured, over the size caps, or undecodable)."""
    settings = state.settings
    server = settings.mastodon_url or ""
    results: list[ScreeningResult] = []
    skipped = 0
    for attachment in status.attachments:
        if not mastodon.media_allowed(attachment.url, server, settings.mastodon_media_hosts):
            skipped += 1
            continue
        try:
            fetched = await fetch(
                attachment.url,
                max_bytes=state.limits.largest_bytes,
                seconds=settings.platform_fetch_seconds,
            )
        except MediaTooLarge:
            skipped += 1
            continue
        except FetchFailed as exc:
            raise UpstreamFailed(f"media {attachment.id}: {exc}") from None
        if fetched.status != 200:
            raise UpstreamFailed(f"media {attachment.id}: Mastodon answered {fetched.status}")
        requester = Requester(
            settings.mastodon_client,
            "mastodon",
            content_id=f"{status.subject}:media:{attachment.id}",
            uploader_id=status.account_id,
        )
        facts = {"platform": "mastodon", "status_id": status.status_id, "url": attachment.url}
        try:
            screened = await screen_bytes(
                state, fetched.data, requester, facts, digests_if_unsupported=True
            )
        except SafeguardError as exc:
            if exc.status >= 500:
                raise
            skipped += 1  # undecodable or over a pixel cap: nothing to hash
            continue
        results.append(screened)
    return results, skipped


def _answer(
    status: StatusEvent,
    results: list[ScreeningResult],
    skipped: int,
    report_id: str | None,
    *,
    already_reported: bool,
) -> MastodonWebhookOut:
    decisions = {r.decision.value for r in results}
    strictest = next((d for d in ("block", "review", "allow") if d in decisions), None)
    return MastodonWebhookOut(
        event=status.event,
        status_id=status.status_id,
        screening_ids=[r.screening_id for r in results],
        decision=strictest,
        skipped=skipped,
        report_id=report_id,
        already_reported=already_reported,
    )
