"""People edit while a cycle runs, and after sending: nothing lost, nothing billed twice."""

from __future__ import annotations

from typing import Any

from tests.conftest import World
from tests.invariants import drafts

ROWS = drafts(3, "e", "50.00")


def _edit(world: World, change: Any) -> Any:
    sheet = world.sheets.sheet(world.spreadsheet_id, "Invoices")
    return lambda *_: change(sheet.rows)


def test_a_row_deleted_mid_cycle_is_not_resurrected_and_its_invoice_reported(world: World) -> None:
    world.make_sheet(ROWS)
    world.stripe.after(r"/finalize$", _edit(world, lambda rows: rows.pop(2)), times=1)
    report = world.run()

    emails = [r["Customer Email"] for r in world.rows()]
    assert emails == ["e0@example.com", "e2@example.com"]
    assert [r["Status"] for r in world.rows()] == ["sent", "sent"]
    deleted = next(i for i in world.invoices() if i["customer_email"] == "e1@example.com")
    assert any(deleted["id"] in note and "was deleted" in note for note in report.orphans)


def test_a_row_edited_while_billed_keeps_its_invoice_and_says_so(world: World) -> None:
    world.make_sheet(ROWS[:1])
    price = world.grid()[0].index("Unit Price")

    def raise_price(rows: list[list[Any]]) -> None:
        rows[1][price] = "75.00"

    world.stripe.after(r"^/v1/invoiceitems$", _edit(world, raise_price), times=1)
    world.run()
    row = world.rows()[0]
    assert row["Status"] == "sent" and row["Stripe ID"]
    assert "Changed after billing" in row["Error"] and "50.00 USD" in row["Error"]
    assert world.invoices()[0]["total"] == 5000


def test_a_sent_row_edited_later_is_flagged_not_rebilled(world: World) -> None:
    world.make_sheet(ROWS[:1])
    world.run()
    grid = world.grid()
    column = grid[0].index("Unit Price")
    for new, flagged in (("99.00", True), ("50.00", False)):
        grid[1][column] = new
        world.sheets.set_values(world.spreadsheet_id, "Invoices", grid)
        world.run()
        row = world.rows()[0]
        assert bool(row["Error"]) is flagged
        assert row["Status"] == "sent"
    assert len(world.invoices()) == 1


def test_email_currency_quantity_and_tax_edits_are_all_flagged(world: World) -> None:
    world.make_sheet(ROWS[:1])
    world.run()
    for column, value in (
        ("Customer Email", "other@example.com"),
        ("Currency", "EUR"),
        ("Quantity", 2),
        ("Tax Rate", 5),
    ):
        grid = world.grid()
        original = grid[1][grid[0].index(column)] if len(grid[1]) > grid[0].index(column) else None
        grid[1][grid[0].index(column)] = value
        world.sheets.set_values(world.spreadsheet_id, "Invoices", grid)
        world.run()
        assert "Changed after billing" in str(world.rows()[0]["Error"]), column
        grid = world.grid()
        grid[1][grid[0].index(column)] = original
        world.sheets.set_values(world.spreadsheet_id, "Invoices", grid)
        world.run()
        assert world.rows()[0]["Error"] in (None, ""), column
    assert len(world.invoices()) == 1


def test_a_copied_row_blocks_both_copies(world: World) -> None:
    world.make_sheet(ROWS[:2])
    world.run()
    grid = world.grid()
    copy = list(grid[1])
    copy[grid[0].index("Status")] = "draft"
    grid.append(copy)
    world.sheets.set_values(world.spreadsheet_id, "Invoices", grid)
    world.run()

    rows = world.rows()
    assert len(world.invoices()) == 2
    assert "is in rows 2, 4" in rows[0]["Error"] and "is in rows 2, 4" in rows[2]["Error"]
    assert rows[1]["Error"] in (None, "")


def test_a_copied_row_is_flagged_once(world: World) -> None:
    world.make_sheet(ROWS[:1])
    world.run()
    grid = world.grid()
    grid.append(list(grid[1]))
    world.sheets.set_values(world.spreadsheet_id, "Invoices", grid)
    world.run()
    world.sheets.reset_requests()
    world.run()
    assert world.sheets.count("write") == 0
