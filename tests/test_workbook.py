"""The local workbook: saves are atomic, open files and read-only files are explained,
formatting survives, and a whole cycle runs on it."""

from __future__ import annotations

import errno
import os
import stat
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


def test_a_failed_save_leaves_the_workbook_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _book(tmp_path / "book.xlsx", [["Status"], ["draft"]])
    before = path.read_bytes()

    def refuse(src: Any, dst: Any) -> None:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(SheetError, match="could not save .*Permission denied"):
        LocalWorkbook(path, "Invoices").write([CellWrite(2, 0, "sent")])
    assert path.read_bytes() == before
    assert left_beside(tmp_path) == ["book.xlsx"]  # no temporary file left


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


def test_a_save_through_a_symlink_updates_the_real_workbook(tmp_path: Path) -> None:
    real_dir = tmp_path / "shared"
    real_dir.mkdir()
    real = _book(real_dir / "book.xlsx", [["Status"], ["draft"]])
    link = tmp_path / "link.xlsx"
    link.symlink_to(real)
    through_link = LocalWorkbook(link, "Invoices")
    key = through_link.key
    assert key == LocalWorkbook(real, "Invoices").key

    through_link.write([CellWrite(2, 0, "sent")])

    assert link.is_symlink() and link.resolve() == real
    assert openpyxl.load_workbook(real)["Invoices"]["A2"].value == "sent"
    assert through_link.key == key == LocalWorkbook(link, "Invoices").key
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.xlsx", "shared"]
    assert left_beside(real_dir) == ["book.xlsx"]


@pytest.mark.parametrize("mode", [0o660, 0o600, 0o644, 0o640], ids=oct)
def test_a_save_keeps_the_workbooks_mode(tmp_path: Path, mode: int) -> None:
    path = _book(tmp_path / "book.xlsx", [["Status"], ["draft"]])
    path.chmod(mode)
    LocalWorkbook(path, "Invoices").write([CellWrite(2, 0, "sent")])
    assert stat.S_IMODE(path.stat().st_mode) == mode
    assert openpyxl.load_workbook(path)["Invoices"]["A2"].value == "sent"


def test_a_save_keeps_the_workbooks_group_where_permitted(tmp_path: Path) -> None:
    path = _book(tmp_path / "book.xlsx", [["Status"], ["draft"]])
    groups = [g for g in os.getgroups() if g != path.stat().st_gid]
    if os.geteuid() == 0:
        groups = groups or [path.stat().st_gid + 1]
    if not groups:
        pytest.skip("this user belongs to a single group: nothing to change the group to")
    os.chown(path, -1, groups[0])
    LocalWorkbook(path, "Invoices").write([CellWrite(2, 0, "sent")])
    assert path.stat().st_gid == groups[0]


def test_the_temporary_file_is_unpredictable_and_exclusive(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _book(tmp_path / "book.xlsx", [["Status"], ["draft"]])
    # Someone planted a file (or a link) at the old fixed name: it is neither used nor touched.
    planted = tmp_path / ".book.xlsx.sheetsync-saving"
    planted.symlink_to(tmp_path / "elsewhere")
    seen: list[str] = []
    real_replace = os.replace

    def spy(src: Any, dst: Any) -> None:
        seen.append(Path(src).name)
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    sheet = LocalWorkbook(path, "Invoices")
    sheet.write([CellWrite(2, 0, "sent")])
    sheet.write([CellWrite(2, 0, "paid")])
    assert len(seen) == 2 and len(set(seen)) == 2 and planted.name not in seen
    assert all(name.startswith(".book.xlsx.") for name in seen)
    assert planted.is_symlink() and not (tmp_path / "elsewhere").exists()
    assert openpyxl.load_workbook(path)["Invoices"]["A2"].value == "paid"


@pytest.mark.parametrize("error", [OSError(errno.ENOSPC, "No space left on device"), ValueError])
def test_a_failed_save_removes_its_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: Exception | type[Exception]
) -> None:
    path = _book(tmp_path / "book.xlsx", [["Status"], ["draft"]])
    before = path.read_bytes()

    def fail(book: Any, target: Any) -> None:
        (target.write if hasattr(target, "write") else Path(target).write_bytes)(b"PK half")
        raise error

    monkeypatch.setattr(openpyxl.Workbook, "save", fail)
    with pytest.raises((SheetError, ValueError)) as info:
        LocalWorkbook(path, "Invoices").write([CellWrite(2, 0, "sent")])
    if isinstance(error, OSError):
        assert isinstance(info.value, SheetError)
        assert "No space left on device" in str(info.value)
    assert path.read_bytes() == before
    assert left_beside(tmp_path) == ["book.xlsx"]


def left_beside(folder: Path) -> list[str]:
    """The files in `folder` but the lock file every save of a workbook holds (it stays)."""
    return sorted(p.name for p in folder.iterdir() if not p.name.endswith(".sheetsync-lease.lock"))
