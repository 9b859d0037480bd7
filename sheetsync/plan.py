"""Plan one cycle: a pure function from (sheet, Stripe state, now) to actions.

Nothing here talks to the sheet or to Stripe, or reads the clock.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, tzinfo

from sheetsync.billing import InvoiceState, PaymentNews
from sheetsync.model import (
    INPUT_COLUMNS,
    OPEN_STATUSES,
    Column,
    Draft,
    Row,
    Status,
    Table,
)
from sheetsync.numbering import next_numbers
from sheetsync.parse import Defaults, invoice_number, parse_date, parse_draft
from sheetsync.reconcile import (
    Changes,
    claimed_recently,
    edited_message,
    invoice_changes,
    money_back_changes,
    same_cell,
    synced_stamp,
    synced_within,
)


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


LINK_PREFIX = "plink_"
LINK_EVENTS_REACH = timedelta(days=25)  # younger links' payments are in Stripe's 30-day events


def links_to_watch(table: Table, now: datetime) -> tuple[set[str], set[str]]:
    """Open payment-link rows' IDs, and those whose link may predate the event window."""
    rows = [
        r for r in table.rows if r.stripe_id.startswith(LINK_PREFIX) and r.status in OPEN_STATUSES
    ]
    old = {r.stripe_id for r in rows if not synced_within(r, now, LINK_EVENTS_REACH)}
    return {r.stripe_id for r in rows}, old


def money_back_to_watch(table: Table) -> bool:
    """Whether any row has a payment that could be refunded or disputed."""
    return any(r.stripe_id and r.status in (Status.PAID, Status.REFUNDED) for r in table.rows)


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
    news: Sequence[PaymentNews] = (),
) -> Plan:
    """Decide every row's action for this cycle.

    `invoices` holds the Stripe state of the watched rows' invoices (open ones
    and the ones that left the open list since the last cycle). `new_id` gives
    a row that has none its Sync ID.
    """
    generated = _numbers(table, number_pattern, now.astimezone(zone).year)
    planner = _Planner(Plan(), invoices, now, zone, defaults, new_id, table, generated)
    for item in news:
        planner.news.setdefault(item.sync_id or item.invoice_id, []).append(item)
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
    news: dict[str, list[PaymentNews]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for r in self.table.rows:
            typed = invoice_number(r.cells.get(Column.INVOICE_NUMBER)).casefold()
            if typed:
                self.number_rows.setdefault(typed, []).append(r.number)

    def row(self, row: Row) -> None:
        status = row.status
        invoice = self.invoices.get(row.stripe_id)
        if row.stripe_id.startswith(LINK_PREFIX) and status != Status.DRAFT:
            self.link(row, invoice)
        elif status == Status.DRAFT and row.stripe_id:
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
        elif status in (Status.PAID, Status.REFUNDED) and self.money_back(row):
            self.change(row, money_back_changes(row, self.money_back(row)))
        elif status in OPEN_STATUSES and invoice is not None:
            changes = invoice_changes(row, invoice, self.now, self.zone)
            changes[Column.ERROR] = edited_message(row, invoice, self.defaults, self.lines_of(row))
            self.change(row, changes)
        elif status and status not in _KNOWN:
            self.change(
                row,
                {
                    Column.ERROR: f'Status "{row.text(Column.STATUS)}" is unknown; '
                    "use draft to bill the row, or void to cancel its invoice"
                },
            )

    def link(self, row: Row, paid: InvoiceState | None) -> None:
        """A payment-link row: paid when its session completed, overdue by its Due Date,
        deactivated when a person sets void or paid. A Payment URL in the row means the
        link is live; it is cleared once the link stops taking payments."""
        status, live = row.status, bool(row.text(Column.PAYMENT_URL))
        if status in (Status.VOID, Status.PAID) and live:
            sync_id = row.sync_id or self.claim(row)
            if status == Status.VOID:
                self.plan.voids.append(PlannedVoid(row.number, sync_id, row.stripe_id))
            else:
                typed = bool(row.text(Column.PAID_AT))
                self.plan.payments.append(PlannedPayment(row.number, sync_id, row.stripe_id, typed))
        elif status in (Status.PAID, Status.REFUNDED) and self.money_back(row):
            self.change(row, money_back_changes(row, self.money_back(row)))
        elif status in OPEN_STATUSES and paid is not None:
            # Stripe deactivates a link at its one-payment limit: no live URL stays behind.
            changes = invoice_changes(row, paid, self.now, self.zone)
            self.change(row, {**changes, Column.PAYMENT_URL: ""})
        elif status in OPEN_STATUSES:
            due = parse_date(row.cells.get(Column.DUE_DATE))
            late = due is not None and due < self.now.astimezone(self.zone).date()
            self.change(row, {Column.STATUS: (Status.OVERDUE if late else Status.SENT).value})

    def money_back(self, row: Row) -> list[PaymentNews]:
        """Refunds and disputes of the row's charges."""
        return self.news.get(row.sync_id, []) + self.news.get(row.stripe_id, [])

    def lines_of(self, row: Row) -> list[Row]:
        """The Line Items rows of a row's Invoice #."""
        typed = invoice_number(row.cells.get(Column.INVOICE_NUMBER))
        return self.table.line_items.get(typed.casefold(), []) if typed else []

    def draft(self, row: Row) -> None:
        typed = invoice_number(row.cells.get(Column.INVOICE_NUMBER))
        today = self.now.astimezone(self.zone).date()
        draft = parse_draft(row, self.defaults, today, self.lines_of(row))
        if typed and isinstance(draft, Draft):
            others = [n for n in self.number_rows.get(typed.casefold(), []) if n != row.number]
            if others:
                draft = [
                    f"Invoice # {typed} is also in row {others[0]}; each invoice needs its own"
                ]
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
        changed = {c: v for c, v in changes.items() if not same_cell(row.cells.get(c), v)}
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


def derive_sync_id(spreadsheet: str, row: Row, day: date) -> str:
    """A Sync ID two processes reading the same row on the same day agree on.

    So overlapping runs on different machines claim a row under one ID, and
    Stripe's idempotency keys turn the second run's calls into replays.
    """
    cells = "|".join(f"{c.value}={row.text(c)}" for c in sorted(row.cells) if c in INPUT_COLUMNS)
    text = f"{spreadsheet}|{row.number}|{day.isoformat()}|{cells}"
    return "ss_" + hashlib.sha256(text.encode()).hexdigest()[:12]
