"""Parsing: headers matched loosely, every bad draft explained in words."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from sheetsync.errors import SheetError
from sheetsync.model import Column, Draft, Mode
from sheetsync.parse import (
    Defaults,
    invoice_number,
    parse_date,
    parse_draft,
    read_line_items,
    read_table,
)

TODAY = date(2026, 11, 21)
HEADER = [
    "Status",
    "Customer Email",
    "Description",
    "Unit Price",
    "Currency",
    "Quantity",
    "Tax Rate",
    "Due Date",
    "Mode",
    "Invoice #",
]


def draft(**cells: Any) -> Draft | list[str]:
    values = {
        "Status": "draft",
        "Customer Email": "ann@example.com",
        "Description": "Work",
        "Unit Price": Decimal("100"),
    }
    values.update({k.replace("_", " "): v for k, v in cells.items()})
    table = read_table([HEADER, [values.get(h) for h in HEADER]])
    return parse_draft(table.rows[0], Defaults(), TODAY)


def test_headers_match_in_any_case_order_and_spacing() -> None:
    table = read_table(
        [["  customer_EMAIL ", "notes", "STATUS", "unit  price"], ["a@b.co", "mine", "draft", 5]]
    )
    assert table.columns[Column.CUSTOMER_EMAIL] == 0
    assert table.columns[Column.STATUS] == 2
    assert table.columns[Column.UNIT_PRICE] == 3
    assert table.rows[0].cells[Column.UNIT_PRICE] == 5
    assert Column.SYNC_ID in table.missing and Column.ERROR in table.missing


def test_renamed_headers_come_from_configuration() -> None:
    table = read_table(
        [["State", "Client"], ["draft", "a@b.co"]], {"status": "State", "customer_email": "Client"}
    )
    assert table.rows[0].status == "draft"


def test_a_sheet_without_status_column_is_explained() -> None:
    with pytest.raises(SheetError, match="no Status column"):
        read_table([["Customer Email", "Amount"]])


def test_empty_rows_are_skipped_and_numbers_kept() -> None:
    table = read_table([HEADER, [], ["", None], ["draft", "a@b.co"]])
    assert [r.number for r in table.rows] == [4]


def test_a_good_row_becomes_a_draft() -> None:
    result = draft(
        Unit_Price="$1,234.50",
        Quantity=Decimal("7.5"),
        Tax_Rate=Decimal("8.25"),
        Currency="usd",
        Due_Date=Decimal(46357),
        Invoice_="A-7",
    )
    assert isinstance(result, Draft)
    assert result.currency == "USD"
    assert result.lines[0].unit_price == Decimal("1234.50")
    assert result.lines[0].quantity == Decimal("7.5")
    assert result.lines[0].tax_rate == Decimal("8.25")
    assert result.due_date == date(2026, 12, 1)
    assert result.mode is Mode.INVOICE


def test_defaults_fill_empty_cells() -> None:
    result = draft()
    assert isinstance(result, Draft)
    assert (result.currency, result.lines[0].quantity, result.due_date) == (
        "USD",
        Decimal(1),
        date(2026, 12, 21),
    )


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        ({"Customer_Email": ""}, "Customer Email is empty"),
        ({"Customer_Email": "ann@"}, 'Customer Email "ann@" is not an email address'),
        ({"Description": ""}, "Description is empty"),
        ({"Unit_Price": None}, "Unit Price is empty"),
        ({"Unit_Price": Decimal(0)}, "Unit Price must be more than 0"),
        ({"Unit_Price": Decimal(-5)}, "Unit Price must be more than 0"),
        ({"Unit_Price": "ten"}, 'Unit Price "ten" is not a number'),
        ({"Quantity": Decimal(0)}, "Quantity must be more than 0"),
        ({"Quantity": "lots"}, 'Quantity "lots" is not a number'),
        ({"Currency": "ABC"}, 'Currency "ABC" is not one Stripe accepts'),
        ({"Currency": "JPY", "Unit_Price": Decimal("10.5")}, "JPY amounts take no decimals"),
        (
            {"Currency": "KWD", "Unit_Price": Decimal("1.235")},
            "KWD amounts take at most 2 decimals",
        ),
        ({"Tax_Rate": Decimal(120)}, "Tax Rate must be between 0 and 100"),
        ({"Tax_Rate": "-1%"}, "Tax Rate must be between 0 and 100"),
        ({"Tax_Rate": Decimal("0.08")}, "Tax Rate 0.08 is ambiguous"),
        ({"Due_Date": "next week"}, 'Due Date "next week" is not a date'),
        ({"Due_Date": "2026-11-20"}, "Due Date 2026-11-20 is in the past"),
        ({"Mode": "cheque"}, 'Mode "cheque" is unknown'),
    ],
)
def test_bad_rows_say_what_to_fix(cells: dict[str, Any], message: str) -> None:
    result = draft(**cells)
    assert isinstance(result, list)
    assert any(message in m for m in result), result


def test_every_problem_of_a_row_is_reported_at_once() -> None:
    result = draft(Customer_Email="", Description="", Unit_Price="x")
    assert isinstance(result, list) and len(result) == 3


def test_tax_rate_as_text_with_percent_sign() -> None:
    result = draft(Tax_Rate="0.5%")
    assert isinstance(result, Draft) and result.lines[0].tax_rate == Decimal("0.5")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal(46357), date(2026, 12, 1)),
        (46357, date(2026, 12, 1)),
        ("2026-12-01", date(2026, 12, 1)),
        ("2026-02-30", None),
        ("01/12/2026", None),
        (Decimal(-3), None),
        (True, None),
    ],
)
def test_dates_from_serial_numbers_or_iso(value: Any, expected: date | None) -> None:
    assert parse_date(value) == expected


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        (
            {"Currency": "USD", "Unit_Price": "£100"},
            'Unit Price "£100" is in GBP but the row\'s Currency is USD',
        ),
        (
            {"Currency": "EUR", "Unit_Price": "JPY 5000"},
            'Unit Price "JPY 5000" is in JPY but the row\'s Currency is EUR',
        ),
        (
            {"Currency": "EUR", "Unit_Price": "¥5000"},
            'Unit Price "¥5000" is in CNY or JPY but the row\'s Currency is EUR',
        ),
        (
            {"Currency": "EUR", "Unit_Price": "$10"},
            'Unit Price "$10" is marked $ but the row\'s Currency is EUR',
        ),
        (
            {"Unit_Price": "10 €"},
            'Unit Price "10 €" is in EUR but the row\'s Currency is USD '
            "(the default when Currency is empty)",
        ),
    ],
)
def test_a_price_in_another_currency_is_refused(cells: dict[str, Any], message: str) -> None:
    assert draft(**cells) == [message]


@pytest.mark.parametrize(
    ("currency", "typed", "price"),
    [
        ("USD", "$1,234.50", "1234.50"),
        ("CAD", "$10", "10"),
        ("MXN", "$ 1.234,50", "1234.50"),
        ("EUR", "EUR 10", "10"),
        ("EUR", "10 €", "10"),
        ("EUR", "1.234,50 €", "1234.50"),
        ("JPY", "¥5000", "5000"),
        ("CNY", "¥50", "50"),
        ("SEK", "1 234,50 kr", "1234.50"),
        ("CHF", "CHF 1'234.50", "1234.50"),
        ("GBP", "gbp 3", "3"),
    ],
)
def test_a_price_marked_with_its_own_currency_is_billed(
    currency: str, typed: str, price: str
) -> None:
    result = draft(Currency=currency, Unit_Price=typed)
    assert isinstance(result, Draft), result
    assert result.lines[0].unit_price == Decimal(price)


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        (
            {"Currency": "EUR", "Unit_Price": "1.250"},
            'Unit Price "1.250" could be 1.25 or 1250: type 1250 or 1.25 without thousands '
            "separators, or enter it as a number",
        ),
        ({"Unit_Price": "12,500"}, 'Unit Price "12,500" could be 12.5 or 12500'),
        (
            {"Currency": "JPY", "Unit_Price": "1.250"},
            'Unit Price "1.250" could be 1.25 or 1250, but JPY amounts take no decimals: '
            "type 1250 without thousands separators, or enter it as a number",
        ),
        (
            {"Currency": "KWD", "Unit_Price": "1,250"},
            'Unit Price "1,250" could be 1.25 or 1250: type 1250 or 1.25',
        ),
        (
            {"Currency": "KWD", "Unit_Price": "1.235"},
            "Unit Price 1.235: KWD amounts take at most 2",
        ),
        ({"Quantity": "1,250"}, 'Quantity "1,250" could be 1.25 or 1250'),
        ({"Quantity": "$5"}, 'Quantity "$5" has a currency mark; type the number alone'),
        ({"Unit_Price": "1.2.3"}, 'Unit Price "1.2.3" is not a number'),
    ],
)
def test_separators_that_could_mean_two_amounts_are_refused(
    cells: dict[str, Any], message: str
) -> None:
    result = draft(**cells)
    assert isinstance(result, list) and len(result) == 1
    assert result[0].startswith(message), result


@pytest.mark.parametrize(
    ("cells", "quantity", "price"),
    [
        ({"Currency": "EUR", "Unit_Price": "1.234,50"}, "1", "1234.50"),
        ({"Currency": "EUR", "Unit_Price": "1 234,50"}, "1", "1234.50"),
        ({"Unit_Price": "1'234.50"}, "1", "1234.50"),
        ({"Unit_Price": "1234,5"}, "1", "1234.5"),
        ({"Currency": "JPY", "Unit_Price": "1.234.567"}, "1", "1234567"),
        ({"Currency": "JPY", "Unit_Price": "¥1,234,567"}, "1", "1234567"),
        ({"Unit_Price": Decimal("1.250")}, "1", "1.25"),
        ({"Currency": "KWD", "Unit_Price": "12.340"}, "1", "12.34"),
        ({"Currency": "BHD", "Unit_Price": "BHD 1.250"}, "1", "1.25"),
        ({"Unit_Price": 1250}, "1", "1250"),
        ({"Quantity": "7,5"}, "7.5", "100"),
        ({"Quantity": "1.234,5"}, "1234.5", "100"),
        ({"Quantity": Decimal("1.250")}, "1.25", "100"),
    ],
)
def test_amounts_typed_in_either_convention(
    cells: dict[str, Any], quantity: str, price: str
) -> None:
    result = draft(**cells)
    assert isinstance(result, Draft), result
    assert (result.lines[0].quantity, result.lines[0].unit_price) == (
        Decimal(quantity),
        Decimal(price),
    )


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        (
            {"Unit_Price": "99,999,999.99"},
            "Unit Price 99,999,999.99 USD is above Stripe's maximum of 999,999.99 USD "
            "for one price",
        ),
        (
            {"Unit_Price": Decimal(600000), "Quantity": 2},
            "Quantity × Unit Price 1,200,000.00 USD is above Stripe's maximum of 999,999.99 USD "
            "for one line",
        ),
        (
            {"Unit_Price": "0.01", "Quantity": Decimal("1E+30")},
            "Quantity × Unit Price is above Stripe's maximum of 999,999.99 USD for one line",
        ),
        (
            {"Unit_Price": "999,999.99", "Tax_Rate": 10},
            "Total 1,099,999.99 USD is above Stripe's maximum of 999,999.99 USD for one invoice",
        ),
        (
            {"Currency": "JPY", "Unit_Price": Decimal(100000000)},
            "Unit Price 100,000,000 JPY is above Stripe's maximum of 99,999,999 JPY for one price",
        ),
        (
            {"Unit_Price": Decimal("1E+26")},
            "Unit Price 1.00E+26 USD is above Stripe's maximum of 999,999.99 USD for one price",
        ),
        ({"Unit_Price": "1" + "0" * 400}, "Unit Price 1.00E+400 USD is above Stripe's maximum"),
        ({"Unit_Price": Decimal("1E+999999")}, "Unit Price 1.00E+999999 USD is above"),
        ({"Unit_Price": Decimal("1E-30")}, "Unit Price 1E-30: USD amounts take at most 2 decimals"),
        ({"Unit_Price": "1E+26"}, 'Unit Price "1E+26" is not a number'),
        ({"Unit_Price": Decimal("NaN")}, "Unit Price NaN is not a number"),
        ({"Unit_Price": Decimal("sNaN")}, "Unit Price sNaN is not a number"),
        ({"Unit_Price": Decimal("-Infinity")}, "Unit Price -Infinity is not a number"),
        ({"Unit_Price": "Infinity"}, 'Unit Price "Infinity" is not a number'),
        ({"Unit_Price": "10^400"}, 'Unit Price "10^400" is not a number'),
        ({"Quantity": Decimal("1E-30")}, "Quantity has more than 12 decimals"),
        ({"Quantity": 10**400}, "Quantity × Unit Price is above Stripe's maximum"),
        ({"Quantity": Decimal("Infinity")}, "Quantity Infinity is not a number"),
        (
            {"Currency": "KWD", "Quantity": "0.125", "Unit_Price": "10.10"},
            "Quantity × Unit Price comes to 1.263 KWD, but KWD amounts take at most 2 decimals",
        ),
        (
            {"Currency": "ISK", "Quantity": "1.5", "Unit_Price": "101"},
            "Quantity × Unit Price comes to 151.50 ISK, but ISK amounts take no decimals",
        ),
    ],
)
def test_amounts_stripe_cannot_take_are_row_errors(cells: dict[str, Any], message: str) -> None:
    result = draft(**cells)
    assert isinstance(result, list) and len(result) == 1, result
    assert result[0].startswith(message), result


@pytest.mark.parametrize(
    ("currency", "price"),
    [("USD", "999,999.99"), ("JPY", "99,999,999"), ("KWD", "99,999.99"), ("IDR", "9999999999.99")],
)
def test_the_largest_amount_stripe_takes_is_billed(currency: str, price: str) -> None:
    assert isinstance(draft(Currency=currency, Unit_Price=price), Draft)


def test_the_minimum_charge_is_checked_on_the_amount_stripe_bills() -> None:
    # 0.5 × 0.99 = 0.495, which Stripe rounds half up to 0.50: the minimum.
    assert isinstance(draft(Quantity=Decimal("0.5"), Unit_Price="0.99"), Draft)
    assert draft(Quantity=Decimal("0.5"), Unit_Price="0.97") == [
        "Total 0.49 USD is below Stripe's minimum charge of 0.50 USD"
    ]


def test_a_line_items_price_in_another_currency_names_the_invoice() -> None:
    lines = read_line_items(
        [
            ["Invoice #", "Description", "Unit Price", "Quantity"],
            ["A-1", "Design", "£100", None],
            ["A-1", "Hosting", "10", "1,500"],
        ]
    )["a-1"]
    table = read_table([HEADER, ["draft", "ann@example.com", "x", None, "USD"]])
    assert parse_draft(table.rows[0], Defaults(), TODAY, lines) == [
        'Line Items row 2: Unit Price "£100" is in GBP but the invoice\'s Currency is USD',
        'Line Items row 3: Quantity "1,500" could be 1.5 or 1500: type 1500 or 1.5 without '
        "thousands separators, or enter it as a number",
    ]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("1042"), "1042"),
        (Decimal("1042.0"), "1042"),
        (Decimal("10.5"), "10.5"),
        (Decimal("1E+999999"), "1E+999999"),
        (" A-7 ", "A-7"),
        (None, ""),
    ],
)
def test_invoice_numbers_as_text(value: Any, text: str) -> None:
    assert invoice_number(value) == text
