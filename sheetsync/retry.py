"""Retries with exponential backoff and full jitter, bounded in attempts and time.

Adapters raise `Transient` for failures a retry can fix (429, 5xx, a dropped
connection); `retrying` waits and tries again, honouring Retry-After, until
the attempts or the time budget run out, then raises `GaveUp`. The clock,
sleep and randomness are parameters so tests need not wait.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")


class Transient(Exception):
    """A failure worth retrying; `retry_after` is the server's hint in seconds."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class GaveUp(Exception):
    """Retries were exhausted; the message says what failed and for how long."""


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try: at most `attempts` calls and `budget` seconds of waiting."""

    attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 8.0
    budget: float = 60.0

    def delay(self, attempt: int, retry_after: float | None, jitter: float) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        backoff = jitter * min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return float(max(backoff, retry_after or 0.0))


DEFAULT_POLICY = RetryPolicy()


def retrying(
    action: Callable[[], T],
    policy: RetryPolicy,
    what: str,
    *,
    sleep: Callable[[float], None] = time.sleep,
    jitter: Callable[[], float] = random.random,
) -> T:
    """Run `action`, retrying `Transient` failures under `policy`.

    :raises GaveUp: when attempts or the time budget are exhausted.
    """
    waited = 0.0
    for attempt in range(1, policy.attempts + 1):
        try:
            return action()
        except Transient as exc:
            wait = policy.delay(attempt, exc.retry_after, jitter())
            if attempt == policy.attempts or waited + wait > policy.budget:
                raise GaveUp(
                    f"{what} failed {attempt} times ({exc.reason}), "
                    f"giving up after {waited:.1f}s of retries"
                ) from None
            log.warning("%s failed (%s); retry %d in %.2fs", what, exc.reason, attempt, wait)
            sleep(wait)
            waited += wait
    raise AssertionError("unreachable")  # pragma: no cover
