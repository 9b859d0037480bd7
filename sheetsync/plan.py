"""Plan one cycle: a pure function from (sheet, Stripe state, now) to actions.

Nothing here talks to the sheet or to Stripe, or reads the clock.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo

from sheetsync import money
from sheetsync.billing import InvoiceState
from sheetsync.model import OPEN_STATUSES, Cell, Column, Draft, Mode, Row, Status, Table
from sheetsync.parse import Defaults, parse_draft

Changes = dict[Column, Cell]


@dataclass(frozen=True)
class Claim:
    """A row that gets its Sync ID (and `processing` when it is about to be billed)."""

    row: int
    sync_id: str
    processing: bool


@dataclass(frozen=True)
class PlannedBill:
    """A row to bill in Stripe."""

    row: int
    sync_id: str
    draft: Draft
    recover: bool


@dataclass(frozen=True)
class PlannedVoid:
    """An open invoice a person asked to void by setting Status `void`."""

    row: int
    sync_id: str
    invoice_id: str


@dataclass
class Plan:
    """What one cycle will do."""

    claims: list[Claim] = field(default_factory=list)
    bills: list[PlannedBill] = field(default_factory=list)
    voids: list[PlannedVoid] = field(default_factory=list)
    changes: dict[str, Changes] = field(default_factory=dict)
    duplicates: dict[str, list[int]] = field(default_factory=dict)

    @property
    def idle(self) -> bool:
        """True when the cycle has nothing to write and nothing to ask of Stripe."""
        return not (self.claims or self.bills or self.voids or self.changes)


def invoices_to_watch(table: Table) -> set[str]:
    """Stripe IDs of rows whose invoice may have changed by itself or on request."""
    watched = OPEN_STATUSES | {Status.VOID, Status.DRAFT}
    return {
        row.stripe_id
        for row in table.rows
        if row.stripe_id.startswith("in_") and row.status in watched
    }


def plan_cycle(
    table: Table,
    invoices: Mapping[str, InvoiceState],
    now: datetime,
    zone: tzinfo,
    defaults: Defaults,
    new_id: Callable[[], str],
) -> Plan:
    """Decide every row's action for this cycle.

    `invoices` holds the Stripe state of the watched rows' invoices (open ones
    and the ones that left the open list since the last cycle).
    """
    plan = Plan()
    counts = Counter(row.sync_id for row in table.rows if row.sync_id)
    today = now.astimezone(zone).date()
    stamp = synced_stamp(now, zone)
    for row in table.rows:
        if row.sync_id and counts[row.sync_id] > 1:
            plan.duplicates.setdefault(row.sync_id, []).append(row.number)
            continue
        _plan_row(plan, row, invoices, today, zone, defaults, new_id, stamp, now)
    return plan


def _plan_row(
    plan: Plan,
    row: Row,
    invoices: Mapping[str, InvoiceState],
    today: date,
    zone: tzinfo,
    defaults: Defaults,
    new_id: Callable[[], str],
    stamp: str,
    now: datetime,
) -> None:
    status = row.status
    invoice = invoices.get(row.stripe_id)
    if status == Status.DRAFT and row.stripe_id:
        changes = invoice_changes(row, invoice, now, zone) if invoice else {}
        changes.setdefault(Column.STATUS, _status_cell(row, invoice, now))
        message = (
            f"This row is already billed as {row.stripe_id}; an invoice keeps its amount. "
            "To bill again, set Status to void, then add a new row."
        )
        _change(plan, row, {**changes, Column.ERROR: message}, stamp)
    elif status in (Status.DRAFT, Status.PROCESSING):
        _plan_draft(plan, row, today, zone, defaults, new_id, stamp)
    elif status == Status.VOID and invoice is not None and invoice.status == "open":
        plan.voids.append(
            PlannedVoid(row.number, row.sync_id or _claim(plan, row, new_id), row.stripe_id)
        )
    elif status in OPEN_STATUSES and invoice is not None:
        _change(plan, row, invoice_changes(row, invoice, now, zone), stamp)


def _plan_draft(
    plan: Plan,
    row: Row,
    today: date,
    zone: tzinfo,
    defaults: Defaults,
    new_id: Callable[[], str],
    stamp: str,
) -> None:
    draft = parse_draft(row, defaults, today)
    if isinstance(draft, Draft) and draft.mode is Mode.PAYMENT_LINK:
        draft = ["Mode payment_link is not supported yet; use invoice"]
    if isinstance(draft, list):
        sync_id = row.sync_id or _claim(plan, row, new_id)
        changes: Changes = {Column.STATUS: Status.ERROR.value, Column.ERROR: "; ".join(draft)}
        if not _same(row.cells.get(Column.STATUS), Status.ERROR.value) or not _same(
            row.cells.get(Column.ERROR), changes[Column.ERROR]
        ):
            plan.changes[sync_id] = {**changes, Column.LAST_SYNCED: stamp}
        return
    recover = row.status == Status.PROCESSING and bool(row.sync_id)
    sync_id = row.sync_id or new_id()
    if not recover:
        plan.claims.append(Claim(row.number, sync_id, processing=True))
    plan.bills.append(PlannedBill(row.number, sync_id, draft, recover))


def _claim(plan: Plan, row: Row, new_id: Callable[[], str]) -> str:
    sync_id = new_id()
    plan.claims.append(Claim(row.number, sync_id, processing=False))
    return sync_id


def _change(plan: Plan, row: Row, changes: Changes, stamp: str) -> None:
    changed = {c: v for c, v in changes.items() if not _same(row.cells.get(c), v)}
    if changed:
        plan.changes[row.sync_id] = {**changed, Column.LAST_SYNCED: stamp}


def invoice_changes(row: Row, invoice: InvoiceState, now: datetime, zone: tzinfo) -> Changes:
    """The cells that show an invoice's Stripe state in its row."""
    changes: Changes = {Column.STATUS: _status_cell(row, invoice, now)}
    if invoice.amount_paid or row.cells.get(Column.AMOUNT_PAID) not in (None, ""):
        changes[Column.AMOUNT_PAID] = money.from_minor(invoice.amount_paid, invoice.currency)
    if invoice.status == "paid" and invoice.paid_at is not None:
        changes[Column.PAID_AT] = local_date(invoice.paid_at, zone).isoformat()
    return changes


def _status_cell(row: Row, invoice: InvoiceState | None, now: datetime) -> str:
    if invoice is None:
        return row.status or Status.SENT.value
    return invoice_status(invoice, now).value


def invoice_status(invoice: InvoiceState, now: datetime) -> Status:
    """The row Status an invoice's Stripe state means at `now`."""
    if invoice.status in ("paid", "void", "uncollectible"):
        return Status(invoice.status)
    if invoice.attempted and invoice.amount_remaining > 0:
        return Status.FAILED
    if invoice.due_date is not None and invoice.due_date < now.timestamp():
        return Status.OVERDUE
    return Status.SENT


def billed_changes(invoice: InvoiceState, draft: Draft, stamp: str) -> Changes:
    """The cells written back once a row's invoice is finalized."""
    changes: Changes = {
        Column.STRIPE_ID: invoice.id,
        Column.PAYMENT_URL: invoice.hosted_url,
        Column.PDF_URL: invoice.pdf_url,
        Column.TOTAL: money.from_minor(invoice.total, invoice.currency),
        Column.STATUS: Status.SENT.value,
        Column.LAST_SYNCED: stamp,
        Column.ERROR: "",
    }
    if not draft.invoice_number:
        changes[Column.INVOICE_NUMBER] = invoice.number
    return changes


def due_timestamp(due: date, zone: tzinfo) -> int:
    """The last second of the due date in the configured time zone."""
    end = datetime.combine(due + timedelta(days=1), time(0), tzinfo=zone)
    return int(end.timestamp()) - 1


def local_date(timestamp: int, zone: tzinfo) -> date:
    """A Unix timestamp's calendar date in `zone`."""
    return datetime.fromtimestamp(timestamp, zone).date()


def synced_stamp(now: datetime, zone: tzinfo) -> str:
    """The Last Synced text: local time to the second, with the zone."""
    local = now.astimezone(zone)
    return f"{local:%Y-%m-%d %H:%M:%S} {local.tzname()}"


def _same(old: Cell, new: Cell) -> bool:
    if old in (None, "") or new in (None, ""):
        return old in (None, "") and new in (None, "")
    if isinstance(old, bool) or isinstance(new, bool):
        return old == new
    if isinstance(old, str) or isinstance(new, str):
        return str(old).strip().casefold() == str(new).strip().casefold()
    return old == new
