"""The ``spreadsheets.values.*`` methods of the fake Sheets server."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from tests.fakes.a1 import Bounds, RangeError, RangeRef, column_letters, parse_range
from tests.fakes.cells import is_empty, parse_input, render
from tests.fakes.errors import bad_request
from tests.fakes.grid import Sheet, Spreadsheet

Handler = Callable[[Spreadsheet, "Call"], dict[str, Any]]


@dataclass(frozen=True)
class Call:
    """One validated API call: path parameters (decoded), query parameters and JSON body."""

    method_id: str
    path: Mapping[str, str]
    query: Mapping[str, list[str]]
    body: Any

    def param(self, name: str, default: str | None = None) -> str | None:
        """First value of a query parameter."""
        values = self.query.get(name)
        return values[0] if values else default

    def flag(self, name: str) -> bool:
        """A boolean query parameter (``true`` in any case)."""
        return (self.param(name) or "").lower() == "true"


def locate(ss: Spreadsheet, text: str) -> tuple[Sheet, RangeRef]:
    """Parse ``text`` on ``ss``; Google's 400 when it names no sheet or is not A1."""
    try:
        ref = parse_range(text, ss.titles())
    except RangeError as err:
        raise bad_request(str(err)) from None
    sheet = ss.by_title(ref.title)
    assert sheet is not None
    return sheet, ref


def resolve(sheet: Sheet, ref: RangeRef, text: str) -> Bounds:
    """Bounds of ``ref`` on ``sheet``; Google's 400 when it reaches past the grid."""
    try:
        return ref.resolve(sheet.row_count, sheet.col_count, text)
    except RangeError as err:
        raise bad_request(str(err)) from None


def read(
    ss: Spreadsheet, text: str, major: str, value_render: str, date_render: str
) -> dict[str, Any]:
    """A ``ValueRange`` for ``text``: trailing empty cells and rows trimmed."""
    sheet, ref = locate(ss, text)
    bounds = resolve(sheet, ref, text)
    grid = [
        [render(cell, value_render, date_render) for cell in row] for row in sheet.block(bounds)
    ]
    major = "COLUMNS" if major == "COLUMNS" else "ROWS"
    if major == "COLUMNS":
        grid = [list(column) for column in zip(*grid, strict=True)]
    lines = [_trim(line) for line in grid]
    while lines and not lines[-1]:
        lines.pop()
    result: dict[str, Any] = {"range": bounds.a1(), "majorDimension": major}
    if lines:
        result["values"] = lines
    return result


def _trim(line: list[Any]) -> list[Any]:
    end = len(line)
    while end and line[end - 1] == "":
        end -= 1
    return line[:end]


def _read_options(call: Call, prefix: str = "") -> tuple[str, str]:
    value = call.param(f"{prefix}ValueRenderOption" if prefix else "valueRenderOption")
    date = call.param(f"{prefix}DateTimeRenderOption" if prefix else "dateTimeRenderOption")
    return value or "FORMATTED_VALUE", date or "SERIAL_NUMBER"


def values_get(ss: Spreadsheet, call: Call) -> dict[str, Any]:
    """``GET .../values/{range}``."""
    value_render, date_render = _read_options(call)
    major = call.param("majorDimension") or "ROWS"
    return read(ss, call.path["range"], major, value_render, date_render)


def values_batch_get(ss: Spreadsheet, call: Call) -> dict[str, Any]:
    """``GET .../values:batchGet?ranges=..``."""
    value_render, date_render = _read_options(call)
    major = call.param("majorDimension") or "ROWS"
    ranges = call.query.get("ranges", [])
    result: dict[str, Any] = {"spreadsheetId": ss.spreadsheet_id}
    if ranges:
        result["valueRanges"] = [read(ss, r, major, value_render, date_render) for r in ranges]
    return result


def input_option(option: Any) -> bool:
    """True for USER_ENTERED; Google's 400 when the option is missing."""
    if option in (None, "", "INPUT_VALUE_OPTION_UNSPECIFIED"):
        raise bad_request("'valueInputOption' is required but not specified")
    return bool(option == "USER_ENTERED")


def _rows(value_range: Mapping[str, Any]) -> list[list[Any]]:
    values = value_range.get("values") or []
    for r, row in enumerate(values):
        for c, cell in enumerate(row or []):
            if isinstance(cell, list | dict):
                kind = "list_value" if isinstance(cell, list) else "struct_value"
                raise bad_request(f"Invalid values[{r}][{c}]: {kind} {cell!r}")
    rows = [list(row or []) for row in values]
    if value_range.get("majorDimension") == "COLUMNS":
        height = max((len(column) for column in rows), default=0)
        rows = [[col[i] if i < len(col) else None for col in rows] for i in range(height)]
    return rows


def write(
    ss: Spreadsheet, text: str, value_range: Mapping[str, Any], user_entered: bool, call: Call
) -> dict[str, Any]:
    """Write a ``ValueRange`` at ``text``; returns an ``UpdateValuesResponse``."""
    sheet, ref = locate(ss, text)
    requested = resolve(sheet, ref, text)
    rows = _rows(value_range)
    top, left = ref.top or 1, ref.left or 1
    width = max((len(row) for row in rows), default=0)
    bottom, right = top + max(len(rows), 1) - 1, left + max(width, 1) - 1
    if not ref.is_single_cell:
        if ref.right is not None and right > ref.right:
            raise bad_request(
                f"Requested writing within range [{text}], but tried writing to "
                f"column [{column_letters(right)}]"
            )
        if ref.bottom is not None and bottom > ref.bottom:
            raise bad_request(
                f"Requested writing within range [{text}], but tried writing to row [{bottom}]"
            )
    written = Bounds(sheet.title, top, left, bottom, right)
    if bottom > sheet.row_count or right > sheet.col_count:
        raise bad_request(
            f"Range ({written.a1()}) exceeds grid limits. "
            f"Max rows: {sheet.row_count}, max columns: {sheet.col_count}"
        )
    shown = written if ref.is_single_cell else requested
    return _store(ss, sheet, written, rows, user_entered, call, shown)


def _store(
    ss: Spreadsheet,
    sheet: Sheet,
    at: Bounds,
    rows: list[list[Any]],
    user_entered: bool,
    call: Call,
    shown: Bounds | None = None,
) -> dict[str, Any]:
    """Write ``rows`` at ``at``; ``shown`` is the range echoed in ``updatedData`` if asked."""
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is not None:
                sheet.put(at.top - 1 + r, at.left - 1 + c, parse_input(value, user_entered))
    result: dict[str, Any] = {"spreadsheetId": ss.spreadsheet_id, "updatedRange": at.a1()}
    cells = sum(len(row) for row in rows)
    if cells:
        result["updatedRows"] = len(rows)
        result["updatedColumns"] = max(len(row) for row in rows)
        result["updatedCells"] = cells
    if _include_values(call):
        value_render, date_render = _read_options(call, "response")
        result["updatedData"] = read(ss, (shown or at).a1(), "ROWS", value_render, date_render)
    return result


def _include_values(call: Call) -> bool:
    if (
        isinstance(call.body, dict) and "data" in call.body
    ):  # values.batchUpdate carries it in the body
        return bool(call.body.get("includeValuesInResponse"))
    return call.flag("includeValuesInResponse")


def _check_body_range(text: str, value_range: Mapping[str, Any]) -> None:
    body_range = value_range.get("range")
    if body_range not in (None, text):
        raise bad_request(f"Request range[{text}] does not match value's range[{body_range}]")


def values_update(ss: Spreadsheet, call: Call) -> dict[str, Any]:
    """``PUT .../values/{range}?valueInputOption=..``."""
    user_entered = input_option(call.param("valueInputOption"))
    _check_body_range(call.path["range"], call.body)
    return write(ss, call.path["range"], call.body, user_entered, call)


def values_batch_update(ss: Spreadsheet, call: Call) -> dict[str, Any]:
    """``POST .../values:batchUpdate``; all ranges are written or none."""
    user_entered = input_option(call.body.get("valueInputOption"))
    option_call = Call(call.method_id, call.path, _response_query(call.body), call.body)
    responses = [
        write(ss, item.get("range") or "", item, user_entered, option_call)
        for item in call.body.get("data") or []
    ]
    result: dict[str, Any] = {"spreadsheetId": ss.spreadsheet_id}
    totals = {
        "totalUpdatedRows": sum(r.get("updatedRows", 0) for r in responses),
        "totalUpdatedColumns": sum(r.get("updatedColumns", 0) for r in responses),
        "totalUpdatedCells": sum(r.get("updatedCells", 0) for r in responses),
        "totalUpdatedSheets": len(
            {r["updatedRange"].rsplit("!", 1)[0] for r in responses if r.get("updatedCells")}
        ),
    }
    result.update({key: value for key, value in totals.items() if value})
    if responses:
        result["responses"] = responses
    return result


def _response_query(body: Mapping[str, Any]) -> dict[str, list[str]]:
    names = ("responseValueRenderOption", "responseDateTimeRenderOption")
    return {name: [body[name]] for name in names if body.get(name)}


def values_append(ss: Spreadsheet, call: Call) -> dict[str, Any]:
    """``POST .../values/{range}:append``: after the last row of the table found in the range."""
    text = call.path["range"]
    user_entered = input_option(call.param("valueInputOption"))
    _check_body_range(text, call.body)
    sheet, ref = locate(ss, text)
    region = resolve(sheet, ref, text)
    table = _find_table(sheet, ref, region)
    rows = _rows(call.body)
    width = max((len(row) for row in rows), default=0)
    top = table.bottom + 1 if table else region.top
    left = table.left if table else region.left
    at = Bounds(sheet.title, top, left, top + max(len(rows), 1) - 1, left + max(width, 1) - 1)
    if call.param("insertDataOption") == "INSERT_ROWS" and rows:
        sheet.insert_rows(top - 1, len(rows))
    sheet.row_count = max(sheet.row_count, at.bottom)
    sheet.col_count = max(sheet.col_count, at.right)
    result: dict[str, Any] = {"spreadsheetId": ss.spreadsheet_id}
    if table:
        result["tableRange"] = table.a1()
    result["updates"] = _store(ss, sheet, at, rows, user_entered, call)
    return result


def _find_table(sheet: Sheet, ref: RangeRef, region: Bounds) -> Bounds | None:
    """The table an append lands under, as Sheets finds it (simplified).

    The table starts at the first row inside the range holding data (within the range's
    columns; any column for a single-cell range) and runs down through consecutive non-empty
    rows, past the range's end. A blank row ends it, so an append fills the first gap.
    """
    lo, hi = (1, sheet.col_count) if ref.is_single_cell else (region.left, region.right)

    def filled(row_number: int) -> list[int]:
        row = sheet.rows[row_number - 1] if row_number <= len(sheet.rows) else []
        return [c + 1 for c in range(lo - 1, min(hi, len(row))) if not is_empty(row[c])]

    last = min(region.bottom, len(sheet.rows))
    top = next((r for r in range(region.top, last + 1) if filled(r)), None)
    if top is None:
        return None
    bottom, columns = top, filled(top)
    while filled(bottom + 1):
        bottom += 1
        columns += filled(bottom)
    return Bounds(sheet.title, top, min(columns), bottom, max(columns))


def clear(ss: Spreadsheet, text: str) -> str:
    """Empty every cell in ``text``; returns the cleared range as Google renders it."""
    sheet, ref = locate(ss, text)
    bounds = resolve(sheet, ref, text)
    for r in range(bounds.top - 1, min(bounds.bottom, len(sheet.rows))):
        for c in range(bounds.left - 1, bounds.right):
            sheet.put(r, c, None)
    return bounds.a1()


def values_clear(ss: Spreadsheet, call: Call) -> dict[str, Any]:
    """``POST .../values/{range}:clear``."""
    return {"spreadsheetId": ss.spreadsheet_id, "clearedRange": clear(ss, call.path["range"])}


def values_batch_clear(ss: Spreadsheet, call: Call) -> dict[str, Any]:
    """``POST .../values:batchClear``; all ranges are cleared or none."""
    cleared = [clear(ss, text) for text in call.body.get("ranges") or []]
    result: dict[str, Any] = {"spreadsheetId": ss.spreadsheet_id}
    if cleared:
        result["clearedRanges"] = cleared
    return result


HANDLERS: dict[str, Handler] = {
    "sheets.spreadsheets.values.get": values_get,
    "sheets.spreadsheets.values.batchGet": values_batch_get,
    "sheets.spreadsheets.values.update": values_update,
    "sheets.spreadsheets.values.batchUpdate": values_batch_update,
    "sheets.spreadsheets.values.append": values_append,
    "sheets.spreadsheets.values.clear": values_clear,
    "sheets.spreadsheets.values.batchClear": values_batch_clear,
}

__all__ = ["HANDLERS", "Call", "locate", "read", "resolve"]
