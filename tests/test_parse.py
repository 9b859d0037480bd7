"""Parsing: headers matched loosely, every bad draft explained in words."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from sheetsync.errors import SheetError
from sheetsync.model import Column, Draft, Mode
from sheetsync.parse import Defaults, parse_date, parse_draft, read_table

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
        ({"Currency": "KWD", "Unit_Price": "1.235"}, "KWD amounts take at most 2 decimals"),
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
