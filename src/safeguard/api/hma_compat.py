"""The request and answer shapes of HMA (Meta's Hasher-Matcher-Actioner, OpenMediaMatch),
and the mapping of Safeguard's values and errors onto them, for ``routers/hma.py``.

Modelled on facebook/ThreatExchange ``hasher-matcher-actioner/src/OpenMediaMatch/``
``schemas/{matching,curation,shared}.py`` and ``blueprints/{matching,curation,hashing}.py``.
HMA answers errors as ``{"message": ...}`` (its ``utils/flask_utils.api_error_handler``),
not as problem+json; HMA clients read that shape, so these routes answer it too.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterable
from typing import Any

from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from safeguard.errors import (
    BadRequest,
    Conflict,
    InvalidName,
    InvalidSignal,
    SafeguardError,
)
from safeguard.screening.policy import Match
from safeguard.signals.registry import signal_type, signal_types

FULL_RATIO = 1.0
"""Every Safeguard bank matches all of its content: HMA's ``matching_enabled_ratio`` 1."""
ENABLED, DISABLED = 1, 0
"""HMA's ``disable_until_ts`` values for content that matches, and that does not."""
NO_DISTANCE = "-"
"""HMA's distance text for matches of exact signal types (``NO_DISTANCE_STR``)."""


class HmaError(BaseModel):
    """HMA's error answer (``schemas/shared.py`` ``ErrorResponse``)."""

    message: str


class BankConfig(BaseModel):
    name: str
    matching_enabled_ratio: float = Field(description="Always 1: Safeguard matches fully.")


class BankCreate(BaseModel):
    name: str = Field(max_length=128)
    enabled_ratio: float | None = Field(default=FULL_RATIO, description="Only 1 is accepted.")
    enabled: bool | None = None


class BankUpdate(BaseModel):
    name: str | None = Field(default=None, description="Renaming is not supported.")
    enabled_ratio: float | None = None
    enabled: bool | None = None


class MatchWithDistance(BaseModel):
    bank_content_id: int
    distance: str = Field(description="The distance as text; '-' for exact signal types.")


class RawLookupAnswer(BaseModel):
    matches: list[MatchWithDistance] | list[int]


class ContentAdded(BaseModel):
    id: int = Field(description="The content item's id: HMA's bank_content_id.")
    signals: dict[str, str]


class ContentMetadata(BaseModel):
    content_id: str | None = Field(default=None, description="Safeguard's external id.")


class ContentUpdate(BaseModel):
    disable_until_ts: int | None = Field(
        default=None, description="1 enables the content, 0 disables it; no other times."
    )


class BankContent(BaseModel):
    id: int
    disable_until_ts: int
    original_media_uri: str | None = None
    bank: BankConfig
    signals: dict[str, str] | None = None
    metadata: ContentMetadata | None = None


class ContentPage(BaseModel):
    """A page of a bank's content (a Safeguard addition to HMA's API: what a peer's
    ``hma`` exchange reads, ``exchanges/hma.py``)."""

    content: list[BankContent]
    next_after: int | None = Field(description="The id to ask after next; null at the end.")


class Message(BaseModel):
    message: str


class Deleted(BaseModel):
    deleted: int


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for HMA error answers with these statuses."""
    return {status: {"model": HmaError, "description": "HMA's error shape"} for status in statuses}


_STATUSES: dict[type[SafeguardError], int] = {
    InvalidSignal: 400,
    InvalidName: 400,
    Conflict: 403,  # HMA answers 403 for a name or content it already holds
}


def error_status(exc: SafeguardError) -> int:
    """The status HMA answers for the problem Safeguard raised."""
    for cls in type(exc).__mro__:
        if cls in _STATUSES:
            return _STATUSES[cls]
    return exc.status


def error_answer(exc: SafeguardError | RequestValidationError) -> JSONResponse:
    """An error in HMA's shape; invalid requests are 422, as HMA's framework answers."""
    if isinstance(exc, RequestValidationError):
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        return JSONResponse({"message": f"{where}: {first.get('msg', 'invalid')}"}, 422)
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    return JSONResponse({"message": exc.detail}, error_status(exc), headers=headers)


class HmaRoute(APIRoute):
    """A route answering Safeguard's errors, and invalid requests, in HMA's shape."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                return await handler(request)
            except (SafeguardError, RequestValidationError) as exc:
                return error_answer(exc)
            except HTTPException as exc:  # e.g. a JSON body that is not UTF-8
                return JSONResponse({"message": exc.detail}, exc.status_code, exc.headers)

        return answer


def check_full_ratio(enabled_ratio: float | None, enabled: bool | None) -> None:
    """Refuse a partial or zero matching ratio: Safeguard banks always match fully."""
    ratio = enabled_ratio
    if ratio is None and enabled is not None:
        ratio = FULL_RATIO if enabled else 0.0
    if ratio is not None and ratio != FULL_RATIO:
        raise BadRequest(
            "Safeguard banks always match all their content: enabled_ratio must be 1 "
            "(disable single content with disable_until_ts=0)"
        )


def bank_names(banks: str | None) -> set[str] | None:
    """HMA's comma-separated ``banks`` parameter (None: every bank)."""
    if not banks:
        return None
    return {name.strip() for name in banks.split(",") if name.strip()}


def distance_text(match: Match) -> str:
    """HMA's distance text: the number, or '-' for an exact signal type."""
    kind = signal_types().get(match.signal_type)
    return NO_DISTANCE if kind is None or kind.max_threshold == 0 else str(match.distance)


def by_bank(matches: Iterable[Match], banks: set[str] | None) -> dict[str, list[MatchWithDistance]]:
    """Matches grouped by bank, each content item once (its nearest), nearest first;
    only banks in ``banks`` when given."""
    nearest: dict[tuple[str, int], Match] = {}
    for match in matches:
        if banks is not None and match.bank not in banks:
            continue
        key = (match.bank, match.content_item_id)
        if key not in nearest or match.distance < nearest[key].distance:
            nearest[key] = match
    grouped: dict[str, list[MatchWithDistance]] = {}
    for match in sorted(nearest.values(), key=lambda m: (m.distance, m.content_item_id)):
        shown = MatchWithDistance(
            bank_content_id=match.content_item_id, distance=distance_text(match)
        )
        grouped.setdefault(match.bank, []).append(shown)
    return grouped


def by_signal_type(
    matches: Iterable[Match], hashed: Iterable[str], banks: set[str] | None
) -> dict[str, dict[str, list[MatchWithDistance]]]:
    """For an uploaded file: each hashed signal type's matches grouped by bank."""
    found = list(matches)
    return {name: by_bank([m for m in found if m.signal_type == name], banks) for name in hashed}


def compare_pair(name: str, pair: list[str]) -> tuple[bool, dict[str, int]]:
    """HMA's comparison of two values: whether they match at the type's default
    threshold, and their distance (none for exact signal types)."""
    if len(pair) != 2:
        raise BadRequest("Comparison hash list length must be exactly 2")
    kind = signal_type(name)
    distance = kind.distance(kind.normalise(pair[0]), kind.normalise(pair[1]))
    shown = {} if kind.max_threshold == 0 else {"distance": distance}
    return distance <= kind.default_threshold, shown
