"""One cycle: read, parse, plan, claim, act, write (DESIGN.md: One cycle).

This module sequences the side effects; the decisions are in `plan`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, tzinfo

from sheetsync.billing import Billing, BillRequest, InvoiceState
from sheetsync.errors import BillingError, Interrupted, RowError
from sheetsync.model import HEADERS, OPEN_STATUSES, WRITABLE_COLUMNS, Column, Row, Status, Table
from sheetsync.parse import Defaults, invoice_number, read_line_items, read_table
from sheetsync.plan import (
    LINK_PREFIX,
    Plan,
    PlannedBill,
    PlannedPayment,
    PlannedVoid,
    derive_sync_id,
    duplicate_message,
    invoices_to_watch,
    links_to_watch,
    money_back_to_watch,
    plan_cycle,
)
from sheetsync.reconcile import (
    Changes,
    billed_changes,
    draft_fingerprint,
    due_timestamp,
    edited_message,
    paid_outside_changes,
    synced_stamp,
)
from sheetsync.report import CycleReport, describe
from sheetsync.sheets import CellWrite, Spreadsheet

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CycleOptions:
    """What a cycle needs from the settings."""

    zone: tzinfo
    defaults: Defaults = Defaults()
    renames: Mapping[str, str] = field(default_factory=dict)
    number_pattern: str = ""


def run_cycle(
    sheet: Spreadsheet,
    billing: Billing,
    options: CycleOptions,
    now: datetime,
    *,
    dry_run: bool = False,
    stop: Callable[[], bool] = lambda: False,
) -> CycleReport:
    """Run one cycle and report it; with `dry_run`, only read and plan.

    `stop` is asked before each Stripe action; once it says yes, the cycle
    writes what it knows and raises Interrupted.

    :raises SheetError: when the sheet cannot be read or written.
    :raises BillingError: when Stripe fails beyond retries; what was learned
        before is written first.
    :raises Interrupted: when `stop` said so.
    """
    started = time.monotonic()
    table = _read(sheet, options)
    invoices = _watched(table, billing, now)
    since = int((now - timedelta(days=30)).timestamp())
    news = billing.money_back(since) if money_back_to_watch(table) else []
    day = now.astimezone(UTC).date()
    plan = plan_cycle(
        table,
        invoices,
        now,
        options.zone,
        options.defaults,
        lambda row: derive_sync_id(sheet.key, row, day),
        options.number_pattern,
        news,
    )
    report = CycleReport(rows=len(table.rows), actions=describe(plan, table))
    changes = plan.changes
    if not dry_run and not plan.idle:
        cycle = _Cycle(sheet, billing, options, now, report, stop)
        changes = cycle.apply(table, plan)
    report.errors = _error_rows(table, plan, changes)
    report.unchanged = report.rows - report.created - report.updated
    report.sheet_requests, report.stripe_requests = sheet.requests, billing.requests
    report.duration_s = round(time.monotonic() - started, 3)
    return report


def _read(sheet: Spreadsheet, options: CycleOptions) -> Table:
    book = sheet.read()
    table = read_table(book.invoices, options.renames)
    return replace(table, line_items=read_line_items(book.line_items, options.renames))


def _watched(table: Table, billing: Billing, now: datetime) -> dict[str, InvoiceState]:
    links, old = links_to_watch(table, now)
    since = int((now - timedelta(days=30)).timestamp())
    paid_links = billing.paid_links(links, old, since) if links else {}
    return _watched_invoices(table, billing) | paid_links


def _watched_invoices(table: Table, billing: Billing) -> dict[str, InvoiceState]:
    watched = invoices_to_watch(table)
    if not watched:
        return {}
    open_now = billing.open_invoices()
    known = {i: open_now[i] for i in watched if i in open_now}
    moved = {
        row.stripe_id
        for row in table.rows
        if row.stripe_id in watched
        and row.stripe_id not in open_now
        and row.status in OPEN_STATUSES | {Status.DRAFT}
    }
    return known | billing.invoices(sorted(moved))


@dataclass
class _Cycle:
    sheet: Spreadsheet
    billing: Billing
    options: CycleOptions
    now: datetime
    report: CycleReport
    stop: Callable[[], bool]
    billed: dict[str, InvoiceState] = field(default_factory=dict)

    @property
    def stamp(self) -> str:
        return synced_stamp(self.now, self.options.zone)

    def apply(self, table: Table, plan: Plan) -> dict[str, Changes]:
        """Claim, act, write; a failure mid-way still writes what is known."""
        self._claim(table, plan)
        changes = dict(plan.changes)
        failure: BillingError | Interrupted | None = None
        try:
            self._act(plan, changes)
        except (BillingError, Interrupted) as exc:
            failure = exc
        self._write_results(changes, plan)
        if failure is not None:
            raise failure
        return changes

    def _claim(self, table: Table, plan: Plan) -> None:
        columns = dict(table.columns)
        if table.missing:
            first = len(table.header)
            self.sheet.add_columns([HEADERS[c] for c in table.missing], first)
            columns.update({c: first + i for i, c in enumerate(table.missing)})
        cells = [CellWrite(c.row, columns[Column.SYNC_ID], c.sync_id) for c in plan.claims]
        stamp = self.stamp
        for claim in (c for c in plan.claims if c.processing):
            cells.append(CellWrite(claim.row, columns[Column.STATUS], Status.PROCESSING.value))
            cells.append(CellWrite(claim.row, columns[Column.LAST_SYNCED], stamp))
            if claim.invoice_number:  # generated now, kept by every later attempt
                cells.append(
                    CellWrite(claim.row, columns[Column.INVOICE_NUMBER], claim.invoice_number)
                )
        self.sheet.write(cells)

    def _act(self, plan: Plan, changes: dict[str, Changes]) -> None:
        self._bill_all(plan.bills, changes)
        for payment in plan.payments:
            self._check_stop()
            try:
                changes[payment.sync_id] = self._paid_outside(payment)
            except RowError as exc:
                changes[payment.sync_id] = self._row_note(str(exc))
        for void in plan.voids:
            self._check_stop()
            try:
                changes[void.sync_id] = self._void(void)
            except RowError as exc:
                changes[void.sync_id] = self._row_note(str(exc))

    def _bill_all(self, bills: list[PlannedBill], changes: dict[str, Changes]) -> None:
        for index, bill in enumerate(bills):
            if self.stop():
                self._release(bills[index:], changes)
                self._check_stop()
            try:
                billed = self._bill(bill)
            except RowError as exc:
                changes[bill.sync_id] = {
                    Column.STATUS: Status.ERROR.value,
                    Column.ERROR: str(exc),
                    Column.LAST_SYNCED: self.stamp,
                }
                continue
            except BillingError:
                self._release(bills[index + 1 :], changes)
                raise
            if billed is not None:
                changes[bill.sync_id] = billed

    def _check_stop(self) -> None:
        if self.stop():
            raise Interrupted(f"stopped after billing {self.report.created} rows")

    def _row_note(self, message: str) -> Changes:
        return {Column.ERROR: message, Column.LAST_SYNCED: self.stamp}

    def _void(self, void: PlannedVoid) -> Changes:
        changes: Changes = {
            Column.STATUS: Status.VOID.value,
            Column.ERROR: "",
            Column.LAST_SYNCED: self.stamp,
        }
        if void.invoice_id.startswith(LINK_PREFIX):
            self.billing.deactivate_link(void.invoice_id)
            return {**changes, Column.PAYMENT_URL: ""}
        self.billing.void(void.invoice_id)
        return changes

    def _paid_outside(self, payment: PlannedPayment) -> Changes:
        if payment.invoice_id.startswith(LINK_PREFIX):
            self.billing.deactivate_link(payment.invoice_id)
            changes: Changes = {
                Column.STATUS: Status.PAID.value,
                Column.PAYMENT_URL: "",
                Column.ERROR: "",
                Column.LAST_SYNCED: self.stamp,
            }
            if not payment.paid_at_typed:
                changes[Column.PAID_AT] = self.now.astimezone(self.options.zone).date().isoformat()
            return changes
        invoice = self.billing.pay_out_of_band(payment.invoice_id)
        return paid_outside_changes(
            invoice, payment.paid_at_typed, self.now, self.options.zone, self.stamp
        )

    def _bill(self, bill: PlannedBill) -> Changes | None:
        request = BillRequest(
            sync_id=bill.sync_id,
            draft=bill.draft,
            due_at=due_timestamp(bill.draft.due_date, self.options.zone),
            fingerprint=draft_fingerprint(bill.draft),
            recover=bill.recover,
            may_create=bill.may_create,
            attempt=str(int(self.now.timestamp())),
        )
        invoice = self.billing.bill(request)
        if invoice is None:
            note = f"row {bill.row} is being billed by another run (claimed under 15 minutes ago)"
            log.info("%s", note)
            self.report.orphans.append(note)
            return None
        self.billed[bill.sync_id] = invoice
        self.report.created += 1
        return billed_changes(invoice, bill.draft, self.stamp, self.now)

    def _release(self, bills: list[PlannedBill], changes: dict[str, Changes]) -> None:
        """Rows this run claimed but never sent to Stripe go back to draft (a young claim
        of another run was never this run's to release)."""
        for bill in bills:
            if bill.may_create:
                changes[bill.sync_id] = {Column.STATUS: Status.DRAFT.value}

    def _write_results(self, changes: dict[str, Changes], plan: Plan) -> None:
        if not changes and not plan.duplicates:
            return
        current = _read(self.sheet, self.options)
        rows_by_id: dict[str, list[Row]] = {}
        for row in current.rows:
            if row.sync_id:
                rows_by_id.setdefault(row.sync_id, []).append(row)
        cells: list[CellWrite] = []
        for sync_id, row_changes in changes.items():
            rows = rows_by_id.get(sync_id, [])
            if len(rows) != 1:
                self._orphan(sync_id, row_changes, rows)
                continue
            cells += self._cells(
                current, rows[0], self._checked(rows[0], sync_id, row_changes, current.line_items)
            )
        for sync_id in plan.duplicates:
            numbers = [r.number for r in rows_by_id.get(sync_id, [])]
            cells += [
                CellWrite(n, current.columns[Column.ERROR], duplicate_message(sync_id, numbers))
                for n in numbers
            ]
        self.sheet.write(cells)

    def _checked(
        self, row: Row, sync_id: str, changes: Changes, line_items: dict[str, list[Row]]
    ) -> Changes:
        """Flag a row whose figures a person changed while it was being billed."""
        invoice = self.billed.get(sync_id)
        if invoice is not None:
            number = invoice_number(row.cells.get(Column.INVOICE_NUMBER)).casefold()
            lines = line_items.get(number, []) if number else []
            edited = edited_message(row, invoice, self.options.defaults, lines)
            if edited:
                return {**changes, Column.ERROR: edited}
        return changes

    def _cells(self, table: Table, row: Row, changes: Changes) -> list[CellWrite]:
        if Column.STRIPE_ID not in changes:
            self.report.updated += 1
        return [
            CellWrite(row.number, table.columns[c], v)
            for c, v in changes.items()
            if c in WRITABLE_COLUMNS and c in table.columns
        ]

    def _orphan(self, sync_id: str, changes: Changes, rows: list[Row]) -> None:
        stripe_id = str(changes.get(Column.STRIPE_ID) or "")
        where = "was deleted" if not rows else f"is now in rows {[r.number for r in rows]}"
        note = f"the row with Sync ID {sync_id} {where} before its results could be written"
        if stripe_id:
            note += f"; its Stripe invoice {stripe_id} exists"
        log.warning("%s", note)
        self.report.orphans.append(note)


def _error_rows(table: Table, plan: Plan, changes: Mapping[str, Changes]) -> int:
    pending = {s for s, ch in changes.items() if ch.get(Column.STATUS) == Status.ERROR}
    existing = sum(1 for r in table.rows if r.status == Status.ERROR and r.sync_id not in changes)
    return existing + len(pending) + sum(len(v) for v in plan.duplicates.values())
