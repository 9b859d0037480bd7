"""What sheetsync writes in a row's Error cell when it will not act on the row. Pure."""

from __future__ import annotations

from collections.abc import Sequence

from sheetsync.billing import InvoiceState
from sheetsync.model import Column, Row, Status


def duplicate_message(sync_id: str, rows: list[int]) -> str:
    """The Error of rows sharing one Sync ID (a copied row)."""
    listed = ", ".join(str(r) for r in rows)
    return (
        f"Sync ID {sync_id} is in rows {listed} (a copied row?). Neither is billed again: "
        "clear Sync ID, Stripe ID and the other sheetsync cells in the copy, then set it to draft."
    )


def shared_stripe_id_message(stripe_id: str, rows: Sequence[Row]) -> str:
    """The Error of rows naming one Stripe object (a copied row)."""
    listed = ", ".join(str(r.number) for r in rows)
    return (
        f"Stripe ID {stripe_id} is in rows {listed} (a copied row?). sheetsync does nothing "
        "with either until one remains: in the copy, clear Stripe ID, Sync ID, Payment URL, "
        "PDF URL and Total, then set it to draft to bill it."
    )


def foreign_message(row: Row, invoice: InvoiceState) -> str:
    """The Error of a row naming a Stripe object made for another row."""
    return (
        f"Stripe ID {invoice.id} belongs to another row (Sync ID {invoice.sync_id}), not this "
        "one: a copied row? sheetsync will not void, mark paid or show it here. Clear Stripe "
        "ID, Payment URL, PDF URL and Total, then set draft to bill this row."
    )


def refused_message(row: Row, invoice: InvoiceState) -> str:
    """The Error of a void or paid request Stripe cannot honour in the invoice's state."""
    ask = f"void {invoice.id}" if row.status == Status.VOID else f"mark {invoice.id} paid"
    fix = {
        "paid": "to give money back, refund it in the Stripe Dashboard",
        "void": "a void invoice stays void: add a new row to bill again",
    }.get(invoice.status, "it can no longer change that way")
    return f"Stripe cannot {ask}: it is {invoice.status} ({fix}). The row shows Stripe's state."


def unknown_status_message(row: Row) -> str:
    """The Error of a Status sheetsync does not know."""
    return (
        f'Status "{row.text(Column.STATUS)}" is unknown; use draft to bill the row, '
        "paid to record a payment outside Stripe, or void to cancel its invoice"
    )


HAND_TYPED_PROCESSING = (
    'Status "processing" is set by sheetsync while it bills a row, and this row was never '
    "claimed: set draft to bill it"
)
