"""Shared by the sandbox's own tests: a sandbox at a fixed time and a real client for it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import stripe

from sheetsync.sandbox import StripeSandbox

START = 1_800_000_000
DAY = 86400
KEY = "sk_test_sandbox_0123456789"


@pytest.fixture
def sandbox() -> Iterator[StripeSandbox]:
    with StripeSandbox(start_time=START) as sb:
        yield sb


@pytest.fixture
def client(sandbox: StripeSandbox) -> stripe.StripeClient:
    return client_for(sandbox)


def client_for(sandbox: StripeSandbox, key: str = KEY) -> stripe.StripeClient:
    """stripe-python pointed at the sandbox, with its own retries off."""
    return stripe.StripeClient(key, base_addresses={"api": sandbox.base_url}, max_network_retries=0)


def refusal(call: Any, error: type[stripe.StripeError] = stripe.InvalidRequestError) -> Any:
    """The error a call must raise."""
    with pytest.raises(error) as caught:
        call()
    return caught.value
