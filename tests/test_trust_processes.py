"""Real processes on "two machines": separate lock directories, clocks on either side of
a UTC midnight, and a person editing between their reads. One invoice per row."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.conftest import World
from tests.invariants import assert_one_invoice_per_row, drafts

BATCH_GET = "sheets.spreadsheets.values.batchGet"
BATCH_UPDATE = "sheets.spreadsheets.values.batchUpdate"
LAUNCH = (
    "import sys, time_machine; time_machine.travel({at!r}, tick=True).start(); "
    "from sheetsync.cli import main; sys.exit(main(sys.argv[1:]))"
)


def spawn_at(world: World, at: datetime, lock_dir: Path, *args: str) -> subprocess.Popen[str]:
    """`sheetsync ARGS` in a real process whose clock reads `at` (and ticks on)."""
    return subprocess.Popen(
        [sys.executable, "-c", LAUNCH.format(at=at.isoformat()), *args],
        env=world.env(lock_dir),
        cwd=world.key_file.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_reads(server: Any, reads: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if sum(1 for r in server.requests if r.method_id == BATCH_GET and r.status) >= reads:
            return
        time.sleep(0.01)


def test_two_machines_across_midnight_with_an_edit_between_reads(
    world: World, tmp_path: Path
) -> None:
    world.use_real_clock()
    world.make_sheet(drafts(4, "m", "30.00"))
    midnight = (world.now + timedelta(days=1)).replace(hour=0, minute=0, second=0)
    before, after = midnight - timedelta(seconds=2), midnight + timedelta(seconds=2)
    # Google checks a token request's time: both machines are near midnight, so is it.
    world.sheets.clock_offset = (midnight - datetime.now(UTC)).total_seconds()

    def person_edits_then_claim_goes_on(server: Any) -> None:
        wait_for_reads(server, 2)  # both machines have read the four drafts
        world.type_into(3, **{"Unit Price": "45.50"})

    world.sheets.before(BATCH_UPDATE, person_edits_then_claim_goes_on, times=1)
    runs = [
        spawn_at(world, before, tmp_path / "machine-a", "run", "--json"),
        spawn_at(world, after, tmp_path / "machine-b", "run", "--json"),
    ]
    results = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], results
    created = [json.loads(out)["created"] for out, _ in results]
    # One biller at a time: the first bills 3 and leaves the edited row for a next cycle, which
    # is either the other machine's (it got the lease once the first gave it back) or ours.
    assert 0 in created or sorted(created) == [1, 3], created
    assert sum(created) in (3, 4), created

    world.sheets.clock_offset = 0
    world.run()
    assert_one_invoice_per_row(world, rows=4)
    amounts = sorted(i["total"] for i in world.invoices())
    assert amounts == [3000, 3000, 3000, 4550]


def test_a_machine_whose_clock_runs_ahead_leaves_a_live_lease_alone(
    world: World, tmp_path: Path
) -> None:
    """Machine B's clock is 3 minutes ahead of Google's and A's; A holds the 2-minute lease
    and is billing. B judges the lease by Google's clock (a response's Date header), so it
    does not take it over."""
    world.use_real_clock()
    world.make_sheet(drafts(2, "s", "30.00"))
    ahead = datetime.now(UTC) + timedelta(minutes=3)
    seen: list[tuple[str, str]] = []

    def b_runs_while_a_bills(*_: Any) -> None:
        b = spawn_at(world, ahead, tmp_path / "machine-b", "run", "--json")
        seen.append(b.communicate(timeout=60))

    world.stripe.before(r"^/v1/invoices$", b_runs_while_a_bills, times=1, method="GET")
    a = world.spawn("run", "--json", lock_dir=tmp_path / "machine-a")
    out_a, err_a = a.communicate(timeout=120)
    assert a.returncode == 0, err_a
    [(out_b, err_b)] = seen
    report_b = json.loads(out_b)
    assert report_b["created"] == 0, err_b
    assert any("holds this spreadsheet's billing lease" in n for n in report_b["notes"])
    assert json.loads(out_a)["created"] == 2
    assert_one_invoice_per_row(world, rows=2)
