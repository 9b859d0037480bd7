"""Attacks with two machines (separate lock folders) working on one spreadsheet."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

from sheetsync.app import run_once
from sheetsync.errors import BillingError
from sheetsync.sheets.google import GoogleSheet
from tests.conftest import World

LEASE_BATCH = "sheets.spreadsheets.batchUpdate"  # the lease tab's add / replace / delete
DRAFT = {
    "Status": "draft",
    "Customer Email": "jane@example.com",
    "Description": "Design work",
    "Unit Price": "100.00",
}


def _machine(world: World, tmp_path: Path, name: str) -> Any:
    return world.settings(lock_dir=tmp_path / name, retry_base_delay=0.01)


def test_a_stale_read_never_claims_a_row_another_machine_billed_meanwhile(
    world: World, tmp_path: Path
) -> None:
    """Machine B reads the sheet (a draft) and is slow to take the lease (a 429 backoff, a
    pause). Meanwhile machine A bills the row completely and gives the lease back. B then
    takes the free lease and claims from its old read: its claim must not land on the row A
    billed (overwriting its Sync ID), and the invoice must stay followed by its row."""
    world.make_sheet([DRAFT])

    def machine_a_runs_a_whole_cycle(*_: Any) -> None:
        report = run_once(_machine(world, tmp_path, "a"), now=world.now)
        assert report.created == 1

    world.sheets.before(LEASE_BATCH, machine_a_runs_a_whole_cycle, times=1)
    run_once(_machine(world, tmp_path, "b"), now=world.now)  # machine B

    [invoice] = world.invoices()
    row = world.rows()[0]
    assert row["Sync ID"] == invoice["metadata"]["sheetsync_id"], (row["Sync ID"], row["Error"])
    assert row["Status"] == "sent", (row["Status"], row["Error"])

    world.stripe.customer_pays(str(invoice["id"]))
    world.run()
    assert world.rows()[0]["Status"] == "paid", world.rows()[0]["Error"]


def test_a_stale_processing_row_given_back_meanwhile_is_not_billed_twice(
    world: World, tmp_path: Path
) -> None:
    """Machine A claims a row, then Stripe fails before A starts it, so A gives the row back
    (draft again, no Sync ID) and lets the lease go. Machine B had read the row while it was
    `processing` under A and takes the lease once A let it go: it bills the row under A's
    old Sync ID (an invoice no row shows), and the next cycle bills the row again."""
    world.make_sheet([DRAFT])
    b_read, a_done = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    class SlowToLease(GoogleSheet):
        def read(self) -> Any:
            book = super().read()
            b_read.set()
            return book

        def take_lease(self, *args: Any, **kwargs: Any) -> Any:
            a_done.wait(timeout=30)  # a pause, a 429 backoff
            return super().take_lease(*args, **kwargs)

    def machine_b() -> None:
        settings = _machine(world, tmp_path, "b")
        sheet = SlowToLease(
            settings.spreadsheet,
            settings.worksheet,
            settings.service_account_file,
            settings.sheets_api_base,
            settings.retry,
            settings.line_items_worksheet,
        )
        try:
            run_once(settings, now=world.now, sheet=sheet)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    b = threading.Thread(target=machine_b)

    def b_reads_now(*_: Any) -> None:  # A has claimed the row and is about to ask Stripe
        b.start()
        assert b_read.wait(timeout=30)

    world.stripe.before(r"^/v1/invoices$", b_reads_now, times=1, method="GET")
    world.stripe.fail_next(r"^/v1/invoices$", status=500, times=5, method="GET")  # A gives up
    try:
        run_once(_machine(world, tmp_path, "a"), now=world.now)
    except BillingError:
        pass
    assert world.rows()[0]["Status"] == "draft"  # A gave the row back
    a_done.set()
    b.join(timeout=60)
    world.run()
    world.run()
    row = world.rows()[0]
    made = world.invoices()
    assert len(made) == 1, [(i["id"], i["metadata"]["sheetsync_id"]) for i in made]
    assert row["Stripe ID"] == made[0]["id"]


def test_machines_whose_clocks_differ_by_three_minutes_never_bill_one_row_twice(
    world: World, tmp_path: Path
) -> None:
    """Machine B's clock runs 3 minutes ahead of A's (no NTP on a CI runner). B reads the
    draft; A takes the lease and claims the row; B then finds A's lease "expired" by its own
    clock, takes it over and claims the row from its read. One row, one invoice."""
    world.make_sheet([DRAFT])
    a_claimed, b_done = threading.Event(), threading.Event()
    skewed = world.now + timedelta(minutes=3)

    def machine_a() -> None:
        run_once(_machine(world, tmp_path, "a"), now=world.now)

    a = threading.Thread(target=machine_a)

    def b_about_to_take_the_lease(*_: Any) -> None:
        a.start()
        assert a_claimed.wait(timeout=30)

    def a_about_to_bill(*_: Any) -> None:
        a_claimed.set()
        b_done.wait(timeout=30)

    world.sheets.before(LEASE_BATCH, b_about_to_take_the_lease, times=1)
    world.stripe.before(r"^/v1/invoices$", a_about_to_bill, times=1, method="GET")
    try:
        run_once(_machine(world, tmp_path, "b"), now=skewed)
    finally:
        b_done.set()
        a.join(timeout=60)
    made = world.invoices()
    assert len(made) == 1, [(i["id"], i["metadata"]["sheetsync_id"]) for i in made]
