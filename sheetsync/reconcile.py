"""Stripe's state shown in a row: statuses, amounts, dates, and edits after billing.

Pure: the clock comes in as `now`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import Decimal

from sheetsync import money
from sheetsync.billing import InvoiceState, PaymentNews
from sheetsync.model import UNCALCULATED, Cell, Column, Draft, Row, Status
from sheetsync.parse import Defaults, parse_draft

Changes = dict[Column, Cell]


def draft_fingerprint(draft: Draft) -> str:
    """A short digest of what an invoice bills: email, currency and every line's figures."""
    lines = ";".join(
        f"{ln.quantity.normalize()}x{ln.unit_price.normalize()}@{ln.tax_rate or 0}"
        for ln in draft.lines
    )
    text = f"{draft.customer_email.casefold()}|{draft.currency}|{lines}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def row_fingerprint(row: Row, defaults: Defaults, line_rows: Sequence[Row] = ()) -> str:
    """The fingerprint of the figures a row shows now ('' when they no longer parse)."""
    # date.min as today: a sent row's due date is history, not an input to check.
    parsed = parse_draft(row, defaults, date.min, line_rows)
    return draft_fingerprint(parsed) if isinstance(parsed, Draft) else ""


def edited_message(
    row: Row, invoice: InvoiceState, defaults: Defaults, line_rows: Sequence[Row] = ()
) -> str:
    """The Error of a billed row whose figures changed since billing ('' when they did not)."""
    if not invoice.fingerprint or row_fingerprint(row, defaults, line_rows) == invoice.fingerprint:
        return ""
    if any(_uncalculated(r) for r in (row, *line_rows)):
        return ""  # a figure that cannot be read now is unknown, not changed
    total = money.format_amount(money.from_minor(invoice.total, invoice.currency), invoice.currency)
    return (
        f"Changed after billing: invoice {invoice.id} keeps {total} and its customer. "
        "To bill the new figures, set Status to void, then add a new row."
    )


def _uncalculated(row: Row) -> bool:
    return any(isinstance(v, str) and v.startswith(UNCALCULATED) for v in row.cells.values())


def invoice_changes(row: Row, invoice: InvoiceState, now: datetime, zone: tzinfo) -> Changes:
    """The cells that show an invoice's Stripe state in its row."""
    changes: Changes = {Column.STATUS: _status_cell(row, invoice, now)}
    if invoice.amount_paid or row.cells.get(Column.AMOUNT_PAID) not in (None, ""):
        changes[Column.AMOUNT_PAID] = money.from_minor(invoice.amount_paid, invoice.currency)
    partly = invoice.status == "open" and invoice.amount_paid > 0
    if partly or row.cells.get(Column.REMAINING) not in (None, ""):
        remaining = money.from_minor(invoice.amount_remaining, invoice.currency)
        changes[Column.REMAINING] = remaining if partly else ""
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
    if invoice.attempted and invoice.amount_paid == 0 and invoice.amount_remaining > 0:
        return Status.FAILED  # an attempt was made and nothing came in
    if invoice.due_date is not None and invoice.due_date < now.timestamp():
        return Status.OVERDUE
    return Status.SENT


def billed_changes(invoice: InvoiceState, draft: Draft, stamp: str, now: datetime) -> Changes:
    """The cells written back once a row's invoice is finalized."""
    changes: Changes = {
        Column.STRIPE_ID: invoice.id,
        Column.PAYMENT_URL: invoice.hosted_url,
        Column.PDF_URL: invoice.pdf_url,
        Column.TOTAL: money.from_minor(invoice.total, invoice.currency),
        Column.STATUS: invoice_status(invoice, now).value,  # sent, unless a recovered one moved on
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


def synced_within(row: Row, now: datetime, span: timedelta) -> bool:
    """Whether the row's Last Synced is within `span` of `now` (a clock a little ahead counts)."""
    try:
        synced = datetime.fromisoformat(row.text(Column.LAST_SYNCED))
    except ValueError:
        return False
    return synced.tzinfo is not None and abs(now - synced) < span


def same_cell(old: Cell, new: Cell) -> bool:
    """Whether writing `new` over `old` would change what the cell shows."""
    if old in (None, "") or new in (None, ""):
        return old in (None, "") and new in (None, "")
    if isinstance(old, bool) or isinstance(new, bool):
        return old == new
    if isinstance(old, str) or isinstance(new, str):
        return str(old).strip().casefold() == str(new).strip().casefold()
    return old == new


def money_back_changes(row: Row, news: Sequence[PaymentNews]) -> Changes:
    """Refunds and disputes of a paid row's charges: Refunded, `refunded` when all came back."""
    refunded = sum(n.refunded for n in news)
    currency = next((n.currency for n in news if n.currency), "")
    changes: Changes = {}
    if refunded and currency:
        amount = money.from_minor(refunded, currency)
        changes[Column.REFUNDED] = amount
        paid = _number(row.cells.get(Column.AMOUNT_PAID)) or _number(row.cells.get(Column.TOTAL))
        full = paid is not None and amount >= paid
        changes[Column.STATUS] = (Status.REFUNDED if full else Status.PAID).value
    disputes = [n.dispute for n in news if n.dispute]
    if disputes:
        changes[Column.ERROR] = disputes[0]
    return changes


def _number(value: Cell) -> Decimal | None:
    try:
        return money.parse_amount(value)
    except ValueError:
        return None
