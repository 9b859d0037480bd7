"""A loopback fake of the Google Sheets API v4 and Google's OAuth2 token endpoint.

The real gspread client talks to it over HTTP: a generated service-account key whose
``token_uri`` is :attr:`FakeSheetsServer.token_uri` gets tokens here, and a
:class:`RebaseAdapter` sends ``https://sheets.googleapis.com`` requests here. Every request is
checked against the installed discovery document; what Google would refuse, the fake refuses.
"""

from __future__ import annotations

import copy
import json
import random
import string
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from tests.fakes import discovery, oauth
from tests.fakes.cells import Formula, SheetDate
from tests.fakes.errors import ApiError, Fault, fault_error
from tests.fakes.grid import Sheet, Spreadsheet
from tests.fakes.spreadsheet_api import HANDLERS as SPREADSHEET_HANDLERS
from tests.fakes.transport import RebaseAdapter, route_to_fake
from tests.fakes.values_api import HANDLERS as VALUES_HANDLERS
from tests.fakes.values_api import Call

__all__ = [
    "FakeSheetsServer",
    "Formula",
    "RebaseAdapter",
    "RecordedRequest",
    "SheetDate",
    "route_to_fake",
]
HANDLERS = {**VALUES_HANDLERS, **SPREADSHEET_HANDLERS}
_ALLOWED_LOCATIONS = "/v1/projects/-/serviceAccounts/"
Reply = tuple[int, dict[str, str], Any]
_CELL_TYPES = (str, int, float, bool, Formula, SheetDate, type(None))


@dataclass
class RecordedRequest:
    """One API request as the fake saw it (token requests are not recorded)."""

    method_id: str
    http_method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    status: int


class FakeSheetsServer:
    """The fake server. Not started on construction: call :meth:`start` or use ``with``."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._spreadsheets: dict[str, Spreadsheet] = {}
        self._grants: dict[str, oauth.Grant] = {}
        self.clock_offset = 0.0  # Google's clock against this machine's, for machines set apart
        self._requests: list[RecordedRequest] = []
        self._faults: dict[str, deque[Fault]] = {}
        self._callbacks: dict[str, deque[Callable[[FakeSheetsServer], None]]] = {}
        self._ids = random.Random(4242)
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.token_requests = 0
        self.granted_scopes: list[str] = []
        self.allowed_locations_lookups = 0
        self.errors: list[Exception] = []

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> str:
        """Serve on a free loopback port from a daemon thread; returns :attr:`base_url`."""
        if self._httpd is None:
            self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
            self._httpd.daemon_threads = True
            self._thread = threading.Thread(
                target=self._httpd.serve_forever, args=(0.02,), name="fake-sheets", daemon=True
            )
            self._thread.start()
        return self.base_url

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            if self._thread is not None:
                self._thread.join(timeout=5)
            self._httpd = self._thread = None

    def __enter__(self) -> FakeSheetsServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>`` of the running server."""
        if self._httpd is None:
            raise RuntimeError("FakeSheetsServer is not started")
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def token_uri(self) -> str:
        """The OAuth2 token endpoint to put in a service-account key."""
        return self.base_url + "/token"

    # -- seeding and inspection ------------------------------------------------------------
    def create_spreadsheet(
        self,
        sheets: dict[str, Sequence[Sequence[Any]]] | None = None,
        title: str = "Book",
        rows: int = 1000,
        cols: int = 26,
    ) -> str:
        """Create a spreadsheet with ``sheets`` (title -> rows, in tab order); returns its id."""
        alphabet = string.ascii_letters + string.digits + "-_"
        with self._lock:
            sid = "1" + "".join(self._ids.choice(alphabet) for _ in range(43))
            self._spreadsheets[sid] = Spreadsheet(sid, title)
            for position, (name, data) in enumerate((sheets or {"Sheet1": []}).items()):
                self.add_sheet(sid, name, data, rows, cols, sheet_id=0 if position == 0 else None)
        return sid

    def add_sheet(
        self,
        sid: str,
        title: str,
        rows: Sequence[Sequence[Any]] | None = None,
        row_count: int = 1000,
        col_count: int = 26,
        sheet_id: int | None = None,
    ) -> Sheet:
        """Add a tab at the end of spreadsheet ``sid``; the grid grows to fit ``rows``."""
        with self._lock:
            ss = self.spreadsheet(sid)
            if ss.by_title(title) is not None:
                raise ValueError(f"sheet {title!r} already exists")
            if sheet_id is None:
                sheet_id = self._ids.randrange(1, 2**31 - 1)
            sheet = Sheet(sheet_id, title, len(ss.sheets), row_count, col_count)
            sheet.rows = _checked(rows or [])
            sheet.fit_grid()
            ss.sheets.append(sheet)
            return sheet

    def remove_sheet(self, sid: str, title: str) -> None:
        """Delete a tab as a person would in the Sheets UI (``KeyError`` when there is none)."""
        with self._lock:
            ss = self.spreadsheet(sid)
            ss.sheets.remove(self.sheet(sid, title))
            ss.reindex()

    def spreadsheet(self, sid: str) -> Spreadsheet:
        """The mutable spreadsheet object (``KeyError`` when unknown)."""
        with self._lock:
            return self._spreadsheets[sid]

    def sheet(self, sid: str, title: str) -> Sheet:
        """The mutable sheet object; tests may edit ``.rows`` to play a person editing."""
        with self._lock:
            sheet = self.spreadsheet(sid).by_title(title)
            if sheet is None:
                raise KeyError(title)
            return sheet

    def values(self, sid: str, title: str) -> list[list[Any]]:
        """The stored grid with trailing empty cells and rows trimmed."""
        with self._lock:
            return self.sheet(sid, title).trimmed()

    def set_values(self, sid: str, title: str, rows: Sequence[Sequence[Any]]) -> None:
        """Replace the sheet's contents; the grid keeps its size, growing if needed."""
        with self._lock:
            sheet = self.sheet(sid, title)
            sheet.rows = _checked(rows)
            sheet.fit_grid()

    def grid_size(self, sid: str, title: str) -> tuple[int, int]:
        """``(rowCount, columnCount)`` of the sheet."""
        with self._lock:
            sheet = self.sheet(sid, title)
            sheet.fit_grid()
            return sheet.row_count, sheet.col_count

    # -- accounting and fault injection ----------------------------------------------------
    @property
    def requests(self) -> list[RecordedRequest]:
        """Every API request so far, in arrival order (a copy)."""
        with self._lock:
            return list(self._requests)

    def count(self, kind: str | None = None) -> int:
        """Requests of ``kind`` "read" (GET methods), "write" (the rest) or None (all)."""
        if kind not in (None, "read", "write"):
            raise ValueError(f"kind must be 'read', 'write' or None, not {kind!r}")
        with self._lock:
            return sum(
                1
                for r in self._requests
                if kind is None or (r.http_method == "GET") == (kind == "read")
            )

    def reset_requests(self) -> None:
        """Forget recorded requests."""
        with self._lock:
            self._requests.clear()

    def fail_next(
        self,
        method_id: str,
        status: int = 429,
        times: int = 1,
        retry_after: int | None = None,
        *,
        applied: bool = False,
    ) -> None:
        """Answer the next ``times`` calls of ``method_id`` with a Google-shaped error.

        With ``applied`` the call takes effect first and only its answer is the error, as when
        a reply is lost after Google applied the request (a client that retries sees it twice);
        a call that fails on its own answers its own error, and uses the fault up.
        """
        _check_method_id(method_id)
        with self._lock:
            queue = self._faults.setdefault(method_id, deque())
            queue.extend(Fault(status, retry_after, applied) for _ in range(times))

    def before(
        self, method_id: str, callback: Callable[[FakeSheetsServer], None], times: int = 1
    ) -> None:
        """Run ``callback(server)`` just before handling the next ``times`` calls of a method."""
        _check_method_id(method_id)
        with self._lock:
            self._callbacks.setdefault(method_id, deque()).extend([callback] * times)

    def clock(self) -> float:
        """Google's time: this machine's, moved by ``clock_offset``."""
        return time.time() + self.clock_offset

    def expire_tokens(self) -> None:
        """Make every issued token expire now (clients should refresh and retry)."""
        with self._lock:
            for grant in self._grants.values():
                grant.expires_at = 0

    # -- request handling ------------------------------------------------------------------
    def dispatch(self, verb: str, target: str, headers: Any, raw: bytes) -> Reply:
        """Answer one HTTP request: ``(status, extra headers, JSON body)``."""
        parts = urlsplit(target)
        query = parse_qs(parts.query, keep_blank_values=True)
        if parts.path == "/token" and verb == "POST":
            return self._token(raw)
        try:
            body = json.loads(raw) if raw.strip() else None
        except ValueError:
            body = ApiError(400, "Invalid JSON payload received. Unexpected token.")
        if parts.path.startswith(_ALLOWED_LOCATIONS) and verb == "GET":
            return self._allowed_locations(headers, query)
        found = discovery.route(verb, parts.path.lstrip("/"))
        record = RecordedRequest(
            found[0].id if found else "(unknown)",
            verb,
            unquote(parts.path),
            query,
            None if isinstance(body, ApiError) else body,
            0,
        )
        try:
            if found:  # outside the lock: a test's callback may wait for another client
                with self._lock:
                    callbacks = _take(self._callbacks, found[0].id)
                for callback in callbacks:
                    callback(self)
            with self._lock:
                status, extra, payload = 200, {}, self._api(found, headers, query, body)
        except ApiError as err:
            status, extra, payload = err.code, err.headers, err.body()
        except Exception as err:  # a bug in the fake or a test callback: loud 500, kept for tests
            self.errors.append(err)
            status, extra = 500, {}
            payload = ApiError(500, f"FakeSheetsServer crashed: {err!r}").body()
        record.status = status
        with self._lock:
            self._requests.append(record)
        return status, extra, payload

    def _token(self, raw: bytes) -> Reply:
        form = parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True)
        with self._lock:
            self.token_requests += 1
            try:
                grant = oauth.grant_token(form, self.clock())
            except oauth.TokenError as err:
                return 400, {}, err.body
            self._grants[grant.token] = grant
            self.granted_scopes.extend(grant.scopes)
        return 200, {}, oauth.token_response(grant)

    def _allowed_locations(self, headers: Any, query: dict[str, list[str]]) -> Reply:
        """google-auth's regional-access-boundary lookup (iamcredentials), answered locally."""
        with self._lock:
            self.allowed_locations_lookups += 1
            try:
                oauth.authenticate(oauth.bearer(headers, query), self._grants, self.clock())
            except ApiError as err:
                return err.code, err.headers, err.body()
        return 200, {}, {"encodedLocations": "0x0"}

    def _api(self, found: Any, headers: Any, query: dict[str, list[str]], body: Any) -> Any:
        grant = oauth.authenticate(oauth.bearer(headers, query), self._grants, self.clock())
        if found is None:
            raise ApiError(404, "The requested URL was not found on this server.")
        method, path_params = found
        oauth.authorize(grant, method.scopes)
        faults: list[Fault] = _take(self._faults, method.id)
        if faults and not faults[0].applied:
            raise fault_error(faults[0], method.is_read)
        if isinstance(body, ApiError):
            raise body
        discovery.validate_query(method, query)
        if (query.get("alt") or ["json"])[0] != "json":
            raise ApiError(501, "FakeSheetsServer only answers alt=json")
        body = discovery.validate_body(method, body)
        mask = discovery.parse_fields_mask(query["fields"][0]) if query.get("fields") else {}
        discovery.check_fields_mask(mask, method.response_ref)
        ss = self._spreadsheets.get(unquote(path_params.get("spreadsheetId", "")))
        handler = HANDLERS.get(method.id)
        if handler is None:
            raise ApiError(501, f"FakeSheetsServer does not implement {method.id}")
        if ss is None:
            raise ApiError(404, "Requested entity was not found.")
        decoded = {name: unquote(value) for name, value in path_params.items()}
        call = Call(method.id, decoded, query, body if body is not None else {})
        result = discovery.apply_fields_mask(self._run(handler, ss, call, method.is_read), mask)
        if faults:  # applied, and now its answer is lost
            raise fault_error(faults[0], method.is_read)
        return result

    @staticmethod
    def _run(
        handler: Callable[[Spreadsheet, Call], Any], ss: Spreadsheet, call: Call, is_read: bool
    ) -> Any:
        for sheet in ss.sheets:
            sheet.fit_grid()
        if is_read:
            return handler(ss, call)
        saved = (ss.title, list(ss.sheets), [copy.deepcopy(vars(s)) for s in ss.sheets])
        try:
            return handler(ss, call)
        except Exception:  # writes are atomic: put every sheet back as it was
            ss.title, ss.sheets = saved[0], saved[1]
            for sheet, state in zip(saved[1], saved[2], strict=True):
                sheet.__dict__.update(state)
            raise


def _checked(rows: Sequence[Sequence[Any]]) -> list[list[Any]]:
    """Copy seeded rows, refusing cell types a sheet cannot hold (e.g. ``datetime.date``)."""
    for row in rows:
        for cell in row:
            if not isinstance(cell, _CELL_TYPES):
                raise TypeError(f"a cell cannot hold {cell!r}; use SheetDate.from_date for dates")
    return [list(row) for row in rows]


def _take(queues: dict[str, deque[Any]], method_id: str) -> list[Any]:
    queue = queues.get(method_id)
    return [queue.popleft()] if queue else []


def _check_method_id(method_id: str) -> None:
    if method_id not in discovery.method_ids():
        raise ValueError(f"{method_id!r} is not a Sheets v4 discovery method id")


def _handler_for(fake: FakeSheetsServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        """Hands every request to ``fake.dispatch`` and writes its JSON answer."""

        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            status, headers, payload = fake.dispatch(self.command, self.path, self.headers, raw)
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        def date_time_string(self, timestamp: float | None = None) -> str:
            """The Date header, by Google's clock (see ``clock_offset``)."""
            return super().date_time_string(fake.clock() if timestamp is None else timestamp)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            """Stay quiet; the fake records requests itself."""

    return Handler
