"""Attacks by a person editing while a cycle runs, and by deleting rows."""

from __future__ import annotations

from typing import Any

from tests.conftest import World

ROW = {
    "Status": "draft",
    "Customer Email": "jane@example.com",
    "Description": "Design work",
    "Unit Price": "100.00",
    "Due Date": "2026-11-30",
}
LINK = {
    "Status": "draft",
    "Customer Email": "link@example.com",
    "Description": "Workshop",
    "Unit Price": "150.00",
    "Mode": "payment_link",
}


def test_paid_typed_during_a_cycle_is_not_overwritten_by_overdue(world: World) -> None:
    """The invoice fell due; while a cycle talks to Stripe the person records the cash that
    came in (`paid`). The cycle's write of `overdue` must not wipe that out: the invoice
    would stay open and the customer be chased for money already paid."""
    world.make_sheet([ROW])
    world.run()
    invoice = str(world.rows()[0]["Stripe ID"])
    world.advance(days=10)  # past the due date: this cycle turns the row overdue

    def person_types_paid(*_: Any) -> None:
        world.type_into(0, Status="paid")

    world.stripe.before(r"^/v1/invoices$", person_types_paid, times=1, method="GET")
    world.run()
    assert world.rows()[0]["Status"] == "paid", "the person's `paid` was overwritten"
    world.run()
    assert world.stripe.get(invoice)["status"] == "paid"


def test_void_typed_during_a_cycle_is_not_overwritten(world: World) -> None:
    world.make_sheet([ROW])
    world.run()
    invoice = str(world.rows()[0]["Stripe ID"])
    world.advance(days=10)

    def person_types_void(*_: Any) -> None:
        world.type_into(0, Status="void")

    world.stripe.before(r"^/v1/invoices$", person_types_void, times=1, method="GET")
    world.run()
    world.run()
    assert world.stripe.get(invoice)["status"] == "void", world.rows()[0]["Status"]


def test_a_deleted_payment_link_row_is_reported_and_its_payment_too(world: World) -> None:
    """Deleting an invoice's row is reported every cycle until it is paid or void. A payment
    link whose row was deleted keeps taking money: it must be reported the same way."""
    world.make_sheet([LINK, {**ROW, "Customer Email": "keep@example.com"}])
    world.run()
    link = str(world.rows()[0]["Stripe ID"])
    assert link.startswith("plink_")
    header, _, kept = world.grid()
    world.sheets.set_values(world.spreadsheet_id, "Invoices", [header, kept])
    report = world.run()
    assert any(link in note for note in report.orphans), report.orphans
    world.stripe.customer_completes_link(link)
    report = world.run()
    assert any(link in note for note in report.orphans), report.orphans
