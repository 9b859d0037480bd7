"""One contract, two spreadsheet backends: a Google Sheet (over the fake Sheets API)
and a local .xlsx workbook. Whatever the core can observe, both must do alike."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from sheetsync.errors import SheetError
from sheetsync.parse import parse_date
from sheetsync.sheets import CellWrite, Spreadsheet
from sheetsync.sheets.google import GoogleSheet
from sheetsync.sheets.workbook import LocalWorkbook
from tests.fakes.keys import make_service_account_key
from tests.fakes.sheets_server import FakeSheetsServer, Formula, SheetDate

DUE = dt.date(2026, 12, 1)


@dataclass
class Backend:
    """A spreadsheet made from tabs, its adapter, and a way to see what it stores."""

    make: Callable[[dict[str, list[list[Any]]]], Spreadsheet]
    stored: Callable[[str], list[list[Any]]]  # a tab's values, formulas as "=..." text
    is_formula: Callable[[str, int, int], bool]
    date: Callable[[dt.date], Any]
    formula: Callable[[str, Any], Any]


@pytest.fixture(params=["google", "xlsx"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    yield from _backend(request.param, tmp_path)


@pytest.fixture(params=["google", "xlsx"])
def lease_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    yield from _backend(request.param, tmp_path)


def _backend(name: str, tmp_path: Path) -> Iterator[Backend]:
    if name == "google":
        with FakeSheetsServer() as server:
            yield _google(server, tmp_path)
    else:
        yield _xlsx(tmp_path / "book.xlsx")


def _google(server: FakeSheetsServer, tmp_path: Path) -> Backend:
    key = make_service_account_key(tmp_path / "sa.json", server.token_uri)
    sid: list[str] = []

    def make(tabs: dict[str, list[list[Any]]]) -> Spreadsheet:
        sid.append(server.create_spreadsheet(sheets=tabs, cols=8))
        return GoogleSheet(sid[-1], "Invoices", key, server.base_url)

    def stored(tab: str) -> list[list[Any]]:
        return [
            [c.text if isinstance(c, Formula) else c for c in row]
            for row in server.values(sid[-1], tab)
        ]

    def is_formula(tab: str, row: int, col: int) -> bool:
        return isinstance(server.values(sid[-1], tab)[row - 1][col], Formula)

    return Backend(make, stored, is_formula, SheetDate.from_date, Formula)


def _xlsx(path: Path) -> Backend:
    def make(tabs: dict[str, list[list[Any]]]) -> Spreadsheet:
        book = openpyxl.Workbook()
        book.remove(book.active)  # type: ignore[arg-type]
        for title, rows in tabs.items():
            sheet = book.create_sheet(title)
            for row in rows:
                sheet.append([c.text if isinstance(c, Formula) else c for c in row])
        book.save(path)
        return LocalWorkbook(path, "Invoices")

    def stored(tab: str) -> list[list[Any]]:
        rows = [list(r) for r in openpyxl.load_workbook(path)[tab].iter_rows(values_only=True)]
        return [[v for v in r] for r in rows]

    def is_formula(tab: str, row: int, col: int) -> bool:
        return openpyxl.load_workbook(path)[tab].cell(row=row, column=col + 1).data_type == "f"

    return Backend(make, stored, is_formula, lambda d: d, Formula)


def _trim(rows: list[list[Any]]) -> list[list[Any]]:
    trimmed = [list(r) for r in rows]
    for r in trimmed:
        while r and r[-1] in (None, ""):
            r.pop()
    return [r for r in trimmed if r] if any(trimmed) else []


def test_numbers_come_back_exact_and_dates_as_dates(backend: Backend) -> None:
    sheet = backend.make(
        {
            "Invoices": [
                ["Status", "Unit Price", "Qty", "Due Date", "Flag"],
                ["draft", 1234.5, 3, backend.date(DUE), True],
                ["draft", 0.1, 7.5, None, None],
            ]
        }
    )
    grid = sheet.read().invoices
    assert grid[0] == ["Status", "Unit Price", "Qty", "Due Date", "Flag"]
    assert grid[1][1] == Decimal("1234.5") and isinstance(grid[1][1], Decimal)
    assert grid[2][1] == Decimal("0.1") and grid[2][2] == Decimal("7.5")
    assert grid[1][2] == 3 and grid[1][4] is True
    assert parse_date(grid[1][3]) == DUE
    assert not any(isinstance(c, float) for row in grid for c in row)


def test_the_line_items_tab_comes_in_the_same_read(backend: Backend) -> None:
    sheet = backend.make({"Invoices": [["Status"]], "Line Items": [["Invoice #"], ["A-1"]]})
    assert sheet.read().line_items == [["Invoice #"], ["A-1"]]
    plain = backend.make({"Invoices": [["Status"]]})
    assert plain.read().line_items == []


def test_writes_are_raw_and_leave_everything_else_alone(backend: Backend) -> None:
    sheet = backend.make(
        {
            "Invoices": [
                ["Status", "Notes", "Margin", "Total"],
                ["draft", "mine", backend.formula("=1+1", 2), None],
            ],
            "Other": [["keep", 1]],
        }
    )
    sheet.write(
        [
            CellWrite(2, 0, '=HYPERLINK("x")'),
            CellWrite(2, 3, Decimal("1234.50")),
            CellWrite(2, 1, None),
        ]
    )
    rows = backend.stored("Invoices")
    assert rows[1][0] == '=HYPERLINK("x")' and not backend.is_formula("Invoices", 2, 0)
    assert Decimal(str(rows[1][3])) == Decimal("1234.5")
    assert rows[1][1] in (None, "")
    assert backend.is_formula("Invoices", 2, 2)
    assert _trim(backend.stored("Other")) == [["keep", 1]]


def test_columns_are_added_at_the_right(backend: Backend) -> None:
    sheet = backend.make({"Invoices": [["A", "B", "C", "D", "E", "F", "G", "H"]]})
    sheet.add_columns(["Sync ID", "Error"], 8)
    assert backend.stored("Invoices")[0][8:10] == ["Sync ID", "Error"]


def test_a_missing_worksheet_is_explained(backend: Backend) -> None:
    sheet = backend.make({"Facturas": [["Status"]]})
    with pytest.raises(SheetError, match="no worksheet named 'Invoices'"):
        sheet.read()


def test_each_read_and_write_is_one_request(backend: Backend) -> None:
    sheet = backend.make({"Invoices": [["Status"]], "Line Items": [["Invoice #"]]})
    sheet.read()
    sheet.write([CellWrite(2, 0, "draft")])
    assert sheet.requests in (2, 3)  # an xlsx write loads then saves; Sheets: one call


# Lease holders on machines other than this one: only expiry lets another run take over.
ANN, BOB = "host-a/111/a1a1a1a1", "host-b/222/b2b2b2b2"
NOW = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC)
TTL = dt.timedelta(minutes=2)


def _leased(backend: Backend) -> Spreadsheet:
    return backend.make({"Invoices": [["Status"], ["draft"]]})


def test_a_fresh_sheets_lease_is_taken(lease_backend: Backend) -> None:
    lease = _leased(lease_backend).take_lease(ANN, NOW, TTL)
    assert lease.held_by(ANN) and lease.expires == NOW + TTL


def test_a_live_lease_refuses_a_second_holder(lease_backend: Backend) -> None:
    sheet = _leased(lease_backend)
    sheet.take_lease(ANN, NOW, TTL)
    refused = sheet.take_lease(BOB, NOW + TTL / 2, TTL)
    assert not refused.held_by(BOB)
    assert refused.held_by(ANN) and refused.expires == NOW + TTL


def test_an_expired_lease_is_taken_over(lease_backend: Backend) -> None:
    sheet = _leased(lease_backend)
    sheet.take_lease(ANN, NOW, TTL)
    later = NOW + TTL + dt.timedelta(seconds=1)
    assert sheet.take_lease(BOB, later, TTL).held_by(BOB)
    assert sheet.take_lease(ANN, later, TTL).held_by(BOB)  # and now Bob's is live


def test_the_same_holder_renews_its_lease(lease_backend: Backend) -> None:
    sheet = _leased(lease_backend)
    sheet.take_lease(ANN, NOW, TTL)
    renewed = sheet.take_lease(ANN, NOW + TTL / 2, TTL)
    assert renewed.held_by(ANN) and renewed.expires == NOW + TTL / 2 + TTL
    after_first_expiry = NOW + TTL + dt.timedelta(seconds=1)
    assert sheet.take_lease(BOB, after_first_expiry, TTL).held_by(ANN)


def test_a_release_by_someone_else_does_nothing(lease_backend: Backend) -> None:
    sheet = _leased(lease_backend)
    sheet.take_lease(ANN, NOW, TTL)
    sheet.release_lease(BOB)
    assert sheet.take_lease(BOB, NOW + TTL / 2, TTL).held_by(ANN)
    sheet.release_lease(ANN)
    assert sheet.take_lease(BOB, NOW + TTL / 2, TTL).held_by(BOB)
