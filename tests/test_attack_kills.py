"""Attacks with SIGKILL at the narrow steps of the protocol, while a person edits."""

from __future__ import annotations

import signal
import subprocess
from typing import Any

from tests.conftest import World

BATCH_GET = "sheets.spreadsheets.values.batchGet"
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


def test_a_kill_between_a_misplaced_claim_and_its_read_back_keeps_the_billed_row(
    world: World,
) -> None:
    """A person inserts a row above while the claim is on its way, so the claim lands on the
    billed row below; the run is killed before it reads the claim back. The next run must
    not leave the billed row `processing` under a new Sync ID with its invoice no longer
    followed (its payment would never reach the sheet)."""
    world.use_real_clock()
    world.make_sheet([BILLED])
    world.run()
    billed = world.rows()[0]
    invoice = str(billed["Stripe ID"])
    world.append_row(DRAFT)
    holder: list[subprocess.Popen[str]] = []

    def kill(*_: Any) -> None:
        holder[0].send_signal(signal.SIGKILL)
        holder[0].wait(timeout=10)

    def insert_then_kill_before_read_back(*_: Any) -> None:
        sheet = world.sheets.sheet(world.spreadsheet_id, "Invoices")
        sheet.rows.insert(1, [None, "typed@example.com", None, "a row inserted meanwhile"])
        world.sheets.before(BATCH_GET, kill, times=1)  # the read-back

    world.sheets.before(BATCH_UPDATE, insert_then_kill_before_read_back, times=1)
    holder.append(world.spawn("run"))
    holder[0].wait(timeout=60)
    assert holder[0].returncode == -signal.SIGKILL

    world.run()
    world.run()
    rows = {r["Customer Email"]: r for r in world.rows()}
    assert rows["billed@example.com"]["Sync ID"] == billed["Sync ID"], rows["billed@example.com"]
    assert rows["billed@example.com"]["Status"] == "sent"
    world.stripe.customer_pays(invoice)
    world.run()
    rows = {r["Customer Email"]: r for r in world.rows()}
    assert rows["billed@example.com"]["Status"] == "paid", rows["billed@example.com"]["Error"]
