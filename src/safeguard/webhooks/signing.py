"""Signing webhook bodies, and checking a signature as a receiver does.

``Safeguard-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>``.
The timestamp is signed with the body, so a captured delivery cannot be replayed after
``tolerance`` seconds. ``verify`` is the logic of the snippet in docs/webhooks.md, which
the tests run.
"""

from __future__ import annotations

import hashlib
import hmac
import time

SIGNATURE_HEADER = "Safeguard-Signature"
EVENT_ID_HEADER = "Safeguard-Event-Id"
TOLERANCE_SECONDS = 300  # how old (or how far ahead) a signed timestamp may be


def signature(secret: str, body: bytes, t: int) -> str:
    """The hex HMAC-SHA256 of ``"<t>." + body`` under ``secret``."""
    return hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, t: int) -> str:
    """The value of the ``Safeguard-Signature`` header for ``body`` sent at ``t``."""
    return f"t={t},v1={signature(secret, body, t)}"


def verify(
    secret: str,
    body: bytes,
    header: str,
    tolerance: int = TOLERANCE_SECONDS,
    now: float | None = None,
) -> bool:
    """Whether ``header`` signs ``body`` under ``secret`` with a timestamp at most
    ``tolerance`` seconds from ``now``: any ``v1`` value may match (several are sent
    while a secret is being replaced), compared in constant time."""
    parts: dict[str, list[str]] = {}
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        parts.setdefault(key, []).append(value)
    try:
        t = int(parts["t"][0])
    except (KeyError, ValueError):
        return False
    current = time.time() if now is None else now
    if abs(current - t) > tolerance:
        return False
    expected = signature(secret, body, t)
    return any(hmac.compare_digest(expected, given) for given in parts.get("v1", []))
