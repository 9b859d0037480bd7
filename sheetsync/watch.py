"""Which Stripe objects a cycle must look at, and which ones no row names any more. Pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from sheetsync.billing import InvoiceState
from sheetsync.model import OPEN_STATUSES, Column, Row, Status, Table, unknown_status
from sheetsync.reconcile import synced_within

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


def invoices_to_look_up(table: Table, open_now: Mapping[str, InvoiceState]) -> set[str]:
    """Invoice IDs whose state must be retrieved one by one: rows that may have changed
    and are not in the open list (paid, voided, or asked to be by a person)."""
    return {
        row.stripe_id
        for row in table.rows
        if row.stripe_id.startswith("in_")
        and row.stripe_id not in open_now
        and (row.status in _LOOKED_UP or unconfirmed_request(row) or unknown_status(row.status))
    }


def unconfirmed_request(row: Row) -> bool:
    """A `void` or `paid` a person typed that sheetsync has not carried out or refused yet.

    sheetsync clears an invoice's Payment URL when it confirms a void and writes
    Amount Paid when it confirms a payment, so a row without those is a request.
    """
    if row.status == Status.VOID:
        return bool(row.text(Column.PAYMENT_URL))
    return row.status == Status.PAID and not row.text(Column.AMOUNT_PAID)


def orphan_invoices(
    table: Table, open_now: Mapping[str, InvoiceState], spreadsheet: str
) -> list[InvoiceState]:
    """Open invoices this spreadsheet made that no row names any more."""
    named = _named(table)
    return [
        i
        for i in open_now.values()
        if i.spreadsheet == spreadsheet and (i.id, i.sync_id) not in named
    ]


def orphan_payments(
    table: Table, paid: Sequence[InvoiceState], spreadsheet: str
) -> list[InvoiceState]:
    """Invoices this spreadsheet made that were paid while no row named them."""
    named = _named(table)
    seen: dict[str, InvoiceState] = {}
    for invoice in paid:
        if invoice.spreadsheet == spreadsheet and (invoice.id, invoice.sync_id) not in named:
            seen.setdefault(invoice.id, invoice)
    return list(seen.values())


_LOOKED_UP = OPEN_STATUSES | {Status.DRAFT, Status.PROCESSING}


def _named(table: Table) -> set[tuple[str, str]]:
    """(Stripe ID, Sync ID) of every row: an object is in its row only when both match (a
    copy that names it under another Sync ID is not its row)."""
    return {(r.stripe_id, r.sync_id) for r in table.rows if r.stripe_id}
