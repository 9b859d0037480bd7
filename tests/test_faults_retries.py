"""429 storms, 5xx and failing write-backs on either API: retried, bounded, nothing lost."""

from __future__ import annotations

from typing import Any

import pytest

from sheetsync.errors import BillingError, SheetError
from tests.conftest import World
from tests.invariants import assert_one_invoice_per_row, person_cells

FAST = {"retry_attempts": 3, "retry_base_delay": 0.01}
DRAFTS = [
    {
        "Status": "draft",
        "Customer Email": f"r{i}@example.com",
        "Description": "Work",
        "Unit Price": "20.00",
    }
    for i in range(3)
]
BATCH_GET = "sheets.spreadsheets.values.batchGet"
BATCH_UPDATE = "sheets.spreadsheets.values.batchUpdate"


def test_a_sheets_429_storm_shorter_than_the_budget_is_ridden_out(world: World) -> None:
    world.make_sheet(DRAFTS)
    world.sheets.fail_next(BATCH_GET, status=429, times=2, retry_after=0)
    world.run(**FAST)
    assert_one_invoice_per_row(world, rows=3)
    statuses = [r.status for r in world.sheets.requests if r.method_id == BATCH_GET]
    assert statuses[:3] == [429, 429, 200]


def test_a_sheets_429_storm_longer_than_the_budget_stops_the_cycle(world: World) -> None:
    world.make_sheet(DRAFTS)
    typed = person_cells(world)
    world.sheets.fail_next(BATCH_GET, status=429, times=3)
    with pytest.raises(SheetError, match="failed 3 times .HTTP 429"):
        world.run(**FAST)
    assert world.invoices() == [] and world.stripe.count() == 0
    world.run(**FAST)
    assert_one_invoice_per_row(world, rows=3)
    assert person_cells(world) == typed


def test_a_stripe_429_storm_shorter_than_the_budget_is_ridden_out(world: World) -> None:
    world.make_sheet(DRAFTS)
    world.stripe.fail_next(r"^/v1/invoices$", status=429, times=2)
    world.run(**FAST)
    assert_one_invoice_per_row(world, rows=3)


def test_a_stripe_storm_longer_than_the_budget_loses_nothing(world: World) -> None:
    world.make_sheet(DRAFTS)
    typed = person_cells(world)
    world.stripe.fail_next(r"^/v1/invoices$", status=429, times=3)
    with pytest.raises(BillingError, match="failed 3 times"):
        world.run(**FAST)
    statuses = [r["Status"] for r in world.rows()]
    assert statuses == ["processing", "draft", "draft"]  # in flight; the others released
    world.advance(days=16 / 1440)
    world.run(**FAST)
    assert_one_invoice_per_row(world, rows=3)
    assert person_cells(world) == typed


def test_a_stripe_500_saved_under_its_key_is_got_past_after_a_look(world: World) -> None:
    """Stripe replays a saved 500 for 24 hours: the run looks for the line, finds none,
    and sends it once more under a key of its own."""
    world.make_sheet(DRAFTS[:1])
    world.stripe.fail_next(r"^/v1/invoiceitems$", status=500, times=1)  # saved and replayed
    world.run(**FAST)
    assert_one_invoice_per_row(world, rows=1)
    looked = [r for r in world.stripe.requests if r.method == "GET" and "invoiceitems" in r.path]
    assert len(looked) == 1


def test_a_write_back_failing_until_retries_give_up_is_recovered(world: World) -> None:
    world.make_sheet(DRAFTS)
    typed = person_cells(world)
    seen: list[int] = []

    def fail_the_results_write(server: Any) -> None:
        seen.append(1)
        if len(seen) == 4:  # the re-read just before the results write
            server.fail_next(BATCH_UPDATE, status=500, times=3)

    world.sheets.before(BATCH_GET, fail_the_results_write, times=4)
    with pytest.raises(SheetError, match="failed 3 times .HTTP 500"):
        world.run(**FAST)
    assert len(world.invoices()) == 3
    assert [r["Status"] for r in world.rows()] == ["processing"] * 3

    world.advance(days=16 / 1440)
    world.run(**FAST)
    assert_one_invoice_per_row(world, rows=3)
    assert person_cells(world) == typed


@pytest.mark.parametrize(
    ("path", "method_note"),
    [(r"^/v1/customers$", "customer create"), (r"/finalize$", "finalize")],
)
def test_a_saved_500_on_any_step_is_got_past_in_the_same_run(
    world: World, path: str, method_note: str
) -> None:
    world.make_sheet(DRAFTS[:1])
    world.stripe.fail_next(path, status=500, times=1)  # saved and replayed for 24 hours
    world.run(**FAST)
    assert_one_invoice_per_row(world, rows=1)
    assert len(world.stripe.objects("customer")) == 1, method_note


def test_a_saved_500_on_a_void_is_got_past_in_the_same_run(world: World) -> None:
    world.make_sheet(DRAFTS[:1])
    world.run(**FAST)
    world.type_into(0, Status="void")
    world.stripe.fail_next(r"/void$", status=500, times=1)
    world.run(**FAST)
    assert world.invoices()[0]["status"] == "void"
    assert world.rows()[0]["Status"] == "void"
