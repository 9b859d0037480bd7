"""The local workbook: saves are atomic, open files and read-only files are explained,
formatting survives, and a whole cycle runs on it."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.styles import PatternFill

from sheetsync.app import run_once
from sheetsync.config import load_settings
from sheetsync.errors import SheetError
from sheetsync.sheets import CellWrite
from sheetsync.sheets.workbook import LocalWorkbook
from tests.conftest import FULL_HEADER, STRIPE_KEY, World

YELLOW = PatternFill("solid", fgColor="FFFF00")


def _book(path: Path, rows: list[list[Any]]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Invoices"
    for row in rows:
        sheet.append(row)
    sheet["A1"].fill = YELLOW
    book.create_sheet("Notes")["A1"] = "private"
    book.save(path)
    return path


def test_a_failed_save_leaves_the_workbook_whole(tmp_path: Path) -> None:
    path = _book(tmp_path / "book.xlsx", [["Status"], ["draft"]])
    before = path.read_bytes()
    (tmp_path / ".book.xlsx.sheetsync-saving").mkdir()  # the temporary file cannot be made
    with pytest.raises(SheetError, match="could not save"):
        LocalWorkbook(path, "Invoices").write([CellWrite(2, 0, "sent")])
    assert path.read_bytes() == before
    assert openpyxl.load_workbook(path)["Invoices"]["A2"].value == "draft"


@pytest.mark.parametrize("lock", ["~$book.xlsx", ".~lock.book.xlsx#"])
def test_a_workbook_open_in_excel_or_libreoffice_is_not_written(tmp_path: Path, lock: str) -> None:
    path = _book(tmp_path / "book.xlsx", [["Status"], ["draft"]])
    (tmp_path / lock).write_text("someone")
    with pytest.raises(SheetError, match="open in a spreadsheet program"):
        LocalWorkbook(path, "Invoices").write([CellWrite(2, 0, "sent")])
    assert openpyxl.load_workbook(path)["Invoices"]["A2"].value == "draft"


def test_a_missing_workbook_is_explained(tmp_path: Path) -> None:
    with pytest.raises(SheetError, match="there is no workbook at"):
        LocalWorkbook(tmp_path / "nope.xlsx", "Invoices").read()


def test_a_whole_cycle_on_a_workbook(world: World, tmp_path: Path) -> None:
    rows = [
        ["draft", "ann@example.com", None, "Design", 2, "1,234.50", "EUR"],
        ["draft", "not-an-email", None, "Design", 1, 10],
    ]
    path = _book(tmp_path / "book.xlsx", [FULL_HEADER, *rows])
    settings = load_settings(
        spreadsheet=str(path),
        stripe_api_key=STRIPE_KEY,
        stripe_api_base=world.stripe.base_url,
        stripe_requests_per_second=0,
        lock_dir=tmp_path,
    )
    report = run_once(settings, now=world.now)
    assert (report.created, report.errors) == (1, 1)

    book = openpyxl.load_workbook(path)
    sheet = book["Invoices"]
    header = [c.value for c in sheet[1]]
    good = {h: c.value for h, c in zip(header, sheet[2], strict=False)}
    bad = {h: c.value for h, c in zip(header, sheet[3], strict=False)}
    assert good["Status"] == "sent" and str(good["Stripe ID"]).startswith("in_")
    assert Decimal(str(good["Total"])) == Decimal("2469")
    assert bad["Status"] == "error" and "not an email address" in bad["Error"]
    assert sheet["A1"].fill.fgColor.rgb == "00FFFF00"
    assert book["Notes"]["A1"].value == "private"
    assert world.invoices()[0]["total"] == 246900

    assert run_once(settings, now=world.now).created == 0  # and again: nothing new
    assert len(world.invoices()) == 1
