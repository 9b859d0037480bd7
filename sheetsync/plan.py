"""Plan one cycle: a pure function from (sheet, Stripe state, now) to actions.

Nothing here talks to the sheet or to Stripe, or reads the clock.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, tzinfo

from sheetsync import money
from sheetsync.billing import InvoiceState
from sheetsync.model import (
    INPUT_COLUMNS,
    OPEN_STATUSES,
    Cell,
    Column,
    Draft,
    Mode,
    Row,
    Status,
    Table,
)
from sheetsync.numbering import next_numbers
from sheetsync.parse import Defaults, invoice_number, parse_draft

Changes = dict[Column, Cell]


@dataclass(frozen=True)
class Claim:
    """A row that gets its Sync ID (and `processing` when it is about to be billed)."""

    row: int
    sync_id: str
    processing: bool
    invoice_number: str = ""


@dataclass(frozen=True)
class PlannedBill:
    """A row to bill in Stripe."""

    row: int
    sync_id: str
    draft: Draft
    recover: bool
    may_create: bool = True


@dataclass(frozen=True)
class PlannedVoid:
    """An open invoice a person asked to void by setting Status `void`."""

    row: int
    sync_id: str
    invoice_id: str


@dataclass(frozen=True)
class PlannedPayment:
    """An open invoice a person marked `paid`: money received outside Stripe."""

    row: int
    sync_id: str
    invoice_id: str
    paid_at_typed: bool


@dataclass
class Plan:
    """What one cycle will do."""

    claims: list[Claim] = field(default_factory=list)
    bills: list[PlannedBill] = field(default_factory=list)
    voids: list[PlannedVoid] = field(default_factory=list)
    payments: list[PlannedPayment] = field(default_factory=list)
    changes: dict[str, Changes] = field(default_factory=dict)
    duplicates: dict[str, list[int]] = field(default_factory=dict)

    @property
    def idle(self) -> bool:
        """True when the cycle has nothing to write and nothing to ask of Stripe."""
        return not (
            self.claims
            or self.bills
            or self.voids
            or self.payments
            or self.changes
            or self.duplicates
        )


def invoices_to_watch(table: Table) -> set[str]:
    """Stripe IDs of rows whose invoice may have changed by itself or on request."""
    watched = OPEN_STATUSES | {Status.VOID, Status.DRAFT, Status.PAID}
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
    new_id: Callable[[Row], str],
    number_pattern: str = "",
) -> Plan:
    """Decide every row's action for this cycle.

    `invoices` holds the Stripe state of the watched rows' invoices (open ones
    and the ones that left the open list since the last cycle). `new_id` gives
    a row that has none its Sync ID.
    """
    generated = _numbers(table, number_pattern, now.astimezone(zone).year)
    planner = _Planner(Plan(), invoices, now, zone, defaults, new_id, table, generated)
    copies: dict[str, list[Row]] = {}
    for row in table.rows:
        copies.setdefault(row.sync_id, []).append(row)
    for row in table.rows:
        if row.sync_id and len(copies[row.sync_id]) > 1:
            continue
        planner.row(row)
    for sync_id, rows in copies.items():
        row_numbers = [r.number for r in rows]
        message = duplicate_message(sync_id, row_numbers)
        if sync_id and len(rows) > 1 and any(r.text(Column.ERROR) != message for r in rows):
            planner.plan.duplicates[sync_id] = row_numbers
    return planner.plan


def duplicate_message(sync_id: str, rows: list[int]) -> str:
    """The Error of rows sharing one Sync ID (a copied row)."""
    listed = ", ".join(str(r) for r in rows)
    return (
        f"Sync ID {sync_id} is in rows {listed} (a copied row?). Neither is billed again: "
        "clear Sync ID, Stripe ID and the other sheetsync cells in the copy, then set it to draft."
    )


@dataclass
class _Planner:
    plan: Plan
    invoices: Mapping[str, InvoiceState]
    now: datetime
    zone: tzinfo
    defaults: Defaults
    new_id: Callable[[Row], str]
    table: Table
    numbers: Iterator[str] | None
    number_rows: dict[str, list[int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for r in self.table.rows:
            typed = invoice_number(r.cells.get(Column.INVOICE_NUMBER)).casefold()
            if typed:
                self.number_rows.setdefault(typed, []).append(r.number)

    def row(self, row: Row) -> None:
        status = row.status
        invoice = self.invoices.get(row.stripe_id)
        if status == Status.DRAFT and row.stripe_id:
            message = (
                f"This row is already billed as {row.stripe_id}; an invoice keeps its amount. "
                "To bill again, set Status to void, then add a new row."
            )
            changes = invoice_changes(row, invoice, self.now, self.zone) if invoice else {}
            self.change(row, {Column.STATUS: Status.SENT.value, **changes, Column.ERROR: message})
        elif status in (Status.DRAFT, Status.PROCESSING):
            self.draft(row)
        elif status == Status.VOID and invoice is not None and invoice.status == "open":
            sync_id = row.sync_id or self.claim(row)
            self.plan.voids.append(PlannedVoid(row.number, sync_id, row.stripe_id))
        elif status == Status.PAID and invoice is not None and invoice.status == "open":
            sync_id = row.sync_id or self.claim(row)
            typed = bool(row.text(Column.PAID_AT))
            self.plan.payments.append(PlannedPayment(row.number, sync_id, row.stripe_id, typed))
        elif status in OPEN_STATUSES and invoice is not None:
            changes = invoice_changes(row, invoice, self.now, self.zone)
            changes[Column.ERROR] = edited_message(row, invoice, self.defaults)
            self.change(row, changes)
        elif status and status not in _KNOWN:
            self.change(
                row,
                {
                    Column.ERROR: f'Status "{row.text(Column.STATUS)}" is unknown; '
                    "use draft to bill the row, or void to cancel its invoice"
                },
            )

    def draft(self, row: Row) -> None:
        typed = invoice_number(row.cells.get(Column.INVOICE_NUMBER))
        lines = self.table.line_items.get(typed.casefold(), []) if typed else []
        draft = parse_draft(row, self.defaults, self.now.astimezone(self.zone).date(), lines)
        if typed and isinstance(draft, Draft):
            others = [n for n in self.number_rows.get(typed.casefold(), []) if n != row.number]
            if others:
                draft = [
                    f"Invoice # {typed} is also in row {others[0]}; each invoice needs its own"
                ]
        if isinstance(draft, Draft) and draft.mode is Mode.PAYMENT_LINK:
            draft = ["Mode payment_link is not supported yet; use invoice"]
        if isinstance(draft, list):
            self.change(row, {Column.STATUS: Status.ERROR.value, Column.ERROR: "; ".join(draft)})
            return
        sync_id = row.sync_id or self.new_id(row)
        young = row.status == Status.PROCESSING and claimed_recently(row, self.now)
        if not typed and self.numbers is not None and not young:
            draft = replace(draft, invoice_number=next(self.numbers))
        if not young:  # a young claim is another run's: its stamp stays as it is
            generated = "" if typed else draft.invoice_number
            self.plan.claims.append(Claim(row.number, sync_id, True, generated))
        bill = PlannedBill(
            row.number, sync_id, draft, recover=bool(row.sync_id), may_create=not young
        )
        self.plan.bills.append(bill)

    def claim(self, row: Row) -> str:
        sync_id = self.new_id(row)
        self.plan.claims.append(Claim(row.number, sync_id, processing=False))
        return sync_id

    def change(self, row: Row, changes: Changes) -> None:
        changed = {c: v for c, v in changes.items() if not _same(row.cells.get(c), v)}
        if changed:
            sync_id = row.sync_id or self.claim(row)
            self.plan.changes[sync_id] = {
                **changed,
                Column.LAST_SYNCED: synced_stamp(self.now, self.zone),
            }


_KNOWN = frozenset(s.value for s in Status)


def _numbers(table: Table, pattern: str, year: int) -> Iterator[str] | None:
    if not pattern or Column.INVOICE_NUMBER not in table.columns:
        return None
    used = [invoice_number(r.cells.get(Column.INVOICE_NUMBER)) for r in table.rows]
    return next_numbers(pattern, used, year)


def draft_fingerprint(draft: Draft) -> str:
    """A short digest of what an invoice bills: email, currency and every line's figures."""
    lines = ";".join(
        f"{ln.quantity.normalize()}x{ln.unit_price.normalize()}@{ln.tax_rate or 0}"
        for ln in draft.lines
    )
    text = f"{draft.customer_email.casefold()}|{draft.currency}|{lines}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def row_fingerprint(row: Row, defaults: Defaults) -> str:
    """The fingerprint of the figures a row shows now ('' when they no longer parse)."""
    # date.min as today: a sent row's due date is history, not an input to check.
    parsed = parse_draft(row, defaults, date.min)
    return draft_fingerprint(parsed) if isinstance(parsed, Draft) else ""


def edited_message(row: Row, invoice: InvoiceState, defaults: Defaults) -> str:
    """The Error of a billed row whose figures changed since billing ('' when they did not)."""
    if not invoice.fingerprint or row_fingerprint(row, defaults) == invoice.fingerprint:
        return ""
    total = money.format_amount(money.from_minor(invoice.total, invoice.currency), invoice.currency)
    return (
        f"Changed after billing: invoice {invoice.id} keeps {total} and its customer. "
        "To bill the new figures, set Status to void, then add a new row."
    )


def derive_sync_id(spreadsheet: str, row: Row, day: date) -> str:
    """A Sync ID two processes reading the same row on the same day agree on.

    So overlapping runs on different machines claim a row under one ID, and
    Stripe's idempotency keys turn the second run's calls into replays.
    """
    cells = "|".join(f"{c.value}={row.text(c)}" for c in sorted(row.cells) if c in INPUT_COLUMNS)
    text = f"{spreadsheet}|{row.number}|{day.isoformat()}|{cells}"
    return "ss_" + hashlib.sha256(text.encode()).hexdigest()[:12]


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


def paid_outside_changes(
    invoice: InvoiceState, paid_at_typed: bool, now: datetime, zone: tzinfo, stamp: str
) -> Changes:
    """The cells of a row a person marked paid, once Stripe knows: their Paid At is kept."""
    changes: Changes = {
        Column.STATUS: Status.PAID.value,
        Column.AMOUNT_PAID: money.from_minor(invoice.amount_paid, invoice.currency),
        Column.ERROR: "",
        Column.LAST_SYNCED: stamp,
    }
    if not paid_at_typed:
        changes[Column.PAID_AT] = now.astimezone(zone).date().isoformat()
    return changes


def due_timestamp(due: date, zone: tzinfo) -> int:
    """The last second of the due date in the configured time zone."""
    end = datetime.combine(due + timedelta(days=1), time(0), tzinfo=zone)
    return int(end.timestamp()) - 1


def local_date(timestamp: int, zone: tzinfo) -> date:
    """A Unix timestamp's calendar date in `zone`."""
    return datetime.fromtimestamp(timestamp, zone).date()


def synced_stamp(now: datetime, zone: tzinfo) -> str:
    """The Last Synced text: local time to the second with its UTC offset."""
    return now.astimezone(zone).isoformat(sep=" ", timespec="seconds")


CLAIM_GRACE = timedelta(minutes=15)
"""How long a `processing` row may belong to a run that is still working on it."""


def claimed_recently(row: Row, now: datetime) -> bool:
    """Whether the row's claim (its Last Synced) is younger than CLAIM_GRACE."""
    try:
        claimed = datetime.fromisoformat(row.text(Column.LAST_SYNCED))
    except ValueError:
        return False
    if claimed.tzinfo is None:
        return False
    return abs(now - claimed) < CLAIM_GRACE  # a clock a little ahead still counts


def _same(old: Cell, new: Cell) -> bool:
    if old in (None, "") or new in (None, ""):
        return old in (None, "") and new in (None, "")
    if isinstance(old, bool) or isinstance(new, bool):
        return old == new
    if isinstance(old, str) or isinstance(new, str):
        return str(old).strip().casefold() == str(new).strip().casefold()
    return old == new
