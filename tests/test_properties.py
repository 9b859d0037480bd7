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

from sheetsync import money
from sheetsync.claims import plan_claims
from sheetsync.model import Column, Draft, Status
from sheetsync.parse import Defaults, billed_total, parse_draft, read_line_items, read_table
from sheetsync.plan import PREVIEW, Scope, plan_cycle
from tests.conftest import PERSON_HEADER

HEADER = [*PERSON_HEADER, "Sync ID"]
NOW = datetime(2026, 11, 21, 12, tzinfo=UTC)
AMOUNT_HEADER = ["Status", "Customer Email", "Description", "Currency", "Unit Price", "Quantity"]
LINE_HEADER = ["Invoice #", "Description", "Unit Price", "Quantity", "Tax Rate"]

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
            "1E+26",
            "1e-30",
            "1" + "0" * 400,
            "10^400",
            "Infinity",
            "-Infinity",
            "sNaN",
            "JPY 5000",
            "£100",
            "1.250",
            "1 234,50",
            "1'234.50",
            "99,999,999.99",
            "999,999.99",
        ]
    ),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.sampled_from([Decimal("1E+26"), Decimal("1E-30"), Decimal("1E+999999"), Decimal("sNaN")]),
    st.just(10**400),
)
# Numbers of any size: digits with any exponent (built without a context, so
# nothing is rounded or trapped before sheetsync sees them).
huge_or_tiny = st.builds(
    lambda sign, digits, exp: Decimal((sign, digits, exp)),
    st.integers(0, 1),
    st.lists(st.integers(0, 9), min_size=1, max_size=40).map(tuple),
    st.integers(-(10**6), 10**6),
)
typed_amounts = st.from_regex(
    r"[+-]?(\$|€|£|¥|kr|USD|EUR|JPY|KWD)? ?\d{1,4}([.,' ]\d{1,4}){0,3} ?(€|kr|EUR|USD)?",
    fullmatch=True,
)
amounts = st.one_of(
    cells, huge_or_tiny, typed_amounts, st.integers(-(10**400), 10**400), st.decimals()
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


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    price=amounts,
    quantity=amounts,
    currency=st.sampled_from(["USD", "EUR", "JPY", "KWD", "ISK", "IDR", "", "XYZ"]),
    lines=st.lists(st.tuples(amounts, amounts, amounts), max_size=3),
)
def test_no_amount_escapes_parsing_and_every_draft_is_billable(
    price: Any, quantity: Any, currency: str, lines: list[tuple[Any, Any, Any]]
) -> None:
    row = ["draft", "ann@example.com", "Work", currency, price, quantity]
    table = read_table([AMOUNT_HEADER, row])
    grid = [LINE_HEADER, *(["A-1", "Line", p, q, t] for p, q, t in lines)]
    line_rows = read_line_items(grid).get("a-1", [])

    result = parse_draft(table.rows[0], Defaults(), NOW.date(), line_rows)

    if isinstance(result, Draft):
        most = money.maximum(result.currency)
        for line in result.lines:
            assert 0 < money.line_minor(line.quantity, line.unit_price, result.currency) <= most
        assert billed_total(result) <= most
        assert all(isinstance(ln.unit_price, Decimal) for ln in result.lines)
    else:
        assert result and all(isinstance(m, str) and m.strip() for m in result)
