"""End to end: amounts Stripe cannot take are row errors, and no cell stops a cycle."""

from __future__ import annotations

from typing import Any

from tests.conftest import World

GOOD = {"Status": "draft", "Description": "Work", "Unit Price": "10.00"}

REFUSED: list[tuple[dict[str, Any], str]] = [
    (
        {"Unit Price": "99,999,999.99"},
        "Unit Price 99,999,999.99 USD is above Stripe's maximum of 999,999.99 USD for one price",
    ),
    (
        {"Unit Price": "600000", "Quantity": 2},
        "Quantity × Unit Price 1,200,000.00 USD is above Stripe's maximum of 999,999.99 USD for "
        "one line",
    ),
    (
        {"Unit Price": "999,999.99", "Tax Rate": 10},
        "Total 1,099,999.99 USD is above Stripe's maximum of 999,999.99 USD for one invoice",
    ),
    ({"Unit Price": 1e26}, "Unit Price 1.00E+26 USD is above Stripe's maximum"),
    ({"Unit Price": 1e-30}, "Unit Price 1E-30: USD amounts take at most 2 decimals"),
    ({"Unit Price": "1E+26"}, 'Unit Price "1E+26" is not a number'),
    ({"Unit Price": "NaN"}, 'Unit Price "NaN" is not a number'),
    ({"Unit Price": "Infinity"}, 'Unit Price "Infinity" is not a number'),
    ({"Unit Price": "1" + "0" * 400}, "Unit Price 1.00E+400 USD is above Stripe's maximum"),
    ({"Quantity": 1e300}, "Quantity × Unit Price is above Stripe's maximum"),
    ({"Quantity": 1e-30}, "Quantity has more than 12 decimals"),
    (
        {"Currency": "KWD", "Quantity": "0.125", "Unit Price": "10.10"},
        "Quantity × Unit Price comes to 1.263 KWD, but KWD amounts take at most 2 decimals",
    ),
]


def test_each_amount_stripe_cannot_take_is_a_row_error_and_the_cycle_goes_on(
    world: World,
) -> None:
    rows = [
        {**GOOD, **cells, "Customer Email": f"bad{i}@example.com"}
        for i, (cells, _) in enumerate(REFUSED)
    ]
    rows.append({**GOOD, "Customer Email": "good@example.com", "Unit Price": "999,999.99"})
    world.make_sheet(rows)
    report = world.run()

    *bad, good = world.rows()
    for row, (_, message) in zip(bad, REFUSED, strict=True):
        assert (row["Status"], row["Stripe ID"]) == ("error", None), row
        assert str(row["Error"]).startswith(message), row["Error"]
    assert good["Status"] == "sent"
    (invoice,) = world.invoices()
    assert invoice["total"] == 99999999
    assert {c["email"] for c in world.stripe.objects("customer")} == {"good@example.com"}
    assert (report.created, report.errors) == (1, len(REFUSED))


def test_lines_that_add_up_past_the_maximum_are_refused_before_stripe(world: World) -> None:
    lines = [["BIG", "Part", 1, "600,000.00", None], ["BIG", "Part", 1, "400,000.00", None]]
    rows = [
        {**GOOD, "Invoice #": "BIG", "Customer Email": "big@example.com"},
        {**GOOD, "Customer Email": "small@example.com"},
    ]
    world.make_sheet(rows, line_items=lines)
    world.run()

    big, small = world.rows()
    assert big["Status"] == "error"
    assert big["Error"] == (
        "Total 1,000,000.00 USD is above Stripe's maximum of 999,999.99 USD for one invoice"
    )
    assert small["Status"] == "sent"
    assert [i["total"] for i in world.invoices()] == [1000]
    assert len(world.stripe.objects("invoiceitem")) == 1  # the small row's only
