"""The billing lease on a Google Sheet: a hidden tab taken and replaced by atomic batchUpdates.

Every test drives the real adapter (gspread and google-auth) against the fake Sheets API over
loopback, and counts the requests the fake saw.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from sheetsync.errors import SheetError
from sheetsync.lease import Lease, new_holder
from sheetsync.retry import RetryPolicy
from sheetsync.sheets import CellWrite
from sheetsync.sheets.google import GoogleSheet
from sheetsync.sheets.google_lease import LEASE_TAB, read_row
from tests.fakes.keys import make_service_account_key
from tests.fakes.sheets_server import FakeSheetsServer

BATCH_UPDATE = "sheets.spreadsheets.batchUpdate"
BATCH_GET = "sheets.spreadsheets.values.batchGet"
METADATA = "sheets.spreadsheets.get"
NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
TTL = timedelta(minutes=2)
FAST = RetryPolicy(attempts=3, base_delay=0.0, max_delay=0.0, budget=1.0)
NO_PID = 2**22 + 12345  # above Linux's largest pid_max: no process has it
INVOICES = [["Customer Email", "Amount"], ["a@b.co", 12]]
LINE_ITEMS = [["Invoice #", "Description"], ["INV-1", "Widget"]]
ROUNDS = 20


@pytest.fixture
def server() -> Iterator[FakeSheetsServer]:
    with FakeSheetsServer() as fake:
        yield fake
    assert fake.errors == []


@pytest.fixture(scope="module")
def key_template(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One RSA key per module (generating it is the slow part); token_uri is set per test."""
    path = tmp_path_factory.mktemp("keys") / "template.json"
    info: dict[str, Any] = json.loads(make_service_account_key(path, "unset").read_text())
    return info


@pytest.fixture
def sid(server: FakeSheetsServer) -> str:
    return server.create_spreadsheet({"Invoices": INVOICES, "Line Items": LINE_ITEMS})


@pytest.fixture
def connect(
    server: FakeSheetsServer, sid: str, tmp_path: Path, key_template: dict[str, Any]
) -> Callable[[], GoogleSheet]:
    """A new adapter, with its own client and connections: another machine, as it were."""
    key = tmp_path / "service-account.json"
    key.write_text(json.dumps({**key_template, "token_uri": server.token_uri}))
    return lambda: GoogleSheet(sid, "Invoices", key, server.base_url, retry=FAST)


def calls(server: FakeSheetsServer) -> list[tuple[str, int]]:
    return [(r.method_id, r.status) for r in server.requests]


def recorded(server: FakeSheetsServer, sid: str) -> list[Any]:
    """The lease row as the tab holds it: holder, expiry text, the tab's sheetId."""
    rows = server.values(sid, LEASE_TAB)
    assert len(rows) == 1
    return rows[0]


def lease_tabs(server: FakeSheetsServer, sid: str) -> list[int]:
    return [s.sheet_id for s in server.spreadsheet(sid).sheets if s.title == LEASE_TAB]


def test_a_free_lease_is_taken_in_one_request(
    server: FakeSheetsServer, sid: str, connect: Callable[[], GoogleSheet]
) -> None:
    sheet, me = connect(), new_holder()
    lease = sheet.take_lease(me, NOW, TTL)
    assert lease == Lease(me, NOW + TTL) and lease.held_by(me)
    assert calls(server) == [(BATCH_UPDATE, 200)]
    assert sheet.requests == 1
    tab = server.sheet(sid, LEASE_TAB)
    assert recorded(server, sid) == [me, "2026-11-21T12:02:00Z", tab.sheet_id]
    assert (tab.hidden, tab.index, tab.row_count, tab.col_count) == (True, 2, 1, 3)
    assert server.spreadsheet(sid).titles() == ["Invoices", "Line Items", LEASE_TAB]


def test_a_live_lease_is_refused_in_two_requests_and_names_its_holder(
    server: FakeSheetsServer, sid: str, connect: Callable[[], GoogleSheet]
) -> None:
    them, me = new_holder(host="machine-a"), new_holder(host="machine-b")
    connect().take_lease(them, NOW, TTL)
    before = recorded(server, sid)
    server.reset_requests()
    lease = connect().take_lease(me, NOW + TTL / 2, TTL)
    assert lease == Lease(them, NOW + TTL) and not lease.held_by(me)
    assert calls(server) == [(BATCH_UPDATE, 400), (BATCH_GET, 200)]
    assert recorded(server, sid) == before


def test_an_expired_lease_is_taken_over_in_three_requests(
    server: FakeSheetsServer, sid: str, connect: Callable[[], GoogleSheet]
) -> None:
    them, me = new_holder(host="machine-a"), new_holder(host="machine-b")
    connect().take_lease(them, NOW, TTL)
    [old] = lease_tabs(server, sid)
    server.reset_requests()
    lease = connect().take_lease(me, NOW + TTL, TTL)
    assert lease == Lease(me, NOW + 2 * TTL)
    assert calls(server) == [(BATCH_UPDATE, 400), (BATCH_GET, 200), (BATCH_UPDATE, 200)]
    [new] = lease_tabs(server, sid)
    assert new != old and recorded(server, sid) == [me, "2026-11-21T12:04:00Z", new]
    assert server.sheet(sid, LEASE_TAB).hidden


@pytest.mark.parametrize(
    ("host", "pid", "taken"),
    [
        (None, NO_PID, True),  # a crashed run on this machine: no need to wait for expiry
        (None, os.getpid(), False),  # a live run on this machine
        ("machine-a", NO_PID, False),  # a pid on another machine says nothing here
    ],
)
def test_a_live_lease_of_a_dead_process_on_this_host_is_taken_over(
    server: FakeSheetsServer,
    connect: Callable[[], GoogleSheet],
    host: str | None,
    pid: int,
    taken: bool,
) -> None:
    them, me = new_holder(host=host, pid=pid), new_holder()
    connect().take_lease(them, NOW, TTL)
    server.reset_requests()
    lease = connect().take_lease(me, NOW + TTL / 2, TTL)
    assert lease.held_by(me) is taken
    assert lease.holder == (me if taken else them)
    assert len(server.requests) == (3 if taken else 2)


def test_the_holder_renews_its_lease(
    server: FakeSheetsServer, sid: str, connect: Callable[[], GoogleSheet]
) -> None:
    sheet, me, them = connect(), new_holder(host="machine-a"), new_holder(host="machine-b")
    sheet.take_lease(me, NOW, TTL)
    server.reset_requests()
    assert sheet.take_lease(me, NOW + TTL / 2, TTL) == Lease(me, NOW + TTL * 3 / 2)
    assert calls(server) == [(BATCH_UPDATE, 400), (BATCH_GET, 200), (BATCH_UPDATE, 200)]
    assert recorded(server, sid)[:2] == [me, "2026-11-21T12:03:00Z"]
    lease = connect().take_lease(them, NOW + TTL, TTL)  # expired, had it not been renewed
    assert lease.holder == me and not lease.held_by(them)


def test_release_by_the_holder_frees_it(
    server: FakeSheetsServer, sid: str, connect: Callable[[], GoogleSheet]
) -> None:
    sheet, me, them = connect(), new_holder(host="machine-a"), new_holder(host="machine-b")
    sheet.take_lease(me, NOW, TTL)
    server.reset_requests()
    sheet.release_lease(me)
    assert calls(server) == [(BATCH_UPDATE, 200)]  # the adapter knows the tab it added
    assert lease_tabs(server, sid) == []
    sheet.take_lease(me, NOW, TTL)
    server.reset_requests()
    connect().release_lease(me)  # another adapter of the same holder reads first
    assert calls(server) == [(BATCH_GET, 200), (BATCH_UPDATE, 200)]
    assert lease_tabs(server, sid) == []
    server.reset_requests()
    assert connect().take_lease(them, NOW, TTL).held_by(them)
    assert calls(server) == [(BATCH_UPDATE, 200)]


def test_release_by_another_run_does_nothing(
    server: FakeSheetsServer, sid: str, connect: Callable[[], GoogleSheet]
) -> None:
    me, them = new_holder(host="machine-a"), new_holder(host="machine-b")
    other = connect()
    other.release_lease(them)  # no lease at all: nothing to do, no error
    connect().take_lease(me, NOW, TTL)
    held = recorded(server, sid)
    server.reset_requests()
    other.release_lease(them)
    assert calls(server) == [(BATCH_GET, 200)]
    assert recorded(server, sid) == held


def test_a_release_after_a_takeover_leaves_the_new_holder(
    server: FakeSheetsServer, sid: str, connect: Callable[[], GoogleSheet]
) -> None:
    slow, me, them = connect(), new_holder(host="machine-a"), new_holder(host="machine-b")
    slow.take_lease(me, NOW, TTL)
    connect().take_lease(them, NOW + TTL, TTL)
    slow.release_lease(me)
    assert recorded(server, sid)[0] == them


def test_a_person_deleting_the_tab_frees_the_lease(
    server: FakeSheetsServer, sid: str, connect: Callable[[], GoogleSheet]
) -> None:
    first, me, them = connect(), new_holder(host="machine-a"), new_holder(host="machine-b")
    first.take_lease(me, NOW, TTL)
    server.remove_sheet(sid, LEASE_TAB)
    server.reset_requests()
    assert connect().take_lease(them, NOW, TTL).held_by(them)
    assert calls(server) == [(BATCH_UPDATE, 200)]
    lease = first.take_lease(me, NOW + TTL / 2, TTL)  # the first run's renewal: lost
    assert lease.holder == them and not lease.held_by(me)
    first.release_lease(me)
    assert recorded(server, sid)[0] == them


def test_a_damaged_lease_row_is_taken_over(
    server: FakeSheetsServer, sid: str, connect: Callable[[], GoogleSheet]
) -> None:
    connect().take_lease(new_holder(host="machine-a"), NOW, TTL)
    server.set_values(sid, LEASE_TAB, [["someone typed here"]])
    server.reset_requests()
    me = new_holder(host="machine-b")
    assert connect().take_lease(me, NOW, TTL).held_by(me)
    assert calls(server) == [
        (BATCH_UPDATE, 400),
        (BATCH_GET, 200),
        (METADATA, 200),  # the row lost the tab's sheetId: found by the tab's title
        (BATCH_UPDATE, 200),
    ]
    assert recorded(server, sid)[:1] == [me]


@pytest.mark.parametrize("gone_before", ["read", "takeover"])
def test_a_lease_tab_that_vanishes_midway_is_added_again(
    server: FakeSheetsServer, sid: str, connect: Callable[[], GoogleSheet], gone_before: str
) -> None:
    """Its holder released it (or a person deleted it) between two of this run's requests."""
    them, me = new_holder(host="machine-a"), new_holder(host="machine-b")
    expired = gone_before == "takeover"
    connect().take_lease(them, NOW - (TTL if expired else timedelta(0)), TTL)

    def release(fake: FakeSheetsServer) -> None:
        fake.remove_sheet(sid, LEASE_TAB)

    if gone_before == "read":
        server.before(BATCH_GET, release)
    else:
        server.before(BATCH_GET, lambda fake: fake.before(BATCH_UPDATE, release))
    server.reset_requests()
    assert connect().take_lease(me, NOW, TTL).held_by(me)
    assert [status for _, status in calls(server)] == (
        [400, 400, 200] if gone_before == "read" else [400, 200, 400, 400, 200]
    )
    assert recorded(server, sid)[0] == me


def test_the_cycle_read_and_write_ignore_the_lease_tab(
    server: FakeSheetsServer, sid: str, connect: Callable[[], GoogleSheet]
) -> None:
    sheet = connect()
    sheet.take_lease(new_holder(), NOW, TTL)
    held = recorded(server, sid)
    server.reset_requests()
    book = sheet.read()
    assert calls(server) == [(BATCH_GET, 200)]
    assert book.invoices == [["Customer Email", "Amount"], ["a@b.co", 12]]
    assert book.line_items == LINE_ITEMS
    sheet.write([CellWrite(2, 1, Decimal("13.50"))])
    assert server.values(sid, "Invoices")[1] == ["a@b.co", 13.5]
    assert recorded(server, sid) == held


@pytest.mark.parametrize("step", ["add", "takeover"])
def test_a_lease_request_applied_but_unanswered_is_found_to_be_ours(
    server: FakeSheetsServer, sid: str, connect: Callable[[], GoogleSheet], step: str
) -> None:
    me = new_holder(host="machine-b")
    if step == "takeover":
        connect().take_lease(new_holder(host="machine-a"), NOW - TTL, TTL)
        server.before(BATCH_GET, lambda fake: fake.fail_next(BATCH_UPDATE, 503, applied=True))
    else:
        server.fail_next(BATCH_UPDATE, 503, applied=True)
    server.reset_requests()
    lease = connect().take_lease(me, NOW, TTL)
    assert lease == Lease(me, NOW + TTL)
    assert recorded(server, sid)[:2] == [me, "2026-11-21T12:02:00Z"]
    assert len(lease_tabs(server, sid)) == 1
    assert [status for _, status in calls(server)] == (
        [503, 400, 200, 200] if step == "add" else [400, 200, 503, 400, 200]
    )


def test_server_errors_are_retried_and_other_refusals_are_errors(
    server: FakeSheetsServer, sid: str, connect: Callable[[], GoogleSheet]
) -> None:
    sheet, me = connect(), new_holder()
    server.fail_next(BATCH_UPDATE, 500)
    assert sheet.take_lease(me, NOW, TTL).held_by(me)
    assert calls(server) == [(BATCH_UPDATE, 500), (BATCH_UPDATE, 200)]
    server.remove_sheet(sid, LEASE_TAB)
    server.reset_requests()
    server.fail_next(BATCH_UPDATE, 400)
    with pytest.raises(SheetError, match="400: Bad Request"):
        sheet.take_lease(me, NOW, TTL)
    assert calls(server) == [(BATCH_UPDATE, 400)]  # a 400 is never retried
    server.fail_next(BATCH_GET, 429, times=FAST.attempts)
    with pytest.raises(SheetError, match="failed 3 times"):
        connect().release_lease(me)


@pytest.mark.parametrize(
    ("cells", "expires", "sheet_id"),
    [
        (["h", "2026-11-21T12:02:00Z", 7], NOW + TTL, 7),
        (["h", "2026-11-21T12:02:00", Decimal("7")], NOW + TTL, 7),  # no zone: UTC
        (["h", "2026-11-21T13:02:00+01:00", "7"], NOW + TTL, 7),
        (["h", "soon", Decimal("7.5")], None, None),
        (["h", 46000, True], None, None),
        (["h", "", -7], None, None),
        (["h"], None, None),
    ],
)
def test_the_lease_row_is_read_whatever_a_person_did_to_it(
    cells: list[Any], expires: datetime | None, sheet_id: int | None
) -> None:
    assert read_row(cells) == (Lease("h", expires), sheet_id)


def _race(machines: dict[str, GoogleSheet], now: datetime) -> dict[str, Lease]:
    with ThreadPoolExecutor(len(machines)) as pool:
        futures = {h: pool.submit(s.take_lease, h, now, TTL) for h, s in machines.items()}
        return {holder: future.result(timeout=30) for holder, future in futures.items()}


def _one_winner(results: dict[str, Lease]) -> str:
    winners = [holder for holder, lease in results.items() if lease.held_by(holder)]
    assert len(winners) == 1, results
    assert {lease.holder for lease in results.values()} == {winners[0]}
    return winners[0]


def test_two_machines_taking_an_expired_lease_at_once_one_wins(
    server: FakeSheetsServer, sid: str, connect: Callable[[], GoogleSheet]
) -> None:
    machines = {new_holder(host=f"machine-{n}"): connect() for n in "ab"}
    connect().take_lease(new_holder(host="gone"), NOW - timedelta(hours=1), TTL)
    meet = threading.Barrier(len(machines), timeout=10)
    for round_ in range(ROUNDS):
        # Both adds meet, then both replacements: each is sent only after its run read the
        # expired lease, so both read it before either writes. From the second round on, one
        # of the two holds the expired lease and renews it while the other takes it over.
        server.before(BATCH_UPDATE, lambda _fake: meet.wait(), times=4)
        server.reset_requests()
        winner = _one_winner(_race(machines, NOW + timedelta(hours=round_)))
        assert recorded(server, sid)[0] == winner
        assert len(lease_tabs(server, sid)) == 1
        statuses = sorted(status for method, status in calls(server) if method == BATCH_UPDATE)
        assert statuses == [200, 400, 400, 400]
        assert server.errors == []


def test_two_machines_taking_a_free_lease_at_once_one_wins(
    server: FakeSheetsServer, sid: str, connect: Callable[[], GoogleSheet]
) -> None:
    machines = {new_holder(host=f"machine-{n}"): connect() for n in "ab"}
    meet = threading.Barrier(len(machines), timeout=10)
    for _ in range(ROUNDS):
        server.before(BATCH_UPDATE, lambda _fake: meet.wait(), times=2)
        server.reset_requests()
        winner = _one_winner(_race(machines, NOW))
        assert sorted(calls(server)) == [
            (BATCH_UPDATE, 200),
            (BATCH_UPDATE, 400),
            (BATCH_GET, 200),
        ]
        machines[winner].release_lease(winner)
        assert lease_tabs(server, sid) == []


def test_googles_clock_is_read_from_the_date_header() -> None:
    from email.utils import format_datetime

    from sheetsync.sheets.google import clock_gap

    ahead = format_datetime(datetime.now(UTC) + timedelta(minutes=3), usegmt=True)
    assert abs(clock_gap(ahead, timedelta(0)) - timedelta(minutes=3)) < timedelta(seconds=5)
    close = format_datetime(datetime.now(UTC) + timedelta(seconds=2), usegmt=True)
    assert clock_gap(close, timedelta(minutes=9)) == timedelta(0)
    assert clock_gap(None, timedelta(minutes=9)) == timedelta(minutes=9)
    assert clock_gap("not a date", timedelta(minutes=9)) == timedelta(minutes=9)
