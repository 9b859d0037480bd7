"""End to end: a currency sign or code in a price must agree with the row's currency."""

from __future__ import annotations

from typing import Any

from tests.conftest import World

GOOD = {"Status": "draft", "Description": "Work", "Currency": "USD", "Unit Price": "10.00"}

BAD: list[tuple[dict[str, Any], str]] = [
    ({"Unit Price": "£100"}, 'Unit Price "£100" is in GBP but the row\'s Currency is USD'),
    (
        {"Currency": "EUR", "Unit Price": "JPY 5000"},
        'Unit Price "JPY 5000" is in JPY but the row\'s Currency is EUR',
    ),
    (
        {"Currency": None, "Unit Price": "10 €"},
        'Unit Price "10 €" is in EUR but the row\'s Currency is USD (the default when Currency '
        "is empty)",
    ),
    ({"Currency": "EUR", "Unit Price": "$10"}, 'Unit Price "$10" is marked $'),
]
AGREEING: list[tuple[dict[str, Any], str, int]] = [
    ({"Unit Price": "$25"}, "usd", 2500),
    ({"Currency": "CAD", "Unit Price": "$10"}, "cad", 1000),
    ({"Currency": "EUR", "Unit Price": "10 €"}, "eur", 1000),
    ({"Currency": "EUR", "Unit Price": "EUR 12.50"}, "eur", 1250),
    ({"Currency": "JPY", "Unit Price": "¥5000"}, "jpy", 5000),
]


def test_a_price_in_another_currency_is_an_error_and_the_rest_are_billed(world: World) -> None:
    rows = [
        {**GOOD, **cells, "Customer Email": f"bad{i}@example.com"}
        for i, (cells, _) in enumerate(BAD)
    ]
    rows += [
        {**GOOD, **cells, "Customer Email": f"good{i}@example.com"}
        for i, (cells, _, _) in enumerate(AGREEING)
    ]
    world.make_sheet(rows)
    report = world.run()

    sheet = world.rows()
    for row, (_, message) in zip(sheet, BAD, strict=False):
        assert (row["Status"], row["Stripe ID"]) == ("error", None), row
        assert str(row["Error"]).startswith(message), row["Error"]
    billed = {world.stripe.get(i["customer"])["email"]: i for i in world.invoices()}
    assert {e: (i["currency"], i["total"]) for e, i in billed.items()} == {
        f"good{i}@example.com": (currency, total) for i, (_, currency, total) in enumerate(AGREEING)
    }
    emails = {c["email"] for c in world.stripe.objects("customer")}
    assert not any(e.startswith("bad") for e in emails)
    assert (report.created, report.errors) == (len(AGREEING), len(BAD))


def test_a_line_items_price_in_another_currency_stops_only_its_invoice(world: World) -> None:
    lines = [["L-1", "Design", 1, "£100", None], ["L-2", "Design", 2, "USD 40", None]]
    rows = [
        {**GOOD, "Invoice #": "L-1", "Customer Email": "l1@example.com"},
        {**GOOD, "Invoice #": "L-2", "Customer Email": "l2@example.com"},
    ]
    world.make_sheet(rows, line_items=lines)
    world.run()

    first, second = world.rows()
    assert first["Status"] == "error"
    assert first["Error"] == (
        'Line Items row 2: Unit Price "£100" is in GBP but the invoice\'s Currency is USD'
    )
    assert second["Status"] == "sent"
    (invoice,) = world.invoices()
    assert (invoice["total"], invoice["number"]) == (8000, "L-2")
