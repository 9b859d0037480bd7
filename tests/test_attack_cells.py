"""Attacks with strange cells: one bad cell must never cost money or stop the cycle."""

from __future__ import annotations

from tests.conftest import World

ROW = {
    "Status": "draft",
    "Customer Email": "jane@example.com",
    "Description": "Design work",
    "Unit Price": "100.00",
}


def test_a_yen_sign_in_a_dollar_row_is_not_billed_as_dollars(world: World) -> None:
    """A person types the price with the customer's currency sign and leaves Currency empty
    (default USD): ¥5,000 must not become a 5,000 USD invoice."""
    world.make_sheet([{**ROW, "Unit Price": "¥5,000"}])
    world.run()
    invoices = world.invoices()
    billed = [(i["currency"], i["total"]) for i in invoices]
    assert billed != [("usd", 500000)], "¥5,000 was billed as 5,000.00 USD"
    assert world.rows()[0]["Status"] == "error"


def test_a_currency_code_in_the_price_that_contradicts_currency_is_refused(world: World) -> None:
    world.make_sheet([{**ROW, "Unit Price": "EUR 1,000.00", "Currency": "USD"}])
    world.run()
    assert [(i["currency"], i["total"]) for i in world.invoices()] != [("usd", 100000)]
    assert world.rows()[0]["Status"] == "error"


def test_a_euro_sign_on_a_dollar_row_is_refused(world: World) -> None:
    world.make_sheet([{**ROW, "Unit Price": "€250", "Currency": "USD"}])
    world.run()
    assert world.invoices() == []
    assert world.rows()[0]["Status"] == "error"


def test_a_huge_unit_price_is_a_row_error_not_a_crashed_cycle(world: World) -> None:
    """1e30 typed into one row's Unit Price (Sheets makes it a number): the other rows are
    billed regardless and that row gets an Error."""
    world.make_sheet(
        [
            {**ROW, "Unit Price": 1e30},
            {**ROW, "Customer Email": "ok@example.com"},
        ]
    )
    world.run()
    rows = world.rows()
    assert rows[0]["Status"] == "error"
    assert rows[1]["Status"] == "sent"


def test_a_huge_number_typed_into_a_billed_row_does_not_stop_polling(world: World) -> None:
    world.make_sheet([ROW, {**ROW, "Customer Email": "other@example.com"}])
    world.run()
    paid = str(world.rows()[1]["Stripe ID"])
    world.type_into(0, **{"Unit Price": 1e30})  # a slip of the finger
    world.stripe.customer_pays(paid)
    world.run()
    assert world.rows()[1]["Status"] == "paid"


def test_processing_typed_by_hand_is_not_billed_behind_the_sheets_back(world: World) -> None:
    """A person types `processing` on a complete row (they mean "in progress"). sheetsync
    must not create invoices it never writes back, and never two for one row."""
    world.make_sheet([{**ROW, "Status": "processing"}, {**ROW, "Customer Email": "b@example.com"}])
    world.run()
    made = world.invoices()
    rows = world.rows()
    named = {r["Stripe ID"] for r in rows if r["Stripe ID"]}
    assert all(i["id"] in named for i in made), "an invoice was made that no row shows"
    # the person sorts the sheet; the next cycles must not bill the row again
    sheet = world.sheets.sheet(world.spreadsheet_id, "Invoices")
    header, *body = sheet.rows
    sheet.rows[:] = [header, *reversed(body)]
    world.run()
    world.run()
    emails = [i["customer_email"] for i in world.invoices()]
    assert emails.count("jane@example.com") <= 1, emails
