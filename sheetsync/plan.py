"""Plan one cycle: a pure function from (sheet, Stripe state, now) to actions.

Nothing here talks to the sheet or to Stripe, or reads the clock.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo

from sheetsync.billing import InvoiceState, PaymentNews
from sheetsync.claims import owner_of
from sheetsync.messages import (
    HAND_TYPED_PROCESSING,
    duplicate_message,
    foreign_message,
    refused_message,
    shared_stripe_id_message,
    unknown_status_message,
)
from sheetsync.model import (
    OPEN_STATUSES,
    Column,
    Draft,
    Row,
    Status,
    Table,
    unknown_status,
)
from sheetsync.parse import Defaults, invoice_number, parse_date, parse_draft
from sheetsync.reconcile import (
    Changes,
    edited_message,
    invoice_changes,
    money_back_changes,
    same_cell,
    synced_stamp,
)
from sheetsync.watch import LINK_PREFIX


@dataclass(frozen=True)
class PlannedBill:
    """A row to bill in Stripe."""

    row: int
    sync_id: str
    draft: Draft
    recover: bool
    claimed_at: datetime | None = None
    """When the row was claimed (its Last Synced), to find what a crashed run made."""


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

    bills: list[PlannedBill] = field(default_factory=list)
    voids: list[PlannedVoid] = field(default_factory=list)
    payments: list[PlannedPayment] = field(default_factory=list)
    changes: dict[str, Changes] = field(default_factory=dict)
    duplicates: dict[str, list[int]] = field(default_factory=dict)
    orphans: list[InvoiceState] = field(default_factory=list)
    """Open invoices of this spreadsheet that no row names (a deleted row)."""
    orphans_paid: list[InvoiceState] = field(default_factory=list)
    """Invoices of this spreadsheet paid lately while no row named them."""

    @property
    def idle(self) -> bool:
        """True when the cycle has nothing to write and nothing to ask of Stripe."""
        return not (self.bills or self.voids or self.payments or self.changes or self.duplicates)


PREVIEW = "(new)"
"""The Sync ID a dry run shows for a row that would get one."""


@dataclass(frozen=True)
class Scope:
    """What this run may do with the rows it reads."""

    holder: str = ""
    """The run's name; the owner of the claims it writes."""
    lease: bool = False
    """Whether the run holds the billing lease (it finishes other runs' claims)."""
    held: frozenset[str] = frozenset()
    """Sync IDs this run claimed this cycle."""
    resumed: frozenset[str] = frozenset()
    """Those of them that an earlier, unfinished claim had: look before making anything."""
    preview: bool = False
    """A dry run: show what a lease holder would do, drafts included."""


def plan_cycle(
    table: Table,
    invoices: Mapping[str, InvoiceState],
    now: datetime,
    zone: tzinfo,
    defaults: Defaults,
    scope: Scope,
    news: Sequence[PaymentNews] = (),
) -> Plan:
    """Decide every row's action for this cycle.

    `invoices` holds the Stripe state of the rows' invoices (open ones and the
    ones looked up). Rows without a Sync ID are left alone: only a lease holder's
    claim gives them one (a dry run shows what it would do).
    """
    planner = _Planner(Plan(), invoices, now, zone, defaults, table, scope)
    for item in news:
        planner.news.setdefault(item.sync_id or item.invoice_id, []).append(item)
    by_sync_id = _group(table.rows, lambda r: r.sync_id)
    by_stripe_id = _group(table.rows, lambda r: r.stripe_id)
    for row in table.rows:
        if len(by_sync_id.get(row.sync_id, [])) > 1:
            continue
        if len(by_stripe_id.get(row.stripe_id, [])) > 1:
            planner.note(row, shared_stripe_id_message(row.stripe_id, by_stripe_id[row.stripe_id]))
            continue
        planner.row(row)
    for sync_id, rows in by_sync_id.items():
        message = duplicate_message(sync_id, [r.number for r in rows])
        if len(rows) > 1 and any(r.text(Column.ERROR) != message for r in rows):
            planner.plan.duplicates[sync_id] = [r.number for r in rows]
    return planner.plan


def _group(rows: Sequence[Row], key: Callable[[Row], str]) -> dict[str, list[Row]]:
    groups: dict[str, list[Row]] = {}
    for row in rows:
        if key(row):
            groups.setdefault(key(row), []).append(row)
    return groups


@dataclass
class _Planner:
    plan: Plan
    invoices: Mapping[str, InvoiceState]
    now: datetime
    zone: tzinfo
    defaults: Defaults
    table: Table
    scope: Scope
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
        if invoice is not None and invoice.sync_id != row.sync_id and _misplaced_claim(row):
            self.repair(row, invoice)
        elif invoice is not None and invoice.sync_id != row.sync_id:
            self.note(row, foreign_message(row, invoice))
        elif row.stripe_id.startswith(LINK_PREFIX) and status != Status.DRAFT:
            self.link(row, invoice)
        elif status == Status.DRAFT and row.stripe_id:
            self.billed_draft(row, invoice)
        elif status in (Status.DRAFT, Status.PROCESSING):
            self.draft(row)
        elif status in (Status.VOID, Status.PAID) and invoice is not None:
            self.request(row, invoice)
        elif status in (Status.PAID, Status.REFUNDED) and self.money_back(row):
            self.change(row, money_back_changes(row, self.money_back(row)))
        elif status in OPEN_STATUSES and invoice is not None:
            changes = invoice_changes(row, invoice, self.now, self.zone)
            changes[Column.ERROR] = edited_message(row, invoice, self.defaults, self.lines_of(row))
            self.change(row, changes)
        elif unknown_status(status):
            self.unknown(row, invoice)

    def repair(self, row: Row, invoice: InvoiceState) -> None:
        """A claim that landed on a billed row (rows moved under it) and was never read
        back (its run died): the row gets its own Sync ID and Stripe's state again."""
        changes = invoice_changes(row, invoice, self.now, self.zone)
        changes |= {Column.SYNC_ID: invoice.sync_id, Column.ERROR: ""}
        if invoice.number:  # the claim may have written a new number over the invoice's
            changes[Column.INVOICE_NUMBER] = invoice.number
        self.change(row, changes)

    def billed_draft(self, row: Row, invoice: InvoiceState | None) -> None:
        """A person set a billed row back to draft: an invoice keeps its amount."""
        message = (
            f"This row is already billed as {row.stripe_id}; an invoice keeps its amount. "
            "To bill again, set Status to void, then add a new row."
        )
        changes = invoice_changes(row, invoice, self.now, self.zone) if invoice else {}
        status = changes.get(Column.STATUS, Status.SENT.value)
        self.change(row, {**changes, Column.STATUS: status, Column.ERROR: message})

    def request(self, row: Row, invoice: InvoiceState) -> None:
        """`void` or `paid` typed by a person on an invoice row."""
        if invoice.status == "open":
            if row.status == Status.VOID:
                self.plan.voids.append(PlannedVoid(row.number, row.sync_id, row.stripe_id))
            else:
                typed = bool(row.text(Column.PAID_AT))
                payment = PlannedPayment(row.number, row.sync_id, row.stripe_id, typed)
                self.plan.payments.append(payment)
        elif invoice.status == row.status:  # done, in Stripe as in the row
            changes = invoice_changes(row, invoice, self.now, self.zone)
            if row.status == Status.VOID:
                changes[Column.PAYMENT_URL] = ""
            if row.status == Status.PAID and self.money_back(row):
                changes |= money_back_changes(row, self.money_back(row))
            self.change(row, changes)
        else:
            changes = invoice_changes(row, invoice, self.now, self.zone)
            self.change(row, {**changes, Column.ERROR: refused_message(row, invoice)})

    def unknown(self, row: Row, invoice: InvoiceState | None) -> None:
        """A typo in Status: say so, and keep following the row's invoice."""
        changes: Changes = {Column.ERROR: unknown_status_message(row)}
        if invoice is not None:
            shown = invoice_changes(row, invoice, self.now, self.zone)
            if invoice.status != "open":  # paid, void: Stripe's word is final
                return self.change(row, {**shown, Column.ERROR: ""})
            changes = {**shown, **changes}
            del changes[Column.STATUS]
        self.change(row, changes)

    def link(self, row: Row, paid: InvoiceState | None) -> None:
        """A payment-link row: paid when its session completed, overdue by its Due Date,
        deactivated when a person sets void or paid. A Payment URL in the row means the
        link is live; it is cleared once the link stops taking payments."""
        status, live = row.status, bool(row.text(Column.PAYMENT_URL))
        if status in (Status.VOID, Status.PAID) and live:
            if paid is not None and status == Status.VOID:  # the customer paid first
                changes = invoice_changes(row, paid, self.now, self.zone)
                refused = refused_message(row, paid)
                self.change(row, {**changes, Column.PAYMENT_URL: "", Column.ERROR: refused})
            elif status == Status.VOID:
                self.plan.voids.append(PlannedVoid(row.number, row.sync_id, row.stripe_id))
            else:
                typed = bool(row.text(Column.PAID_AT))
                payment = PlannedPayment(row.number, row.sync_id, row.stripe_id, typed)
                self.plan.payments.append(payment)
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
        elif unknown_status(status):
            self.unknown(row, paid)

    def money_back(self, row: Row) -> list[PaymentNews]:
        """Refunds and disputes of the row's charges."""
        return self.news.get(row.sync_id, []) + self.news.get(row.stripe_id, [])

    def lines_of(self, row: Row) -> list[Row]:
        """The Line Items rows of a row's Invoice #."""
        typed = invoice_number(row.cells.get(Column.INVOICE_NUMBER))
        return self.table.line_items.get(typed.casefold(), []) if typed else []

    def draft(self, row: Row) -> None:
        """A draft (unclaimed) or `processing` (claimed) row without a Stripe ID."""
        mine = row.sync_id in self.scope.held
        if row.status == Status.PROCESSING and not (mine or is_claim(row)):
            self.note(row, HAND_TYPED_PROCESSING)
            return
        if row.status == Status.PROCESSING and not (mine or self.scope.lease):
            return  # another run's claim, while it holds the lease
        if row.status == Status.DRAFT and not self.scope.preview:
            if row.sync_id and not self.scope.lease:
                return  # left for the run that holds the lease
        draft = self.parsed(row)
        if isinstance(draft, list):
            self.change(row, {Column.STATUS: Status.ERROR.value, Column.ERROR: "; ".join(draft)})
        elif row.status == Status.PROCESSING or self.scope.preview:
            if not row.sync_id and not self.scope.preview:
                return  # only a claim gives a row the Sync ID its Stripe calls carry
            sync_id = row.sync_id or f"{PREVIEW} row {row.number}"
            recover = (row.status == Status.PROCESSING and not mine) or (
                row.sync_id in self.scope.resumed
            )
            self.plan.bills.append(
                PlannedBill(row.number, sync_id, draft, recover, claim_time(row))
            )

    def parsed(self, row: Row) -> Draft | list[str]:
        typed = invoice_number(row.cells.get(Column.INVOICE_NUMBER))
        today = self.now.astimezone(self.zone).date()
        draft = parse_draft(row, self.defaults, today, self.lines_of(row))
        if isinstance(draft, list) and row.status == Status.PROCESSING:
            # A claimed row whose typed due date passed since its claim (a crash overnight):
            # what its first biller made is still found and finished.
            late = parse_draft(row, self.defaults, date.min, self.lines_of(row))
            draft = late if isinstance(late, Draft) else draft
        if typed and isinstance(draft, Draft):
            others = [n for n in self.number_rows.get(typed.casefold(), []) if n != row.number]
            if others:
                return [f"Invoice # {typed} is also in row {others[0]}; each invoice needs its own"]
        return draft

    def note(self, row: Row, message: str) -> None:
        """Only an Error for the row: nothing else in it changes."""
        self.change(row, {Column.ERROR: message})

    def change(self, row: Row, changes: Changes) -> None:
        changed = {c: v for c, v in changes.items() if not same_cell(row.cells.get(c), v)}
        if not changed:
            return
        if row.sync_id:
            key = row.sync_id
        elif self.scope.preview:
            key = f"{PREVIEW} row {row.number}"
        else:
            return  # no ID yet: the lease holder's claim gives it one first
        self.plan.changes[key] = {**changed, Column.LAST_SYNCED: synced_stamp(self.now, self.zone)}


def is_claim(row: Row) -> bool:
    """Whether a `processing` row was claimed by a run (it names its run, or — written by
    an earlier version — carries its claim time), rather than typed by a person."""
    return bool(row.sync_id) and (bool(owner_of(row)) or claim_time(row) is not None)


def _misplaced_claim(row: Row) -> bool:
    """A claim (it names its run) on a row that already has a Stripe ID: claims are only
    written on drafts without one, so rows moved under it."""
    return row.status == Status.PROCESSING and bool(owner_of(row)) and bool(row.stripe_id)


def claim_time(row: Row) -> datetime | None:
    """When a `processing` row was claimed: its Last Synced, if it reads as a time."""
    try:
        stamp = datetime.fromisoformat(row.text(Column.LAST_SYNCED))
    except ValueError:
        return None
    return stamp if stamp.tzinfo is not None else None
