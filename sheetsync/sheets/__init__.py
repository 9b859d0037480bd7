"""The spreadsheet port: everything sheetsync needs from a spreadsheet.

Adapters: `sheetsync.sheets.google` (Google Sheets through gspread) and
`sheetsync.sheets.workbook` (a local .xlsx workbook through openpyxl).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from sheetsync.lease import Lease
from sheetsync.model import Cell


@dataclass(frozen=True)
class CellWrite:
    """One cell to write: 1-based row number, 0-based column index, value."""

    row: int
    column: int
    value: Cell


@dataclass(frozen=True)
class Workbook:
    """What one read returns: the invoices worksheet and the optional Line Items one."""

    invoices: list[list[Cell]]
    line_items: list[list[Cell]] = field(default_factory=list)


class Spreadsheet(Protocol):
    """The invoices worksheet of one spreadsheet."""

    @property
    def key(self) -> str:
        """A stable identity of the spreadsheet, used in idempotency keys and metadata."""
        ...

    @property
    def requests(self) -> int:
        """How many API requests this object has made."""
        ...

    def read(self) -> Workbook:
        """Both worksheets in one request, header first: numbers as Decimal, dates as serials.

        :raises SheetError: when the worksheet cannot be read.
        """
        ...

    def write(self, cells: Sequence[CellWrite]) -> None:
        """Write cells in one batched request, as raw values (never formulas).

        :raises SheetError: when the write fails.
        """
        ...

    def add_columns(self, headers: Sequence[str], first: int) -> None:
        """Add header cells from column index `first` rightwards, growing the grid if needed.

        :raises SheetError: when the sheet cannot be changed.
        """
        ...

    def take_lease(self, holder: str, now: datetime, ttl: timedelta) -> Lease:
        """Take the spreadsheet's billing lease for `holder` until `now + ttl`, atomically.

        Succeeds when nobody holds it, when `holder` holds it already (then it is
        renewed), or when `sheetsync.lease.may_take_over` says the recorded holder
        is gone; of two runs trying at once exactly one succeeds. Returns the lease
        as it stands afterwards: `held_by(holder)` tells whether this run has it.

        :raises SheetError: when the spreadsheet cannot be read or changed.
        """
        ...

    def release_lease(self, holder: str) -> None:
        """Give the lease up if `holder` still holds it; otherwise do nothing.

        :raises SheetError: when the spreadsheet cannot be changed.
        """
        ...
