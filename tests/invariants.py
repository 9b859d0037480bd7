"""Assertions of DESIGN.md's invariants, shared by the fault tests."""

from __future__ import annotations

from typing import Any

from tests.conftest import PERSON_HEADER, World

PERSON_COLUMNS = [h for h in PERSON_HEADER if h not in ("Status", "Invoice #")]


def person_cells(world: World) -> list[dict[str, Any]]:
    """What people typed, row by row (the cells sheetsync must never change)."""
    return [{h: row.get(h) for h in PERSON_COLUMNS} for row in world.rows()]


def assert_one_invoice_per_row(world: World, rows: int) -> None:
    """Exactly one finalized invoice with one line per billed row, and it is in the row."""
    invoices = world.invoices()
    assert len(invoices) == rows, [i["id"] for i in invoices]
    by_sync_id = {i["metadata"]["sheetsync_id"]: i for i in invoices}
    assert len(by_sync_id) == rows
    for row in world.rows():
        invoice = by_sync_id[str(row["Sync ID"])]
        assert row["Stripe ID"] == invoice["id"]
        assert row["Status"] == "sent", row
        assert invoice["status"] == "open"
        assert len(invoice["lines"]["data"]) == 1
        assert len(world.stripe.objects("invoiceitem")) == rows


def drafts(count: int, prefix: str, price: str = "50.00") -> list[dict[str, Any]]:
    """`count` valid draft rows, one customer each."""
    return [
        {
            "Status": "draft",
            "Customer Email": f"{prefix}{i}@example.com",
            "Description": f"Job {i}",
            "Unit Price": price,
        }
        for i in range(count)
    ]
