"""``spreadsheets.get`` and ``spreadsheets.batchUpdate`` of the fake Sheets server.

batchUpdate supports addSheet, deleteSheet, appendDimension, insertDimension, deleteDimension,
updateSheetProperties (title, index, grid size, frozen rows/columns, hidden),
updateSpreadsheetProperties (title) and updateCells (values only, see ``update_cells``). Any
other request kind answers 501, loudly.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from typing import Any

from tests.fakes.a1 import MAX_COLUMNS
from tests.fakes.batch_common import Request, field_mask, grid_by_id
from tests.fakes.discovery import parse_fields_mask
from tests.fakes.errors import ApiError, bad_request
from tests.fakes.grid import MAX_CELLS, Sheet, Spreadsheet
from tests.fakes.update_cells import update_cells
from tests.fakes.values_api import Call

RequestHandler = Callable[[Spreadsheet, Request, str], dict[str, Any]]
_SHEET_FIELDS = {
    "title": ("title",),
    "index": ("index",),
    "gridProperties.rowCount": ("gridProperties", "rowCount"),
    "gridProperties.columnCount": ("gridProperties", "columnCount"),
    "gridProperties.frozenRowCount": ("gridProperties", "frozenRowCount"),
    "gridProperties.frozenColumnCount": ("gridProperties", "frozenColumnCount"),
    "hidden": ("hidden",),
}


def spreadsheets_get(ss: Spreadsheet, call: Call) -> dict[str, Any]:
    """``GET /v4/spreadsheets/{id}``: properties and sheet properties, no grid data."""
    mask = parse_fields_mask(call.param("fields") or "")
    sheets = mask.get("sheets")
    wants_grid = "*" in mask or (sheets is not None and (not sheets or {"*", "data"} & set(sheets)))
    if wants_grid if mask else call.flag("includeGridData"):
        raise ApiError(501, "FakeSheetsServer does not implement grid data in spreadsheets.get")
    if call.query.get("ranges"):
        raise ApiError(501, "FakeSheetsServer does not implement spreadsheets.get with ranges")
    return ss.resource()


def spreadsheets_batch_update(ss: Spreadsheet, call: Call) -> dict[str, Any]:
    """``POST /v4/spreadsheets/{id}:batchUpdate``; all requests apply or none (caller restores)."""
    requests = call.body.get("requests") or []
    if not requests:
        raise bad_request("Must specify at least one request.")
    if call.body.get("responseIncludeGridData"):
        raise ApiError(501, "FakeSheetsServer does not implement responseIncludeGridData")
    replies = [_apply(ss, request, f"requests[{i}]") for i, request in enumerate(requests)]
    result: dict[str, Any] = {"spreadsheetId": ss.spreadsheet_id, "replies": replies}
    if call.body.get("includeSpreadsheetInResponse"):
        result["updatedSpreadsheet"] = ss.resource()
    return result


def _apply(ss: Spreadsheet, request: Request, where: str) -> dict[str, Any]:
    kinds = [kind for kind, value in request.items() if value is not None]
    if not kinds:
        raise bad_request(f"Invalid {where}: No request set.", where)
    if len(kinds) > 1:
        raise bad_request(
            f"Invalid value at '{where}' (oneof), oneof field 'kind' is already "
            f"set. Cannot set '{kinds[1]}'",
            where,
        )
    handler = BATCH_REQUESTS.get(kinds[0])
    if handler is None:
        raise ApiError(
            501, f"FakeSheetsServer does not implement batchUpdate request '{kinds[0]}' ({where})"
        )
    reply = handler(ss, request[kinds[0]], f"Invalid {where}.{kinds[0]}")
    if ss.total_cells() > MAX_CELLS:
        raise bad_request(
            f"Invalid {where}.{kinds[0]}: This action would increase the number "
            f"of cells in the workbook above the limit of {MAX_CELLS} cells."
        )
    if any(sheet.col_count > MAX_COLUMNS for sheet in ss.sheets):
        raise bad_request(
            f"Invalid {where}.{kinds[0]}: This action would increase the number "
            f"of columns in the sheet above the limit of {MAX_COLUMNS}."
        )
    return reply


def _check_title(ss: Spreadsheet, title: str, prefix: str, keep: Sheet | None = None) -> None:
    clash = [s for s in ss.sheets if s.title.lower() == title.lower() and s is not keep]
    if clash:
        raise bad_request(
            f'{prefix}: A sheet with the name "{title}" already exists. Please enter another name.'
        )
    if not title.strip():
        raise bad_request(f"{prefix}: The sheet name cannot be empty.")


def add_sheet(ss: Spreadsheet, request: Request, prefix: str) -> dict[str, Any]:
    """addSheet: a new grid sheet (default 1000 x 26) at ``index`` or the end."""
    props = request.get("properties") or {}
    grid = props.get("gridProperties") or {}
    number = len(ss.sheets) + 1
    while ss.by_title(f"Sheet{number}"):
        number += 1
    title = props.get("title") or f"Sheet{number}"
    _check_title(ss, title, prefix)
    sheet_id = props.get("sheetId")
    if sheet_id is not None and ss.by_id(int(sheet_id)):
        raise bad_request(f"{prefix}: Sheet with id {sheet_id} already exists.")
    index = props.get("index")
    index = len(ss.sheets) if index is None else min(int(index), len(ss.sheets))
    for other in ss.sheets:
        if other.index >= index:
            other.index += 1
    sheet = Sheet(
        sheet_id=int(sheet_id) if sheet_id is not None else _new_sheet_id(ss),
        title=title,
        index=index,
        row_count=int(grid.get("rowCount") or 1000),
        col_count=int(grid.get("columnCount") or 26),
        frozen_rows=int(grid.get("frozenRowCount") or 0),
        frozen_cols=int(grid.get("frozenColumnCount") or 0),
        hidden=bool(props.get("hidden")),
    )
    ss.sheets.append(sheet)
    return {"addSheet": {"properties": sheet.properties()}}


def _new_sheet_id(ss: Spreadsheet) -> int:
    ids = random.Random(f"{ss.spreadsheet_id}:{len(ss.sheets)}")  # deterministic, random-looking
    while True:
        candidate = ids.randrange(1, 2**31 - 1)
        if not ss.by_id(candidate):
            return candidate


def delete_sheet(ss: Spreadsheet, request: Request, prefix: str) -> dict[str, Any]:
    """deleteSheet: refuses to remove the last sheet, or the last one not hidden.

    A missing sheetId answers "No grid with id", as every request naming a sheetId does on
    Google (the project's field notes give that wording for deleteSheet too).
    """
    sheet = grid_by_id(ss, request.get("sheetId"), prefix)
    if len(ss.sheets) == 1:
        raise bad_request(f"{prefix}: You can't remove all the sheets in a document.")
    if not any(not other.hidden for other in ss.sheets if other is not sheet):
        # Google's wording for this case is unverified; Sheets keeps one tab visible.
        raise bad_request(f"{prefix}: You can't remove all the visible sheets in a document.")
    ss.sheets.remove(sheet)
    ss.reindex()
    return {}


def append_dimension(ss: Spreadsheet, request: Request, prefix: str) -> dict[str, Any]:
    """appendDimension: add ``length`` rows or columns at the end of the grid."""
    sheet = grid_by_id(ss, request.get("sheetId"), prefix)
    length = int(request.get("length") or 0)
    if length <= 0:
        raise bad_request(f"{prefix}: length must be greater than 0.")
    if _dimension(request.get("dimension"), prefix) == "ROWS":
        sheet.row_count += length
    else:
        sheet.col_count += length
    return {}


def _dimension(value: Any, prefix: str) -> str:
    if value not in ("ROWS", "COLUMNS"):
        raise bad_request(f"{prefix}: dimension must be ROWS or COLUMNS.")
    return str(value)


def _span(sheet: Sheet, span: Mapping[str, Any], prefix: str) -> tuple[str, int, int, int]:
    dimension = _dimension(span.get("dimension"), prefix)
    size = sheet.row_count if dimension == "ROWS" else sheet.col_count
    start = int(span.get("startIndex") or 0)
    end = int(span["endIndex"]) if span.get("endIndex") is not None else size
    if start < 0 or end <= start:
        raise bad_request(f"{prefix}: Invalid dimension range: startIndex {start}, endIndex {end}.")
    return dimension, start, end, size


def insert_dimension(ss: Spreadsheet, request: Request, prefix: str) -> dict[str, Any]:
    """insertDimension: insert empty rows/columns, shifting data down/right."""
    span = request.get("range") or {}
    sheet = grid_by_id(ss, span.get("sheetId"), prefix)
    dimension, start, end, size = _span(sheet, span, prefix)
    if span.get("endIndex") is None or start > size:
        raise bad_request(f"{prefix}: range must be within the grid and have an endIndex.")
    if request.get("inheritFromBefore") and start == 0:
        raise bad_request(
            f"{prefix}: Cannot inherit properties from before if inserting "
            "at the beginning of the sheet."
        )
    if dimension == "ROWS":
        sheet.insert_rows(start, end - start)
    else:
        sheet.insert_cols(start, end - start)
    return {}


def delete_dimension(ss: Spreadsheet, request: Request, prefix: str) -> dict[str, Any]:
    """deleteDimension: delete rows/columns, shifting data up/left; the grid shrinks."""
    span = request.get("range") or {}
    sheet = grid_by_id(ss, span.get("sheetId"), prefix)
    dimension, start, end, size = _span(sheet, span, prefix)
    noun = "row" if dimension == "ROWS" else "column"
    if end > size:
        raise bad_request(
            f"{prefix}: Cannot delete a {noun} that doesn't exist. Tried to "
            f"delete {noun} index {end - 1} but there are only {size} {noun}s."
        )
    if start == 0 and end == size:
        raise bad_request(f"{prefix}: You can't delete all the {noun}s on the sheet.")
    if dimension == "ROWS":
        sheet.delete_rows(start, end)
    else:
        sheet.delete_cols(start, end)
    return {}


def update_sheet_properties(ss: Spreadsheet, request: Request, prefix: str) -> dict[str, Any]:
    """updateSheetProperties: title, index, grid size and frozen counts (per ``fields``)."""
    props = request.get("properties") or {}
    sheet = grid_by_id(ss, props.get("sheetId"), prefix)
    for name in _expand(field_mask(request, prefix), prefix):
        value: Any = props
        for key in _SHEET_FIELDS[name]:
            value = (value or {}).get(key)
        _set_sheet_field(ss, sheet, name, value, prefix)
    return {}


def _expand(fields: list[str], prefix: str) -> list[str]:
    names: list[str] = []
    for name in fields:
        matches = [
            known for known in _SHEET_FIELDS if known == name or known.startswith(name + ".")
        ]
        if not matches:
            raise ApiError(
                501,
                f"FakeSheetsServer does not implement updating sheet field "
                f"'{name}' ({prefix.removeprefix('Invalid ')})",
            )
        names += matches
    return names


def _set_sheet_field(ss: Spreadsheet, sheet: Sheet, name: str, value: Any, prefix: str) -> None:
    if name == "title":
        _check_title(ss, str(value or ""), prefix, keep=sheet)
        sheet.title = str(value)
    elif name == "index":
        others = [s for s in ss.ordered() if s is not sheet]
        others.insert(min(int(value or 0), len(others)), sheet)
        for position, each in enumerate(others):
            each.index = position
    elif name in ("gridProperties.rowCount", "gridProperties.columnCount"):
        rows = int(value or 0) if name.endswith("rowCount") else sheet.row_count
        cols = int(value or 0) if name.endswith("columnCount") else sheet.col_count
        if rows < 1 or cols < 1:
            raise bad_request(f"{prefix}: A sheet must have at least one row and one column.")
        sheet.resize(rows, cols)
    elif name == "gridProperties.frozenRowCount":
        sheet.frozen_rows = int(value or 0)
    elif name == "hidden":
        if value and all(other.hidden for other in ss.sheets if other is not sheet):
            raise bad_request(f"{prefix}: You can't hide all the sheets in a document.")
        sheet.hidden = bool(value)
    else:
        sheet.frozen_cols = int(value or 0)


def update_spreadsheet_properties(ss: Spreadsheet, request: Request, prefix: str) -> dict[str, Any]:
    """updateSpreadsheetProperties: only ``title`` is supported."""
    for name in field_mask(request, prefix):
        if name != "title":
            raise ApiError(
                501, f"FakeSheetsServer does not implement updating spreadsheet field '{name}'"
            )
        ss.title = str((request.get("properties") or {}).get("title") or "")
    return {}


BATCH_REQUESTS: dict[str, RequestHandler] = {
    "addSheet": add_sheet,
    "deleteSheet": delete_sheet,
    "appendDimension": append_dimension,
    "insertDimension": insert_dimension,
    "deleteDimension": delete_dimension,
    "updateSheetProperties": update_sheet_properties,
    "updateSpreadsheetProperties": update_spreadsheet_properties,
    "updateCells": update_cells,
}

HANDLERS: dict[str, Callable[[Spreadsheet, Call], dict[str, Any]]] = {
    "sheets.spreadsheets.get": spreadsheets_get,
    "sheets.spreadsheets.batchUpdate": spreadsheets_batch_update,
}
