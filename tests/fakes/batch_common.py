"""Pieces every ``spreadsheets.batchUpdate`` request of the fake shares: finding a grid by its
sheetId and reading a request's ``fields`` mask, each refused in Google's words."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tests.fakes.errors import bad_request
from tests.fakes.grid import Sheet, Spreadsheet

Request = Mapping[str, Any]


def grid_by_id(ss: Spreadsheet, sheet_id: Any, prefix: str) -> Sheet:
    """The sheet with this id (an absent id means 0, as in proto3); 400 "No grid with id"."""
    sheet = ss.by_id(int(sheet_id) if sheet_id is not None else 0)
    if sheet is None:
        raise bad_request(f"{prefix}: No grid with id: {sheet_id or 0}")
    return sheet


def field_mask(request: Request, prefix: str) -> list[str]:
    """The names in a request's ``fields`` mask, dotted; 400 when it lists none."""
    fields = [f.strip().replace("/", ".") for f in str(request.get("fields") or "").split(",")]
    fields = [f for f in fields if f]
    if not fields:
        raise bad_request(
            f"{prefix}: At least one field must be listed in 'fields'. "
            "(Use '*' to indicate all fields.)"
        )
    return fields
