"""End to end: payment links beside invoices, paid, voided, overdue."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.conftest import World

INVOICE = {
    "Status": "draft",
    "Customer Email": "inv@example.com",
    "Description": "Audit",
    "Unit Price": "300.00",
    "Mode": "invoice",
}
LINK = {
    "Status": "draft",
    "Customer Email": "link@example.com",
    "Description": "Workshop",
    "Unit Price": "150.00",
    "Quantity": 2,
    "Mode": "payment_link",
    "Due Date": "2026-12-10",
}


def test_invoice_and_link_rows_are_billed_and_paid_side_by_side(world: World) -> None:
    world.make_sheet([INVOICE, LINK])
    world.run(timezone="Europe/Berlin")
    invoice_row, link_row = world.rows()
    assert str(invoice_row["Stripe ID"]).startswith("in_")
    assert str(link_row["Stripe ID"]).startswith("plink_") and link_row["Status"] == "sent"
    link = world.stripe.get(str(link_row["Stripe ID"]))
    assert link_row["Payment URL"] == link["url"] and link["active"] is True
    assert link["metadata"]["sheetsync_id"] == link_row["Sync ID"]
    assert link["restrictions"]["completed_sessions"]["limit"] == 1
    assert Decimal(str(link_row["Total"])) == Decimal("300.00")

    world.advance(days=1)
    world.stripe.customer_pays(str(invoice_row["Stripe ID"]))
    world.stripe.customer_completes_link(str(link_row["Stripe ID"]))
    world.run(timezone="Europe/Berlin")

    invoice_row, link_row = world.rows()
    for row in (invoice_row, link_row):
        assert row["Status"] == "paid"
        assert Decimal(str(row["Amount Paid"])) == Decimal("300")
        assert row["Paid At"] == "2026-11-22"


def test_a_voided_link_no_longer_accepts_payment(world: World) -> None:
    world.make_sheet([LINK])
    world.run()
    grid = world.grid()
    grid[1][grid[0].index("Status")] = "void"
    world.sheets.set_values(world.spreadsheet_id, "Invoices", grid)
    world.run()

    row = world.rows()[0]
    assert row["Status"] == "void" and row["Payment URL"] in (None, "")
    link_id = str(row["Stripe ID"])
    assert world.stripe.get(link_id)["active"] is False
    with pytest.raises(Exception, match="(?i)active"):
        world.stripe.customer_completes_link(link_id)
    world.stripe.reset_requests()
    world.run()
    assert world.stripe.count(method="POST") == 0  # deactivated once, not every cycle


def test_a_link_paid_outside_stripe_is_deactivated(world: World) -> None:
    world.make_sheet([LINK])
    world.run()
    grid = world.grid()
    grid[1][grid[0].index("Status")] = "paid"
    world.sheets.set_values(world.spreadsheet_id, "Invoices", grid)
    world.run()
    row = world.rows()[0]
    assert row["Status"] == "paid" and row["Paid At"] == "2026-11-21"
    assert world.stripe.get(str(row["Stripe ID"]))["active"] is False


def test_a_link_with_tax_charges_the_same_total_as_the_sheet(world: World) -> None:
    world.make_sheet([{**LINK, "Tax Rate": 8.25, "Quantity": 3, "Unit Price": "19.99"}])
    world.run()
    row = world.rows()[0]
    session = world.stripe.customer_completes_link(str(row["Stripe ID"]))
    # 3 × 19.99 = 59.97; tax 8.25 % = 4.9475 → 4.95; total 64.92
    assert session["amount_total"] == 6492
    assert Decimal(str(row["Total"])) == Decimal("64.92")


def test_a_link_is_overdue_after_its_due_date(world: World) -> None:
    world.make_sheet([LINK, {**LINK, "Customer Email": "later@example.com", "Due Date": None}])
    world.run()
    world.advance(days=20)
    world.run()
    assert [r["Status"] for r in world.rows()] == ["overdue", "sent"]


def test_link_payments_cost_one_events_request_for_many_links(world: World) -> None:
    world.make_sheet([{**LINK, "Customer Email": f"l{i}@example.com"} for i in range(30)])
    world.run()
    links = [str(r["Stripe ID"]) for r in world.rows()]
    world.stripe.customer_completes_link(links[3])
    world.stripe.reset_requests()
    world.run()
    # checkout.session.completed events; for rows deleted: the open invoices, the live
    # links, the day's payments
    assert world.stripe.count() == 4
    assert [r["Status"] for r in world.rows()].count("paid") == 1


def test_more_than_20_lines_cannot_be_a_link(world: World) -> None:
    lines = [["L-1", f"item {i}", 1, "1.00", None] for i in range(21)]
    world.make_sheet([{**LINK, "Invoice #": "L-1"}], line_items=lines)
    world.run()
    assert "a payment link takes at most 20" in world.rows()[0]["Error"]


def test_a_payment_older_than_the_event_window_is_found_by_listing_sessions(world: World) -> None:
    world.make_sheet([{**LINK, "Due Date": None}])
    world.run()
    world.advance(days=1)
    world.stripe.customer_completes_link(str(world.rows()[0]["Stripe ID"]))
    world.advance(days=40)  # sheetsync was not run for weeks: the event has aged out
    world.stripe.reset_requests()
    world.run()
    row = world.rows()[0]
    assert row["Status"] == "paid" and row["Paid At"] == "2026-11-22"
    assert "/v1/checkout/sessions" in [r.path for r in world.stripe.requests]


def test_prices_that_include_tax_are_charged_as_typed(world: World) -> None:
    world.make_sheet([{**INVOICE, "Tax Rate": 20}, {**LINK, "Tax Rate": 20}])
    world.run(prices_include_tax=True)
    invoice_row, link_row = world.rows()
    assert world.stripe.get(str(invoice_row["Stripe ID"]))["total"] == 30000
    assert Decimal(str(invoice_row["Total"])) == Decimal("300")
    assert Decimal(str(link_row["Total"])) == Decimal("300")
    rate = world.stripe.objects("tax_rate")[0]
    assert rate["inclusive"] is True
