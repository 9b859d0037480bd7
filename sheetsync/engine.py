"""One cycle: read, parse, plan, claim, act, write (DESIGN.md: One cycle).

This module sequences the side effects; the decisions are in `plan`.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from sheetsync.billing import Billing, BillRequest, InvoiceState
from sheetsync.errors import BillingError, RowError
from sheetsync.model import HEADERS, OPEN_STATUSES, WRITABLE_COLUMNS, Column, Draft, Status, Table
from sheetsync.money import format_amount
from sheetsync.parse import Defaults, read_table
from sheetsync.plan import (
    Changes,
    Plan,
    billed_changes,
    due_timestamp,
    invoices_to_watch,
    plan_cycle,
    synced_stamp,
)
from sheetsync.sheets import CellWrite, Spreadsheet

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CycleOptions:
    """What a cycle needs from the settings."""

    zone: tzinfo
    defaults: Defaults = Defaults()
    renames: Mapping[str, str] = field(default_factory=dict)


@dataclass
class CycleReport:
    """What a cycle did, for people (`summary`) and machines (`as_json`)."""

    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: int = 0
    sheet_requests: int = 0
    stripe_requests: int = 0
    duration_s: float = 0.0
    actions: list[str] = field(default_factory=list)
    orphans: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """The JSON object `sheetsync run --json` prints."""
        return asdict(self)


def new_sync_id() -> str:
    """A short random identity for a row."""
    return "ss_" + secrets.token_hex(6)


def run_cycle(
    sheet: Spreadsheet,
    billing: Billing,
    options: CycleOptions,
    now: datetime,
    *,
    dry_run: bool = False,
    new_id: Callable[[], str] = new_sync_id,
) -> CycleReport:
    """Run one cycle and report it; with `dry_run`, only read and plan.

    :raises SheetError: when the sheet cannot be read or written.
    :raises BillingError: when Stripe fails in a way no row can absorb; what was
        learned before is written first.
    """
    started = time.monotonic()
    table = read_table(sheet.read(), options.renames)
    invoices = _watched_invoices(table, billing)
    plan = plan_cycle(table, invoices, now, options.zone, options.defaults, new_id)
    report = CycleReport(rows=len(table.rows), actions=describe(plan, table))
    changes = plan.changes
    if not dry_run and not plan.idle:
        changes = _apply(sheet, billing, table, plan, now, options.zone, report)
    report.errors = _error_rows(table, plan, changes)
    report.unchanged = report.rows - report.created - report.updated
    report.sheet_requests, report.stripe_requests = sheet.requests, billing.requests
    report.duration_s = round(time.monotonic() - started, 3)
    return report


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


def _apply(
    sheet: Spreadsheet,
    billing: Billing,
    table: Table,
    plan: Plan,
    now: datetime,
    zone: tzinfo,
    report: CycleReport,
) -> dict[str, Changes]:
    columns = _ensure_columns(sheet, table)
    claims = [CellWrite(c.row, columns[Column.SYNC_ID], c.sync_id) for c in plan.claims]
    claims += [
        CellWrite(c.row, columns[Column.STATUS], Status.PROCESSING.value)
        for c in plan.claims
        if c.processing
    ]
    sheet.write(claims)
    changes = dict(plan.changes)
    failure: BillingError | None = None
    try:
        _act(billing, plan, changes, now, zone, report)
    except BillingError as exc:
        failure = exc
    _write_results(sheet, columns, changes, plan, report)
    if failure is not None:
        raise failure
    return changes


def _act(
    billing: Billing,
    plan: Plan,
    changes: dict[str, Changes],
    now: datetime,
    zone: tzinfo,
    report: CycleReport,
) -> None:
    stamp = synced_stamp(now, zone)
    for bill in plan.bills:
        request = BillRequest(
            bill.sync_id, bill.draft, due_timestamp(bill.draft.due_date, zone), bill.recover
        )
        try:
            invoice = billing.bill(request)
        except RowError as exc:
            changes[bill.sync_id] = _row_error(str(exc), stamp)
            continue
        changes[bill.sync_id] = billed_changes(invoice, bill.draft, stamp)
        report.created += 1
    for void in plan.voids:
        try:
            billing.void(void.invoice_id)
        except RowError as exc:
            changes[void.sync_id] = {Column.ERROR: str(exc), Column.LAST_SYNCED: stamp}
            continue
        changes[void.sync_id] = {
            Column.STATUS: Status.VOID.value,
            Column.ERROR: "",
            Column.LAST_SYNCED: stamp,
        }


def _row_error(message: str, stamp: str) -> Changes:
    return {Column.STATUS: Status.ERROR.value, Column.ERROR: message, Column.LAST_SYNCED: stamp}


def _ensure_columns(sheet: Spreadsheet, table: Table) -> dict[Column, int]:
    columns = dict(table.columns)
    if table.missing:
        first = len(table.header)
        sheet.add_columns([HEADERS[c] for c in table.missing], first)
        columns.update({c: first + i for i, c in enumerate(table.missing)})
    return columns


def _write_results(
    sheet: Spreadsheet,
    columns: dict[Column, int],
    changes: dict[str, Changes],
    plan: Plan,
    report: CycleReport,
) -> None:
    if not changes and not plan.duplicates:
        return
    rows_by_id: dict[str, list[int]] = {}
    for number, value in enumerate(sheet.read_column(columns[Column.SYNC_ID]), start=1):
        if number > 1 and value not in (None, ""):
            rows_by_id.setdefault(str(value).strip(), []).append(number)
    cells: list[CellWrite] = []
    for sync_id, row_changes in changes.items():
        rows = rows_by_id.get(sync_id, [])
        if len(rows) != 1:
            _orphan(report, sync_id, row_changes, rows)
            continue
        cells += [
            CellWrite(rows[0], columns[c], v)
            for c, v in row_changes.items()
            if c in WRITABLE_COLUMNS and c in columns
        ]
        if Column.STRIPE_ID not in row_changes:
            report.updated += 1
    for sync_id in plan.duplicates:
        for number in rows_by_id.get(sync_id, []):
            cells.append(
                CellWrite(
                    number, columns[Column.ERROR], duplicate_message(sync_id, rows_by_id[sync_id])
                )
            )
    sheet.write(cells)


def _orphan(report: CycleReport, sync_id: str, changes: Changes, rows: list[int]) -> None:
    stripe_id = str(changes.get(Column.STRIPE_ID) or "")
    where = "was deleted" if not rows else f"now appears in rows {rows}"
    note = f"row with Sync ID {sync_id} {where} before its results could be written"
    if stripe_id:
        note += f"; its Stripe object {stripe_id} exists"
    log.warning("%s", note)
    report.orphans.append(note)


def duplicate_message(sync_id: str, rows: list[int]) -> str:
    """The Error of rows sharing one Sync ID (a copied row)."""
    listed = ", ".join(str(r) for r in rows)
    return (
        f"Sync ID {sync_id} is in rows {listed} (a copied row?). Neither is billed again: "
        "clear Sync ID, Stripe ID and the other sheetsync cells in the copy, then set it to draft."
    )


def _error_rows(table: Table, plan: Plan, changes: Mapping[str, Changes]) -> int:
    pending = {s for s, ch in changes.items() if ch.get(Column.STATUS) == Status.ERROR}
    ids_changing = set(changes)
    existing = sum(
        1 for r in table.rows if r.status == Status.ERROR and r.sync_id not in ids_changing
    )
    return existing + len(pending) + sum(len(v) for v in plan.duplicates.values())


def describe(plan: Plan, table: Table) -> list[str]:
    """The plan in words, one line per action (what --dry-run prints)."""
    by_id = {r.sync_id: r.number for r in table.rows if r.sync_id}
    by_id.update({c.sync_id: c.row for c in plan.claims})
    lines = [
        f"row {b.row}: bill {_amount(b.draft)} to {b.draft.customer_email}"
        + (" (recovering an interrupted billing)" if b.recover else "")
        for b in plan.bills
    ]
    lines += [f"row {v.row}: void {v.invoice_id}" for v in plan.voids]
    for sync_id, changes in plan.changes.items():
        shown = ", ".join(
            f"{HEADERS[c]} → {v}" for c, v in changes.items() if c is not Column.LAST_SYNCED
        )
        lines.append(f"row {by_id.get(sync_id, '?')}: {shown}")
    for sync_id, rows in plan.duplicates.items():
        lines.append(f"rows {rows}: Sync ID {sync_id} is duplicated; neither is touched")
    return lines


def _amount(draft: Draft) -> str:
    return format_amount(draft.subtotal, draft.currency) + (
        " + tax" if any(ln.tax_rate for ln in draft.lines) else ""
    )
