"""End to end: amounts typed with thousands separators in either convention."""

from __future__ import annotations

from typing import Any

from tests.conftest import World

GOOD = {"Status": "draft", "Description": "Work", "Currency": "EUR"}

BILLED: list[tuple[dict[str, Any], int]] = [
    ({"Unit Price": "1.234,50"}, 123450),
    ({"Unit Price": "1 234,50"}, 123450),
    ({"Unit Price": "1,234.50"}, 123450),
    ({"Unit Price": "1234,5"}, 123450),
    ({"Currency": "CHF", "Unit Price": "1'234.50"}, 123450),
    ({"Unit Price": 1.25}, 125),  # a number cell is never ambiguous
    ({"Unit Price": "10,00", "Quantity": "1,5"}, 1500),
    ({"Currency": "JPY", "Unit Price": "1.234.567"}, 1234567),
    ({"Currency": "KWD", "Unit Price": "12.340"}, 12340),
]
REFUSED: list[tuple[dict[str, Any], str]] = [
    (
        {"Unit Price": "1.250"},
        'Unit Price "1.250" could be 1.25 or 1250: type 1250 or 1.25 without thousands '
        "separators, or enter it as a number",
    ),
    ({"Unit Price": "12,500"}, 'Unit Price "12,500" could be 12.5 or 12500'),
    ({"Unit Price": "10", "Quantity": "2,000"}, 'Quantity "2,000" could be 2 or 2000'),
    ({"Unit Price": "1,23,4"}, 'Unit Price "1,23,4" is not a number'),
]


def test_separators_in_either_convention_bill_and_ambiguous_ones_are_errors(
    world: World,
) -> None:
    rows = [
        {**GOOD, **cells, "Customer Email": f"bad{i}@example.com"}
        for i, (cells, _) in enumerate(REFUSED)
    ]
    rows += [
        {**GOOD, **cells, "Customer Email": f"good{i}@example.com"}
        for i, (cells, _) in enumerate(BILLED)
    ]
    world.make_sheet(rows)
    report = world.run()

    for row, (_, message) in zip(world.rows(), REFUSED, strict=False):
        assert (row["Status"], row["Stripe ID"]) == ("error", None), row
        assert str(row["Error"]).startswith(message), row["Error"]
    billed = {world.stripe.get(i["customer"])["email"]: i["total"] for i in world.invoices()}
    assert billed == {f"good{i}@example.com": total for i, (_, total) in enumerate(BILLED)}
    assert not any(c["email"].startswith("bad") for c in world.stripe.objects("customer"))
    assert (report.created, report.errors) == (len(BILLED), len(REFUSED))
