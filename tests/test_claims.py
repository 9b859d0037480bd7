"""Claims: who gets a Sync ID, and putting back a claim that landed on the wrong row."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal
from typing import Any

from sheetsync.claims import (
    check_claims,
    owner_note,
    owner_of,
    plan_claims,
    release_changes,
    restored,
)
from sheetsync.model import Column, Table
from sheetsync.parse import Defaults, read_table

HEADER = ["Status", "Customer Email", "Description", "Unit Price", "Sync ID", "Stripe ID"]
HEADER += ["Invoice #", "Last Synced", "Error"]
TODAY = date(2026, 11, 21)
PAID = ["paid", "p@b.co", "Old job", Decimal(5), "ss_paid", "in_paid", "INV-1", "t", ""]
DRAFT = ["draft", "d@b.co", "New job", Decimal(10), None, None, None, None, None]


def table(*rows: list[Any]) -> Table:
    return read_table([HEADER, *rows])


def claims_for(t: Table, pattern: str = "") -> Any:
    ids = (f"ss_new{n}" for n in itertools.count(1))
    return plan_claims(t, lambda: next(ids), "me/1/aa", "stamp", Defaults(), TODAY, pattern)


def test_a_valid_draft_is_claimed_to_bill_under_a_new_id_with_its_owner() -> None:
    [claim] = claims_for(table(PAID, DRAFT))
    assert (claim.row, claim.sync_id, claim.billing) == (3, "ss_new1", True)
    assert claim.cells[Column.STATUS] == "processing"
    assert claim.cells[Column.ERROR] == owner_note("me/1/aa")


def test_a_redrafted_row_gets_a_new_sync_id() -> None:
    [claim] = claims_for(table([*DRAFT[:4], "ss_old", *DRAFT[5:]]))
    assert claim.sync_id == "ss_new1" and claim.cells[Column.SYNC_ID] == "ss_new1"


def test_a_bad_draft_or_a_copied_stripe_id_gets_only_an_id() -> None:
    bad = ["draft", "", "Job", Decimal(10)]
    copy = ["draft", "c@b.co", "Copy", Decimal(5), None, "in_paid"]
    claims = claims_for(table(bad, copy))
    assert [(c.row, c.billing, set(c.cells)) for c in claims] == [
        (2, False, {Column.SYNC_ID}),
        (3, False, {Column.SYNC_ID}),
    ]


def test_a_generated_invoice_number_is_written_in_the_claim() -> None:
    [claim] = claims_for(table(PAID, DRAFT), pattern="INV-{year}-{seq:04}")
    assert claim.cells[Column.INVOICE_NUMBER] == "INV-2026-0001"


def test_a_claim_that_landed_where_it_meant_is_held() -> None:
    before = table(PAID, DRAFT)
    [claim] = claims_for(before)
    after = table(PAID, [*DRAFT[:4], "ss_new1", None, None, "stamp", owner_note("me/1/aa")])
    check = check_claims([claim], before, after)
    assert check.held == {"ss_new1"} and check.restores == ()


def test_a_row_inserted_before_the_claim_gets_back_what_it_held() -> None:
    """A person inserted a row above: the claim for row 3 landed on the paid row, now row 3."""
    before = table(DRAFT, PAID)  # the draft in row 2, the paid row in row 3
    [claim] = claims_for(before)
    assert claim.row == 2
    inserted = ["draft", "new@b.co", "Typed", Decimal(1)]
    clobbered = ["processing", *PAID[1:4], "ss_new1", "in_paid", "INV-1", "stamp", "note"]
    after = table(inserted, clobbered, DRAFT)
    check = check_claims([claim], before, after)
    assert check.held == frozenset()
    [(number, cells)] = check.restores
    assert number == 3
    assert cells[Column.STATUS] == "paid" and cells[Column.SYNC_ID] == "ss_paid"
    assert cells[Column.LAST_SYNCED] == "t" and cells[Column.ERROR] == ""
    fixed = restored(after, check)
    assert fixed.rows[1].cells[Column.SYNC_ID] == "ss_paid"


def test_a_claimed_row_that_moved_with_its_values_is_still_held() -> None:
    before = table(DRAFT, PAID)
    [claim] = claims_for(before)
    sorted_after = table(PAID, [*DRAFT[:4], "ss_new1", None, None, "stamp", "n"])
    assert check_claims([claim], before, sorted_after).held == {"ss_new1"}


def test_a_claimed_row_edited_in_between_is_put_back_as_it_was() -> None:
    before = table(DRAFT)
    [claim] = claims_for(before)
    edited = ["processing", "d@b.co", "New job", Decimal(99), "ss_new1", None, None, "stamp", "n"]
    check = check_claims([claim], before, table(edited))
    assert check.held == frozenset()
    [(_, cells)] = check.restores
    assert cells[Column.STATUS] == "draft" and cells[Column.SYNC_ID] == ""


def test_giving_a_claim_back_restores_every_cell_it_wrote() -> None:
    [claim] = claims_for(table(DRAFT), pattern="INV-{year}-{seq:04}")
    back = release_changes(claim)
    assert back == {c: ("draft" if c is Column.STATUS else "") for c in claim.cells}


def test_the_owner_of_a_claim_is_read_back_from_its_note() -> None:
    row = table(["processing", "", "", "", "ss_1", "", "", "", owner_note("h/2/bb")]).rows[0]
    assert owner_of(row) == "h/2/bb"


def test_a_row_typed_in_between_that_took_a_claim_is_emptied_and_told() -> None:
    """Nobody read this row before the claim landed on it: the Status it had is unknown,
    so it is left empty (never billed) and its Error asks the person to set it again."""
    before = table(DRAFT)
    [claim] = claims_for(before)
    typed = ["processing", "x@b.co", "Pasted row", Decimal(3), "ss_new1", None, None, "t", "n"]
    [(_, cells)] = check_claims([claim], before, table(typed)).restores
    assert cells[Column.STATUS] == "" and cells[Column.SYNC_ID] == ""
    assert "set it again" in str(cells[Column.ERROR])
