"""End to end: what happens in Stripe reaches the row on the next run."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.conftest import World

ROW = {
    "Status": "draft",
    "Customer Email": "ann@example.com",
    "Description": "Work",
    "Unit Price": "250.00",
    "Due Date": "2026-12-01",
}


@pytest.fixture
def billed(world: World) -> World:
    world.make_sheet([ROW, {**ROW, "Customer Email": "bob@example.com"}])
    world.run()
    return world


def invoice_id(world: World, index: int = 0) -> str:
    return str(world.rows()[index]["Stripe ID"])


def test_paid_reaches_the_row_with_date_and_amount(billed: World) -> None:
    billed.advance(days=2)
    billed.stripe.customer_pays(invoice_id(billed))
    billed.run(timezone="America/New_York")
    row, other = billed.rows()
    assert row["Status"] == "paid"
    assert Decimal(str(row["Amount Paid"])) == Decimal("250")
    assert row["Paid At"] == "2026-11-23"
    assert other["Status"] == "sent"


def test_a_failed_payment_shows_failed(billed: World) -> None:
    billed.stripe.payment_fails(invoice_id(billed))
    billed.run()
    assert billed.rows()[0]["Status"] == "failed"


def test_voided_in_stripe_shows_void(billed: World) -> None:
    billed.stripe.void_in_dashboard(invoice_id(billed))
    billed.run()
    assert billed.rows()[0]["Status"] == "void"


def test_uncollectible_in_stripe_shows_uncollectible(billed: World) -> None:
    billed.stripe.mark_uncollectible_in_dashboard(invoice_id(billed))
    billed.run()
    assert billed.rows()[0]["Status"] == "uncollectible"


def test_void_set_in_the_sheet_voids_the_invoice(billed: World) -> None:
    grid = billed.grid()
    grid[1][grid[0].index("Status")] = "void"
    billed.sheets.set_values(billed.spreadsheet_id, "Invoices", grid)
    billed.run()
    assert billed.stripe.get(invoice_id(billed))["status"] == "void"
    assert billed.rows()[0]["Status"] == "void"
    assert billed.stripe.get(invoice_id(billed, 1))["status"] == "open"


def test_overdue_after_the_due_date_then_paid(billed: World) -> None:
    billed.advance(days=9)  # 2026-11-30: not yet due
    billed.run()
    assert billed.rows()[0]["Status"] == "sent"
    billed.advance(days=2)  # 2026-12-02: due date passed
    billed.run()
    assert [r["Status"] for r in billed.rows()] == ["overdue", "overdue"]
    billed.stripe.customer_pays(invoice_id(billed))
    billed.run()
    assert [r["Status"] for r in billed.rows()] == ["paid", "overdue"]


def test_polling_without_changes_writes_nothing(billed: World) -> None:
    billed.sheets.reset_requests()
    billed.run()
    assert billed.sheets.count("write") == 0
