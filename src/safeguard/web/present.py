"""How review items read on a page: times, reasons in a line, cue names explained."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from safeguard.conversations.explain import CUE_DESCRIPTIONS
from safeguard.moderation.queue import ReviewItemView


def when(moment: datetime) -> str:
    """A time as UTC, to the second: ``2026-11-25 10:04:05 UTC``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def iso(moment: datetime) -> str:
    """A time for a ``<time datetime=...>`` attribute."""
    return moment.astimezone(UTC).isoformat()


def cue_description(name: str) -> str:
    return CUE_DESCRIPTIONS.get(name, "")


def matches_of(reason: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A screening item's matches, as its reason recorded them."""
    found = reason.get("matches")
    return [m for m in found if isinstance(m, dict)] if isinstance(found, list) else []


def cues_of(reason: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A conversation item's cues, as its reason recorded them."""
    found = reason.get("cues")
    return [c for c in found if isinstance(c, dict)] if isinstance(found, list) else []


def message_numbers(cue: Mapping[str, Any]) -> str:
    """The messages that triggered a cue, numbered from 1 as people count them."""
    found = cue.get("messages")
    if not isinstance(found, list):
        return ""
    return ", ".join(str(index + 1) for index in found if isinstance(index, int))


def summary(item: ReviewItemView) -> str:
    """Why ``item`` is in the queue, in one short line."""
    if item.kind == "screening":
        matches = matches_of(item.reason)
        banks = sorted({str(m.get("bank")) for m in matches})
        kinds = sorted({str(m.get("signal_type")) for m in matches})
        noun = "match" if len(matches) == 1 else "matches"
        return f"{len(matches)} {noun} ({', '.join(kinds)}) in {', '.join(banks) or 'no bank'}"
    if item.kind == "conversation":
        risk = item.reason.get("risk")
        cues = ", ".join(str(c.get("name")) for c in cues_of(item.reason)) or "none"
        shown = f"{risk:.2f}" if isinstance(risk, int | float) else "?"
        return f"risk {shown}; cues: {cues}"
    if item.kind == "account":
        how = "assured" if item.reason.get("assured") else "declared"
        return (
            f"user {item.reason.get('user_id')}: {how} {item.reason.get('band')}, under the "
            f"minimum age of {item.reason.get('minimum_age')}"
        )
    return item.kind
