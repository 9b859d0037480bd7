"""One cycle: read, claim (under the billing lease), look at Stripe, plan, act, write.

This module sequences the side effects; the decisions are in `claims`, `plan`
and `reconcile`. The billing protocol it follows is in the README (When things go wrong).
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from sheetsync.acting import Acting
from sheetsync.billing import Billing, InvoiceState
from sheetsync.claims import Claim, check_claims, needs_claim, plan_claims, restored
from sheetsync.errors import BillingError, Interrupted, SheetError
from sheetsync.model import HEADERS, Status, Table
from sheetsync.options import CycleOptions
from sheetsync.parse import read_line_items, read_table
from sheetsync.plan import Plan, Scope, plan_cycle
from sheetsync.reconcile import synced_stamp
from sheetsync.report import (
    CycleReport,
    describe,
    error_count,
    orphan_note,
    orphan_paid_note,
    planned_counts,
)
from sheetsync.sheets import CellWrite, Spreadsheet
from sheetsync.watch import (
    invoices_to_look_up,
    links_to_watch,
    money_back_to_watch,
    orphan_invoices,
    orphan_payments,
)

log = logging.getLogger(__name__)

EVENT_WINDOW = timedelta(days=30)  # how far back Stripe's event list reaches
ORPHAN_NEWS = timedelta(days=1)
"""A payment of an invoice whose row was deleted is reported for a day (a daily cron sees it)."""


def new_sync_id() -> str:
    """A Sync ID: random and unguessable, born once in a claim."""
    return "ss_" + secrets.token_hex(8)


def run_cycle(
    sheet: Spreadsheet,
    billing: Billing,
    options: CycleOptions,
    now: datetime,
    *,
    holder: str = "",
    dry_run: bool = False,
    stop: Callable[[], bool] = lambda: False,
) -> CycleReport:
    """Run one cycle and report it; with `dry_run`, only read and plan.

    Drafts are billed only under the spreadsheet's billing lease, taken as
    `holder`; without it the cycle still brings statuses up to date. `stop` is
    asked before each Stripe action; once it says yes, the cycle writes what it
    knows, gives back the rows it claimed but did not start, and raises Interrupted.

    :raises SheetError: when the sheet cannot be read or written.
    :raises BillingError: when Stripe fails beyond retries; what was learned
        before is written first.
    :raises Interrupted: when `stop` said so.
    """
    started = time.monotonic()
    table = read(sheet, options)
    report = CycleReport(rows=len(table.rows), notes=list(table.notes))
    scope = Scope(holder=holder, preview=dry_run)
    leased = (
        not dry_run and _wants_lease(table) and _take_lease(sheet, options, now, holder, report)
    )
    acting = Acting(sheet, billing, options, now, report, stop, holder, [], started)
    try:
        if leased:
            scope, table, acting.claims = _claim(sheet, options, now, holder)
        plan = _plan(sheet, billing, options, table, now, scope)
        report.actions = describe(plan, table)
        report.orphans += [orphan_note(i, options.zone) for i in plan.orphans]
        report.orphans += [orphan_paid_note(i, options.zone) for i in plan.orphans_paid]
        changes = plan.changes
        if dry_run:
            report.created, report.updated = planned_counts(plan)
        elif not plan.idle or acting.claims:
            changes = acting.act(plan, table, lambda: read(sheet, options))
    except (BillingError, SheetError, Interrupted, KeyboardInterrupt):
        acting.give_back(lambda: read(sheet, options))
        raise
    finally:
        if leased:
            _release(sheet, holder)
    report.unchanged = report.rows - report.created - report.updated
    report.errors = error_count(table, plan, changes)
    report.sheet_requests, report.stripe_requests = sheet.requests, billing.requests
    report.duration_s = round(time.monotonic() - started, 3)
    return report


def read(sheet: Spreadsheet, options: CycleOptions) -> Table:
    """The invoices worksheet and its Line Items, parsed."""
    book = sheet.read()
    table = read_table(book.invoices, options.renames)
    return replace(table, line_items=read_line_items(book.line_items, options.renames))


def _wants_lease(table: Table) -> bool:
    """Only a cycle with rows to claim or claims to finish needs the lease."""
    return any(needs_claim(r) or r.status == Status.PROCESSING for r in table.rows)


def _take_lease(
    sheet: Spreadsheet, options: CycleOptions, now: datetime, holder: str, report: CycleReport
) -> bool:
    """Take the billing lease; without it, say who has it (drafts are left to them)."""
    lease = sheet.take_lease(holder, now, options.lease_ttl)
    if lease.held_by(holder):
        return True
    until = lease.expires.isoformat(timespec="seconds") if lease.expires else "?"
    note = (
        f"another sheetsync run ({lease.holder}) holds this spreadsheet's billing lease "
        f"until {until}: drafts are left for it, statuses are brought up to date"
    )
    log.info("%s", note)
    report.notes.append(note)
    return False


def _claim(
    sheet: Spreadsheet, options: CycleOptions, now: datetime, holder: str
) -> tuple[Scope, Table, list[Claim]]:
    """Under the lease: read afresh (the first read may be stale by now), claim, check."""
    table = read(sheet, options)
    today = now.astimezone(options.zone).date()
    stamp = synced_stamp(now, options.zone)
    claims = plan_claims(
        table, new_sync_id, holder, stamp, options.defaults, today, options.number_pattern
    )
    held: frozenset[str] = frozenset()
    if claims:
        table, held = _write_claims(sheet, options, table, claims)
    mine = [c for c in claims if c.sync_id in held and c.billing]
    resumed = frozenset(c.sync_id for c in mine if c.sync_id == c.before.sync_id)
    return Scope(holder=holder, lease=True, held=held, resumed=resumed), table, mine


def _write_claims(
    sheet: Spreadsheet, options: CycleOptions, table: Table, claims: list[Claim]
) -> tuple[Table, frozenset[str]]:
    """Write the claims right after the read, read them back, and put back any row a
    claim landed on by mistake (a person inserted, sorted or deleted rows meanwhile)."""
    columns = dict(table.columns)
    if table.missing:
        first = len(table.header)
        sheet.add_columns([HEADERS[c] for c in table.missing], first)
        columns.update({c: first + i for i, c in enumerate(table.missing)})
    sheet.write([CellWrite(c.row, columns[k], v) for c in claims for k, v in c.cells.items()])
    after = read(sheet, options)
    check = check_claims(claims, table, after)
    if check.restores:
        rows = [n for n, _ in check.restores]
        log.warning("rows %s moved while they were claimed: put back, billed next cycle", rows)
        sheet.write(
            [
                CellWrite(n, after.columns[k], v)
                for n, cells in check.restores
                for k, v in cells.items()
            ]
        )
        after = restored(after, check)
    return after, check.held


def _plan(
    sheet: Spreadsheet,
    billing: Billing,
    options: CycleOptions,
    table: Table,
    now: datetime,
    scope: Scope,
) -> Plan:
    open_now = billing.open_invoices()
    invoices = _watched(table, billing, open_now, now)
    since = int((now - EVENT_WINDOW).timestamp())
    news = billing.money_back(since) if money_back_to_watch(table) else []
    plan = plan_cycle(table, invoices, now, options.zone, options.defaults, scope, news)
    plan.orphans = orphan_invoices(table, open_now | billing.open_links(), sheet.key)
    paid_lately = billing.paid_invoices(int((now - ORPHAN_NEWS).timestamp()))
    plan.orphans_paid = orphan_payments(table, paid_lately, sheet.key)
    return plan


def _watched(
    table: Table, billing: Billing, open_now: dict[str, InvoiceState], now: datetime
) -> dict[str, InvoiceState]:
    links, old = links_to_watch(table, now)
    since = int((now - EVENT_WINDOW).timestamp())
    paid_links = billing.paid_links(links, old, since) if links else {}
    named = {r.stripe_id for r in table.rows}
    known = {i: s for i, s in open_now.items() if i in named}
    return known | billing.invoices(sorted(invoices_to_look_up(table, open_now))) | paid_links


def _release(sheet: Spreadsheet, holder: str) -> None:
    try:
        sheet.release_lease(holder)
    except SheetError as exc:  # it expires by itself
        log.warning("could not give the billing lease back (%s); it expires by itself", exc)
