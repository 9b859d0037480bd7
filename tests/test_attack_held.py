"""Attacks that sheetsync withstood (kept as regression tests)."""

from __future__ import annotations

from typing import Any

from tests.conftest import World
from tests.invariants import assert_one_invoice_per_row

ROW = {
    "Status": "draft",
    "Customer Email": "jane@example.com",
    "Description": "Design work",
    "Unit Price": "100.00",
}
BATCH_GET = "sheets.spreadsheets.values.batchGet"


def test_strange_cells_are_row_errors_and_formulas_stay_text(world: World) -> None:
    world.make_sheet(
        [
            {**ROW, "Customer Email": "   "},
            {**ROW, "Customer Email": "b@example.com", "Unit Price": ""},
            {**ROW, "Customer Email": "c@example.com", "Unit Price": "1,5"},  # 1.50, comma decimal
            {**ROW, "Customer Email": "d@example.com", "Description": '=HYPERLINK("x")'},
            {**ROW, "Customer Email": "e@example.com", "Unit Price": "$-5"},
        ]
    )
    world.run()
    rows = world.rows()
    assert [r["Status"] for r in rows] == ["error", "error", "sent", "sent", "error"]
    assert rows[3]["Description"] == '=HYPERLINK("x")'
    assert sorted(i["total"] for i in world.invoices()) == [150, 10000]


def test_a_sync_id_typed_by_hand_on_a_draft_is_replaced(world: World) -> None:
    world.make_sheet(
        [
            {**ROW, "Sync ID": "mine-123"},
            {**ROW, "Customer Email": "b@example.com", "Sync ID": "mine-123"},
        ]
    )
    world.run()
    world.run()
    rows = world.rows()
    assert len({r["Sync ID"] for r in rows}) == 2 and "mine-123" not in {r["Sync ID"] for r in rows}
    assert_one_invoice_per_row(world, rows=2)


def test_a_stripe_id_typed_by_hand_is_never_voided(world: World) -> None:
    world.make_sheet([ROW])
    world.run()
    invoice = str(world.rows()[0]["Stripe ID"])
    world.append_row(
        {
            **ROW,
            "Customer Email": "x@example.com",
            "Status": "void",
            "Stripe ID": invoice,
            "Payment URL": "http://x",
        }
    )
    world.run()
    world.run()
    assert world.stripe.get(invoice)["status"] == "open"


def test_a_sort_between_read_back_and_results_write_lands_results_right(world: World) -> None:
    world.make_sheet([ROW, {**ROW, "Customer Email": "b@example.com", "Unit Price": "20.00"}])

    def sort_rows(*_: Any) -> None:
        sheet = world.sheets.sheet(world.spreadsheet_id, "Invoices")
        header, *body = sheet.rows
        sheet.rows[:] = [header, *reversed(body)]

    world.stripe.before(r"^/v1/invoices$", sort_rows, times=1)  # while billing
    world.run()
    assert_one_invoice_per_row(world, rows=2)
    for row in world.rows():
        invoice = world.stripe.get(str(row["Stripe ID"]))
        assert invoice["customer_email"] == row["Customer Email"]


def test_a_payment_link_run_killed_after_its_prices_is_finished_once(world: World) -> None:
    world.make_sheet([{**ROW, "Mode": "payment_link"}])

    world.stripe.fail_next(r"^/v1/payment_links$", status=500, times=5)
    try:
        world.run(retry_base_delay=0.01)
    except Exception:  # noqa: BLE001
        pass
    assert world.rows()[0]["Status"] == "processing"
    world.run()
    world.run()
    assert len(world.stripe.objects("payment_link")) == 1
    assert world.rows()[0]["Status"] == "sent"
