"""The daemon: one cycle every poll interval (APScheduler 3), until SIGINT/SIGTERM."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime

from apscheduler.schedulers.blocking import BlockingScheduler

from sheetsync.app import open_sheet, run_once
from sheetsync.config import Settings
from sheetsync.errors import SheetsyncError
from sheetsync.sheets import Spreadsheet
from sheetsync.signals import stop_on_signal

log = logging.getLogger(__name__)


def cycle_job(
    settings: Settings, stop: Callable[[], bool] = lambda: False, sheet: Spreadsheet | None = None
) -> None:
    """Run one cycle; a failure is logged and the next cycle tries again."""
    try:
        report = run_once(settings, stop=stop, sheet=sheet)
    except SheetsyncError as exc:
        log.error("cycle stopped: %s", exc)
        return
    log.info(
        "cycle: %d rows, %d billed, %d updated, %d errors",
        report.rows,
        report.created,
        report.updated,
        report.errors,
    )


def run_daemon(settings: Settings) -> None:
    """Block, running a cycle now and every `poll_interval` seconds, until a signal."""
    scheduler = BlockingScheduler()

    def shut_down() -> None:  # from another thread: it waits for the running cycle
        threading.Thread(target=scheduler.shutdown, daemon=True).start()

    sheet = open_sheet(settings)  # one adapter: it remembers what it learned of the sheet
    with stop_on_signal(also=shut_down) as stop:
        scheduler.add_job(
            cycle_job,
            "interval",
            args=[settings, stop.is_set, sheet],
            seconds=settings.poll_interval,
            max_instances=1,
            coalesce=True,
            next_run_time=datetime.now(UTC),
        )
        scheduler.start()
    log.info("stopped")
