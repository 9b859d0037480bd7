"""End to end: draft rows become finalized Stripe invoices with links in the sheet."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.conftest import World

DRAFTS: list[dict[str, Any]] = [
    {
        "Status": "draft",
        "Customer Email": "ann@example.com",
        "Customer Name": "Ann",
        "Description": "Website",
        "Unit Price": "1,234.50",
        "Currency": "USD",
    },
    {
        "Status": "draft",
        "Customer Email": "kenji@example.jp",
        "Description": "Consulting",
        "Unit Price": 5000,
        "Currency": "JPY",
    },
    {
        "Status": "draft",
        "Customer Email": "sara@example.kw",
        "Description": "Design",
        "Unit Price": "12.340",
        "Currency": "KWD",
        "Quantity": 2,
    },
    {
        "Status": "draft",
        "Customer Email": "Ann@Example.com",
        "Description": "Hosting",
        "Unit Price": "100.00",
        "Tax Rate": 8.25,  # a number cell, as Sheets holds it
        "Quantity": 2,
    },
]


def test_drafts_become_sent_rows_with_links(world: World) -> None:
    world.make_sheet(DRAFTS)
    report = world.run()

    assert report.created == 4 and report.errors == 0
    rows = world.rows()
    assert [r["Status"] for r in rows] == ["sent"] * 4
    invoices = {i["id"]: i for i in world.invoices()}
    assert len(invoices) == 4
    for row in rows:
        invoice = invoices[row["Stripe ID"]]
        assert invoice["status"] == "open"
        assert row["Payment URL"] == invoice["hosted_invoice_url"] and row["Payment URL"]
        assert row["PDF URL"] == invoice["invoice_pdf"] and row["PDF URL"]
        assert row["Invoice #"] == invoice["number"]
        assert invoice["metadata"]["sheetsync_id"] == row["Sync ID"]
        assert invoice["metadata"]["sheetsync_spreadsheet"] == world.spreadsheet_id
        assert row["Error"] in (None, "")
        assert row["Last Synced"] == "2026-11-21 12:00:00+00:00"

    amounts = [
        (invoices[r["Stripe ID"]]["currency"], invoices[r["Stripe ID"]]["total"]) for r in rows
    ]
    # 1,234.50 USD; 5000 JPY; 2 × 12.340 KWD; 2 × 100.00 USD + 8.25 % tax (200.00 + 16.50)
    assert amounts == [("usd", 123450), ("jpy", 5000), ("kwd", 24680), ("usd", 21650)]
    assert [Decimal(str(r["Total"])) for r in rows] == [
        Decimal("1234.5"),
        Decimal("5000"),
        Decimal("24.68"),
        Decimal("216.5"),
    ]


def test_customers_are_reused_by_email_whatever_its_case(world: World) -> None:
    world.make_sheet(DRAFTS)
    world.run()
    customers = world.stripe.objects("customer")
    assert sorted(c["email"] for c in customers) == [
        "ann@example.com",
        "kenji@example.jp",
        "sara@example.kw",
    ]
    ann = next(c for c in customers if c["email"] == "ann@example.com")
    assert ann["name"] == "Ann"


def test_invoices_are_not_emailed_unless_asked(world: World) -> None:
    world.make_sheet(DRAFTS[:1])
    world.run()
    posts = [r.path for r in world.stripe.requests if r.method == "POST"]
    assert [p for p in posts if p.startswith("/v1/invoices")] == [
        "/v1/invoices",
        f"/v1/invoices/{world.invoices()[0]['id']}/finalize",
    ]
    assert not [r for r in world.stripe.requests if r.path.endswith("/send")]

    world.make_sheet(DRAFTS[1:2])
    world.run(send_invoices=True)
    assert len([r for r in world.stripe.requests if r.path.endswith("/send")]) == 1


def test_a_second_run_changes_nothing_and_creates_nothing(world: World) -> None:
    world.make_sheet(DRAFTS)
    world.run()
    before_sheet, before_objects = world.grid(), len(world.stripe.objects("invoice"))
    world.sheets.reset_requests()
    world.stripe.reset_requests()

    report = world.run()

    assert report.created == 0 and report.updated == 0
    assert world.grid() == before_sheet
    assert len(world.stripe.objects("invoice")) == before_objects
    assert world.sheets.count("write") == 0 and world.sheets.count("read") == 1
    assert world.stripe.count(method="POST") == 0


def test_invoice_terms_and_invoice_number_typed_by_a_person(world: World) -> None:
    world.make_sheet(
        [{**DRAFTS[0], "Invoice #": "ACME-77", "Due Date": "2026-12-24", "Memo": "Thanks!"}]
    )
    world.run(timezone="Europe/Berlin")
    invoice = world.invoices()[0]
    assert invoice["number"] == "ACME-77"
    assert invoice["collection_method"] == "send_invoice"
    assert invoice["auto_advance"] is False
    assert invoice["description"] == "Thanks!"
    # the last second of 24 December in Berlin
    assert invoice["due_date"] == 1798153199
    assert world.rows()[0]["Invoice #"] == "ACME-77"


def test_payment_terms_set_the_due_date_of_rows_without_one(world: World) -> None:
    world.make_sheet(DRAFTS[:1])
    world.run(payment_terms_days=14)
    # 2026-12-05 23:59:59 UTC
    assert world.invoices()[0]["due_date"] == 1796515199
