"""Google Sheets adapter: the Spreadsheet port over the real gspread client.

The only module that imports gspread or google-auth. Values are read with
``json.loads(parse_float=Decimal)`` so no float ever holds an amount, and
written RAW so that nothing becomes a formula.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email.utils import parsedate_to_datetime
from itertools import groupby
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import gspread
import requests
from google.auth.exceptions import GoogleAuthError
from google.oauth2 import service_account
from gspread import urls
from gspread.exceptions import APIError

from sheetsync.errors import ConfigError, SheetError
from sheetsync.lease import Lease
from sheetsync.model import Cell
from sheetsync.retry import DEFAULT_POLICY, GaveUp, RetryPolicy, Transient, retrying
from sheetsync.sheets import CellWrite, Workbook
from sheetsync.sheets import google_lease as tab

log = logging.getLogger(__name__)

GOOGLE_API = "https://sheets.googleapis.com"
GOOGLE_DOMAINS = ("googleapis.com", "google.com")
"""Every host under these is Google's: the Sheets API, the token URI
(oauth2.googleapis.com), IAM credentials and their mutual-TLS twins
(*.mtls.googleapis.com)."""
GOOGLE_ORIGINS = (
    GOOGLE_API,
    "https://oauth2.googleapis.com",
    "https://iamcredentials.googleapis.com",
    "https://iamcredentials.mtls.googleapis.com",
)
"""The Google origins sheetsync's key is known to use, mounted by name as well as under
``https://``: google-auth replaces the ``https://`` adapter when it sets up mutual TLS."""
SCOPES = ("https://www.googleapis.com/auth/spreadsheets",)  # no Drive: least privilege


def is_google_host(host: str) -> bool:
    """Whether `host` belongs to Google (any subdomain of GOOGLE_DOMAINS)."""
    host = host.lower().rstrip(".")
    return any(host == d or host.endswith("." + d) for d in GOOGLE_DOMAINS)


class RebaseAdapter(requests.adapters.HTTPAdapter):
    """Sends every request meant for a Google host to another base URL (a test server).

    Mounted on ``https://`` and ``http://``, so no Google host is missed, whichever
    one google-auth picks (a regional-access-boundary lookup goes to
    iamcredentials.googleapis.com, or to iamcredentials.mtls.googleapis.com when
    mutual TLS is on); other hosts pass unchanged. Survives ``copy.deepcopy``:
    google-auth deep-copies its token session for that background lookup, and an
    adapter that lost its attributes there would let the request leave.
    """

    __attrs__ = [*requests.adapters.HTTPAdapter.__attrs__, "base_url"]

    def __init__(self, base_url: str) -> None:
        super().__init__()
        self.base_url = base_url.rstrip("/")

    def send(
        self, request: requests.PreparedRequest, *args: Any, **kwargs: Any
    ) -> requests.Response:
        """Rewrite a Google URL's origin, then send as usual (no proxies: it stays local)."""
        parts = urlsplit(request.url or "")
        if is_google_host(parts.hostname or ""):
            rest = urlunsplit(("", "", parts.path, parts.query, parts.fragment))
            request.url = self.base_url + rest
            kwargs["proxies"] = {}
        return super().send(request, *args, **kwargs)


def route_to(client: gspread.Client, base_url: str) -> RebaseAdapter:
    """Send everything a gspread client asks of Google to `base_url`.

    That is the client's session (Sheets API calls) and google-auth's own token
    session (token refreshes, and the regional access boundary lookup some
    google-auth releases make after each refresh).
    """
    adapter = RebaseAdapter(base_url)
    session = client.http_client.session
    sessions: list[requests.Session] = [session]
    auth_session = getattr(session, "_auth_request_session", None)
    if isinstance(auth_session, requests.Session):
        sessions.append(auth_session)
    for each in sessions:
        for prefix in ("https://", "http://", *GOOGLE_ORIGINS):
            each.mount(prefix, adapter)
    return adapter


class GoogleSheet:
    """One worksheet of a Google spreadsheet."""

    def __init__(
        self,
        spreadsheet_id: str,
        worksheet: str,
        key_file: Path,
        api_base: str = GOOGLE_API,
        retry: RetryPolicy = DEFAULT_POLICY,
        line_items: str = "Line Items",
    ) -> None:
        try:
            credentials = service_account.Credentials.from_service_account_file(  # type: ignore[no-untyped-call]
                str(key_file), scopes=list(SCOPES)
            )
        except (OSError, ValueError, KeyError) as exc:
            raise ConfigError(
                f"cannot read the service-account key {key_file}: {type(exc).__name__}; "
                "download a JSON key for the service account (see README)"
            ) from None
        self.client_email: str = credentials.service_account_email
        client = gspread.Client(auth=credentials)
        if api_base.rstrip("/") != GOOGLE_API:
            route_to(client, api_base)
        self._http = client.http_client
        self._http.set_timeout((10, 120))
        self._retry = retry
        self._id = spreadsheet_id
        self._title = worksheet
        self._quoted = _quote(worksheet)
        self._lines_title = line_items
        self._lines_quoted = _quote(line_items) if line_items else ""
        self._requests = 0
        self._lease_tab: tuple[str, int | None] = ("", None)
        self._clock_gap = timedelta(0)

    @property
    def key(self) -> str:
        """The spreadsheet ID."""
        return self._id

    @property
    def requests(self) -> int:
        """API requests made so far."""
        return self._requests

    def read(self) -> Workbook:
        """The invoices and Line Items worksheets in one request (unformatted, serial dates)."""
        if self._lines_quoted:
            try:
                invoices, lines = self._get([self._quoted, self._lines_quoted])
                return Workbook(invoices, lines)
            except _NoSuchTab:
                log.info(
                    "no '%s' worksheet: rows are billed from their own cells", self._lines_title
                )
                self._lines_quoted = ""  # while this adapter lives: one request per read
        return Workbook(self._get([self._quoted])[0])

    def write(self, cells: Sequence[CellWrite]) -> None:
        """Every cell in one values:batchUpdate request, RAW."""
        if not cells:
            return
        body = {"valueInputOption": "RAW", "data": list(self._ranges(cells))}
        self._call("post", urls.SPREADSHEET_VALUES_BATCH_UPDATE_URL % self._id, body=body)

    def take_lease(self, holder: str, now: datetime, ttl: timedelta) -> Lease:
        """Take, renew or take over the lease tab (see `google_lease`), atomically.

        A free lease costs one request; a live one held by another run two (the add that
        failed, the read); taking one over or renewing one three (the replacement last). A
        race lost to another run is a result, never an error: the lease returned then names
        the winner.

        :raises SheetError: when the spreadsheet cannot be read or changed.
        """
        now += self._clock_gap  # Google's clock, which every machine taking the lease reads
        mine = tab.new_lease(holder, now + ttl)
        for _ in range(3):  # another round only when the tab vanished between two requests
            if self._lease_batch(added := tab.add_tab(tab.new_sheet_id(), mine)):
                return self._holding(holder, added, mine)
            recorded = self._read_lease()
            if recorded is None:
                continue
            change = tab.claim(recorded, mine, now)
            if change is None:
                return recorded.lease
            if self._lease_batch(change):
                return self._holding(holder, change, mine)
            after = self._read_lease()  # lost to another run: who holds it now
            if after is not None:
                return after.lease
        return Lease("")

    def _holding(self, holder: str, requests: list[tab.Request], lease: Lease) -> Lease:
        """Remember the tab this adapter added for `holder`, so giving it back is one request."""
        self._lease_tab = (holder, tab.added_sheet_id(requests))
        return lease

    def release_lease(self, holder: str) -> None:
        """Delete the lease tab if `holder` has it: one delete of the tab this adapter added
        (sheetIds are random per take, so a tab with that id is still this holder's), or a
        read then a delete.

        :raises SheetError: when the spreadsheet cannot be read or changed.
        """
        known, self._lease_tab = self._lease_tab, ("", None)
        if known[0] == holder and known[1] is not None:
            if not self._lease_batch([tab.delete_tab(known[1])]):
                log.info("the lease tab of %s was taken over or removed", holder)
            return
        recorded = self._read_lease()
        if recorded and recorded.lease.held_by(holder):
            if not self._lease_batch([tab.delete_tab(recorded.sheet_id)]):
                log.info("the lease tab of %s was gone already", holder)

    def _lease_batch(self, requests: list[tab.Request]) -> bool:
        """Apply lease requests in one batchUpdate; False when another run got there first."""
        url = urls.SPREADSHEET_BATCH_UPDATE_URL % self._id
        try:
            self._call("post", url, body={"requests": requests}, answer_400=True)
        except _Refused as exc:
            if tab.lost_race(str(exc)):
                log.debug("lease request lost to another run: %s", exc)
                return False
            raise SheetError(f"Google Sheets answered 400: {exc}") from None
        return True

    def _read_lease(self) -> tab.RecordedLease | None:
        """The lease row, None when there is no lease tab (one read; two if the row is damaged)."""
        try:
            rows = self._get([tab.LEASE_RANGE], answer_400=True)[0]
        except _Refused as exc:
            if "parse range" in str(exc):
                return None
            raise SheetError(f"Google Sheets answered 400: {exc}") from None
        lease, sheet_id = tab.read_row(rows[0] if rows else [])
        if sheet_id is None:  # a person damaged the row: find the tab by its title
            props = self._sheet_properties(tab.LEASE_TAB)
            if props is None:
                return None
            sheet_id = int(props.get("sheetId", 0))
        return tab.RecordedLease(lease, sheet_id)

    def add_columns(self, headers: Sequence[str], first: int) -> None:
        """Grow the grid when it is too narrow, then write the header cells."""
        props = self._sheet_properties(self._title)
        if props is None:
            raise SheetError(self._missing_tab())
        width = int(props.get("gridProperties", {}).get("columnCount", 0))
        lacking = first + len(headers) - width
        if lacking > 0:
            grow = {
                "appendDimension": {
                    "sheetId": props["sheetId"],
                    "dimension": "COLUMNS",
                    "length": lacking,
                }
            }
            self._call(
                "post", urls.SPREADSHEET_BATCH_UPDATE_URL % self._id, body={"requests": [grow]}
            )
        self.write([CellWrite(1, first + i, h) for i, h in enumerate(headers)])

    def _sheet_properties(self, title: str) -> dict[str, Any] | None:
        """The properties of the tab with this title (one metadata read), None when absent."""
        meta = self._call(
            "get", urls.SPREADSHEET_URL % self._id, params={"fields": "sheets.properties"}
        )
        found = (s["properties"] for s in meta.get("sheets", []) if "properties" in s)
        return next((props for props in found if props.get("title") == title), None)

    def _ranges(self, cells: Sequence[CellWrite]) -> Iterator[dict[str, Any]]:
        ordered = sorted(cells, key=lambda c: (c.row, c.column))
        for row, in_row in groupby(ordered, key=lambda c: c.row):
            run: list[CellWrite] = []
            for cell in in_row:
                if run and cell.column != run[-1].column + 1:
                    yield self._range(row, run)
                    run = []
                run.append(cell)
            yield self._range(row, run)

    def _range(self, row: int, run: list[CellWrite]) -> dict[str, Any]:
        first, last = column_letter(run[0].column), column_letter(run[-1].column)
        return {
            "range": f"{self._quoted}!{first}{row}:{last}{row}",
            "majorDimension": "ROWS",
            "values": [["" if c.value is None else c.value for c in run]],
        }

    def _get(self, ranges: list[str], answer_400: bool = False) -> list[list[list[Cell]]]:
        params = {
            "ranges": ranges,
            "valueRenderOption": "UNFORMATTED_VALUE",
            "dateTimeRenderOption": "SERIAL_NUMBER",
            "majorDimension": "ROWS",
        }
        url = urls.SPREADSHEET_VALUES_BATCH_URL % self._id
        data = self._call("get", url, params=params, answer_400=answer_400)
        found = data.get("valueRanges", [])
        return [[list(r) for r in v.get("values", [])] for v in found] + [[]] * (
            len(ranges) - len(found)
        )

    def _call(
        self,
        method: str,
        url: str,
        *,
        params: Any = None,
        body: dict[str, Any] | None = None,
        answer_400: bool = False,
    ) -> dict[str, Any]:
        """One request, retried while a retry can help. With `answer_400`, a 400 is raised as
        `_Refused` (never retried) for the caller to judge; otherwise every refusal is a
        SheetError."""
        data = None if body is None else encode_json(body).encode()
        headers = None if body is None else {"Content-Type": "application/json"}

        def attempt() -> requests.Response:
            self._requests += 1
            try:
                return self._http.request(method, url, params=params, data=data, headers=headers)
            except APIError as exc:
                status = exc.response.status_code
                if status == 429 or status >= 500:
                    raise Transient(f"HTTP {status}", _retry_after(exc.response)) from None
                if status == 400 and answer_400:
                    raise _Refused(_message(exc)) from None
                raise SheetError(self._explain(exc)) from None
            except GoogleAuthError as exc:
                raise SheetError(f"Google refused the service-account key: {exc}") from None
            except requests.RequestException as exc:
                raise Transient(type(exc).__name__) from None

        try:
            response = retrying(attempt, self._retry, "Google Sheets request")
        except GaveUp as exc:
            raise SheetError(str(exc)) from None
        self._clock_gap = clock_gap(response.headers.get("Date"), self._clock_gap)
        parsed: dict[str, Any] = json.loads(response.text or "{}", parse_float=Decimal)
        return parsed

    def _explain(self, exc: APIError) -> str:
        code = exc.response.status_code
        message = _message(exc)
        if code == 404:
            return (
                f"spreadsheet {self._id} not found: check SHEETSYNC_SPREADSHEET and share "
                f"the sheet with {self.client_email}"
            )
        if code == 403:
            return (
                f"the service account {self.client_email} may not open spreadsheet "
                f"{self._id}: share the sheet with that address as Editor"
            )
        if code == 400 and "parse range" in message:
            if self._lines_quoted and self._lines_title in message:
                raise _NoSuchTab(message)
            return self._missing_tab()
        return f"Google Sheets answered {code}: {message}"

    def _missing_tab(self) -> str:
        return (
            f"the spreadsheet has no worksheet named '{self._title}': rename the tab "
            "or set SHEETSYNC_WORKSHEET"
        )


class _NoSuchTab(Exception):
    """The optional Line Items worksheet does not exist."""


class _Refused(Exception):
    """A 400 the caller asked to judge itself (a lease request that may have lost a race)."""


def _message(exc: APIError) -> str:
    return str(exc.error.get("message", "")) if isinstance(exc.error, dict) else ""


def _quote(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def encode_json(value: Any) -> str:
    """JSON in which Decimals stay exact numbers (the stdlib would refuse them)."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dict):
        return (
            "{" + ",".join(f"{json.dumps(str(k))}:{encode_json(v)}" for k, v in value.items()) + "}"
        )
    if isinstance(value, list | tuple):
        return "[" + ",".join(encode_json(v) for v in value) + "]"
    return json.dumps(value)


CLOCK_TOLERANCE = timedelta(seconds=5)


def clock_gap(date_header: str | None, previous: timedelta) -> timedelta:
    """How far Google's clock (a response's Date header) is ahead of this machine's.

    A lease's expiry is judged by whichever machine reads it, so every machine uses
    Google's time for it: a machine whose clock is minutes off then neither takes a
    live lease over nor lets its own run out early. Gaps within CLOCK_TOLERANCE (the
    header's one-second steps, the request's own time) count as none.
    """
    if not date_header:
        return previous
    try:
        google = parsedate_to_datetime(date_header)
    except (TypeError, ValueError):
        return previous
    if google.tzinfo is None:
        return previous
    gap = google - datetime.now(UTC)
    return gap if abs(gap) > CLOCK_TOLERANCE else timedelta(0)


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    return float(value) if value.strip().isdigit() else None
