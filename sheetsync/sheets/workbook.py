"""Local workbook adapter: the Spreadsheet port over an .xlsx file (openpyxl).

Same columns, statuses and guarantees as a Google Sheet: numbers come out as
exact Decimals, dates as ISO text, text that looks like a formula is written
as text, other sheets and formatting are kept.

Saving: every save goes to a new temporary file with an unpredictable name,
created exclusively in the real workbook's folder (a symlink is followed, so
the link stays a link and `key` stays the same), given the workbook's mode and,
where permitted, its owner and group, and then renamed over the workbook: a
crash never leaves a half-written file behind.

Formulas: openpyxl keeps formulas but drops their computed values on save, and
it computes nothing itself. A formula cell is read as the value the file
stores for it; when the file stores none (it was last saved by a program that
does not calculate, such as sheetsync itself), the cell reads as the text
``UNCALCULATED`` + the formula, e.g. ``"not calculated: =100*1.5"``. That is
never empty and never a number, date or status, so a draft with such a figure
becomes a row error (``Unit Price "not calculated: =100*1.5" is not a number``)
instead of being billed, and the prefix lets the core tell "unknown" from
"changed". A value this object read earlier for the very same formula in the
same cell is used instead of the marker, so a run (or a daemon) does not lose
what it saw before its own save. Every save asks Excel and LibreOffice to
recalculate the workbook when they open it.

The billing lease lives in ``.NAME.sheetsync-lease`` beside the real workbook
(`sheetsync.sheets.files.LeaseFile`).
"""

from __future__ import annotations

import logging
import os
import zipfile
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook as OpenpyxlWorkbook
from openpyxl import load_workbook
from openpyxl.cell.cell import Cell as XlCell

from sheetsync.errors import SheetError
from sheetsync.lease import Lease
from sheetsync.model import UNCALCULATED, Cell
from sheetsync.sheets import CellWrite, Workbook
from sheetsync.sheets.files import LeaseFile, replace_atomically

log = logging.getLogger(__name__)

"""The start of a formula cell's value when the file holds no computed value for it."""

_OLE2 = b"\xd0\xcf\x11\xe0"  # the container of .xls files and of encrypted .xlsx files


class LocalWorkbook:
    """One worksheet of an .xlsx workbook on disk."""

    def __init__(self, path: Path, worksheet: str, line_items: str = "Line Items") -> None:
        self._path = path
        self._title = worksheet
        self._lines_title = line_items
        self._requests = 0
        self._computed: dict[tuple[str, int, int, str], Cell] = {}

    @property
    def key(self) -> str:
        """The real workbook's absolute path (symlinks resolved)."""
        return str(self._path.resolve())

    @property
    def requests(self) -> int:
        """Loads, saves and lease changes of the file so far."""
        return self._requests

    def read(self) -> Workbook:
        """Both worksheets' values; formulas as described in the module docstring.

        :raises SheetError: when the file is missing, unreadable or lacks the worksheet.
        """
        book = self._load(data_only=False)
        titles = [self._sheet(book).title]
        if self._lines_title and self._lines_title in book.sheetnames:
            titles.append(self._lines_title)
        formulas = {title: _formulas(book[title]) for title in titles}
        values = self._load(data_only=True) if any(formulas.values()) else None
        grids = [
            self._grid(book[title], formulas[title], values[title] if values else None)
            for title in titles
        ]
        return Workbook(grids[0], grids[1] if len(grids) > 1 else [])

    def write(self, cells: Sequence[CellWrite]) -> None:
        """Set the cells and save atomically; text is always text, never a formula.

        :raises SheetError: when the workbook is open elsewhere, read-only or cannot be saved.
        """
        if not cells:
            return
        self._check_writable()
        with LeaseFile(self._path.resolve()).locked():  # no other process saves meanwhile
            book = self._load(data_only=False)  # formulas elsewhere stay formulas
            sheet = self._sheet(book)
            for write in cells:
                _set(sheet.cell(row=write.row, column=write.column + 1), write.value)
            self._save(book)

    def take_lease(self, holder: str, now: datetime, ttl: timedelta) -> Lease:
        """Take the billing lease for `holder` until `now + ttl` (see the port and
        `sheetsync.sheets.files.LeaseFile`).

        :raises SheetError: when the lease file cannot be read or written.
        """
        self._requests += 1
        return LeaseFile(self._path.resolve()).take(holder, now, ttl)

    def release_lease(self, holder: str) -> None:
        """Remove the lease file if it names `holder`; otherwise do nothing.

        :raises SheetError: when the lease file cannot be read or removed.
        """
        self._requests += 1
        LeaseFile(self._path.resolve()).release(holder)

    def add_columns(self, headers: Sequence[str], first: int) -> None:
        """Header cells from column index `first` rightwards (a workbook has no grid limit).

        :raises SheetError: when the workbook cannot be saved.
        """
        self.write([CellWrite(1, first + i, h) for i, h in enumerate(headers)])

    def _load(self, *, data_only: bool) -> OpenpyxlWorkbook:
        self._requests += 1
        real = self._path.resolve()
        if not real.exists():
            raise SheetError(f"there is no workbook at {self._path}: check SHEETSYNC_SPREADSHEET")
        try:
            with open(real, "rb") as handle:  # a file object: openpyxl checks no extension
                return load_workbook(handle, data_only=data_only)
        except PermissionError:
            raise SheetError(f"{self._path} cannot be read: check its permissions") from None
        except Exception as exc:  # openpyxl raises whatever its parsers meet in a damaged file
            raise SheetError(_unreadable(self._path, real, exc)) from None

    def _sheet(self, book: OpenpyxlWorkbook) -> Any:
        if self._title not in book.sheetnames:
            raise SheetError(
                f"the workbook has no worksheet named '{self._title}': rename the tab "
                "or set SHEETSYNC_WORKSHEET"
            )
        return book[self._title]

    def _grid(
        self, sheet: Any, formulas: dict[tuple[int, int], str], values: Any
    ) -> list[list[Cell]]:
        rows = [[_value(v) for v in row] for row in sheet.iter_rows(values_only=True)]
        missing = 0
        for (row, column), formula in formulas.items():
            value = self._formula_value(values.cell(row=row, column=column), sheet.title, formula)
            rows[row - 1][column - 1] = value
            missing += isinstance(value, str) and value.startswith(UNCALCULATED)
        if missing:
            log.warning(
                "%s: %d formula cells in '%s' have no calculated value (the file was last saved "
                "by a program that does not calculate): open and save it in Excel or LibreOffice",
                self._path.name,
                missing,
                sheet.title,
            )
        while rows and not any(v not in (None, "") for v in rows[-1]):
            rows.pop()
        return rows

    def _formula_value(self, computed: XlCell, title: str, formula: str) -> Cell:
        """What a formula cell reads as: its stored result, or a result seen before, or
        the UNCALCULATED marker."""
        seen = (title, computed.row, computed.column, formula)
        if computed.value is not None or computed.data_type == "str":  # "str": empty text
            self._computed[seen] = _value(computed.value if computed.value is not None else "")
            return self._computed[seen]
        return self._computed.get(seen, UNCALCULATED + formula)

    def _check_writable(self) -> None:
        real = self._path.resolve()
        for folder, name in {(self._path.parent, self._path.name), (real.parent, real.name)}:
            for lock in (folder / f"~${name}", folder / f".~lock.{name}#"):
                if lock.exists():
                    raise SheetError(
                        f"{name} is open in a spreadsheet program ({lock.name} exists): "
                        "close it there and run again (delete that file if nothing has it open)"
                    )
        if not os.access(real, os.W_OK) or not os.access(real.parent, os.W_OK):
            raise SheetError(f"{real} is not writable: check its permissions and its folder's")

    def _save(self, book: OpenpyxlWorkbook) -> None:
        self._requests += 1
        book.calculation.fullCalcOnLoad = True  # openpyxl dropped the computed values
        real = self._path.resolve()
        try:
            replace_atomically(real, book.save)
        except OSError as exc:
            raise SheetError(f"could not save {real}: {exc.strerror or exc}") from None


def _unreadable(shown: Path, real: Path, exc: Exception) -> str:
    """One line saying why a file is not a workbook, and what to do."""
    try:
        with open(real, "rb") as handle:
            head = handle.read(4)
    except OSError:
        head = b""
    if real.is_dir():
        why = "it is a folder"
    elif not head:
        why = "the file is empty"
    elif head == _OLE2:
        why = "it is an old .xls workbook or a password-protected one"
    elif isinstance(exc, zipfile.BadZipFile):
        why = "it is not an .xlsx file (perhaps text or CSV renamed .xlsx)"
    else:
        detail = " ".join(str(exc).split())[:120] or type(exc).__name__
        why = f"it is damaged or not an .xlsx workbook: {detail}"
    return (
        f"{shown} cannot be read as a workbook ({why}): open it in Excel or LibreOffice and "
        "save it as an Excel .xlsx workbook without a password, or set SHEETSYNC_SPREADSHEET "
        "to the right file"
    )


def _formulas(sheet: Any) -> dict[tuple[int, int], str]:
    """The formula cells of a worksheet (loaded with formulas), by (row, column)."""
    return {
        (cell.row, cell.column): _formula_text(cell.value)
        for row in sheet.iter_rows()
        for cell in row
        if cell.data_type == "f"
    }


def _formula_text(value: object) -> str:
    text = getattr(value, "text", value)  # an array formula keeps its text in .text
    return text if isinstance(text, str) else "=TABLE()"


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
