"""Real processes: a graceful stop mid-cycle, and two runs started at the same moment."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import World
from tests.invariants import assert_one_invoice_per_row, drafts, person_cells

BATCH_GET = "sheets.spreadsheets.values.batchGet"
BATCH_UPDATE = "sheets.spreadsheets.values.batchUpdate"
ROWS = drafts(5, "p", "30.00")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_finishes_the_call_in_flight_and_writes_what_is_known(
    world: World, sig: signal.Signals
) -> None:
    world.use_real_clock()
    world.make_sheet(ROWS)
    typed = person_cells(world)
    holder: list[subprocess.Popen[str]] = []

    def interrupt(*_: Any) -> None:
        holder[0].send_signal(sig)

    world.stripe.before(r"^/v1/invoices$", interrupt, times=1)
    holder.append(world.spawn("run"))
    out, err = holder[0].communicate(timeout=60)

    assert holder[0].returncode == 1, err
    assert "stopped after billing 1 rows" in err
    statuses = [r["Status"] for r in world.rows()]
    assert statuses == ["sent"] + ["draft"] * 4
    assert len(world.invoices()) == 1 and world.invoices()[0]["status"] == "open"

    world.run()
    assert_one_invoice_per_row(world, rows=5)
    assert person_cells(world) == typed


@pytest.mark.parametrize("machines", ["one machine", "two machines"])
def test_two_runs_started_together_bill_each_row_once(
    world: World, tmp_path: Path, machines: str
) -> None:
    world.use_real_clock()
    world.make_sheet(ROWS)
    second_lock = tmp_path / "other-machine" if machines == "two machines" else None
    if second_lock:  # hold the first claim until both runs have read their drafts
        world.sheets.before(BATCH_UPDATE, lambda server: _wait_for_reads(server, 2), times=1)
    runs = [world.spawn("run", "--json"), world.spawn("run", "--json", lock_dir=second_lock)]
    results = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], results
    assert_one_invoice_per_row(world, rows=5)
    assert len(world.stripe.objects("customer")) == 5
    created = sorted(json.loads(out)["created"] for out, _ in results)
    assert created == [0, 5]  # one biller; the other counts nothing it did not make


def _wait_for_reads(server: Any, reads: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if sum(1 for r in server.requests if r.method_id == BATCH_GET and r.status) >= reads:
            return
        time.sleep(0.01)
