"""Tests of the fake Sheets server, driving the real gspread client over loopback HTTP."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import gspread
import pytest
import requests
from google.auth import environment_vars
from gspread.exceptions import APIError
from gspread.utils import ValueRenderOption

from tests.fakes.a1 import RangeError, parse_range
from tests.fakes.discovery import document, method_ids
from tests.fakes.keys import make_service_account_key
from tests.fakes.network import NetworkGuard
from tests.fakes.sheets_server import (
    FakeSheetsServer,
    Formula,
    RebaseAdapter,
    SheetDate,
    route_to_fake,
)
from tests.fakes.spreadsheet_api import BATCH_REQUESTS
from tests.fakes.values_api import HANDLERS as VALUES_HANDLERS

SCOPE = "https://www.googleapis.com/auth/spreadsheets"
RAB_SWITCH = "GOOGLE_SDK_EXPERIMENTAL_PYTHON_REGIONAL_ACCESS_BOUNDARY_LOOKUP_ENABLED"
READONLY = "https://www.googleapis.com/auth/spreadsheets.readonly"
API = "https://sheets.googleapis.com/v4/spreadsheets"
SEED: dict[str, list[list[Any]]] = {
    "Invoices": [["Status", "Customer Email", "Amount"], ["draft", "a@b.co", 1234.5]],
    "Line Items": [["Invoice", "Description"], ["1", "Widget"]],
}


@pytest.fixture
def server() -> Iterator[FakeSheetsServer]:
    with FakeSheetsServer() as fake:
        yield fake
    assert fake.errors == []


@pytest.fixture(scope="module")
def key_template(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One RSA key per module (generation is the slow part); token_uri is set per test."""
    path = tmp_path_factory.mktemp("keys") / "template.json"
    info: dict[str, Any] = json.loads(make_service_account_key(path, "unset").read_text())
    return info


@pytest.fixture
def key_path(tmp_path: Path, server: FakeSheetsServer, key_template: dict[str, Any]) -> Path:
    path = tmp_path / "service-account.json"
    path.write_text(json.dumps({**key_template, "token_uri": server.token_uri}))
    return path


@pytest.fixture
def connect(server: FakeSheetsServer, key_path: Path) -> Callable[..., gspread.Client]:
    def make(scopes: tuple[str, ...] = (SCOPE,)) -> gspread.Client:
        client = gspread.service_account(filename=key_path, scopes=list(scopes))
        route_to_fake(client, server.base_url)
        return client

    return make


@pytest.fixture
def sid(server: FakeSheetsServer) -> str:
    return server.create_spreadsheet(sheets={k: [list(r) for r in v] for k, v in SEED.items()})


@pytest.fixture
def book(connect: Callable[..., gspread.Client], sid: str) -> gspread.Spreadsheet:
    return connect().open_by_key(sid)


@pytest.fixture
def ws(book: gspread.Spreadsheet) -> gspread.Worksheet:
    return book.worksheet("Invoices")


def api_error(call: Callable[[], Any]) -> dict[str, Any]:
    with pytest.raises(APIError) as info:
        call()
    error: dict[str, Any] = info.value.response.json()["error"]
    return error


# -- auth -------------------------------------------------------------------------------------
def test_token_endpoint_records_the_spreadsheets_scope(server: FakeSheetsServer, ws: Any) -> None:
    assert server.token_requests == 1
    assert server.granted_scopes == [SCOPE]


def test_token_endpoint_refuses_other_grants(server: FakeSheetsServer) -> None:
    reply = requests.post(server.token_uri, data={"grant_type": "password"}, timeout=5)
    assert reply.status_code == 400
    assert reply.json()["error"] == "unsupported_grant_type"
    assert server.granted_scopes == []


def test_missing_or_unknown_token_is_401(server: FakeSheetsServer, sid: str) -> None:
    url = f"{server.base_url}/v4/spreadsheets/{sid}"
    anonymous = requests.get(url, timeout=5)
    forged = requests.get(url, headers={"Authorization": "Bearer ya29.forged"}, timeout=5)
    for reply in (anonymous, forged):
        assert reply.status_code == 401
        assert reply.json()["error"]["status"] == "UNAUTHENTICATED"
    assert [r.status for r in server.requests] == [401, 401]


def test_expired_token_is_refreshed_by_the_client(server: FakeSheetsServer, ws: Any) -> None:
    server.expire_tokens()
    assert ws.get("A1") == [["Status"]]
    assert server.token_requests == 2
    assert [r.status for r in server.requests][-2:] == [401, 200]


def test_readonly_scope_cannot_write(connect: Callable[..., gspread.Client], sid: str) -> None:
    ws = connect((READONLY,)).open_by_key(sid).worksheet("Invoices")
    assert ws.acell("A1").value == "Status"
    error = api_error(lambda: ws.update([["x"]], "A1"))
    assert (error["code"], error["status"]) == (403, "PERMISSION_DENIED")


def test_mounting_only_the_sheets_origin_leaks_the_auth_lookup(
    server: FakeSheetsServer,
    key_path: Path,
    sid: str,
    network_guard: NetworkGuard,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The guard sees a leak: with the lookup switched on, a half-routed client leaves."""
    if not hasattr(environment_vars, RAB_SWITCH):
        pytest.skip("this google-auth makes no regional access boundary lookup")
    monkeypatch.setenv(RAB_SWITCH, "true")
    client = gspread.service_account(filename=key_path, scopes=[SCOPE])
    client.http_client.session.mount(
        "https://sheets.googleapis.com", RebaseAdapter(server.base_url)
    )
    client.open_by_key(sid)
    assert network_guard.tried.wait(5)
    assert any(h.endswith("googleapis.com") for h in network_guard.blocked)
    network_guard.leak_expected = True  # google-auth's thread may try again after this


# -- reading ----------------------------------------------------------------------------------
def test_open_by_key_reports_sheets_and_grid(book: gspread.Spreadsheet) -> None:
    sheets = book.worksheets()
    assert [(w.title, w.index, w.row_count, w.col_count) for w in sheets] == [
        ("Invoices", 0, 1000, 26),
        ("Line Items", 1, 1000, 26),
    ]
    assert sheets[0].id == 0


def test_get_all_values(ws: gspread.Worksheet) -> None:
    assert ws.get_all_values() == [
        ["Status", "Customer Email", "Amount"],
        ["draft", "a@b.co", "1234.5"],
    ]


def test_trailing_empty_cells_and_rows_are_trimmed(
    server: FakeSheetsServer, sid: str, book: gspread.Spreadsheet
) -> None:
    server.set_values(sid, "Invoices", [["a", None, "", None], [], ["", "b", ""], [None], [""]])
    reply = book.values_get("Invoices")
    assert reply == {
        "range": "Invoices!A1:Z1000",
        "majorDimension": "ROWS",
        "values": [["a"], [], ["", "b"]],
    }
    server.set_values(sid, "Invoices", [])
    assert "values" not in book.values_get("Invoices!A1:C3")


@pytest.mark.parametrize(
    ("asked", "answered"),
    [
        ("Invoices!A:A", "Invoices!A1:A1000"),
        ("'Line Items'!A1:C", "'Line Items'!A1:C1000"),
        ("Invoices!A2:Z", "Invoices!A2:Z1000"),
        ("Invoices!B3", "Invoices!B3"),
        ("A1:B2", "Invoices!A1:B2"),
        ("'Line Items'", "'Line Items'!A1:Z1000"),
    ],
)
def test_range_forms(book: gspread.Spreadsheet, asked: str, answered: str) -> None:
    assert book.values_get(asked)["range"] == answered


def test_columns_major_dimension(book: gspread.Spreadsheet) -> None:
    reply = book.values_get("Invoices!A1:B2", params={"majorDimension": "COLUMNS"})
    assert reply["values"] == [["Status", "draft"], ["Customer Email", "a@b.co"]]


def test_batch_get_unformatted_returns_json_numbers(
    server: FakeSheetsServer, sid: str, ws: gspread.Worksheet
) -> None:
    server.set_values(sid, "Invoices", [[1234.5, 3.0, True, "x", Formula("=1+1", 2)]])
    (formatted,) = ws.batch_get(["A1:E1"])
    (unformatted,) = ws.batch_get(["A1:E1"], value_render_option=ValueRenderOption.unformatted)
    (formulas,) = ws.batch_get(["A1:E1"], value_render_option=ValueRenderOption.formula)
    assert formatted == [["1234.5", "3", "TRUE", "x", "2"]]
    assert unformatted == [[1234.5, 3, True, "x", 2]]
    assert formulas == [[1234.5, 3, True, "x", "=1+1"]]


def test_sheet_date_serial_versus_formatted(
    server: FakeSheetsServer, sid: str, book: gspread.Spreadsheet
) -> None:
    server.set_values(sid, "Invoices", [[SheetDate.from_date(dt.date(2026, 11, 21))]])

    def read(**params: Any) -> Any:
        return book.values_get("Invoices!A1", params=params)["values"][0][0]

    assert read(valueRenderOption="UNFORMATTED_VALUE") == 46347
    assert (
        read(valueRenderOption="UNFORMATTED_VALUE", dateTimeRenderOption="SERIAL_NUMBER") == 46347
    )
    assert (
        read(valueRenderOption="UNFORMATTED_VALUE", dateTimeRenderOption="FORMATTED_STRING")
        == "2026-11-21"
    )
    assert read() == "2026-11-21"


def test_people_editing_rows_directly_is_seen_and_grows_the_grid(
    server: FakeSheetsServer, sid: str, ws: gspread.Worksheet
) -> None:
    sheet = server.sheet(sid, "Invoices")
    sheet.rows.insert(1, ["void", "z@y.co"])
    sheet.rows.extend([["x"]] * 1000)
    assert ws.get("A2:B2") == [["void", "z@y.co"]]
    assert server.grid_size(sid, "Invoices") == (1003, 26)


# -- writing ----------------------------------------------------------------------------------
def test_raw_keeps_a_formula_as_text_user_entered_makes_it_a_formula(
    server: FakeSheetsServer, sid: str, ws: gspread.Worksheet
) -> None:
    ws.update([["=1+1"]], "D1", raw=True)
    ws.update([["=1+1", "=SUM(A:A)"]], "D2", raw=False)
    cells = server.values(sid, "Invoices")
    assert cells[0][3] == "=1+1"
    assert cells[1][3:5] == [Formula("=1+1", 2), Formula("=SUM(A:A)", "#ERROR!")]
    assert ws.get("D1:D2") == [["=1+1"], ["2"]]


def test_user_entered_parses_like_the_sheets_ui(
    server: FakeSheetsServer, sid: str, ws: gspread.Worksheet
) -> None:
    typed = ["1,234.50", "12", "2026-11-21", "'=x", "TRUE", "draft"]
    ws.update([typed], "A3", raw=False)
    ws.update([typed], "A4", raw=True)
    rows = server.values(sid, "Invoices")
    assert rows[2] == [1234.5, 12, SheetDate.from_date(dt.date(2026, 11, 21)), "=x", True, "draft"]
    assert rows[3] == typed
    assert ws.get("A3:B3") == [["1,234.50", "12"]]


def test_null_leaves_a_cell_and_empty_string_clears_it(
    server: FakeSheetsServer, sid: str, book: gspread.Spreadsheet
) -> None:
    book.values_update(
        "Invoices!A2", params={"valueInputOption": "RAW"}, body={"values": [[None, "", "paid"]]}
    )
    assert server.values(sid, "Invoices")[1] == ["draft", None, "paid"]


def test_update_reports_what_it_wrote(book: gspread.Spreadsheet) -> None:
    reply = book.values_update(
        "'Line Items'!B2", params={"valueInputOption": "RAW"}, body={"values": [["a", "b"], ["c"]]}
    )
    assert reply == {
        "spreadsheetId": book.id,
        "updatedRange": "'Line Items'!B2:C3",
        "updatedRows": 2,
        "updatedColumns": 2,
        "updatedCells": 3,
    }


def test_batch_update_writes_every_range(
    server: FakeSheetsServer, sid: str, ws: gspread.Worksheet
) -> None:
    reply = ws.batch_update(
        [{"range": "A2", "values": [["sent"]]}, {"range": "C2:C3", "values": [[10], [20]]}]
    )
    assert (reply["totalUpdatedCells"], reply["totalUpdatedSheets"]) == (3, 1)
    assert [r["updatedRange"] for r in reply["responses"]] == ["Invoices!A2", "Invoices!C2:C3"]
    assert server.values(sid, "Invoices")[1:] == [["sent", "a@b.co", 10], [None, None, 20]]


def test_batch_update_is_all_or_nothing(
    server: FakeSheetsServer, sid: str, book: gspread.Spreadsheet
) -> None:
    before = server.values(sid, "Invoices")
    body = {
        "valueInputOption": "RAW",
        "data": [
            {"range": "Invoices!A2", "values": [["sent"]]},
            {"range": "Nope!A1", "values": [["x"]]},
        ],
    }
    error = api_error(lambda: book.values_batch_update(body))
    assert error["message"] == "Unable to parse range: Nope!A1"
    assert server.values(sid, "Invoices") == before


def test_append_goes_after_the_table_and_grows_the_grid(
    server: FakeSheetsServer, connect: Callable[..., gspread.Client]
) -> None:
    small = server.create_spreadsheet({"Invoices": [["h1", "h2"], ["a", "b"]]}, rows=2, cols=2)
    ws = connect().open_by_key(small).worksheet("Invoices")
    reply = ws.append_rows([["c", "d"], ["e", "f"]])
    assert reply["tableRange"] == "Invoices!A1:B2"
    assert reply["updates"]["updatedRange"] == "Invoices!A3:B4"
    assert server.values(small, "Invoices")[2:] == [["c", "d"], ["e", "f"]]
    assert server.grid_size(small, "Invoices") == (4, 2)


def test_append_fills_the_first_gap_like_sheets(
    server: FakeSheetsServer, sid: str, book: gspread.Spreadsheet
) -> None:
    server.set_values(sid, "Invoices", [["h"], ["a"], [], ["b"]])
    reply = book.values_append(
        "Invoices!A1", params={"valueInputOption": "RAW"}, body={"values": [["c"]]}
    )
    assert (reply["tableRange"], reply["updates"]["updatedRange"]) == (
        "Invoices!A1:A2",
        "Invoices!A3",
    )
    assert server.values(sid, "Invoices") == [["h"], ["a"], ["c"], ["b"]]


def test_clear_and_batch_clear(server: FakeSheetsServer, sid: str, ws: gspread.Worksheet) -> None:
    ws.batch_clear(["A2", "C2"])
    assert server.values(sid, "Invoices")[1] == [None, "a@b.co"]
    assert ws.clear()["clearedRange"] == "Invoices!A1:Z1000"
    assert server.values(sid, "Invoices") == []


# -- refusals ---------------------------------------------------------------------------------
def test_a_missing_tab_is_a_400(book: gspread.Spreadsheet) -> None:
    error = api_error(lambda: book.values_get("Nope!A1"))
    assert (error["code"], error["status"]) == (400, "INVALID_ARGUMENT")
    assert error["message"] == "Unable to parse range: Nope!A1"


def test_writes_beyond_the_grid_are_refused(
    server: FakeSheetsServer, sid: str, ws: gspread.Worksheet
) -> None:
    error = api_error(lambda: ws.update([["x"]], "AA1"))
    assert error["message"] == (
        "Range ('Invoices'!AA1) exceeds grid limits. Max rows: 1000, max columns: 26"
    )
    error = api_error(lambda: ws.update([["x", "y"]], "Z5"))
    assert "exceeds grid limits" in error["message"]
    assert server.values(sid, "Invoices") == SEED["Invoices"]


def test_values_that_do_not_fit_the_range_are_refused(ws: gspread.Worksheet) -> None:
    error = api_error(lambda: ws.update([[1, 2, 3]], "A1:B1"))
    assert error["message"] == (
        "Requested writing within range ['Invoices'!A1:B1], but tried writing to column [C]"
    )
    error = api_error(lambda: ws.update([[1], [2]], "A1:B1"))
    assert error["message"].endswith("but tried writing to row [2]")


def test_unknown_query_parameter_is_refused(book: gspread.Spreadsheet) -> None:
    http = book.client
    error = api_error(lambda: http.request("get", f"{API}/{book.id}/values/A1", params={"foo": 1}))
    assert error["message"] == (
        'Invalid JSON payload received. Unknown name "foo": Cannot bind query parameter. '
        "Field 'foo' could not be found in request message."
    )
    assert http.request("get", f"{API}/{book.id}/values/A1", params={"prettyPrint": "false"}).ok


def test_enum_values_are_checked(book: gspread.Spreadsheet) -> None:
    error = api_error(lambda: book.values_get("A1", params={"valueRenderOption": "PRETTY"}))
    assert error["message"] == (
        "Invalid value at 'value_render_option' "
        '(type.googleapis.com/google.apps.sheets.v4.ValueRenderOption), "PRETTY"'
    )


def test_value_input_option_is_required(
    server: FakeSheetsServer, sid: str, book: gspread.Spreadsheet
) -> None:
    error = api_error(lambda: book.values_update("A1", body={"values": [["x"]]}))
    assert error["message"] == "'valueInputOption' is required but not specified"
    assert server.values(sid, "Invoices") == SEED["Invoices"]


def test_unknown_body_fields_are_refused_at_any_depth(ws: gspread.Worksheet) -> None:
    body = {"valueInputOption": "RAW", "data": [{"range": "A1", "values": [["x"]], "foo": 1}]}
    error = api_error(lambda: ws.spreadsheet.values_batch_update(body))
    assert error["message"] == (
        "Invalid JSON payload received. Unknown name \"foo\" at 'data[0]': Cannot find field."
    )
    request = {
        "updateSheetProperties": {
            "properties": {"sheetId": 0, "gridProperties": {"rowCount": 5, "rows": 5}},
            "fields": "gridProperties.rowCount",
        }
    }
    error = api_error(lambda: ws.spreadsheet.batch_update({"requests": [request]}))
    assert (
        "at 'requests[0].update_sheet_properties.properties.grid_properties'" in (error["message"])
    )


def test_wrong_body_types_and_enums_are_refused(book: gspread.Spreadsheet) -> None:
    error = api_error(
        lambda: book.values_update("A1", params={"valueInputOption": "RAW"}, body={"values": ["x"]})
    )
    assert error["message"] == (
        "Invalid value at 'data.values[0]' (type.googleapis.com/google.protobuf.ListValue), \"x\""
    )
    body = {"valueInputOption": "RAW", "data": [{"range": "A1", "majorDimension": "DIAGONAL"}]}
    error = api_error(lambda: book.values_batch_update(body))
    assert "data[0].major_dimension" in error["message"]


def test_unknown_spreadsheet_is_404(connect: Callable[..., gspread.Client]) -> None:
    client = connect()
    error = api_error(lambda: client.http_client.spreadsheets_get("no-such-id"))
    assert (error["code"], error["status"], error["message"]) == (
        404,
        "NOT_FOUND",
        "Requested entity was not found.",
    )
    with pytest.raises(gspread.SpreadsheetNotFound):
        client.open_by_key("no-such-id")


def test_unimplemented_methods_and_requests_are_loud(book: gspread.Spreadsheet) -> None:
    error = api_error(lambda: book.client.request("post", API, json={}))
    assert (error["code"], error["status"]) == (501, "UNIMPLEMENTED")
    assert "sheets.spreadsheets.create" in error["message"]
    error = api_error(lambda: book.sheet1.format("A1", {"textFormat": {"bold": True}}))
    assert error["code"] == 501 and "'repeatCell'" in error["message"]


def test_fields_mask_filters_and_is_checked(book: gspread.Spreadsheet) -> None:
    meta = book.fetch_sheet_metadata(params={"fields": "sheets(properties(title))"})
    assert meta == {
        "sheets": [{"properties": {"title": "Invoices"}}, {"properties": {"title": "Line Items"}}]
    }
    grid_data: list[dict[str, Any]] = [{"includeGridData": "true"}, {"fields": "sheets"}]
    for params in grid_data:
        assert api_error(partial(book.fetch_sheet_metadata, params=params))["code"] == 501
    error = api_error(lambda: book.fetch_sheet_metadata(params={"fields": "sheets.nope"}))
    assert error["details"][0]["fieldViolations"][0]["description"] == (
        "Error expanding 'fields' parameter. Cannot find matching fields for path 'sheets.nope'."
    )


# -- structure --------------------------------------------------------------------------------
def test_add_cols_and_resize(server: FakeSheetsServer, sid: str, ws: gspread.Worksheet) -> None:
    ws.add_cols(2)
    assert server.grid_size(sid, "Invoices") == (1000, 28)
    ws.update([["wide"]], "AB1")
    ws.resize(rows=1)
    assert server.grid_size(sid, "Invoices") == (1, 28)
    assert server.values(sid, "Invoices") == [
        ["Status", "Customer Email", "Amount"] + [None] * 24 + ["wide"]
    ]


def test_insert_and_delete_rows_shift_data(
    server: FakeSheetsServer, sid: str, ws: gspread.Worksheet
) -> None:
    ws.insert_rows([["new", "n@b.co"]], row=2)
    assert [row[0] for row in server.values(sid, "Invoices")] == ["Status", "new", "draft"]
    assert server.grid_size(sid, "Invoices") == (1001, 26)
    ws.delete_rows(2)
    assert server.values(sid, "Invoices") == SEED["Invoices"]
    assert server.grid_size(sid, "Invoices") == (1000, 26)


def test_add_sheet_refuses_duplicate_titles(book: gspread.Spreadsheet) -> None:
    book.add_worksheet("Payments", rows=10, cols=3)
    error = api_error(lambda: book.add_worksheet("payments", rows=10, cols=3))
    assert error["message"] == (
        'Invalid requests[0].addSheet: A sheet with the name "payments" '
        "already exists. Please enter another name."
    )
    assert [w.title for w in book.worksheets()] == ["Invoices", "Line Items", "Payments"]


def _cells(sheet_id: int, rows: list[list[Any]], **area: Any) -> dict[str, Any]:
    """An updateCells request of userEnteredValue cells (str, number or bool per value)."""
    kinds = {str: "stringValue", bool: "boolValue", int: "numberValue", float: "numberValue"}
    data = [{"values": [{"userEnteredValue": {kinds[type(v)]: v}} for v in row]} for row in rows]
    where = area or {"start": {"sheetId": sheet_id, "rowIndex": 0, "columnIndex": 0}}
    return {"updateCells": {"rows": data, "fields": "userEnteredValue", **where}}


def test_update_cells_writes_from_a_start_coordinate(
    server: FakeSheetsServer, sid: str, book: gspread.Spreadsheet
) -> None:
    start = {"sheetId": 0, "rowIndex": 1, "columnIndex": 3}
    book.batch_update({"requests": [_cells(0, [["x", 2.5, True], ["=1+2"]], start=start)]})
    grid = server.values(sid, "Invoices")
    assert grid[1][3:] == ["x", 2.5, True]
    assert grid[2] == [None, None, None, "=1+2"]  # a stringValue is text, never a formula
    assert grid[1][:3] == SEED["Invoices"][1]


def test_update_cells_over_a_range_clears_what_rows_leave_out(
    server: FakeSheetsServer, sid: str, book: gspread.Spreadsheet
) -> None:
    span = {"sheetId": 0, "startRowIndex": 1, "endRowIndex": 2, "endColumnIndex": 3}
    book.batch_update({"requests": [_cells(0, [["paid"]], range=span)]})
    assert server.values(sid, "Invoices")[1] == ["paid"]


@pytest.mark.parametrize(
    ("area", "rows", "message"),
    [
        ({"start": {"sheetId": 7}}, [["x"]], "No grid with id: 7"),
        (
            {"start": {"sheetId": 0, "rowIndex": 3}},
            [["x"]],
            "GridCoordinate.rowIndex[3] is after last row in grid[2]",
        ),
        (
            {"range": {"sheetId": 0, "startRowIndex": 3, "endColumnIndex": 2}},
            [["x"]],
            "Range (T!A4:B) exceeds grid limits. Max rows: 3, max columns: 2",
        ),
        (
            {"range": {"sheetId": 0, "startColumnIndex": 2, "endRowIndex": 2}},
            [["x"]],
            "Range (T!C1:2) exceeds grid limits. Max rows: 3, max columns: 2",
        ),
        (
            {},
            [["a", "b", "c"]],
            "Attempting to write column: 2, beyond the last requested column of: 1",
        ),
        (
            {"range": {"sheetId": 0, "endRowIndex": 1}},
            [["a"], ["b"]],
            "Attempting to write row: 1, beyond the last requested row of: 0",
        ),
    ],
)
def test_update_cells_refusals_change_nothing(
    server: FakeSheetsServer,
    connect: Callable[..., gspread.Client],
    area: dict[str, Any],
    rows: list[list[Any]],
    message: str,
) -> None:
    small = server.create_spreadsheet({"T": [["keep"]]}, rows=3, cols=2)
    book = connect().open_by_key(small)
    added = {"addSheet": {"properties": {"title": "New"}}}
    error = api_error(lambda: book.batch_update({"requests": [added, _cells(0, rows, **area)]}))
    assert (error["code"], error["message"]) == (400, f"Invalid requests[1].updateCells: {message}")
    assert server.values(small, "T") == [["keep"]]
    assert server.spreadsheet(small).titles() == ["T"]


def test_update_cells_needs_a_fields_mask_and_one_area(book: gspread.Spreadsheet) -> None:
    request = _cells(0, [["x"]])
    del request["updateCells"]["fields"]
    error = api_error(lambda: book.batch_update({"requests": [request]}))
    assert error["message"] == (
        "Invalid requests[0].updateCells: At least one field must be listed in 'fields'. "
        "(Use '*' to indicate all fields.)"
    )
    both = _cells(0, [["x"]], start={"sheetId": 0}, range={"sheetId": 0})
    error = api_error(lambda: book.batch_update({"requests": [both]}))
    assert "oneof field 'area' is already set" in error["message"]
    formats = _cells(0, [["x"]])
    formats["updateCells"]["fields"] = "userEnteredValue,userEnteredFormat"
    assert api_error(lambda: book.batch_update({"requests": [formats]}))["code"] == 501
    typed = {"updateCells": {**_cells(0, [])["updateCells"], "rows": [{"values": [{"v": 1}]}]}}
    assert api_error(lambda: book.batch_update({"requests": [typed]}))["code"] == 400


def test_add_sheet_with_its_own_id_then_update_cells_in_one_batch(
    server: FakeSheetsServer, sid: str, book: gspread.Spreadsheet
) -> None:
    props = {"sheetId": 4242, "title": "Lease", "hidden": True}
    props["gridProperties"] = {"rowCount": 1, "columnCount": 3}
    book.batch_update({"requests": [{"addSheet": {"properties": props}}, _cells(4242, [["me"]])]})
    assert server.values(sid, "Lease") == [["me"]]
    shown = book.fetch_sheet_metadata()["sheets"][-1]["properties"]
    assert (shown["sheetId"], shown["hidden"], shown["gridProperties"]) == (
        4242,
        True,
        {"rowCount": 1, "columnCount": 3},
    )
    error = api_error(
        lambda: book.batch_update({"requests": [{"addSheet": {"properties": props}}]})
    )
    assert error["message"] == (
        'Invalid requests[0].addSheet: A sheet with the name "Lease" already exists. '
        "Please enter another name."
    )


def test_delete_sheet_of_a_missing_id_fails_the_whole_batch(
    server: FakeSheetsServer, sid: str, book: gspread.Spreadsheet
) -> None:
    requests = [{"deleteSheet": {"sheetId": 999}}, {"addSheet": {"properties": {"title": "X"}}}]
    error = api_error(lambda: book.batch_update({"requests": requests}))
    assert error["message"] == "Invalid requests[0].deleteSheet: No grid with id: 999"
    assert server.spreadsheet(sid).titles() == ["Invoices", "Line Items"]


def test_hidden_is_set_shown_and_one_tab_stays_visible(
    server: FakeSheetsServer, sid: str, book: gspread.Spreadsheet
) -> None:
    lines = server.sheet(sid, "Line Items").sheet_id

    def hide(sheet_id: int, hidden: bool = True) -> dict[str, Any]:
        props = {"sheetId": sheet_id, "hidden": hidden}
        return {"updateSheetProperties": {"properties": props, "fields": "hidden"}}

    book.batch_update({"requests": [hide(lines)]})
    assert book.fetch_sheet_metadata()["sheets"][1]["properties"]["hidden"] is True
    error = api_error(lambda: book.batch_update({"requests": [hide(0)]}))
    assert error["message"] == (
        "Invalid requests[0].updateSheetProperties: You can't hide all the sheets in a document."
    )
    error = api_error(lambda: book.batch_update({"requests": [{"deleteSheet": {"sheetId": 0}}]}))
    assert "You can't remove all the visible sheets" in error["message"]
    book.batch_update({"requests": [hide(lines, hidden=False)]})
    assert "hidden" not in book.fetch_sheet_metadata()["sheets"][1]["properties"]


# -- accounting and faults --------------------------------------------------------------------
def test_request_counting_is_exact(server: FakeSheetsServer, connect: Any, sid: str) -> None:
    ws = connect().open_by_key(sid).worksheet("Invoices")
    ws.get_all_values()
    ws.update([["sent"]], "A2")
    ws.batch_update([{"range": "C2", "values": [[1]]}])
    assert [r.method_id for r in server.requests] == [
        "sheets.spreadsheets.get",
        "sheets.spreadsheets.get",
        "sheets.spreadsheets.values.get",
        "sheets.spreadsheets.values.update",
        "sheets.spreadsheets.values.batchUpdate",
    ]
    assert (server.count(), server.count("read"), server.count("write")) == (5, 3, 2)
    assert server.requests[3].query["valueInputOption"] == ["RAW"]
    server.reset_requests()
    assert server.count() == 0


def test_fail_next_answers_429_once_and_does_not_apply(
    server: FakeSheetsServer, sid: str, ws: gspread.Worksheet
) -> None:
    server.fail_next("sheets.spreadsheets.values.update", 429, retry_after=7)
    with pytest.raises(APIError) as info:
        ws.update([["sent"]], "A2")
    assert info.value.response.headers["Retry-After"] == "7"
    assert info.value.error["status"] == "RESOURCE_EXHAUSTED"
    assert server.values(sid, "Invoices")[1][0] == "draft"
    ws.update([["sent"]], "A2")
    assert server.values(sid, "Invoices")[1][0] == "sent"
    assert [r.status for r in server.requests[-2:]] == [429, 200]


def test_fail_next_with_5xx_and_times(server: FakeSheetsServer, ws: gspread.Worksheet) -> None:
    server.fail_next("sheets.spreadsheets.values.get", 503, times=2)
    for _ in range(2):
        assert api_error(lambda: ws.get("A1"))["status"] == "UNAVAILABLE"
    assert ws.get("A1") == [["Status"]]
    with pytest.raises(ValueError, match="not a Sheets v4 discovery method id"):
        server.fail_next("sheets.values.get")


def test_fail_next_applied_changes_the_sheet_but_loses_the_answer(
    server: FakeSheetsServer, sid: str, ws: gspread.Worksheet
) -> None:
    server.fail_next("sheets.spreadsheets.values.update", 503, applied=True)
    assert api_error(lambda: ws.update([["sent"]], "A2"))["status"] == "UNAVAILABLE"
    assert server.values(sid, "Invoices")[1][0] == "sent"
    assert [r.status for r in server.requests[-1:]] == [503]


def test_before_runs_the_callback_just_before_the_next_call(
    server: FakeSheetsServer, sid: str, ws: gspread.Worksheet
) -> None:
    seen: list[int] = []

    def person_inserts_a_row(fake: FakeSheetsServer) -> None:
        seen.append(fake.count())
        fake.sheet(sid, "Invoices").rows.insert(1, ["void", "late@b.co"])

    server.before("sheets.spreadsheets.values.update", person_inserts_a_row)
    assert ws.get("A2") == [["draft"]]
    ws.update([["sent"]], "A2")
    ws.update([["sent"]], "A3")
    assert seen == [3]
    assert [row[0] for row in server.values(sid, "Invoices")] == ["Status", "sent", "sent"]


# -- the pieces -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("'It''s'!B2:A1", ("It's", 1, 1, 2, 2)),
        ("$A$1", ("Invoices", 1, 1, 1, 1)),
        ("Invoices!3:5", ("Invoices", 3, None, 5, None)),
        ("Invoices!C:A", ("Invoices", None, 1, None, 3)),
    ],
)
def test_a1_parsing(text: str, expected: tuple[Any, ...]) -> None:
    ref = parse_range(text, ["Invoices", "It's"])
    assert (ref.title, ref.top, ref.left, ref.bottom, ref.right) == expected


@pytest.mark.parametrize("text", ["Nope!A1", "A1:B2:C3", "Invoices!A0", "Invoices!", "R1C1"])
def test_a1_refusals(text: str) -> None:
    with pytest.raises(RangeError, match="Unable to parse range"):
        parse_range(text, ["Invoices"])


def test_every_handler_is_a_discovery_method() -> None:
    assert set(VALUES_HANDLERS) <= method_ids()
    assert set(BATCH_REQUESTS) <= set(document()["schemas"]["Request"]["properties"])


def test_service_account_key_has_every_field(tmp_path: Path) -> None:
    info = json.loads(make_service_account_key(tmp_path / "k.json", "http://x/token").read_text())
    assert set(info) == {
        "type",
        "project_id",
        "private_key_id",
        "private_key",
        "client_email",
        "client_id",
        "auth_uri",
        "token_uri",
        "auth_provider_x509_cert_url",
        "client_x509_cert_url",
        "universe_domain",
    }
    assert info["private_key"].startswith("-----BEGIN PRIVATE KEY-----")
    assert info["token_uri"] == "http://x/token"
