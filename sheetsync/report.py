"""What a cycle did, and its plan in words."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import tzinfo
from typing import Any

from sheetsync.billing import InvoiceState
from sheetsync.model import HEADERS, Column, Draft, Status, Table
from sheetsync.money import format_amount, from_minor, line_minor
from sheetsync.plan import PREVIEW, Plan
from sheetsync.reconcile import Changes, local_date


@dataclass
class CycleReport:
    """What a cycle did, for people (the CLI's summary) and machines (`as_json`)."""

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
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """The JSON object `sheetsync run --json` prints."""
        return asdict(self)


def describe(plan: Plan, table: Table) -> list[str]:
    """The plan in words, one line per action (what --dry-run prints)."""
    by_id = {r.sync_id: r.number for r in table.rows if r.sync_id}
    lines = [
        f"row {b.row}: bill {_amount(b.draft)} to {b.draft.customer_email}"
        + (" (finishing an earlier run's claim)" if b.recover else "")
        for b in plan.bills
    ]
    lines += [f"row {v.row}: void {v.invoice_id}" for v in plan.voids]
    lines += [f"row {p.row}: mark {p.invoice_id} paid outside Stripe" for p in plan.payments]
    for sync_id, changes in plan.changes.items():
        shown = ", ".join(
            f"{HEADERS[c]} → {v}" for c, v in changes.items() if c is not Column.LAST_SYNCED
        )
        row = by_id.get(sync_id) or sync_id.removeprefix(PREVIEW + " row ")
        lines.append(f"row {row}: {shown}")
    for sync_id, rows in plan.duplicates.items():
        lines.append(f"rows {rows}: Sync ID {sync_id} is in both; neither is billed")
    return lines


def _amount(draft: Draft) -> str:
    """What the row bills before tax, each line rounded as Stripe rounds it."""
    taxed = any(ln.tax_rate for ln in draft.lines)
    subtotal = sum(line_minor(ln.quantity, ln.unit_price, draft.currency) for ln in draft.lines)
    shown = format_amount(from_minor(subtotal, draft.currency), draft.currency)
    return shown + (" + tax" if taxed else "")


def planned_counts(plan: Plan) -> tuple[int, int]:
    """(created, updated) as a run of this plan would count them (what --dry-run reports)."""
    created = sum(1 for b in plan.bills if not b.recover)
    touched = {*plan.changes, *(p.sync_id for p in plan.payments), *(v.sync_id for v in plan.voids)}
    touched |= {b.sync_id for b in plan.bills if b.recover}
    return created, len(touched)


def error_count(table: Table, plan: Plan, changes: Mapping[str, Changes]) -> int:
    """Rows whose Status is `error` once the changes are written, and rows flagged as copies."""
    pending = {s for s, ch in changes.items() if ch.get(Column.STATUS) == Status.ERROR}
    existing = sum(
        1 for r in table.rows if r.status == Status.ERROR and (r.sync_id or "") not in changes
    )
    return existing + len(pending) + sum(len(v) for v in plan.duplicates.values())


def orphan_note(invoice: InvoiceState, zone: tzinfo) -> str:
    """One line on an open invoice, or a live payment link, whose row was deleted."""
    if invoice.id.startswith("plink_"):
        return (
            f"payment link {invoice.id} still takes payments but no row names it: was its "
            f"row deleted? Add a row with Stripe ID {invoice.id}, Sync ID {invoice.sync_id} "
            f"and Mode payment_link to follow it, or deactivate it in Stripe. {invoice.hosted_url}"
        ).rstrip()
    amount = format_amount(
        from_minor(invoice.amount_remaining or invoice.total, invoice.currency), invoice.currency
    )
    due = ""
    if invoice.due_date:
        due = ", due " + local_date(invoice.due_date, zone).isoformat()
    return (
        f"open invoice {invoice.id} ({invoice.customer_email or 'no email'}, {amount}{due}) has no "
        f"row: was its row deleted? Add a row with Stripe ID {invoice.id} and Sync ID "
        f"{invoice.sync_id} to follow it, or void it in Stripe. {invoice.hosted_url}"
    ).rstrip()


def orphan_paid_note(invoice: InvoiceState, zone: tzinfo) -> str:
    """One line on a payment of an invoice whose row was deleted."""
    amount = format_amount(from_minor(invoice.amount_paid, invoice.currency), invoice.currency)
    when = ""
    if invoice.paid_at:
        when = " on " + local_date(invoice.paid_at, zone).isoformat()
    return (
        f"{'payment link' if invoice.id.startswith('plink_') else 'invoice'} {invoice.id} "
        f"({invoice.customer_email or 'no email'}) was paid {amount}{when} "
        f"but no row names it: add a row with Stripe ID {invoice.id} and Sync ID "
        f"{invoice.sync_id} to record it in the sheet"
    )
