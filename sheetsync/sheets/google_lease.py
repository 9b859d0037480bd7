"""The billing lease as a Google Sheets tab: its layout, and the batchUpdate requests on it.

The lease is a hidden tab titled `LEASE_TAB` whose first row holds the holder, the expiry
(ISO 8601 UTC text) and the tab's own sheetId. `spreadsheets.batchUpdate` applies all of its
requests or none, so:

- adding the tab (with its row) succeeds for one run only: the title is then taken;
- replacing it (delete the recorded sheetId, add a new tab) succeeds for one run only: the
  recorded sheetId is then gone.

The recorded sheetId is the fencing token: whoever replaces or deletes the tab names the exact
tab it read. A renewal replaces the tab too, rather than rewriting its row in place: a holder
renewing a lease that just expired and another run taking it over both delete the same
sheetId, so only one of them succeeds (an in-place rewrite would succeed beside the takeover,
and both runs would hold the lease). This module builds those requests and reads the row back;
it makes no request itself (`sheetsync.sheets.google` does).
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sheetsync.lease import Lease, may_take_over
from sheetsync.model import Cell

log = logging.getLogger(__name__)

LEASE_TAB = "sheetsync lease"
"""The lease tab's title: fixed, so that adding it twice fails."""
LEASE_RANGE = "'" + LEASE_TAB.replace("'", "''") + "'!A1:C1"
LOST_RACE = ("already exists", "No grid with id", "No sheet with id")
"""Google's 400s of a run that lost the lease to another one: the title (or the random sheetId)
is taken, or the tab it meant to replace or rewrite is gone. Any other 400 is a real error."""

Request = dict[str, Any]


@dataclass(frozen=True)
class RecordedLease:
    """The lease as its tab records it, and the sheetId of that tab."""

    lease: Lease
    sheet_id: int


def lost_race(message: str) -> bool:
    """Whether a batchUpdate refusal means another run got there first."""
    return any(sign in message for sign in LOST_RACE)


def new_sheet_id() -> int:
    """A random sheetId for a new lease tab (a positive int32, as Google's own are)."""
    return 1 + secrets.randbelow(2**31 - 2)


def new_lease(holder: str, expires: datetime) -> Lease:
    """The lease to record: the expiry in UTC and in whole seconds, as its row will hold it."""
    return Lease(holder, expires.astimezone(UTC).replace(microsecond=0))


def add_tab(sheet_id: int, lease: Lease) -> list[Request]:
    """Add the hidden lease tab with its row: fails while a tab has the title."""
    properties = {
        "sheetId": sheet_id,
        "title": LEASE_TAB,
        "hidden": True,
        "gridProperties": {"rowCount": 1, "columnCount": 3},
    }
    return [{"addSheet": {"properties": properties}}, write_row(sheet_id, lease)]


def replace_tab(old_sheet_id: int, sheet_id: int, lease: Lease) -> list[Request]:
    """Delete the tab that was read and add a new one: fails if that tab is already gone."""
    return [delete_tab(old_sheet_id), *add_tab(sheet_id, lease)]


def added_sheet_id(requests: list[Request]) -> int | None:
    """The sheetId of the tab a batch of lease requests adds."""
    for request in requests:
        if "addSheet" in request:
            return int(request["addSheet"]["properties"]["sheetId"])
    return None


def delete_tab(sheet_id: int) -> Request:
    """Delete the lease tab with this sheetId: fails if it is gone."""
    return {"deleteSheet": {"sheetId": sheet_id}}


def write_row(sheet_id: int, lease: Lease) -> Request:
    """Write the lease row (A1:C1) of the tab with this sheetId: fails if it is gone."""
    expires = lease.expires.isoformat().replace("+00:00", "Z") if lease.expires else ""
    values = [{"stringValue": lease.holder}, {"stringValue": expires}, {"numberValue": sheet_id}]
    area = {
        "sheetId": sheet_id,
        "startRowIndex": 0,
        "endRowIndex": 1,
        "startColumnIndex": 0,
        "endColumnIndex": 3,
    }
    row = {"values": [{"userEnteredValue": value} for value in values]}
    return {"updateCells": {"range": area, "rows": [row], "fields": "userEnteredValue"}}


def read_row(cells: list[Cell]) -> tuple[Lease, int | None]:
    """The lease a row records and its tab's sheetId; cells a person damaged read as no
    holder, no expiry (so the lease may be taken over) or no sheetId."""
    holder, expires, sheet_id = (list(cells) + [None, None, None])[:3]
    lease = Lease(holder if isinstance(holder, str) else "", _moment(expires))
    return lease, _sheet_id(sheet_id)


def _moment(cell: Cell) -> datetime | None:
    if not isinstance(cell, str):
        return None
    try:
        moment = datetime.fromisoformat(cell.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _sheet_id(cell: Cell) -> int | None:
    if isinstance(cell, bool) or not isinstance(cell, int | Decimal | str):
        return None
    try:
        number = Decimal(cell)
    except ArithmeticError:
        return None
    if not number.is_finite() or number != number.to_integral_value() or number < 0:
        return None
    return int(number)


def claim(recorded: RecordedLease, mine: Lease, now: datetime) -> list[Request] | None:
    """The requests that make `mine` the lease in place of `recorded` (a renewal when it is
    ours already, a takeover when its holder is gone), or None when it is not ours to take."""
    old = recorded.lease
    if not old.held_by(mine.holder):
        if not may_take_over(old, now):
            return None
        log.info("taking the lease over from %r (recorded until %s)", old.holder, old.expires)
    return replace_tab(recorded.sheet_id, new_sheet_id(), mine)
