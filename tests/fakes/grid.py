"""The fake's data model: spreadsheets made of grid sheets holding cells."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.fakes.a1 import Bounds
from tests.fakes.cells import is_empty

MAX_CELLS = 10_000_000  # Google's per-spreadsheet cell limit
Cell = Any  # str | int | float | bool | Formula | SheetDate | None


@dataclass
class Sheet:
    """One tab. ``rows`` holds the data (ragged, 0-based); the grid may be larger than the data.

    Tests may edit ``rows`` directly to simulate a person inserting, sorting or deleting rows;
    the grid grows to fit such edits before the next request is handled.
    """

    sheet_id: int
    title: str
    index: int
    row_count: int = 1000
    col_count: int = 26
    rows: list[list[Cell]] = field(default_factory=list)
    frozen_rows: int = 0
    frozen_cols: int = 0
    hidden: bool = False

    def fit_grid(self) -> None:
        """Grow the grid to contain every stored row and cell."""
        self.row_count = max(self.row_count, len(self.rows))
        self.col_count = max(self.col_count, *(len(row) for row in self.rows), 1)

    def cell(self, row: int, col: int) -> Cell:
        """The cell at 0-based ``row``, ``col`` (``None`` when empty)."""
        if row < len(self.rows) and col < len(self.rows[row]):
            return self.rows[row][col]
        return None

    def put(self, row: int, col: int, value: Cell) -> None:
        """Store ``value`` at 0-based ``row``, ``col`` (``None`` empties the cell)."""
        if value is None and self.cell(row, col) is None:
            return
        while len(self.rows) <= row:
            self.rows.append([])
        line = self.rows[row]
        while len(line) <= col:
            line.append(None)
        line[col] = value

    def block(self, bounds: Bounds) -> list[list[Cell]]:
        """The cells inside ``bounds`` as a full rectangle."""
        return [
            [self.cell(r, c) for c in range(bounds.left - 1, bounds.right)]
            for r in range(bounds.top - 1, bounds.bottom)
        ]

    def trimmed(self) -> list[list[Cell]]:
        """The stored data without trailing empty cells and rows."""
        out = [_trim_row(row) for row in self.rows[: self.row_count]]
        while out and not out[-1]:
            out.pop()
        return out

    def properties(self) -> dict[str, Any]:
        """``SheetProperties`` as ``spreadsheets.get`` returns them."""
        grid: dict[str, Any] = {"rowCount": self.row_count, "columnCount": self.col_count}
        if self.frozen_rows:
            grid["frozenRowCount"] = self.frozen_rows
        if self.frozen_cols:
            grid["frozenColumnCount"] = self.frozen_cols
        properties: dict[str, Any] = {
            "sheetId": self.sheet_id,
            "title": self.title,
            "index": self.index,
            "sheetType": "GRID",
            "gridProperties": grid,
        }
        if self.hidden:  # Google leaves false booleans out
            properties["hidden"] = True
        return properties

    def insert_rows(self, start: int, count: int) -> None:
        """Insert ``count`` empty rows before 0-based ``start``; the grid grows."""
        self.rows[start:start] = [[] for _ in range(count)] if start <= len(self.rows) else []
        self.row_count += count

    def delete_rows(self, start: int, end: int) -> None:
        """Delete 0-based rows ``start`` to ``end`` (exclusive); the grid shrinks."""
        del self.rows[start:end]
        self.row_count -= end - start

    def insert_cols(self, start: int, count: int) -> None:
        """Insert ``count`` empty columns before 0-based ``start``; the grid grows."""
        for row in self.rows:
            if start < len(row):
                row[start:start] = [None] * count
        self.col_count += count

    def delete_cols(self, start: int, end: int) -> None:
        """Delete 0-based columns ``start`` to ``end`` (exclusive); the grid shrinks."""
        for row in self.rows:
            del row[start:end]
        self.col_count -= end - start

    def resize(self, rows: int, cols: int) -> None:
        """Set the grid size; data outside the new grid is lost, as in Sheets."""
        self.row_count, self.col_count = rows, cols
        del self.rows[rows:]
        for row in self.rows:
            del row[cols:]


@dataclass
class Spreadsheet:
    """A spreadsheet: id, title and its sheets in tab order."""

    spreadsheet_id: str
    title: str
    sheets: list[Sheet] = field(default_factory=list)

    def titles(self) -> list[str]:
        """Sheet titles in tab order (the first is where bare ranges point)."""
        return [sheet.title for sheet in self.ordered()]

    def ordered(self) -> list[Sheet]:
        """Sheets sorted by their index."""
        return sorted(self.sheets, key=lambda sheet: sheet.index)

    def by_title(self, title: str) -> Sheet | None:
        """The sheet with exactly this title, if any."""
        return next((sheet for sheet in self.sheets if sheet.title == title), None)

    def by_id(self, sheet_id: Any) -> Sheet | None:
        """The sheet with this numeric id, if any."""
        return next((sheet for sheet in self.sheets if sheet.sheet_id == sheet_id), None)

    def total_cells(self) -> int:
        """Cells across all grids, checked against Google's 10 million limit."""
        return sum(sheet.row_count * sheet.col_count for sheet in self.sheets)

    def reindex(self) -> None:
        """Renumber sheet indexes 0..n-1 keeping their order."""
        for position, sheet in enumerate(self.ordered()):
            sheet.index = position

    def resource(self) -> dict[str, Any]:
        """The ``Spreadsheet`` resource (no grid data)."""
        return {
            "spreadsheetId": self.spreadsheet_id,
            "properties": {
                "title": self.title,
                "locale": "en_US",
                "autoRecalc": "ON_CHANGE",
                "timeZone": "Etc/GMT",
            },
            "sheets": [{"properties": sheet.properties()} for sheet in self.ordered()],
            "spreadsheetUrl": f"https://docs.google.com/spreadsheets/d/{self.spreadsheet_id}/edit",
        }


def _trim_row(row: list[Cell]) -> list[Cell]:
    end = len(row)
    while end and is_empty(row[end - 1]):
        end -= 1
    return list(row[:end])
