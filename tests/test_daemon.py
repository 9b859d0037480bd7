"""The daemon: cycles on a schedule, keeps what it learned, stops on a signal."""

from __future__ import annotations

import signal
import time

from sheetsync.app import open_sheet
from sheetsync.daemon import cycle_job
from tests.conftest import NO_TAB, World

ROW = {
    "Status": "draft",
    "Customer Email": "d@example.com",
    "Description": "Work",
    "Unit Price": "10.00",
}


def test_cycles_share_one_sheet_adapter_so_a_missing_tab_costs_one_request_once(
    world: World,
) -> None:
    world.make_sheet([ROW], line_items=NO_TAB)
    settings = world.settings()
    sheet = open_sheet(settings)
    cycle_job(settings, sheet=sheet)
    assert world.rows()[0]["Status"] == "sent"
    world.sheets.reset_requests()
    cycle_job(settings, sheet=sheet)
    assert world.sheets.count("read") == 1


def test_a_failing_cycle_is_logged_and_the_daemon_goes_on(world: World, caplog) -> None:  # type: ignore[no-untyped-def]
    world.make_sheet([ROW])
    cycle_job(world.settings(worksheet="Nope"))
    assert "cycle stopped: the spreadsheet has no worksheet named 'Nope'" in caplog.text


def test_the_daemon_bills_then_stops_on_sigterm(world: World) -> None:
    world.use_real_clock()
    world.make_sheet([ROW])
    daemon = world.spawn("daemon")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and world.rows()[0]["Status"] != "sent":
        time.sleep(0.1)
    assert world.rows()[0]["Status"] == "sent"
    daemon.send_signal(signal.SIGTERM)
    daemon.wait(timeout=30)
    assert daemon.returncode == 0, daemon.communicate()
    assert len(world.invoices()) == 1
