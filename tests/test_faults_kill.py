"""A real `sheetsync run` process is SIGKILLed at each step; the next run bills nothing twice."""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Callable
from typing import Any

import pytest

from sheetsync.app import open_sheet
from sheetsync.claims import owner_note
from sheetsync.lease import LEASE_TTL
from tests.conftest import FULL_HEADER, World
from tests.invariants import assert_one_invoice_per_row, person_cells

DRAFTS = [
    {
        "Status": "draft",
        "Customer Email": f"c{i % 2}@example.com",
        "Customer Name": f"C{i}",
        "Description": f"Job {i}",
        "Unit Price": f"{100 + i}.50",
        "Notes": "x",
    }
    for i in range(3)
]


def _killer(holder: list[subprocess.Popen[str]], nth: int = 1) -> Callable[..., None]:
    seen = []

    def kill(*_: Any) -> None:
        seen.append(1)
        if len(seen) == nth:
            holder[0].send_signal(signal.SIGKILL)
            holder[0].wait(timeout=10)

    return kill


def arm(world: World, point: str, holder: list[subprocess.Popen[str]]) -> None:
    """Make the fake servers kill the process at `point`."""
    if point == "after the claim":  # the first Stripe request follows the claim
        world.stripe.before(r"^/v1/customers", _killer(holder), method="GET")
    elif point == "after invoice create":
        world.stripe.after(r"^/v1/invoices$", _killer(holder))
    elif point == "after invoice item":
        world.stripe.after(r"^/v1/invoiceitems$", _killer(holder))
    elif point == "after finalize":
        world.stripe.after(r"/finalize$", _killer(holder))
    elif point == "before the write-back":  # the re-read that precedes the results write
        # reads: the first, the fresh one under the lease, the claim read back, this one
        world.sheets.before("sheets.spreadsheets.values.batchGet", _killer(holder, 4), times=4)


@pytest.mark.parametrize(
    "point",
    [
        "after the claim",
        "after invoice create",
        "after invoice item",
        "after finalize",
        "before the write-back",
    ],
)
def test_a_killed_run_is_finished_by_the_next_one(world: World, point: str) -> None:
    world.use_real_clock()
    world.make_sheet(DRAFTS, header=[*_header(), "Notes"])
    typed = person_cells(world)
    holder: list[subprocess.Popen[str]] = []
    arm(world, point, holder)
    holder.append(world.spawn("run"))
    holder[0].wait(timeout=60)
    assert holder[0].returncode == -signal.SIGKILL, holder[0].communicate()
    assert "processing" in [r["Status"] for r in world.rows()]

    world.run()  # at once: the dead run no longer holds the lease

    assert_one_invoice_per_row(world, rows=3)
    assert person_cells(world) == typed
    world.run()  # and once more: still nothing new
    assert_one_invoice_per_row(world, rows=3)


def test_a_claim_whose_run_still_holds_the_lease_is_left_to_it(world: World) -> None:
    world.use_real_clock()
    world.make_sheet(DRAFTS[:1], header=[*_header(), "Notes"])
    other = "another-machine/4242/feedbeef"  # alive, as far as this machine can tell
    sheet = open_sheet(world.settings())
    assert sheet.take_lease(other, world.now, LEASE_TTL).held_by(other)
    world.type_into(0, Status="processing", **{"Sync ID": "ss_theirs", "Error": owner_note(other)})

    report = world.run()
    assert world.invoices() == [] and report.created == 0
    assert world.rows()[0]["Status"] == "processing"
    assert any(other in note for note in report.notes)


def _header() -> list[str]:
    return FULL_HEADER


def test_recovery_after_stripes_idempotency_window_still_finds_the_invoice(world: World) -> None:
    world.use_real_clock()
    world.make_sheet(DRAFTS, header=[*FULL_HEADER, "Notes"])
    holder: list[subprocess.Popen[str]] = []
    arm(world, "after invoice item", holder)
    holder.append(world.spawn("run"))
    holder[0].wait(timeout=60)

    world.advance(days=2)  # every idempotency key of the dead run has expired
    world.run()

    assert_one_invoice_per_row(world, rows=3)
