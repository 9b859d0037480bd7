"""Claims: the moment a row gets its Sync ID, and the check that it landed where it meant.

A claim is written by row number right after a read, so a person who inserts,
sorts or deletes rows in between can move another row under it. The claim is
therefore read back: a claimed Sync ID must sit in exactly one row, and that
row must still hold what the first read saw. Any row that does not is put back
as it was, and the row it meant is left for the next cycle.

Pure: the caller passes the Sync ID maker, the run's name and the stamp.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date

from sheetsync.model import INPUT_COLUMNS, Column, Draft, Row, Status, Table, unknown_status
from sheetsync.numbering import next_numbers
from sheetsync.parse import Defaults, invoice_number, parse_draft
from sheetsync.reconcile import Changes

OWNER_PREFIX = "Being billed by sheetsync run "


@dataclass(frozen=True)
class Claim:
    """Cells to write into one row so that it gets a Sync ID (and, to bill it, `processing`)."""

    row: int
    sync_id: str
    cells: Changes
    before: Row
    """The row as the read before the claim saw it: what it must still hold, and what a
    misplaced claim puts back."""

    @property
    def billing(self) -> bool:
        """Whether the claim is to bill the row (not only to give it an ID)."""
        return self.cells.get(Column.STATUS) == Status.PROCESSING.value


@dataclass(frozen=True)
class ClaimCheck:
    """What reading the claims back found."""

    held: frozenset[str]
    """Sync IDs that landed on the rows they meant."""
    restores: tuple[tuple[int, Changes], ...]
    """(row number, cells) that put back rows a claim landed on by mistake."""


def owner_note(holder: str) -> str:
    """The Error cell of a claimed row: which run is billing it."""
    return OWNER_PREFIX + holder


def owner_of(row: Row) -> str:
    """The run that claimed a `processing` row ('' when the row names none)."""
    text = row.text(Column.ERROR)
    return text.removeprefix(OWNER_PREFIX) if text.startswith(OWNER_PREFIX) else ""


def needs_claim(row: Row) -> bool:
    """Whether a row without a Sync ID needs one this cycle: a draft, a typed status
    sheetsync does not know, or a Stripe ID sheetsync did not write (a copied row)."""
    if row.sync_id:
        return row.status == Status.DRAFT and not row.stripe_id
    unknown = unknown_status(row.status)
    typed = row.status in (Status.DRAFT, Status.PROCESSING)  # processing: typed by hand
    return typed or unknown or bool(row.stripe_id)


def plan_claims(
    table: Table,
    new_id: Callable[[], str],
    holder: str,
    stamp: str,
    defaults: Defaults,
    today: date,
    number_pattern: str = "",
) -> list[Claim]:
    """The claims a lease holder writes after reading `table`.

    A valid draft is claimed to bill, under a new Sync ID even when it had one (a
    new draft is a new bill) — unless it is an interrupted claim a person set back to
    draft (it still names its run): what that claim made may exist, so it keeps its ID
    and is resumed. Other rows that need an ID get only the ID.
    """
    numbers = _numbers(table, number_pattern, today.year)
    claims = []
    for row in table.rows:
        if not needs_claim(row):
            continue
        sync_id = row.sync_id if resumed(row) else new_id()
        cells: Changes = {Column.SYNC_ID: sync_id}
        if (
            row.status == Status.DRAFT
            and not row.stripe_id
            and _billable(row, table, defaults, today)
        ):
            cells |= {
                Column.STATUS: Status.PROCESSING.value,
                Column.LAST_SYNCED: stamp,
                Column.ERROR: owner_note(holder),
            }
            if numbers is not None and not invoice_number(row.cells.get(Column.INVOICE_NUMBER)):
                cells[Column.INVOICE_NUMBER] = next(numbers)
        claims.append(Claim(row.number, sync_id, cells, row))
    return claims


def resumed(row: Row) -> bool:
    """A draft that was claimed by a run that never finished (it still names the run)."""
    return row.status == Status.DRAFT and bool(row.sync_id) and bool(owner_of(row))


def check_claims(claims: Sequence[Claim], before: Table, after: Table) -> ClaimCheck:
    """Compare the claims with the rows read after writing them."""
    held: set[str] = set()
    restores: list[tuple[int, Changes]] = []
    for claim in claims:
        landed = [r for r in after.rows if r.sync_id == claim.sync_id]
        if len(landed) == 1 and _untouched(landed[0], claim, before):
            held.add(claim.sync_id)
            continue
        for row in landed:
            restores.append((row.number, _previous(row, claim, before)))
    return ClaimCheck(frozenset(held), tuple(restores))


def same_inputs(row: Row, other: Row, skip: Collection[Column] = ()) -> bool:
    """Whether two reads of a row show the same person-typed figures (`skip` aside)."""
    return all(row.text(c) == other.text(c) for c in INPUT_COLUMNS if c not in skip)


def _untouched(row: Row, claim: Claim, before: Table) -> bool:
    """Whether every cell the claim did not write still holds what the read before it saw
    (a claim that landed on another row — a billed one — differs in its Stripe ID)."""
    return all(row.text(c) == claim.before.text(c) for c in before.columns if c not in claim.cells)


def release_changes(claim: Claim) -> Changes:
    """The cells that undo a billing claim that never reached Stripe: the row as it was."""
    return {c: claim.before.cells.get(c) or "" for c in claim.cells}


def _previous(row: Row, claim: Claim, before: Table) -> Changes:
    """What the claimed cells of `row` held before the claim: taken from the first read's
    row that matches it in every other cell (the row moved); for a row empty but for the
    claim (inserted blank), nothing; for the row meant, edited meanwhile, what it held.
    Otherwise the row is one nobody read (typed or pasted in between): its Status, which
    the claim wrote over, is unknown, so it is emptied and the Error says so."""
    kept = [c for c in before.columns if c not in claim.cells]
    if not any(row.text(c) for c in kept):
        return {c: "" for c in claim.cells}
    matches = [b for b in before.rows if all(b.text(c) == row.text(c) for c in kept)]
    source = next((m for m in matches if m.number == row.number), None)
    source = source or (matches[0] if matches else None)
    if source is None and _same_invoice(row, claim.before):
        source = claim.before
    if source is not None:
        return {c: source.cells.get(c) or "" for c in claim.cells}
    unknown: Changes = {c: "" for c in claim.cells}
    unknown[Column.ERROR] = CLAIM_LANDED_HERE
    return unknown


CLAIM_LANDED_HERE = (
    "sheetsync wrote into this row by mistake while rows were being inserted or moved, and "
    "took it back; its Status may have been lost: set it again"
)


def _same_invoice(row: Row, meant: Row) -> bool:
    """Whether a row is the one a claim meant, with some figure edited since."""
    return all(row.text(c) == meant.text(c) for c in (Column.CUSTOMER_EMAIL, Column.DESCRIPTION))


def _billable(row: Row, table: Table, defaults: Defaults, today: date) -> bool:
    typed = invoice_number(row.cells.get(Column.INVOICE_NUMBER)).casefold()
    lines = table.line_items.get(typed, []) if typed else []
    return isinstance(parse_draft(row, defaults, today, lines), Draft)


def _numbers(table: Table, pattern: str, year: int) -> Iterator[str] | None:
    if not pattern or Column.INVOICE_NUMBER not in table.columns:
        return None
    used = [invoice_number(r.cells.get(Column.INVOICE_NUMBER)) for r in table.rows]
    return next_numbers(pattern, used, year)


def restored(table: Table, check: ClaimCheck) -> Table:
    """`table` as it stands once the misplaced claims are put back."""
    cells = dict(check.restores)
    rows = [
        replace(r, cells={**r.cells, **cells[r.number]}) if r.number in cells else r
        for r in table.rows
    ]
    return replace(table, rows=rows)
