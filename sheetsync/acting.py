"""The act and write stages of a cycle: Stripe calls for the plan, then one write of results.

Results are addressed by Sync ID in a read taken just before writing, so rows
that people moved meanwhile get their own results. Rows this run claimed but
never sent to Stripe are given back exactly as they were.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sheetsync.billing import Billing, BillRequest, InvoiceState
from sheetsync.claims import Claim, release_changes
from sheetsync.errors import BillingError, Interrupted, RowError, SheetError
from sheetsync.messages import duplicate_message
from sheetsync.model import WRITABLE_COLUMNS, Column, Row, Status, Table
from sheetsync.options import CycleOptions
from sheetsync.parse import invoice_number
from sheetsync.plan import Plan, PlannedBill, PlannedPayment, PlannedVoid
from sheetsync.reconcile import (
    Changes,
    billed_changes,
    draft_fingerprint,
    due_timestamp,
    edited_message,
    paid_outside_changes,
    synced_stamp,
)
from sheetsync.report import CycleReport
from sheetsync.sheets import CellWrite, Spreadsheet
from sheetsync.watch import LINK_PREFIX

log = logging.getLogger(__name__)

CLAIM_MARGIN = timedelta(days=1)  # clocks differ: look for a claim's objects from a day before


@dataclass
class Acting:
    """Carries out one cycle's plan and writes what came of it."""

    sheet: Spreadsheet
    billing: Billing
    options: CycleOptions
    now: datetime
    report: CycleReport
    stop: Callable[[], bool]
    holder: str
    claims: list[Claim]
    started: float
    billed: dict[str, InvoiceState] = field(default_factory=dict)
    created: set[str] = field(default_factory=set)
    renewed: float = field(default_factory=time.monotonic)
    seen: dict[str, str] = field(default_factory=dict)

    @property
    def stamp(self) -> str:
        return synced_stamp(self.now, self.options.zone)

    def act(self, plan: Plan, planned: Table, reread: Callable[[], Table]) -> dict[str, Changes]:
        """Bills, payments, voids; then one write. A failure mid-way still writes what is known.

        `planned` is the table the plan was made from: a Status a person changed since is
        theirs, and is not written over (the next cycle acts on it).
        """
        self.seen = {r.sync_id: r.status for r in planned.rows if r.sync_id}
        changes = dict(plan.changes)
        self.claims = [c for c in self.claims if c.sync_id not in changes]  # decided otherwise
        failure: BaseException | None = None
        try:
            self._bill_all(plan.bills, changes)
            self._requests(plan, changes)
        except (BillingError, Interrupted, KeyboardInterrupt) as exc:
            failure = exc
        self._give_back_unstarted(changes)
        self._write(changes, plan.duplicates, reread)
        if failure is not None:
            raise failure
        return changes

    def give_back(self, reread: Callable[[], Table]) -> None:
        """After a failure before acting: claimed rows go back as they were."""
        changes: dict[str, Changes] = {}
        self._give_back_unstarted(changes)
        if not changes:
            return
        try:
            self._write(changes, {}, reread)
        except SheetError as exc:  # the claims stay `processing`: the next run finishes them
            log.warning("could not give claimed rows back (%s); the next run finishes them", exc)

    def _bill_all(self, bills: list[PlannedBill], changes: dict[str, Changes]) -> None:
        for bill in bills:
            self._check_stop()
            self._keep_lease()
            self.claims = [c for c in self.claims if c.sync_id != bill.sync_id]  # started
            try:
                changes[bill.sync_id] = self._bill(bill)
            except RowError as exc:
                changes[bill.sync_id] = {
                    Column.STATUS: Status.ERROR.value,
                    Column.ERROR: str(exc),
                    Column.LAST_SYNCED: self.stamp,
                }

    def _requests(self, plan: Plan, changes: dict[str, Changes]) -> None:
        requests: list[PlannedPayment | PlannedVoid] = [*plan.payments, *plan.voids]
        for request in requests:
            self._check_stop()
            try:
                changes[request.sync_id] = self._carry_out(request)
            except RowError as exc:
                changes[request.sync_id] = {Column.ERROR: str(exc), Column.LAST_SYNCED: self.stamp}

    def _carry_out(self, request: PlannedPayment | PlannedVoid) -> Changes:
        paid = isinstance(request, PlannedPayment)
        changes: Changes = {
            Column.STATUS: (Status.PAID if paid else Status.VOID).value,
            Column.PAYMENT_URL: "",
            Column.ERROR: "",
            Column.LAST_SYNCED: self.stamp,
        }
        if request.invoice_id.startswith(LINK_PREFIX):
            self.billing.deactivate_link(request.invoice_id, request.sync_id)
            if isinstance(request, PlannedPayment) and not request.paid_at_typed:
                changes[Column.PAID_AT] = self.now.astimezone(self.options.zone).date().isoformat()
            return changes
        if isinstance(request, PlannedVoid):
            self.billing.void(request.invoice_id)
            return changes
        invoice = self.billing.pay_out_of_band(request.invoice_id)
        return paid_outside_changes(
            invoice, request.paid_at_typed, self.now, self.options.zone, self.stamp
        )

    def _bill(self, bill: PlannedBill) -> Changes:
        claimed = bill.claimed_at - CLAIM_MARGIN if bill.claimed_at else None
        request = BillRequest(
            sync_id=bill.sync_id,
            draft=bill.draft,
            due_at=due_timestamp(bill.draft.due_date, self.options.zone),
            fingerprint=draft_fingerprint(bill.draft),
            recover=bill.recover,
            claimed_after=int(claimed.timestamp()) if claimed else None,
        )
        result = self.billing.bill(request)
        self.billed[bill.sync_id] = result.state
        if result.created:
            self.created.add(bill.sync_id)
        return billed_changes(result.state, bill.draft, self.stamp, self.now)

    def _check_stop(self) -> None:
        if self.stop():
            raise Interrupted(f"stopped after billing {len(self.created)} rows")

    def _keep_lease(self) -> None:
        """Renew the billing lease once half its time has gone by (a long cycle)."""
        elapsed = time.monotonic() - self.renewed
        ttl = self.options.lease_ttl
        if elapsed < ttl.total_seconds() / 2:
            return
        now = self.now + timedelta(seconds=time.monotonic() - self.started)
        if not self.sheet.take_lease(self.holder, now, ttl).held_by(self.holder):
            log.warning("the billing lease was taken over; the rows claimed are finished anyway")
        self.renewed = time.monotonic()

    def _give_back_unstarted(self, changes: dict[str, Changes]) -> None:
        for claim in self.claims:
            changes[claim.sync_id] = release_changes(claim)
        self.claims = []

    def _write(
        self,
        changes: dict[str, Changes],
        duplicates: dict[str, list[int]],
        reread: Callable[[], Table],
    ) -> None:
        if not changes and not duplicates:
            return
        current = reread()
        rows_by_id: dict[str, list[Row]] = {}
        for row in current.rows:
            if row.sync_id:
                rows_by_id.setdefault(row.sync_id, []).append(row)
        cells: list[CellWrite] = []
        for sync_id, row_changes in changes.items():
            rows = rows_by_id.get(sync_id, [])
            if len(rows) != 1:
                self._lost(sync_id, row_changes, rows)
                continue
            checked = self._checked(
                rows[0], sync_id, self._status_kept(rows[0], row_changes), current
            )
            cells += self._cells(current, rows[0], checked)
            self._count(sync_id, row_changes)
        for sync_id in duplicates:
            found = [r.number for r in rows_by_id.get(sync_id, [])]
            column = current.columns[Column.ERROR]
            cells += [CellWrite(n, column, duplicate_message(sync_id, found)) for n in found]
        self.sheet.write(cells)

    def _status_kept(self, row: Row, changes: Changes) -> Changes:
        """The changes without Status when a person typed another Status during the cycle."""
        seen = self.seen.get(row.sync_id)
        if seen is None or row.status == seen or Column.STATUS not in changes:
            return changes
        log.info("row %d: Status %r was typed meanwhile; it is kept", row.number, row.status)
        return {c: v for c, v in changes.items() if c is not Column.STATUS}

    def _count(self, sync_id: str, changes: Changes) -> None:
        if sync_id in self.created:
            self.report.created += 1
        elif Column.SYNC_ID not in changes:  # a release is no update
            self.report.updated += 1

    def _checked(self, row: Row, sync_id: str, changes: Changes, table: Table) -> Changes:
        """Flag a row whose figures a person changed while it was being billed."""
        invoice = self.billed.get(sync_id)
        if invoice is not None:
            number = invoice_number(row.cells.get(Column.INVOICE_NUMBER)).casefold()
            lines = table.line_items.get(number, []) if number else []
            edited = edited_message(row, invoice, self.options.defaults, lines)
            if edited:
                return {**changes, Column.ERROR: edited}
        return changes

    @staticmethod
    def _cells(table: Table, row: Row, changes: Changes) -> list[CellWrite]:
        return [
            CellWrite(row.number, table.columns[c], v)
            for c, v in changes.items()
            if c in WRITABLE_COLUMNS and c in table.columns
        ]

    def _lost(self, sync_id: str, changes: Changes, rows: list[Row]) -> None:
        stripe_id = str(changes.get(Column.STRIPE_ID) or "")
        where = "was deleted" if not rows else f"is now in rows {[r.number for r in rows]}"
        note = f"the row with Sync ID {sync_id} {where} before its results could be written"
        if stripe_id:
            note += f"; its Stripe invoice {stripe_id} exists"
        log.warning("%s", note)
        self.report.orphans.append(note)
