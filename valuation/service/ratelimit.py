"""In-process rate limit: one token bucket per API key."""
from __future__ import annotations

import math
import threading
import time

__all__ = ["TokenBucketLimiter"]


class TokenBucketLimiter:
    """``allow(key)`` takes one token from the bucket of ``key``.

    Each bucket holds at most ``burst`` tokens and refills at ``rate`` tokens per second.
    ``rate <= 0`` disables the limit. Thread-safe; per process (several workers → several
    buckets per key).
    """

    def __init__(self, rate: float, burst: int, *, clock=time.monotonic):
        self.rate = float(rate)
        self.burst = max(1, int(burst))
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.rate > 0

    def allow(self, key: str) -> tuple[bool, float]:
        """``(allowed, retry_after_seconds)``."""
        if not self.enabled:
            return True, 0.0
        now = self._clock()
        with self._lock:
            tokens, last = self._buckets.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return True, 0.0
            self._buckets[key] = (tokens, now)
            return False, (1.0 - tokens) / self.rate

    @staticmethod
    def retry_after_header(seconds: float) -> str:
        return str(max(1, math.ceil(seconds)))
