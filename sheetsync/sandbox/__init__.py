"""A local Stripe-compatible server (test mode) for tests and ``sheetsync demo``.

It speaks the Stripe API v1 for the objects sheetsync uses — customers,
invoices, invoice items, tax rates, events, products, prices, payment links,
Checkout Sessions, PaymentIntents, charges, invoice payments, refunds, credit
notes and disputes — over HTTP on ``127.0.0.1``, so the real stripe-python
client talks to it unchanged::

    with StripeSandbox() as sandbox:
        client = stripe.StripeClient(
            "sk_test_123", base_addresses={"api": sandbox.base_url}, max_network_retries=0
        )

Requests are checked against stripe-python's ``stripe.params`` TypedDicts and
objects are built from Stripe's published fixtures (``fixtures/``, MIT).
"""

from .errors import StripeError
from .gateway import RecordedRequest
from .sandbox import StripeSandbox

__all__ = ["RecordedRequest", "StripeError", "StripeSandbox"]
