"""End to end: bad rows end `error` with a message and never reach Stripe."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import World

GOOD = {
    "Status": "draft",
    "Customer Email": "ok@example.com",
    "Description": "Work",
    "Unit Price": "10.00",
}

BAD: list[tuple[dict[str, Any], str]] = [
    ({"Customer Email": None}, "Customer Email is empty"),
    ({"Customer Email": "not-an-email"}, "is not an email address"),
    ({"Description": None}, "Description is empty"),
    ({"Unit Price": None}, "Unit Price is empty"),
    ({"Unit Price": 0}, "Unit Price must be more than 0"),
    ({"Unit Price": "-4"}, "Unit Price must be more than 0"),
    ({"Unit Price": "ten dollars"}, "is not a number"),
    ({"Quantity": 0}, "Quantity must be more than 0"),
    ({"Quantity": "a few"}, "is not a number"),
    ({"Currency": "XYZ"}, 'Currency "XYZ" is not one Stripe accepts'),
    ({"Currency": "JPY", "Unit Price": 10.5}, "JPY amounts take no decimals"),
    ({"Tax Rate": 150}, "Tax Rate must be between 0 and 100"),
    ({"Due Date": "someday"}, "is not a date"),
    ({"Due Date": "2026-01-15"}, "is in the past"),
    ({"Mode": "carrier pigeon"}, "is unknown"),
]


def test_each_bad_row_gets_its_message_and_good_rows_are_billed(world: World) -> None:
    world.make_sheet([GOOD] + [{**GOOD, **bad} for bad, _ in BAD] + [GOOD])
    report = world.run()

    rows = world.rows()
    assert [r["Status"] for r in (rows[0], rows[-1])] == ["sent", "sent"]
    for row, (_, message) in zip(rows[1:-1], BAD, strict=True):
        assert row["Status"] == "error"
        assert message in row["Error"]
        assert not row["Stripe ID"]
        assert row["Sync ID"]
    assert len(world.invoices()) == 2
    assert report.created == 2 and report.errors == len(BAD)
    assert {c["email"] for c in world.stripe.objects("customer")} == {"ok@example.com"}


def test_a_fixed_row_set_to_draft_is_billed_and_its_error_cleared(world: World) -> None:
    world.make_sheet([{**GOOD, "Customer Email": "oops"}])
    world.run()
    assert world.rows()[0]["Status"] == "error"

    grid = world.grid()
    header = grid[0]
    grid[1][header.index("Customer Email")] = "fixed@example.com"
    grid[1][header.index("Status")] = "draft"
    world.sheets.set_values(world.spreadsheet_id, "Invoices", grid)
    world.run()

    row = world.rows()[0]
    assert row["Status"] == "sent" and row["Error"] in (None, "")
    assert len(world.invoices()) == 1


@pytest.mark.parametrize("status", ["error", "", "paid", "void"])
def test_rows_not_marked_draft_are_never_billed(world: World, status: str) -> None:
    world.make_sheet([{**GOOD, "Status": status}])
    world.run()
    assert world.invoices() == []


def test_a_row_stripe_refuses_gets_stripes_reason_and_the_others_are_billed(world: World) -> None:
    world.make_sheet([{**GOOD, "Customer Email": f"r{i}@example.com"} for i in range(3)])
    refuse_next = lambda: world.stripe.fail_next(r"^/v1/invoiceitems$", status=400)  # noqa: E731
    world.stripe.after(r"^/v1/invoiceitems$", refuse_next, times=1)  # the second row's item
    report = world.run()

    first, second, third = world.rows()
    assert second["Status"] == "error" and "Stripe refused it" in second["Error"]
    assert second["Stripe ID"] in (None, "")
    for row in (first, third):
        invoice = world.stripe.get(str(row["Stripe ID"]))
        customer = world.stripe.get(invoice["customer"])
        assert row["Status"] == "sent" and customer["email"] == row["Customer Email"]
    assert report.created == 2
