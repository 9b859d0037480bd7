"""Local workbook adapter: the Spreadsheet port over an .xlsx file (openpyxl).

Same columns, statuses and guarantees as a Google Sheet: numbers come out as
exact Decimals, dates as ISO text, text that looks like a formula is written
as text, other sheets and formatting are kept, and every save goes to a
temporary file that then replaces the workbook, so a crash never leaves a
half-written file behind.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook as OpenpyxlWorkbook
from openpyxl import load_workbook
from openpyxl.cell.cell import Cell as XlCell
from openpyxl.utils.exceptions import InvalidFileException

from sheetsync.errors import SheetError
from sheetsync.lease import Lease
from sheetsync.model import Cell
from sheetsync.sheets import CellWrite, Workbook

log = logging.getLogger(__name__)


class LocalWorkbook:
    """One worksheet of an .xlsx workbook on disk."""

    def __init__(self, path: Path, worksheet: str, line_items: str = "Line Items") -> None:
        self._path = path
        self._title = worksheet
        self._lines_title = line_items
        self._requests = 0

    @property
    def key(self) -> str:
        """The workbook's absolute path."""
        return str(self._path.resolve())

    @property
    def requests(self) -> int:
        """Loads and saves so far."""
        return self._requests

    def read(self) -> Workbook:
        """Both worksheets' values (formulas as their last computed values)."""
        book = self._load(data_only=True)
        lines = self._lines_title and self._lines_title in book.sheetnames
        return Workbook(
            _grid(book, self._sheet(book).title),
            _grid(book, self._lines_title) if lines else [],
        )

    def write(self, cells: Sequence[CellWrite]) -> None:
        """Set the cells and save atomically; text is always text, never a formula."""
        if not cells:
            return
        self._check_writable()
        book = self._load(data_only=False)  # formulas elsewhere in the workbook stay formulas
        sheet = self._sheet(book)
        for write in cells:
            _set(sheet.cell(row=write.row, column=write.column + 1), write.value)
        self._save(book)

    def take_lease(self, holder: str, now: datetime, ttl: timedelta) -> Lease:
        """Not built yet (issue 8): see the port."""
        raise NotImplementedError

    def release_lease(self, holder: str) -> None:
        """Not built yet (issue 8): see the port."""
        raise NotImplementedError

    def add_columns(self, headers: Sequence[str], first: int) -> None:
        """Header cells from column index `first` rightwards (a workbook has no grid limit)."""
        self.write([CellWrite(1, first + i, h) for i, h in enumerate(headers)])

    def _load(self, *, data_only: bool) -> OpenpyxlWorkbook:
        self._requests += 1
        if not self._path.exists():
            raise SheetError(f"there is no workbook at {self._path}: check SHEETSYNC_SPREADSHEET")
        try:
            return load_workbook(self._path, data_only=data_only)
        except PermissionError:
            raise SheetError(f"{self._path} cannot be read: check its permissions") from None
        except (InvalidFileException, OSError, KeyError, ValueError) as exc:
            raise SheetError(f"{self._path} is not a readable .xlsx workbook ({exc})") from None

    def _sheet(self, book: OpenpyxlWorkbook) -> Any:
        if self._title not in book.sheetnames:
            raise SheetError(
                f"the workbook has no worksheet named '{self._title}': rename the tab "
                "or set SHEETSYNC_WORKSHEET"
            )
        return book[self._title]

    def _check_writable(self) -> None:
        folder = self._path.parent
        for lock in (folder / f"~${self._path.name}", folder / f".~lock.{self._path.name}#"):
            if lock.exists():
                raise SheetError(
                    f"{self._path.name} is open in a spreadsheet program ({lock.name} exists): "
                    "close it there and run again (delete that file if nothing has it open)"
                )
        if not os.access(self._path, os.W_OK) or not os.access(folder, os.W_OK):
            raise SheetError(f"{self._path} is not writable: check its permissions")

    def _save(self, book: OpenpyxlWorkbook) -> None:
        self._requests += 1
        temporary = self._path.with_name(f".{self._path.name}.sheetsync-saving")
        try:
            book.save(temporary)
            os.replace(temporary, self._path)
        except OSError as exc:
            if temporary.is_file():
                temporary.unlink()
            raise SheetError(f"could not save {self._path}: {exc.strerror}") from None


def _grid(book: OpenpyxlWorkbook, title: str) -> list[list[Cell]]:
    rows = [[_value(v) for v in row] for row in book[title].iter_rows(values_only=True)]
    while rows and not any(v not in (None, "") for v in rows[-1]):
        rows.pop()
    return rows


def _value(value: object) -> Cell:
    """A cell as the core expects it: Decimal for numbers, ISO text for dates."""
    if value is None or isinstance(value, bool | int | str | Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))  # the shortest text that reads back as this number
    if isinstance(value, datetime):
        if value.time() == time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _set(cell: XlCell, value: Cell) -> None:
    cell.value = None if value == "" else value
    if isinstance(value, str) and value:
        cell.data_type = "s"  # "=..." typed by a customer must not become a formula
