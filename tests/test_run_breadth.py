"""End to end: several lines, two tax rates, every currency, invoice numbers, paid outside."""

from __future__ import annotations

import subprocess
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest

from tests.conftest import NO_TAB, World
from tests.invariants import assert_one_invoice_per_row

ROW = {
    "Status": "draft",
    "Customer Email": "lines@example.com",
    "Description": "ignored",
    "Unit Price": "1.00",
}


def test_three_lines_with_two_tax_rates_agree_to_the_minor_unit(world: World) -> None:
    lines = [
        ["A-1", "Design", 3, "120.00", 20],
        ["A-1", "Hosting", 1, "9.99", 7.7],
        ["A-1", "Domain", 2, "12.45", 20],
        ["B-2", "other invoice", 1, "5.00", None],
    ]
    world.make_sheet([{**ROW, "Invoice #": "A-1"}], line_items=lines)
    world.run()

    invoice = world.invoices()[0]
    assert [ln["description"] for ln in invoice["lines"]["data"]] == ["Design", "Hosting", "Domain"]
    by_hand = Decimal(0)
    for _, _, quantity, price, rate in lines[:3]:
        net = Decimal(quantity) * Decimal(price)
        tax = (net * Decimal(str(rate)) / 100).quantize(Decimal("0.01"), ROUND_HALF_UP)
        by_hand += net + tax
    assert by_hand == Decimal("472.64")  # 360 + 72 + 9.99 + 0.77 + 24.90 + 4.98
    assert invoice["total"] == int(by_hand * 100)
    assert Decimal(str(world.rows()[0]["Total"])) == by_hand

    rates = world.stripe.objects("tax_rate")
    assert sorted(Decimal(str(r["percentage"])) for r in rates) == [Decimal("7.7"), Decimal(20)]
    world.make_sheet([{**ROW, "Invoice #": "A-9"}], line_items=[["A-9", "More", 1, "10", 20]])
    world.run()
    assert len(world.stripe.objects("tax_rate")) == 2  # reused across runs, not duplicated


def test_line_items_limits_are_checked_before_stripe(world: World) -> None:
    many = [["BIG", f"line {i}", 1, "1.00", None] for i in range(251)]
    long_text = [["LONG", "x" * 5001, 1, "1.00", None]]
    world.make_sheet(
        [{**ROW, "Invoice #": "BIG"}, {**ROW, "Invoice #": "LONG"}], line_items=many + long_text
    )
    world.run()
    first, second = world.rows()
    assert first["Status"] == "error" and "251 Line Items rows" in first["Error"]
    assert second["Status"] == "error" and "Stripe takes at most 5000" in second["Error"]
    assert world.invoices() == []


@pytest.mark.parametrize(
    ("currency", "price", "minor"),
    [
        ("USD", "19.99", 1999),
        ("EUR", "0.50", 50),
        ("GBP", "1,000.01", 100001),
        ("JPY", "5000", 5000),
        ("KRW", "15000", 15000),
        ("CLP", "990", 990),
        ("KWD", "12.34", 12340),
        ("BHD", "1.5", 1500),
        ("TND", "7.25", 7250),
    ],
)
def test_every_currency_converts_exactly(
    world: World, currency: str, price: str, minor: int
) -> None:
    world.make_sheet([{**ROW, "Currency": currency, "Unit Price": price}])
    world.run()
    invoice = world.invoices()[0]
    assert (invoice["currency"], invoice["total"]) == (currency.lower(), minor)


@pytest.mark.parametrize(
    ("currency", "price", "message"),
    [
        ("JPY", "10.5", "JPY amounts take no decimals"),
        ("KRW", "0.5", "no decimals"),
        ("KWD", "1.235", "at most 2 decimals"),
        ("USD", "0.49", "below Stripe's minimum"),
        ("GBP", "0.29", "minimum charge of 0.30 GBP"),
        ("JPY", "49", "minimum charge of 50 JPY"),
        ("ISK", "100.50", "ISK amounts take no decimals"),
    ],
)
def test_unrepresentable_and_too_small_amounts_are_row_errors(
    world: World, currency: str, price: str, message: str
) -> None:
    world.make_sheet([{**ROW, "Currency": currency, "Unit Price": price}])
    world.run()
    assert message in world.rows()[0]["Error"]
    assert world.invoices() == []


def test_invoice_numbers_are_generated_unique_and_stable(world: World) -> None:
    rows: list[dict[str, Any]] = [
        {**ROW, "Customer Email": f"n{i}@example.com", "Unit Price": "2.00"} for i in range(200)
    ]
    rows[5]["Invoice #"] = "INV-2026-0150"  # typed by a person: kept, and skipped
    world.make_sheet(rows[:120])
    world.run()
    grid = world.grid()
    grid += [[r.get(h) for h in grid[0]] for r in rows[120:]]
    world.sheets.set_values(world.spreadsheet_id, "Invoices", grid)
    world.run()

    numbers = [r["Invoice #"] for r in world.rows()]
    assert len(set(numbers)) == 200 and numbers[5] == "INV-2026-0150"
    assert numbers[0] == "INV-2026-0151" and numbers[-1] == "INV-2026-0349"
    assert {i["number"] for i in world.invoices()} == set(numbers)


def test_an_invoice_number_survives_a_crash_between_claim_and_write_back(world: World) -> None:
    world.use_real_clock()
    world.make_sheet([{**ROW, "Customer Email": "c@example.com"}])
    holder: list[subprocess.Popen[str]] = []

    def kill(*_: Any) -> None:
        holder[0].kill()
        holder[0].wait(timeout=10)

    world.stripe.after(r"/finalize$", kill)
    holder.append(world.spawn("run"))
    holder[0].wait(timeout=60)
    claimed = world.rows()[0]["Invoice #"]
    assert claimed == f"INV-{world.now.year}-0001"

    world.advance(days=16 / 1440)
    world.run()
    assert_one_invoice_per_row(world, rows=1)
    assert world.rows()[0]["Invoice #"] == claimed == world.invoices()[0]["number"]


def test_a_duplicate_typed_invoice_number_is_an_error(world: World) -> None:
    world.make_sheet([{**ROW, "Invoice #": "X-1"}, {**ROW, "Invoice #": "x-1"}])
    world.run()
    assert [r["Status"] for r in world.rows()] == ["error", "error"]
    assert "Invoice # X-1 is also in row 3" in world.rows()[0]["Error"]


def test_stripes_own_numbers_when_the_pattern_is_empty(world: World) -> None:
    world.make_sheet([ROW])
    world.run(invoice_number_pattern="")
    assert world.rows()[0]["Invoice #"] == world.invoices()[0]["number"]
    assert not str(world.rows()[0]["Invoice #"]).startswith("INV-")


def test_paid_outside_stripe_is_recorded_and_the_persons_date_kept(world: World) -> None:
    world.make_sheet([ROW, {**ROW, "Customer Email": "other@example.com"}])
    world.run()
    grid = world.grid()
    header = grid[0]
    for index, paid_at in ((1, "2026-11-19"), (2, None)):
        grid[index][header.index("Status")] = "paid"
        grid[index][header.index("Paid At")] = paid_at
        grid[index][header.index("Memo")] = "bank transfer ref 42"
    world.sheets.set_values(world.spreadsheet_id, "Invoices", grid)
    world.run()

    first, second = world.rows()
    for row in (first, second):
        invoice = world.stripe.get(str(row["Stripe ID"]))
        assert invoice["status"] == "paid" and invoice["amount_paid"] == invoice["total"]
        pays = [r for r in world.stripe.requests if r.path == f"/v1/invoices/{invoice['id']}/pay"]
        assert [r.params for r in pays] == [{"paid_out_of_band": True}]
        assert row["Status"] == "paid" and Decimal(str(row["Amount Paid"])) == Decimal("1")
    assert first["Paid At"] == "2026-11-19" and second["Paid At"] == "2026-11-21"
    assert first["Memo"] == "bank transfer ref 42"


def test_the_memo_reaches_the_customer(world: World) -> None:
    world.make_sheet([{**ROW, "Memo": "Thank you — payable within 14 days"}])
    world.run()
    assert world.invoices()[0]["description"] == "Thank you — payable within 14 days"


def test_without_a_line_items_tab_rows_bill_alone(world: World) -> None:
    world.make_sheet([ROW], line_items=NO_TAB)
    world.run()
    assert world.rows()[0]["Status"] == "sent"
    statuses = [r.status for r in world.sheets.requests if r.method_id.endswith("batchGet")]
    assert statuses[:2] == [400, 200]  # the first read learns the tab is absent, once
    world.sheets.reset_requests()
    world.run(line_items_worksheet="")
    assert world.sheets.count("read") == 1
