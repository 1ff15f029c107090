"""Screening uploaded bytes: the path ``POST /v1/screen`` and the platform plug-ins share
(decode within the limits, hash, screen, keep flagged content as evidence, count)."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping
from functools import partial

from starlette.concurrency import run_in_threadpool

from safeguard.api.state import AppState
from safeguard.errors import UnsupportedMedia
from safeguard.media.content import Content, decode_content
from safeguard.screening.service import Requester, ScreeningResult, Upload
from safeguard.screening.signals import hash_content


async def decode_upload(state: AppState, data: bytes) -> Content:
    """``data`` decoded within the service's limits (a problem if it cannot be)."""
    return await run_in_threadpool(decode_content, data, state.limits)


async def screen_decoded(
    state: AppState,
    content: Content,
    data: bytes,
    requester: Requester,
    facts: Mapping[str, object],
    started: float,
    *,
    text: str | None = None,
    url: str | None = None,
) -> ScreeningResult:
    """Hash decoded content and screen it, with the ``text`` and ``url`` sent with it (if
    any); ``data`` and ``facts`` are kept (encrypted) if the decision flags it and an
    evidence vault is configured."""
    signals = await run_in_threadpool(hash_content, content)
    kept = Upload(data, content.content_type, facts)
    screen = partial(state.screener.screen, upload=kept, text=text, url=url)
    result = await run_in_threadpool(screen, signals, requester)
    observe(state, result.decision.value, requester.source, started)
    return result


async def screen_bytes(
    state: AppState,
    data: bytes,
    requester: Requester,
    facts: Mapping[str, object],
    *,
    digests_if_unsupported: bool = False,
) -> ScreeningResult:
    """Decode and screen ``data`` synchronously (never as a job). With
    ``digests_if_unsupported``, content that is no image or video (a PDF sent in a chat)
    is looked up by its MD5 and SHA-256 instead of being refused."""
    started = time.perf_counter()
    try:
        content = await decode_upload(state, data)
    except UnsupportedMedia:
        if not digests_if_unsupported:
            raise
        digests = {"md5": hashlib.md5(data).hexdigest(), "sha256": hashlib.sha256(data).hexdigest()}
        result = await run_in_threadpool(partial(state.screener.lookup, digests, requester))
        observe(state, result.decision.value, requester.source, started)
        return result
    return await screen_decoded(state, content, data, requester, facts, started)


def observe(state: AppState, decision: str, source: str, started: float) -> None:
    """Count a screening and its time in the metrics."""
    state.metrics.screenings.labels(decision=decision, source=source).inc()
    state.metrics.screening_seconds.labels(source=source).observe(time.perf_counter() - started)
