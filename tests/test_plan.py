"""Planning: a pure function from (sheet, Stripe state, now) to actions."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from sheetsync.billing import InvoiceState
from sheetsync.claims import owner_note
from sheetsync.model import Column, Status
from sheetsync.parse import Defaults, read_table
from sheetsync.plan import Scope, plan_cycle
from sheetsync.reconcile import due_timestamp, invoice_status, local_date
from sheetsync.watch import invoices_to_look_up

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


LEASE = Scope(holder="me/1/aa", lease=True)


def plan_for(
    rows: list[list[Any]],
    invoices: dict[str, InvoiceState] | None = None,
    scope: Scope = LEASE,
) -> Any:
    table = read_table([HEADER, *rows])
    return plan_cycle(table, invoices or {}, NOW, ZoneInfo("UTC"), Defaults(), scope)


def open_invoice(**fields: Any) -> InvoiceState:
    base: dict[str, Any] = {
        "id": "in_1",
        "status": "open",
        "currency": "USD",
        "total": 1000,
        "amount_remaining": 1000,
        "due_date": int(NOW.timestamp()) + 86400,
        "sync_id": "ss_7",
    }
    return InvoiceState(**{**base, **fields})


def test_a_claimed_row_is_billed_without_a_search() -> None:
    mine = Scope(holder="me/1/aa", lease=True, held=frozenset({"ss_1"}))
    plan = plan_for([["processing", "a@b.co", "Work", Decimal(10), "ss_1"]], scope=mine)
    assert [(b.row, b.sync_id, b.recover) for b in plan.bills] == [(2, "ss_1", False)]


def test_an_unclaimed_draft_is_only_previewed() -> None:
    row = ["draft", "a@b.co", "Work", Decimal(10)]
    assert plan_for([row]).idle
    preview = plan_for([row], scope=Scope(preview=True))
    assert [(b.row, b.recover) for b in preview.bills] == [(2, False)]


def test_a_bad_draft_gets_an_error_but_no_bill() -> None:
    plan = plan_for([["draft", "", "Work", Decimal(10), "ss_1"]])
    assert plan.bills == []
    assert plan.changes["ss_1"][Column.STATUS] == "error"
    assert plan.changes["ss_1"][Column.ERROR] == "Customer Email is empty"


def test_a_row_without_a_sync_id_is_left_for_the_claim() -> None:
    assert plan_for([["draft", "", "Work", Decimal(10)]]).idle


def test_an_error_row_is_left_alone_until_set_to_draft() -> None:
    assert plan_for([["error", "", "Work", Decimal(10), "ss_9", "", "", "", "x"]]).idle
    again = plan_for(
        [["draft", "", "Work", Decimal(10), "ss_8", "", "", "", "Customer Email is empty"]]
    )
    assert again.changes["ss_8"][Column.STATUS] == "error"


def test_another_runs_claim_is_finished_by_the_lease_holder_at_once() -> None:
    note = owner_note("gone/1/aa")
    row = ["processing", "a@b.co", "Work", Decimal(10), "ss_7", "", "", "", note]
    plan = plan_for([row])
    assert [(b.sync_id, b.recover) for b in plan.bills] == [("ss_7", True)]
    assert plan_for([row], scope=Scope(holder="me/1/aa")).idle  # without the lease: left


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


def test_only_invoices_that_can_change_are_looked_up() -> None:
    table = read_table(
        [
            HEADER,
            ["sent", "", "", "", "s1", "in_1"],
            ["uncollectible", "", "", "", "s2", "in_2"],
            ["void", "", "", "", "s3", "in_3"],
            ["overdue", "", "", "", "s4", "in_4"],
            ["payed", "", "", "", "s5", "in_5"],
            ["paid", "", "", "", "s6", "in_6"],
            ["paid", "", "", "", "s7", "in_7", "10.00"],
        ]
    )
    assert invoices_to_look_up(table, {"in_4": open_invoice(id="in_4")}) == {
        "in_1",
        "in_5",
        "in_6",
    }


def test_due_date_ends_at_midnight_local() -> None:
    from datetime import date

    stamp = due_timestamp(date(2026, 12, 1), ZoneInfo("America/New_York"))
    assert datetime.fromtimestamp(stamp, UTC) == datetime(2026, 12, 2, 4, 59, 59, tzinfo=UTC)


# -- people's edits never cost money ---------------------------------------------------------
def test_two_rows_naming_one_stripe_object_are_both_flagged_and_nothing_else() -> None:
    rows = [
        ["void", "a@b.co", "Work", Decimal(10), "ss_7", "in_1"],
        ["draft", "a@b.co", "Other", Decimal(10), "ss_8", "in_1"],
    ]
    plan = plan_for(rows, {"in_1": open_invoice()})
    assert plan.voids == [] and plan.bills == []
    assert set(plan.changes) == {"ss_7", "ss_8"}
    for changes in plan.changes.values():
        assert set(changes) == {Column.ERROR, Column.LAST_SYNCED}
        assert "rows 2, 3" in str(changes[Column.ERROR])


@pytest.mark.parametrize("status", ["void", "paid", "draft", "sent"])
def test_a_row_whose_sync_id_is_not_the_invoices_is_never_acted_on(status: str) -> None:
    row = [status, "a@b.co", "Work", Decimal(10), "ss_copy", "in_1", "", "", ""]
    plan = plan_for([row], {"in_1": open_invoice(sync_id="ss_original")})
    assert plan.voids == [] and plan.payments == [] and plan.bills == []
    assert set(plan.changes["ss_copy"]) == {Column.ERROR, Column.LAST_SYNCED}
    assert "belongs to another row" in str(plan.changes["ss_copy"][Column.ERROR])


def test_void_on_a_paid_invoice_is_refused_and_the_row_shows_paid() -> None:
    paid = open_invoice(status="paid", amount_paid=1000, amount_remaining=0, paid_at=1)
    row = ["void", "a@b.co", "Work", Decimal(10), "ss_7", "in_1", "", "", ""]
    plan = plan_for([row], {"in_1": paid})
    assert plan.voids == []
    assert plan.changes["ss_7"][Column.STATUS] == "paid"
    assert "cannot void in_1: it is paid" in str(plan.changes["ss_7"][Column.ERROR])


def test_paid_on_a_void_invoice_is_refused_and_the_row_shows_void() -> None:
    row = ["paid", "a@b.co", "Work", Decimal(10), "ss_7", "in_1", "", "", ""]
    plan = plan_for([row], {"in_1": open_invoice(status="void")})
    assert plan.payments == []
    assert plan.changes["ss_7"][Column.STATUS] == "void"
    assert "cannot mark in_1 paid" in str(plan.changes["ss_7"][Column.ERROR])


def test_a_typo_in_status_is_flagged_and_the_row_still_follows_its_invoice() -> None:
    row = ["payed", "a@b.co", "Work", Decimal(10), "ss_7", "in_1", "", "", ""]
    open_ = plan_for([row], {"in_1": open_invoice(amount_paid=400, amount_remaining=600)})
    assert 'Status "payed" is unknown' in str(open_.changes["ss_7"][Column.ERROR])
    assert Column.STATUS not in open_.changes["ss_7"]
    assert open_.changes["ss_7"][Column.AMOUNT_PAID] == Decimal("4.00")
    paid = open_invoice(status="paid", amount_paid=1000, amount_remaining=0, paid_at=1)
    done = plan_for([row], {"in_1": paid})
    assert done.changes["ss_7"][Column.STATUS] == "paid"
    assert done.changes["ss_7"][Column.AMOUNT_PAID] == Decimal("10.00")


def test_an_open_invoice_no_row_names_is_an_orphan_of_its_spreadsheet_only() -> None:
    from sheetsync.watch import orphan_invoices

    table = read_table([HEADER, ["sent", "a@b.co", "W", 1, "ss_7", "in_1"]])
    mine = open_invoice(id="in_2", spreadsheet="sheet-a")
    others = open_invoice(id="in_3", spreadsheet="sheet-b")
    named = open_invoice(id="in_1", spreadsheet="sheet-a")
    found = orphan_invoices(table, {i.id: i for i in (mine, others, named)}, "sheet-a")
    assert [i.id for i in found] == ["in_2"]


def test_processing_typed_by_hand_is_never_billed() -> None:
    plan = plan_for([["processing", "a@b.co", "Work", Decimal(10), "ss_7"]])
    assert plan.bills == []
    assert "never claimed" in str(plan.changes["ss_7"][Column.ERROR])
