"""Claims land on the rows they mean: rows moved between the read and the claim are
put back exactly, and a run killed right after its claim is finished by the next one."""

from __future__ import annotations

import signal
import subprocess
import time
from typing import Any

import pytest

from tests.conftest import World
from tests.invariants import assert_one_invoice_per_row

BATCH_UPDATE = "sheets.spreadsheets.values.batchUpdate"
BILLED = {
    "Status": "draft",
    "Customer Email": "billed@example.com",
    "Description": "Billed earlier",
    "Unit Price": "70.00",
}
DRAFT = {
    "Status": "draft",
    "Customer Email": "new@example.com",
    "Description": "To bill",
    "Unit Price": "30.00",
}


def _sort_rows(world: World) -> None:
    sheet = world.sheets.sheet(world.spreadsheet_id, "Invoices")
    header, *body = sheet.rows
    body.reverse()
    sheet.rows[:] = [header, *body]


def _insert_row_above(world: World) -> None:
    sheet = world.sheets.sheet(world.spreadsheet_id, "Invoices")
    sheet.rows.insert(1, [None, "typed@example.com", None, "a row inserted meanwhile"])


def test_a_sort_between_read_and_claim_never_touches_a_billed_row(world: World) -> None:
    world.make_sheet([BILLED])
    world.run()
    billed_before = world.rows()[0]
    sheet = world.sheets.sheet(world.spreadsheet_id, "Invoices")
    header = [str(h) for h in sheet.rows[0]]
    sheet.rows.insert(1, [DRAFT.get(h) for h in header])  # the draft above the billed row
    world.sheets.before(BATCH_UPDATE, lambda _: _sort_rows(world), times=1)  # before the claim

    report = world.run()
    assert report.created == 0
    rows = {r["Customer Email"]: r for r in world.rows()}
    assert rows["billed@example.com"] == billed_before  # every cell as it was
    assert rows["new@example.com"]["Status"] == "draft"
    assert rows["new@example.com"]["Sync ID"] in (None, "")

    world.run()  # the next cycle bills the draft
    assert_one_invoice_per_row(world, rows=2)


def test_a_row_inserted_between_read_and_claim_is_left_as_typed(world: World) -> None:
    world.make_sheet([BILLED])
    world.run()
    billed_before = world.rows()[0]
    sheet = world.sheets.sheet(world.spreadsheet_id, "Invoices")
    header = [str(h) for h in sheet.rows[0]]
    sheet.rows.append([DRAFT.get(h) for h in header])
    world.sheets.before(BATCH_UPDATE, lambda _: _insert_row_above(world), times=1)

    world.run()
    rows = world.rows()
    assert rows[0]["Description"] == "a row inserted meanwhile"
    assert all(rows[0].get(h) in (None, "") for h in ("Status", "Sync ID", "Error"))
    assert rows[1] == billed_before
    world.run()
    assert len(world.invoices()) == 2
    assert [r["Status"] for r in world.rows()] == [None, "sent", "sent"]


def test_a_run_killed_right_after_its_claim_is_finished_by_the_very_next_run(
    world: World,
) -> None:
    world.use_real_clock()
    world.make_sheet([DRAFT, {**DRAFT, "Customer Email": "two@example.com"}])
    holder: list[subprocess.Popen[str]] = []

    def kill(*_: Any) -> None:
        holder[0].send_signal(signal.SIGKILL)
        holder[0].wait(timeout=10)

    world.stripe.before(r"^/v1/invoices$", kill, times=1)  # the first Stripe request
    holder.append(world.spawn("run"))
    holder[0].communicate(timeout=60)
    assert [r["Status"] for r in world.rows()] == ["processing", "processing"]

    next_run = world.spawn("run", "--json")  # no wait, no clock moved
    out, err = next_run.communicate(timeout=60)
    assert next_run.returncode == 0, err
    assert "being billed by another run" not in out + err
    assert_one_invoice_per_row(world, rows=2)


@pytest.mark.parametrize("when", ["before billing", "while billing the first row"])
def test_two_ctrl_c_give_back_the_claims_with_no_traceback(world: World, when: str) -> None:
    world.use_real_clock()
    world.make_sheet([DRAFT, {**DRAFT, "Customer Email": "two@example.com"}])
    typed = world.rows()
    holder: list[subprocess.Popen[str]] = []

    def ctrl_c_twice(*_: Any) -> None:
        holder[0].send_signal(signal.SIGINT)
        time.sleep(0.2)
        holder[0].send_signal(signal.SIGINT)
        time.sleep(0.2)

    if when == "before billing":  # the open-invoice listing, before any row is billed
        world.stripe.before(r"^/v1/invoices$", ctrl_c_twice, times=1, method="GET")
    else:  # the first row's invoice is being created
        world.stripe.before(r"^/v1/invoices$", ctrl_c_twice, times=1)
    holder.append(world.spawn("run"))
    _, err = holder[0].communicate(timeout=60)
    assert holder[0].returncode == 130, err
    assert "Traceback" not in err and err.strip().splitlines()[-1].startswith("sheetsync: stopped")
    rows = world.rows()
    assert rows[1] == typed[1]  # not started: given back, cell for cell
    if when == "before billing":
        assert rows[0] == typed[0]
    else:  # in flight: it stays claimed, and the next run finishes it
        assert rows[0]["Status"] == "processing"
    world.run()
    assert_one_invoice_per_row(world, rows=2)


def test_a_long_cycle_renews_its_lease(world: World) -> None:
    """The lease lasts 1 s here and each invoice takes 0.6 s: by the third row the lease
    the cycle took would have run out, so the cycle has renewed it by then."""
    from dataclasses import replace
    from datetime import datetime, timedelta

    from sheetsync.app import cycle_options, open_billing, open_sheet
    from sheetsync.engine import run_cycle
    from sheetsync.lease import new_holder
    from sheetsync.sheets.google_lease import LEASE_TAB

    emails = ["a@example.com", "b@example.com", "c@example.com"]
    world.make_sheet([{**DRAFT, "Customer Email": e} for e in emails])
    settings = world.settings()
    sheet = open_sheet(settings)
    options = replace(cycle_options(settings), lease_ttl=timedelta(seconds=1))
    expiries: list[datetime] = []

    def slow_invoice(*_: Any) -> None:
        time.sleep(0.6)
        [[_, expires, *_]] = world.sheets.values(world.spreadsheet_id, LEASE_TAB)
        expiries.append(datetime.fromisoformat(str(expires).replace("Z", "+00:00")))

    world.stripe.before(r"^/v1/invoices$", slow_invoice, times=3)
    billing = open_billing(settings, sheet.key)
    report = run_cycle(sheet, billing, options, world.now, holder=new_holder())
    assert report.created == 3
    assert expiries[0] == world.now + timedelta(seconds=1)  # as taken
    assert expiries[-1] > world.now + timedelta(seconds=1)  # renewed since
    assert_one_invoice_per_row(world, rows=3)
