"""Planning: a pure function from (sheet, Stripe state, now) to actions."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sheetsync.billing import InvoiceState
from sheetsync.model import Column, Status
from sheetsync.parse import Defaults, read_table
from sheetsync.plan import invoices_to_watch, plan_cycle
from sheetsync.reconcile import due_timestamp, invoice_status, local_date

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
HEADER = [
    "Status",
    "Customer Email",
    "Description",
    "Unit Price",
    "Sync ID",
    "Stripe ID",
    "Amount Paid",
    "Paid At",
    "Error",
]


def plan_for(rows: list[list[Any]], invoices: dict[str, InvoiceState] | None = None) -> Any:
    ids = (f"ss_{n}" for n in itertools.count(1))
    table = read_table([HEADER, *rows])
    return plan_for_table(table, invoices or {}, ids)


def plan_for_table(table: Any, invoices: dict[str, InvoiceState], ids: Any) -> Any:
    return plan_cycle(table, invoices, NOW, ZoneInfo("UTC"), Defaults(), lambda row: next(ids))


def open_invoice(**fields: Any) -> InvoiceState:
    base: dict[str, Any] = {
        "id": "in_1",
        "status": "open",
        "currency": "USD",
        "total": 1000,
        "amount_remaining": 1000,
        "due_date": int(NOW.timestamp()) + 86400,
    }
    return InvoiceState(**{**base, **fields})


def test_a_valid_draft_is_claimed_then_billed() -> None:
    plan = plan_for([["draft", "a@b.co", "Work", Decimal(10)]])
    assert [(c.row, c.sync_id, c.processing) for c in plan.claims] == [(2, "ss_1", True)]
    assert [(b.row, b.sync_id, b.recover) for b in plan.bills] == [(2, "ss_1", False)]


def test_a_bad_draft_gets_an_id_and_an_error_but_no_bill() -> None:
    plan = plan_for([["draft", "", "Work", Decimal(10)]])
    assert plan.bills == []
    assert [(c.row, c.processing) for c in plan.claims] == [(2, False)]
    assert plan.changes["ss_1"][Column.STATUS] == "error"
    assert plan.changes["ss_1"][Column.ERROR] == "Customer Email is empty"


def test_an_error_row_is_left_alone_until_set_to_draft() -> None:
    assert plan_for([["error", "", "Work", Decimal(10), "ss_9", "", "", "", "x"]]).idle
    again = plan_for(
        [["draft", "", "Work", Decimal(10), "ss_8", "", "", "", "Customer Email is empty"]]
    )
    assert again.claims == [] and again.changes["ss_8"][Column.STATUS] == "error"


def test_a_processing_row_is_recovered_under_its_own_id() -> None:
    plan = plan_for([["processing", "a@b.co", "Work", Decimal(10), "ss_7"]])
    assert [(c.sync_id, c.processing) for c in plan.claims] == [("ss_7", True)]
    assert [(b.sync_id, b.recover) for b in plan.bills] == [("ss_7", True)]


def test_paid_in_stripe_reaches_the_row() -> None:
    paid_at = int(datetime(2026, 11, 20, 23, 30, tzinfo=UTC).timestamp())
    invoice = open_invoice(status="paid", amount_paid=1000, amount_remaining=0, paid_at=paid_at)
    plan = plan_for([["sent", "a@b.co", "Work", Decimal(10), "ss_7", "in_1"]], {"in_1": invoice})
    assert plan.changes["ss_7"][Column.STATUS] == "paid"
    assert plan.changes["ss_7"][Column.AMOUNT_PAID] == Decimal("10.00")
    assert plan.changes["ss_7"][Column.PAID_AT] == "2026-11-20"


def test_paid_at_follows_the_configured_time_zone() -> None:
    paid_at = int(datetime(2026, 11, 20, 23, 30, tzinfo=UTC).timestamp())
    assert local_date(paid_at, ZoneInfo("Asia/Tokyo")).isoformat() == "2026-11-21"


def test_an_unchanged_open_invoice_plans_nothing() -> None:
    plan = plan_for(
        [["sent", "a@b.co", "Work", Decimal(10), "ss_7", "in_1"]], {"in_1": open_invoice()}
    )
    assert plan.idle


def test_statuses_from_stripe_state() -> None:
    past = int(NOW.timestamp()) - 1
    assert invoice_status(open_invoice(), NOW) is Status.SENT
    assert invoice_status(open_invoice(due_date=past), NOW) is Status.OVERDUE
    assert invoice_status(open_invoice(attempted=True), NOW) is Status.FAILED
    assert invoice_status(open_invoice(status="void"), NOW) is Status.VOID
    assert invoice_status(open_invoice(status="uncollectible"), NOW) is Status.UNCOLLECTIBLE


def test_void_typed_on_an_open_invoice_voids_it() -> None:
    plan = plan_for(
        [["void", "a@b.co", "Work", Decimal(10), "ss_7", "in_1"]], {"in_1": open_invoice()}
    )
    assert [(v.sync_id, v.invoice_id) for v in plan.voids] == [("ss_7", "in_1")]


def test_a_draft_already_billed_is_not_billed_again() -> None:
    plan = plan_for(
        [["draft", "a@b.co", "Work", Decimal(10), "ss_7", "in_1"]], {"in_1": open_invoice()}
    )
    assert plan.bills == []
    assert "already billed as in_1" in str(plan.changes["ss_7"][Column.ERROR])
    assert plan.changes["ss_7"][Column.STATUS] == "sent"


def test_a_copied_sync_id_blocks_both_rows() -> None:
    plan = plan_for(
        [
            ["draft", "a@b.co", "Work", Decimal(10), "ss_7"],
            ["draft", "a@b.co", "Work", Decimal(10), "ss_7"],
        ]
    )
    assert plan.bills == [] and plan.duplicates == {"ss_7": [2, 3]}


def test_only_invoices_that_can_change_are_watched() -> None:
    table = read_table(
        [
            HEADER,
            ["sent", "", "", "", "s1", "in_1"],
            ["uncollectible", "", "", "", "s2", "in_2"],
            ["void", "", "", "", "s3", "in_3"],
            ["overdue", "", "", "", "s4", "in_4"],
        ]
    )
    assert invoices_to_watch(table) == {"in_1", "in_3", "in_4"}


def test_due_date_ends_at_midnight_local() -> None:
    from datetime import date

    stamp = due_timestamp(date(2026, 12, 1), ZoneInfo("America/New_York"))
    assert datetime.fromtimestamp(stamp, UTC) == datetime(2026, 12, 2, 4, 59, 59, tzinfo=UTC)
