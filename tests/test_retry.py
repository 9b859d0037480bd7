"""Backoff: bounded in attempts and time, honouring Retry-After, with jitter."""

from __future__ import annotations

import pytest

from sheetsync.retry import GaveUp, RetryPolicy, Transient, retrying


class Flaky:
    def __init__(self, failures: int, retry_after: float | None = None) -> None:
        self.failures, self.retry_after, self.calls = failures, retry_after, 0

    def __call__(self) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            raise Transient("HTTP 429", self.retry_after)
        return "ok"


def test_a_short_storm_is_ridden_out_with_growing_waits() -> None:
    slept: list[float] = []
    action = Flaky(3)
    policy = RetryPolicy(attempts=5, base_delay=1, max_delay=8, budget=60)
    assert retrying(action, policy, "x", sleep=slept.append, jitter=lambda: 1.0) == "ok"
    assert action.calls == 4 and slept == [1, 2, 4]


def test_a_persistent_429_stops_after_the_attempts() -> None:
    slept: list[float] = []
    action = Flaky(1000)
    with pytest.raises(GaveUp, match="failed 5 times"):
        retrying(action, RetryPolicy(attempts=5, base_delay=0.1), "x", sleep=slept.append)
    assert action.calls == 5 and len(slept) == 4


def test_the_time_budget_bounds_the_waiting() -> None:
    slept: list[float] = []
    action = Flaky(1000)
    policy = RetryPolicy(attempts=50, base_delay=1, max_delay=8, budget=20)
    with pytest.raises(GaveUp):
        retrying(action, policy, "x", sleep=slept.append, jitter=lambda: 1.0)
    assert sum(slept) <= 20 and slept == [1, 2, 4, 8]


def test_retry_after_is_honoured() -> None:
    slept: list[float] = []
    retrying(Flaky(1, retry_after=7), RetryPolicy(), "x", sleep=slept.append, jitter=lambda: 0.1)
    assert slept == [7]


def test_a_retry_after_beyond_the_budget_gives_up_at_once() -> None:
    slept: list[float] = []
    with pytest.raises(GaveUp):
        retrying(Flaky(1, retry_after=600), RetryPolicy(budget=60), "x", sleep=slept.append)
    assert slept == []


def test_jitter_spreads_the_waits() -> None:
    policy = RetryPolicy(base_delay=1, max_delay=8)
    assert policy.delay(3, None, 0.25) == 1.0 and policy.delay(3, None, 0.0) == 0.0


def test_other_errors_are_not_retried() -> None:
    calls = []

    def broken() -> None:
        calls.append(1)
        raise ValueError("bug")

    with pytest.raises(ValueError):
        retrying(broken, RetryPolicy(), "x", sleep=lambda s: None)
    assert calls == [1]


def test_the_pacer_spaces_requests_under_the_rate() -> None:
    from sheetsync.ratelimit import Pacer, stripe_default_rate

    clock = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(round(seconds, 6))
        clock[0] += seconds

    pacer = Pacer(20, clock=lambda: clock[0], sleep=sleep)
    for _ in range(5):
        pacer.wait()
    assert slept == [0.05, 0.05, 0.05, 0.05]
    assert stripe_default_rate("sk_test_x") < 25 and stripe_default_rate("rk_live_x") < 100
