"""Property: whatever people type, parsing and planning never raise, and every
draft row is either billed or given an error with a message."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sheetsync.claims import plan_claims
from sheetsync.model import Column, Status
from sheetsync.parse import Defaults, read_table
from sheetsync.plan import PREVIEW, Scope, plan_cycle
from tests.conftest import PERSON_HEADER

HEADER = [*PERSON_HEADER, "Sync ID"]
NOW = datetime(2026, 11, 21, 12, tzinfo=UTC)

cells = st.one_of(
    st.none(),
    st.text(max_size=40),
    st.sampled_from(
        [
            "",
            '=IMPORTXML("x")',
            "+1",
            "-0",
            "@me",
            "1,234.50",
            "$5",
            "1e400",
            "NaN",
            "inf",
            "-inf",
            "２",
            "٣",
            "0.00",
            "12%",
            "2026-02-30",
            "2027-01-01",
            "USD",
            "jpy",
            "KWD",
            "invoice",
            "payment link",
            "a@b.co",
        ]
    ),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.booleans(),
)
statuses = st.sampled_from(["draft", "DRAFT ", "processing", "sent", "void", "paid", "", "x"])
rows = st.lists(
    st.tuples(statuses, st.lists(cells, min_size=len(HEADER) - 1, max_size=len(HEADER) - 1)),
    max_size=12,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows)
def test_no_cell_value_breaks_parsing_or_planning(generated: list[tuple[str, list[Any]]]) -> None:
    grid: list[list[Any]] = [HEADER, *([status, *values] for status, values in generated)]
    table = read_table(grid)
    ids = (f"ss_{n}" for n in itertools.count())
    claims = plan_claims(table, lambda: next(ids), "me/1/a", "t", Defaults(), NOW.date())
    assert all(c.row in {r.number for r in table.rows} for c in claims)
    plan = plan_cycle(table, {}, NOW, ZoneInfo("UTC"), Defaults(), Scope(preview=True))

    billed = {b.row for b in plan.bills}
    by_row = {r.number: r.sync_id or f"{PREVIEW} row {r.number}" for r in table.rows}
    for row in table.rows:
        if (
            row.status != Status.DRAFT
            or row.stripe_id
            or (row.sync_id and [r.sync_id for r in table.rows].count(row.sync_id) > 1)
        ):
            continue
        if row.number in billed:
            bill = next(b for b in plan.bills if b.row == row.number)
            assert bill.draft.lines[0].unit_price > 0
            assert isinstance(bill.draft.lines[0].unit_price, Decimal)
            continue
        changes = plan.changes.get(by_row[row.number], {})
        if row.text(Column.ERROR) and row.text(Column.STATUS).casefold() == "error":
            continue
        assert changes.get(Column.STATUS) == "error", row
        assert str(changes.get(Column.ERROR, "")).strip(), row
