"""When to retry a request, and how long to wait first.

Retried, a bounded number of times with exponential backoff and jitter: connection
failures before anything was sent (any request), other transport failures, 502, 503, 504
and 429 (idempotent requests only; a ``Retry-After`` answer is waited for as asked, up
to ``max_retry_after``). A request that is not idempotent (a screening, a new entry) is
never sent twice: the API takes no idempotency key, so a second copy would be a second
screening.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

RETRY_STATUSES = frozenset({429, 502, 503, 504})
UNSENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
"""Transport failures raised before the request left: safe to retry for any request."""

Outcome = httpx.Response | httpx.TransportError
"""What one attempt gave: an answer, or a transport failure."""


@dataclass(frozen=True)
class RetryPolicy:
    """How often and after how long a failed request is tried again."""

    retries: int = 3
    """Attempts after the first; 0 never retries."""
    backoff: float = 0.5
    """Seconds before the first retry, doubled for each further one."""
    max_backoff: float = 8.0
    max_retry_after: float = 60.0
    """A longer ``Retry-After`` is not waited for: the error is raised at once."""
    jitter: bool = True
    """Wait a random time up to the backoff (spreads clients' retries apart)."""

    def delay(self, attempt: int, outcome: Outcome, idempotent: bool) -> float | None:
        """Seconds to wait before retrying after ``outcome`` of attempt ``attempt`` (0
        for the first), or None when the request is not to be retried."""
        if attempt >= self.retries:
            return None
        if isinstance(outcome, httpx.TransportError):
            return self._backoff(attempt) if idempotent or isinstance(outcome, UNSENT) else None
        if not idempotent or outcome.status_code not in RETRY_STATUSES:
            return None
        asked = retry_after(outcome)
        if asked is None:
            return self._backoff(attempt)
        return asked if asked <= self.max_retry_after else None

    def _backoff(self, attempt: int) -> float:
        ceiling = min(self.max_backoff, self.backoff * 2**attempt)
        return random.uniform(0, ceiling) if self.jitter else ceiling


class Retrying:
    """The retries of one request under a policy."""

    def __init__(self, policy: RetryPolicy, idempotent: bool) -> None:
        self.policy = policy
        self.idempotent = idempotent
        self.attempt = 0

    def after(self, outcome: Outcome) -> float | None:
        """Seconds to wait before the next attempt, or None to stop with ``outcome``."""
        delay = self.policy.delay(self.attempt, outcome, self.idempotent)
        self.attempt += 1
        return delay


def retry_after(response: httpx.Response) -> float | None:
    """The seconds an answer's ``Retry-After`` asks to wait (a number of seconds or an
    HTTP date), or None without a readable one."""
    value = response.headers.get("retry-after", "").strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
