"""Fetching a platform's media to screen it: one GET, capped in bytes and in time,
redirects not followed (the URL is built from, or checked against, configured hosts)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass

import httpx


class FetchFailed(Exception):
    """The media could not be had: the server was unreachable, slow or answered badly."""


class MediaTooLarge(FetchFailed):
    """The media is larger than Safeguard screens."""


@dataclass(frozen=True)
class Fetched:
    """A server's answer: its status, its headers and its body."""

    status: int
    headers: httpx.Headers
    data: bytes


async def fetch(
    url: str,
    *,
    max_bytes: int,
    seconds: float,
    headers: Mapping[str, str] | None = None,
    params: Mapping[str, str] | None = None,
) -> Fetched:
    """GET ``url``; ``FetchFailed`` if it takes longer than ``seconds`` in all or cannot be
    reached, ``MediaTooLarge`` once the body (declared or received) passes ``max_bytes``."""
    try:
        async with (
            asyncio.timeout(seconds),
            httpx.AsyncClient(follow_redirects=False) as client,
            client.stream("GET", url, headers=headers, params=params) as response,
        ):
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise MediaTooLarge(f"the media is over the limit of {max_bytes} bytes")
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > max_bytes:
                    raise MediaTooLarge(f"the media is over the limit of {max_bytes} bytes")
            return Fetched(response.status_code, response.headers, bytes(body))
    except TimeoutError:
        raise FetchFailed(f"no answer within {seconds:g} seconds") from None
    except httpx.HTTPError as exc:
        raise FetchFailed(f"the request failed ({type(exc).__name__})") from None
