"""Headers people actually write: aliases, their priority, and notes on what was read."""

from __future__ import annotations

from typing import Any

import pytest

from sheetsync.cli import build_parser
from sheetsync.errors import SheetError
from sheetsync.headers import letter, match_header
from sheetsync.model import HEADER_ALIASES, HEADERS, OWNED_COLUMNS, Column, header_key
from sheetsync.parse import read_table
from tests import test_purity
from tests.conftest import FULL_HEADER, World

ALIASES = [(alias, column) for column, names in HEADER_ALIASES.items() for alias in names]


@pytest.mark.parametrize(("alias", "column"), ALIASES)
def test_each_alias_finds_its_column_and_says_so(alias: str, column: Column) -> None:
    others = [HEADERS[c] for c in (Column.STATUS, Column.CUSTOMER_EMAIL) if c is not column]
    table = read_table([[*others, f" {alias.upper()} "], ["draft", "a@b.co", "x"]])
    assert table.columns[column] == len(others)
    assert table.notes == (f"{alias.upper()} → {HEADERS[column]}",)


@pytest.mark.parametrize(
    ("header", "found"),
    [
        (["Status", "Email", "Qty", "Price"], {Column.QUANTITY: 2, Column.UNIT_PRICE: 3}),
        (["Status", "Email", "Price", "Unit Price"], {Column.UNIT_PRICE: 3}),
        (["Status", "E-mail", "Customer Email"], {Column.CUSTOMER_EMAIL: 2}),
        (["Status", "Email", "Rate", "Price"], {Column.UNIT_PRICE: 2}),
        (["Status", "Email", "Amount"], {Column.UNIT_PRICE: 2}),
        (["Status", "Email", "Hours", "Amount"], {Column.QUANTITY: 2}),
        (["Status", "Email", "Hours", "Amount", "Rate"], {Column.UNIT_PRICE: 4}),
        (["Status", "Email", "Name", "Client"], {Column.CUSTOMER_NAME: 2}),
    ],
)
def test_own_names_win_over_aliases_and_the_first_alias_wins(
    header: list[str], found: dict[Column, int]
) -> None:
    columns = match_header(header).columns
    assert {c: columns[c] for c in found} == found
    if Column.UNIT_PRICE not in found:
        assert Column.UNIT_PRICE not in columns


def test_configured_names_win_over_own_names_and_aliases() -> None:
    header = ["Status", "Unit Price", "Fee", "Price", "Contact"]
    match = match_header(header, {"unit_price": "Fee", "customer_email": "Contact"})
    assert (match.columns[Column.UNIT_PRICE], match.columns[Column.CUSTOMER_EMAIL]) == (2, 4)
    assert match.notes == (
        '"Unit Price" (column B) is ignored: "Fee" (column C) is the Unit Price column',
        '"Price" (column D) is ignored: "Fee" (column C) is the Unit Price column',
    )


@pytest.mark.parametrize(
    ("extra", "note"),
    [
        ("Quantitiy", '"Quantitiy" (column C) is not read: did you mean "Quantity"?'),
        ("Unit price ($)", '"Unit price ($)" (column C) is not read: did you mean "Unit Price"?'),
        ("Descripton", '"Descripton" (column C) is not read: did you mean "Description"?'),
        ("Due date:", '"Due date:" (column C) is not read: did you mean "Due Date"?'),
        (
            "Notes",
            '"Notes" (column C) is not read: Memo is shown to customers; name it "Memo" if '
            "it is for them",
        ),
        ("Shipping address", None),
        ("", None),
    ],
)
def test_a_header_that_looks_like_a_column_is_pointed_out(extra: str, note: str | None) -> None:
    match = match_header(["Status", "Customer Email", extra])
    assert match.notes == ((note,) if note else ())
    assert set(match.columns) == {Column.STATUS, Column.CUSTOMER_EMAIL}


def test_amount_beside_a_quantity_is_not_taken_for_the_unit_price() -> None:
    match = match_header(["Status", "Email", "Qty", "Amount"])
    assert Column.UNIT_PRICE not in match.columns
    assert match.notes[-1] == (
        '"Amount" (column D) is not read as Unit Price: beside "Qty" it may be the line\'s '
        'total; name the price of one unit "Unit Price"'
    )


def test_sheetsyncs_own_header_needs_no_notes() -> None:
    table = read_table([FULL_HEADER, ["draft", "a@b.co"]])
    assert table.notes == ()
    assert set(table.columns) == set(Column)


def test_every_name_belongs_to_one_column() -> None:
    keys = [header_key(HEADERS[c]) for c in Column]
    keys += [header_key(alias) for alias, _ in ALIASES]
    assert len(keys) == len(set(keys))
    assert not set(HEADER_ALIASES) & set(OWNED_COLUMNS)  # only people's columns have aliases


@pytest.mark.parametrize(
    ("header", "renames", "message"),
    [
        (
            ["Status", "Contact", "Amount"],
            {},
            "the header row has no Customer Email column (found: Status, Contact, Amount); add "
            "it to the header row, or rename the header that holds it to Customer Email, Email, "
            "E-mail or Client Email",
        ),
        (
            ["Name"],
            {"customer_email": "Contact"},
            "the header row has no Status or Customer Email column (found: Name); add them to "
            "the header row, or rename the headers that hold them to Status and to Contact, "
            "Customer Email, Email, E-mail or Client Email",
        ),
    ],
)
def test_a_missing_column_is_explained_with_fixes_that_exist(
    header: list[str], renames: dict[str, str], message: str
) -> None:
    with pytest.raises(SheetError) as refused:
        read_table([header, ["draft"]], renames)
    assert str(refused.value) == message
    commands = next(a for a in build_parser()._actions if a.dest == "command").choices or {}
    named = [w for w in message.replace("`", " ").split() if w in {"init", *commands}]
    assert named == []


@pytest.mark.parametrize(("index", "name"), [(0, "A"), (25, "Z"), (26, "AA"), (701, "ZZ")])
def test_column_letters(index: int, name: str) -> None:
    assert letter(index) == name


def test_the_header_module_is_pure() -> None:
    test_purity.test_pure_modules_import_no_io("headers.py")
    test_purity.test_pure_modules_never_read_the_clock("headers.py")


SHORT_HEADER = ["Status", "Email", "Client", "Item", "Qty", "Price", "Ccy", "Due", "Inv #"]


def test_a_sheet_with_common_headers_is_billed_by_them(world: World) -> None:
    rows: list[dict[str, Any]] = [
        {
            "Status": "draft",
            "Email": "ann@example.com",
            "Item": "Design",
            "Qty": "3",
            "Price": "10",
            "Ccy": "EUR",
            "Inv #": "H-1",
            "Client": "Ann",
        },
        {
            "Status": "draft",
            "Email": "bob@example.com",
            "Item": "Design",
            "Qty": "lots",
            "Price": "10",
        },
        {"Status": "draft", "Email": "cat@example.com", "Item": "Hosting", "Price": "5"},
    ]
    world.make_sheet(rows, header=SHORT_HEADER + [HEADERS[c] for c in OWNED_COLUMNS])
    world.run()

    ann, bob, cat = world.rows()
    assert (ann["Status"], cat["Status"]) == ("sent", "sent")
    assert bob["Status"] == "error" and bob["Error"] == 'Quantity "lots" is not a number'
    assert not bob["Stripe ID"]
    assert "bob@example.com" not in {c["email"] for c in world.stripe.objects("customer")}
    invoices = {world.stripe.get(i["customer"])["email"]: i for i in world.invoices()}
    assert set(invoices) == {"ann@example.com", "cat@example.com"}
    first = invoices["ann@example.com"]
    assert (first["total"], first["currency"], first["number"]) == (3000, "eur", "H-1")
    assert first["lines"]["data"][0]["quantity"] == 3
    assert world.stripe.get(first["customer"])["name"] == "Ann"


def test_a_sheet_without_an_email_column_stops_with_the_fix(world: World) -> None:
    world.make_sheet(
        [{"Status": "draft", "Contact": "ann@example.com"}], header=["Status", "Contact"]
    )
    with pytest.raises(
        SheetError, match="rename the header that holds it to Customer Email, Email"
    ):
        world.run()
    assert world.invoices() == []
