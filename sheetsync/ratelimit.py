"""Pacing requests under an API's rate limit (Stripe: 25/s in test mode, 100/s live)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class Pacer:
    """Spaces calls at least 1/`per_second` apart; 0 means no limit."""

    def __init__(
        self,
        per_second: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._gap = 1.0 / per_second if per_second > 0 else 0.0
        self._clock, self._sleep = clock, sleep
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        """Block until the next call may go."""
        if not self._gap:
            return
        with self._lock:
            now = self._clock()
            start = max(now, self._next)
            self._next = start + self._gap
        if start > now:
            self._sleep(start - now)


def stripe_default_rate(api_key: str) -> float:
    """Requests per second to stay under Stripe's limit, with headroom."""
    return 80.0 if "_live_" in api_key else 20.0
