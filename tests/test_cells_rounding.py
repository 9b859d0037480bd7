"""End to end: the amount --dry-run announces is the amount Stripe bills, to the minor unit."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from sheetsync import money
from tests.conftest import World

ROW = {"Status": "draft", "Customer Email": "round@example.com", "Description": "Work"}


@pytest.mark.parametrize(
    ("cells", "line_items", "announced", "billed"),
    [
        ({"Quantity": "2.5", "Unit Price": "10.01"}, [], "25.03 USD", 2503),
        ({"Quantity": "0.5", "Unit Price": "0.99"}, [], "0.50 USD", 50),
        ({"Quantity": "1.5", "Unit Price": "333", "Currency": "JPY"}, [], "500 JPY", 500),
        ({"Quantity": "0.5", "Unit Price": "10.02", "Currency": "KWD"}, [], "5.010 KWD", 5010),
        (
            {"Invoice #": "R-1"},
            [["R-1", "One", "0.5", "1.01", None], ["R-1", "Two", "0.5", "1.01", None]],
            "1.02 USD",  # each line rounds 0.505 up: 0.51 + 0.51, not 1.01
            102,
        ),
    ],
)
def test_the_announcement_is_the_invoice_total(
    world: World, cells: dict[str, Any], line_items: list[list[Any]], announced: str, billed: int
) -> None:
    world.make_sheet([{**ROW, **cells}], line_items=line_items)

    plan = world.run(dry_run=True).actions
    assert plan == [f"row 2: bill {announced} to round@example.com"]
    world.run()

    (invoice,) = world.invoices()
    assert invoice["total"] == billed
    currency = invoice["currency"].upper()
    assert money.format_amount(money.from_minor(invoice["total"], currency), currency) == announced
    assert Decimal(str(world.rows()[0]["Total"])) == money.from_minor(billed, currency)


def test_with_tax_the_announced_subtotal_is_the_invoice_subtotal(world: World) -> None:
    world.make_sheet([{**ROW, "Quantity": "2.5", "Unit Price": "10.01", "Tax Rate": 10}])

    assert world.run(dry_run=True).actions == ["row 2: bill 25.03 USD + tax to round@example.com"]
    world.run()

    (invoice,) = world.invoices()
    assert (invoice["subtotal"], invoice["total"]) == (2503, 2503 + 250)  # 250.3 rounds to 250
