"""What a cycle did, and its plan in words."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from sheetsync.model import HEADERS, Column, Draft, Table
from sheetsync.money import format_amount, from_minor, line_minor
from sheetsync.plan import Plan


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

    def as_json(self) -> dict[str, Any]:
        """The JSON object `sheetsync run --json` prints."""
        return asdict(self)


def describe(plan: Plan, table: Table) -> list[str]:
    """The plan in words, one line per action (what --dry-run prints)."""
    by_id = {r.sync_id: r.number for r in table.rows if r.sync_id}
    by_id.update({c.sync_id: c.row for c in plan.claims})
    lines = [
        f"row {b.row}: bill {_amount(b.draft)} to {b.draft.customer_email}"
        + (" (finishing an earlier attempt)" if b.recover else "")
        for b in plan.bills
    ]
    lines += [f"row {v.row}: void {v.invoice_id}" for v in plan.voids]
    for sync_id, changes in plan.changes.items():
        shown = ", ".join(
            f"{HEADERS[c]} → {v}" for c, v in changes.items() if c is not Column.LAST_SYNCED
        )
        lines.append(f"row {by_id.get(sync_id, '?')}: {shown}")
    for sync_id, rows in plan.duplicates.items():
        lines.append(f"rows {rows}: Sync ID {sync_id} is in both; neither is billed")
    return lines


def _amount(draft: Draft) -> str:
    """What the row bills before tax, each line rounded as Stripe rounds it."""
    taxed = any(ln.tax_rate for ln in draft.lines)
    subtotal = sum(line_minor(ln.quantity, ln.unit_price, draft.currency) for ln in draft.lines)
    shown = format_amount(from_minor(subtotal, draft.currency), draft.currency)
    return shown + (" + tax" if taxed else "")
