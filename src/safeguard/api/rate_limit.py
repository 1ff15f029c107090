"""Per-key request rates: a token bucket for each API key, in each worker process.

A key may send ``burst`` requests at once and ``per_second`` a second after that; a
request over its rate is refused with 429 and ``Retry-After`` before any work is done.
Each worker keeps its own buckets, so N workers behind a load balancer admit up to N
times the rate (docs/operations.md).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from safeguard.errors import RateLimited


@dataclass
class _Bucket:
    tokens: float
    updated: float


class KeyRateLimiter:
    """Token buckets by key; ``per_second == 0`` admits everything."""

    def __init__(
        self,
        per_second: int,
        burst: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_second = per_second
        self.burst = max(burst, 1)
        self._clock = clock
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._lock = threading.Lock()

    def admit(self, client: str, key_name: str) -> None:
        """Take one request from the key's bucket, or raise ``RateLimited`` saying how many
        seconds until the next would be admitted."""
        if self.per_second <= 0:
            return
        now = self._clock()
        with self._lock:
            bucket = self._buckets.setdefault((client, key_name), _Bucket(self.burst, now))
            bucket.tokens = min(
                self.burst, bucket.tokens + (now - bucket.updated) * self.per_second
            )
            bucket.updated = now
            if bucket.tokens >= 1:
                bucket.tokens -= 1
                return
            wait = (1 - bucket.tokens) / self.per_second
        raise RateLimited(
            f"this API key sent more than {self.per_second} requests a second "
            f"(bursts up to {self.burst}); retry later",
            retry_after=max(1, math.ceil(wait)),
        )
