"""``updateCells`` of the fake's ``spreadsheets.batchUpdate``: cells written by grid coordinates.

Only ``userEnteredValue`` is modelled (the fake keeps no formats, notes or validation rules), so
a ``fields`` mask naming another CellData field answers 501, loudly; ``*`` means the value.
The area is a ``start`` GridCoordinate (write any number of rows and columns from there, up to
the grid's edge) or a ``range`` GridRange (cells of the range that ``rows`` leaves out are
cleared), never both. Refusals use Google's words where they are on record:

- a sheetId no sheet has: ``No grid with id: 7``;
- a start past the grid: ``GridCoordinate.rowIndex[1000] is after last row in grid[999]``;
- a range starting at or past the grid's last row or column: ``Range (T!A1001:B) exceeds grid
  limits. Max rows: 1000, max columns: 26`` (a range that starts inside and ends past the grid is
  taken, and reaches only the cells the grid has);
- a cell beyond the area: ``Attempting to write column: 26, beyond the last requested column
  of: 25`` (0-based);
- no ``fields``: ``At least one field must be listed in 'fields'. ...``.

Missing area, a negative index and two kinds in one value are refused in words of the fake's
own (Google's are not on record here).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from tests.fakes.a1 import column_letters, quote_title
from tests.fakes.batch_common import Request, field_mask, grid_by_id
from tests.fakes.cells import Formula, evaluate
from tests.fakes.discovery import document, snake
from tests.fakes.errors import ApiError, bad_request
from tests.fakes.grid import Sheet, Spreadsheet

_MODELLED = ("userEnteredValue", "*")
_VALUE_KINDS = ("stringValue", "numberValue", "boolValue", "formulaValue", "errorValue")


@dataclass(frozen=True)
class Area:
    """Where an updateCells request may write: 0-based, end-exclusive, inside the grid."""

    sheet: Sheet
    top: int
    left: int
    bottom: int
    right: int
    clears_rest: bool  # a ``range`` clears what ``rows`` does not cover; a ``start`` does not


def update_cells(ss: Spreadsheet, request: Request, prefix: str) -> dict[str, Any]:
    """updateCells: write ``rows`` of CellData values into the area (see the module docstring)."""
    _check_mask(field_mask(request, prefix), prefix)
    area = _area(ss, request, prefix)
    written: set[tuple[int, int]] = set()
    for r, row in enumerate(request.get("rows") or []):
        for c, cell in enumerate((row or {}).get("values") or []):
            at = (area.top + r, area.left + c)
            _check_inside(area, *at, prefix)
            area.sheet.put(*at, _value(cell or {}, f"{prefix}.rows[{r}].values[{c}]"))
            written.add(at)
    if area.clears_rest:
        for r in range(area.top, min(area.bottom, len(area.sheet.rows))):
            for c in range(area.left, area.right):
                if (r, c) not in written:
                    area.sheet.put(r, c, None)
    return {}


def _check_mask(fields: list[str], prefix: str) -> None:
    known = document()["schemas"]["CellData"]["properties"]
    for name in fields:
        if name in _MODELLED:
            continue
        if name.split(".")[0] not in known:
            raise bad_request(f"{prefix}: '{name}' is not a CellData field (in 'fields').")
        raise ApiError(
            501,
            f"FakeSheetsServer does not implement updateCells of '{name}' "
            f"({prefix.removeprefix('Invalid ')}); it models only userEnteredValue",
        )


def _area(ss: Spreadsheet, request: Request, prefix: str) -> Area:
    start, span = request.get("start"), request.get("range")
    if start is not None and span is not None:
        where = _field_path(prefix)
        raise bad_request(
            f"Invalid value at '{where}' (oneof), oneof field 'area' is already set. "
            "Cannot set 'range'",
            where,
        )
    if start is not None:
        return _from_start(ss, start, prefix)
    if span is not None:
        return _from_range(ss, span, prefix)
    raise bad_request(f"{prefix}: One of 'start' or 'range' must be set.")


def _from_start(ss: Spreadsheet, start: Request, prefix: str) -> Area:
    sheet = grid_by_id(ss, start.get("sheetId"), prefix)
    row, col = _index(start, "rowIndex", prefix), _index(start, "columnIndex", prefix)
    if row >= sheet.row_count:
        raise bad_request(
            f"{prefix}: GridCoordinate.rowIndex[{row}] is after last row in grid"
            f"[{sheet.row_count - 1}]"
        )
    if col >= sheet.col_count:
        raise bad_request(
            f"{prefix}: GridCoordinate.columnIndex[{col}] is after last column in grid"
            f"[{sheet.col_count - 1}]"
        )
    return Area(sheet, row, col, sheet.row_count, sheet.col_count, clears_rest=False)


def _from_range(ss: Spreadsheet, span: Request, prefix: str) -> Area:
    sheet = grid_by_id(ss, span.get("sheetId"), prefix)
    top, left = _index(span, "startRowIndex", prefix), _index(span, "startColumnIndex", prefix)
    bottom = _index(span, "endRowIndex", prefix) if span.get("endRowIndex") is not None else None
    right = (
        _index(span, "endColumnIndex", prefix) if span.get("endColumnIndex") is not None else None
    )
    if top >= sheet.row_count or left >= sheet.col_count:
        raise bad_request(
            f"{prefix}: Range ({_a1(sheet, top, left, bottom, right)}) exceeds grid limits. "
            f"Max rows: {sheet.row_count}, max columns: {sheet.col_count}"
        )
    bottom = sheet.row_count if bottom is None else min(bottom, sheet.row_count)
    right = sheet.col_count if right is None else min(right, sheet.col_count)
    return Area(sheet, top, left, max(bottom, top), max(right, left), clears_rest=True)


def _index(message: Request, name: str, prefix: str) -> int:
    value = int(message.get(name) or 0)
    if value < 0:
        raise bad_request(f"{prefix}: {name} must not be negative (was {value}).")
    return value


def _a1(sheet: Sheet, top: int, left: int, bottom: int | None, right: int | None) -> str:
    """A GridRange as Google names it in this error, open sides left out: ``T!A1001:B``."""
    end = (column_letters(right) if right is not None else "") + (
        str(bottom) if bottom is not None else ""
    )
    return f"{quote_title(sheet.title)}!{column_letters(left + 1)}{top + 1}:{end}"


def _check_inside(area: Area, row: int, col: int, prefix: str) -> None:
    if row >= area.bottom:
        raise bad_request(
            f"{prefix}: Attempting to write row: {row}, beyond the last requested row "
            f"of: {area.bottom - 1}"
        )
    if col >= area.right:
        raise bad_request(
            f"{prefix}: Attempting to write column: {col}, beyond the last requested column "
            f"of: {area.right - 1}"
        )


def _value(cell: Request, where: str) -> Any:
    """What a CellData's userEnteredValue becomes in the cell (``None`` empties it)."""
    entered = cell.get("userEnteredValue") or {}
    kinds = [kind for kind in _VALUE_KINDS if entered.get(kind) is not None]
    if len(kinds) > 1:
        path = _field_path(f"{where}.userEnteredValue")
        raise bad_request(
            f"Invalid value at '{path}' (oneof), oneof field 'value' is already set. "
            f"Cannot set '{kinds[1]}'",
            path,
        )
    if not kinds:
        return None
    value = entered[kinds[0]]
    if kinds[0] == "stringValue":
        return value or None  # no leading-quote or formula parsing: the text is the value
    if kinds[0] == "formulaValue" and str(value).startswith("="):
        return Formula(str(value), evaluate(str(value)[1:]))
    if kinds[0] in ("formulaValue", "errorValue"):
        raise ApiError(501, f"FakeSheetsServer does not implement {kinds[0]} {value!r}")
    if kinds[0] == "numberValue" and isinstance(value, str):
        return float(value)  # "NaN", "Infinity": proto JSON's spelling of special doubles
    return value


def _field_path(prefix: str) -> str:
    """``Invalid requests[0].updateCells.rows[0]`` -> ``requests[0].update_cells.rows[0]``."""
    return re.sub(r"[A-Za-z]+", lambda m: snake(m.group(0)), prefix.removeprefix("Invalid "))
