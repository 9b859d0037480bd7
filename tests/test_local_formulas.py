"""Formulas in a local workbook: openpyxl keeps them but drops their computed values
on save. A formula with a stored value reads as that value; one without reads as
unknown (a row error), never as empty and never as "Changed after billing"."""

from __future__ import annotations

import re
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from sheetsync.app import run_once
from sheetsync.config import load_settings
from sheetsync.report import CycleReport
from sheetsync.sheets import CellWrite
from sheetsync.sheets.workbook import UNCALCULATED, LocalWorkbook
from tests.conftest import FULL_HEADER, LINE_ITEMS_HEADER, STRIPE_KEY, World

PRICE = FULL_HEADER.index("Unit Price")


def _book(path: Path, rows: list[list[Any]], lines: list[list[Any]] | None = None) -> Path:
    """A workbook as openpyxl saves it: formulas kept, no computed values."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Invoices"
    for row in [FULL_HEADER, *rows]:
        sheet.append(row)
    if lines is not None:
        tab = book.create_sheet("Line Items")
        for row in [LINE_ITEMS_HEADER, *lines]:
            tab.append(row)
    book.calculation.fullCalcOnLoad = False  # a workbook that asks not to recalculate on load
    book.save(path)
    return path


def _store_results(path: Path, part: str, results: dict[str, tuple[str, str | None]]) -> None:
    """Give formula cells the computed values a spreadsheet program would have saved:
    cell reference → (value text, cell type such as "str", or None for a number)."""
    with zipfile.ZipFile(path) as source:
        parts = {info.filename: source.read(info.filename) for info in source.infolist()}
    xml = parts[part].decode()
    for ref, (value, kind) in results.items():
        typed = f' t="{kind}"' if kind else ""
        xml, found = re.subn(
            rf'<c r="{ref}"([^>]*)><f>(.*?)</f><v\s*/>',
            rf'<c r="{ref}"\1{typed}><f>\2</f><v>{value}</v>',
            xml,
        )
        assert found == 1, f"no formula cell {ref} in {part}"
    parts[part] = xml.encode()
    with zipfile.ZipFile(path, "w") as target:
        for name, data in parts.items():
            target.writestr(name, data)


def _draft(price: Any, email: str = "ann@example.com") -> list[Any]:
    return ["draft", email, None, "Design", 1, price, "USD"]


def _cycle(
    world: World, path: Path, tmp_path: Path, sheet: LocalWorkbook | None = None
) -> CycleReport:
    settings = load_settings(
        spreadsheet=str(path),
        stripe_api_key=STRIPE_KEY,
        stripe_api_base=world.stripe.base_url,
        stripe_requests_per_second=0,
        lock_dir=tmp_path / "locks",
    )
    return run_once(settings, now=world.now, sheet=sheet)


def _row(path: Path, number: int) -> dict[str, Any]:
    sheet = openpyxl.load_workbook(path)["Invoices"]
    header = [c.value for c in sheet[1]]
    return {h: c.value for h, c in zip(header, sheet[number], strict=False)}


def test_a_formula_without_a_computed_value_reads_as_unknown(tmp_path: Path) -> None:
    path = _book(tmp_path / "book.xlsx", [_draft("=100*1.5")], lines=[["A-1", "x", 1, "=2*5"]])
    book = LocalWorkbook(path, "Invoices").read()
    assert book.invoices[1][PRICE] == f"{UNCALCULATED}=100*1.5"
    assert book.line_items[1][3] == f"{UNCALCULATED}=2*5"


def test_a_formula_with_a_computed_value_reads_as_that_value(tmp_path: Path) -> None:
    rows = [_draft("=100*1.5"), _draft('=IF(1,"","x")'), _draft('=""&"A"'), _draft("=1/0")]
    path = _book(tmp_path / "book.xlsx", rows, lines=[["A-1", "x", 1, "=2*5"]])
    _store_results(
        path,
        "xl/worksheets/sheet1.xml",
        {"F2": ("150", None), "F3": ("", "str"), "F4": ("A", "str"), "F5": ("#DIV/0!", "e")},
    )
    _store_results(path, "xl/worksheets/sheet2.xml", {"D2": ("10", None)})
    book = LocalWorkbook(path, "Invoices").read()
    prices = [row[PRICE] for row in book.invoices[1:]]
    assert prices == [Decimal("150"), "", "A", "#DIV/0!"]
    assert isinstance(prices[0], int | Decimal)
    assert book.line_items[1][3] == Decimal("10")


def test_an_uncomputed_price_is_a_row_error_never_billed(
    world: World, tmp_path: Path
) -> None:
    path = _book(tmp_path / "book.xlsx", [_draft("=100*1.5"), _draft(40, "bob@example.com")])
    report = _cycle(world, path, tmp_path)
    assert (report.created, report.errors) == (1, 1)
    row = _row(path, 2)
    assert row["Status"] == "error" and not row["Stripe ID"]
    assert row["Error"] == f'Unit Price "{UNCALCULATED}=100*1.5" is not a number'
    assert [i["total"] for i in world.invoices()] == [4000]

    _cycle(world, path, tmp_path)  # and again: still unknown, still not billed
    assert _row(path, 2)["Error"] == f'Unit Price "{UNCALCULATED}=100*1.5" is not a number'
    assert "Changed after billing" not in str(_row(path, 2)["Error"])
    assert len(world.invoices()) == 1


def test_a_computed_price_is_billed_and_not_called_changed_by_the_same_run(
    world: World, tmp_path: Path
) -> None:
    path = _book(tmp_path / "book.xlsx", [_draft("=100*1.5")])
    _store_results(path, "xl/worksheets/sheet1.xml", {"F2": ("150", None)})
    sheet = LocalWorkbook(path, "Invoices")  # one adapter, as the daemon keeps it
    report = _cycle(world, path, tmp_path, sheet)  # its first save drops the computed 150
    assert (report.created, report.errors) == (1, 0)
    row = _row(path, 2)
    assert row["Status"] == "sent" and row["Error"] in (None, "")
    assert row["Unit Price"] == "=100*1.5"  # the formula itself stays
    assert [i["total"] for i in world.invoices()] == [15000]

    world.advance(1)
    _cycle(world, path, tmp_path, sheet)  # the daemon's next cycle polls the sent row
    assert _row(path, 2)["Error"] in (None, "")


def test_every_save_asks_spreadsheet_programs_to_recalculate(tmp_path: Path) -> None:
    path = _book(tmp_path / "book.xlsx", [_draft("=100*1.5")])
    assert not openpyxl.load_workbook(path).calculation.fullCalcOnLoad
    LocalWorkbook(path, "Invoices").write([CellWrite(2, 0, "processing")])
    assert openpyxl.load_workbook(path).calculation.fullCalcOnLoad is True
    with zipfile.ZipFile(path) as saved:
        assert re.search(rb'<calcPr [^>]*fullCalcOnLoad="1"', saved.read("xl/workbook.xml"))


@pytest.mark.parametrize("formula", ["=100*1.5", "=SUM(A1:A3)"])
def test_text_typed_like_a_formula_is_still_text(tmp_path: Path, formula: str) -> None:
    path = _book(tmp_path / "book.xlsx", [_draft(40)])
    sheet = LocalWorkbook(path, "Invoices")
    sheet.write([CellWrite(2, PRICE, formula)])
    assert sheet.read().invoices[1][PRICE] == formula  # text, not an unknown formula
