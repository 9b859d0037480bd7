"""End to end: partial payments, refunds and disputes reach the row."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tests.conftest import World

INVOICE = {
    "Status": "draft",
    "Customer Email": "mb@example.com",
    "Description": "Retainer",
    "Unit Price": "200.00",
}
LINK = {**INVOICE, "Customer Email": "mbl@example.com", "Mode": "payment_link"}


def _dec(value: Any) -> Decimal:
    return Decimal(str(value))


def _paid(world: World, rows: list[dict[str, Any]]) -> list[str]:
    """Bill the rows, pay each in full, and return each payment's PaymentIntent."""
    world.make_sheet(rows)
    world.run()
    intents = []
    for row in world.rows():
        stripe_id = str(row["Stripe ID"])
        if stripe_id.startswith("in_"):
            world.stripe.customer_pays(stripe_id)
            payments = [
                p for p in world.stripe.objects("invoice_payment") if p["invoice"] == stripe_id
            ]
            intents.append(payments[0]["payment"]["payment_intent"])
        else:
            intents.append(world.stripe.customer_completes_link(stripe_id)["payment_intent"])
    world.run()
    assert [r["Status"] for r in world.rows()] == ["paid"] * len(rows)
    return intents


def test_a_partial_payment_shows_paid_and_remaining(world: World) -> None:
    world.make_sheet([INVOICE])
    world.run()
    invoice_id = str(world.rows()[0]["Stripe ID"])
    world.stripe.customer_pays(invoice_id, amount=7550)
    world.run()
    row = world.rows()[0]
    assert row["Status"] == "sent"
    assert (_dec(row["Amount Paid"]), _dec(row["Remaining"])) == (Decimal("75.5"), Decimal("124.5"))

    world.stripe.customer_pays(invoice_id)
    world.run()
    row = world.rows()[0]
    assert row["Status"] == "paid" and _dec(row["Amount Paid"]) == Decimal("200")
    assert row["Remaining"] in (None, "")


@pytest.mark.parametrize("rows", [[INVOICE], [LINK]], ids=["invoice", "payment link"])
def test_a_partial_then_full_refund(world: World, rows: list[dict[str, Any]]) -> None:
    intent = _paid(world, rows)[0]
    world.stripe.refund(intent, 5000)
    world.run()
    row = world.rows()[0]
    assert row["Status"] == "paid" and _dec(row["Refunded"]) == Decimal("50")

    world.stripe.refund(intent)
    world.run()
    row = world.rows()[0]
    assert row["Status"] == "refunded" and _dec(row["Refunded"]) == Decimal("200")


def test_a_disputed_payment_is_flagged(world: World) -> None:
    intents = _paid(world, [INVOICE, LINK])
    world.stripe.dispute(intents[1])
    world.run()
    invoice_row, link_row = world.rows()
    assert "Payment disputed (fraudulent)" in link_row["Error"]
    assert invoice_row["Error"] in (None, "")


def test_refunds_cost_one_events_request_when_nothing_happened(world: World) -> None:
    _paid(world, [INVOICE, LINK])
    world.stripe.reset_requests()
    world.sheets.reset_requests()
    world.run()
    assert world.sheets.count("write") == 0
    paths = [r.path for r in world.stripe.requests]
    assert paths.count("/v1/events") == 2  # refunds and disputes; payments of deleted rows
