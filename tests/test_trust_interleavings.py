"""Property: people edit the sheet between and in the middle of cycles, Stripe and Google fail
mid-cycle, `sheetsync run` processes are SIGKILLed at random requests -- and after every step
the README's promises ("When things go wrong") still hold.

A person (this test) types, deletes, sorts and copies rows and changes figures and statuses,
between cycles and during one: just before the claim write, while Stripe makes an invoice,
before a finalize or before the write-back's read. Cycles run in-process (some with Stripe or
Google failing at one request, or from one request on, until retries give up) and as real
`sheetsync run` processes killed with SIGKILL at a named request, either before it reached the
server or once the server applied it. Customers pay open invoices in the sandbox.

Every row carries a Ref the person typed in a column sheetsync does not know, so the test
knows its rows wherever they move. After every step these hold (see the `check_` functions):

1. one Stripe invoice per billed row: no Sync ID on two invoices, no row billed by two
   finalized invoices, one line on every finalized invoice;
2. no cell a person typed (all but Status and Invoice #) is changed, no row lost or made up;
3. after a cycle nobody disturbed, every open invoice is in the row whose Sync ID it carries,
   or in the cycle's orphan report, and a row naming it under another Sync ID has an Error;
4. an invoice is void (or paid outside Stripe) only if a row with its Sync ID said so, and
   only rows a person set to draft are billed;
5. after two quiet cycles at the end, every row the person left as a draft with valid
   figures is billed exactly once and shows it, no row is `processing` (unless it shares its
   Sync ID with a copy, which is flagged), and every row still `draft` has an Error.

`SHEETSYNC_PROPERTY_EXAMPLES=300 pytest tests/test_trust_interleavings.py` explores further
than the bounded, derandomized run CI does. Bugs the property found are pinned below as plain
tests (fixed) or `xfail(strict=True)` tests (known limits, each saying why); the strategies
exclude only a figure made invalid on a `processing` row (the one limit a random walk hits).
"""

from __future__ import annotations

import itertools
import json
import os
import re
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from sheetsync.errors import BillingError, Interrupted, SheetError
from sheetsync.report import CycleReport
from sheetsync.sandbox import StripeSandbox
from sheetsync.sheets.google_lease import LEASE_TAB
from tests.conftest import FULL_HEADER, NOW, PERSON_HEADER, World
from tests.fakes.keys import make_service_account_key
from tests.fakes.sheets_server import FakeSheetsServer

Cell = Any

# -- the sheet and what a person types -------------------------------------------------------

REF = "Ref"
HEADER = [*FULL_HEADER, REF]
BARE_HEADER = [*PERSON_HEADER, REF]  # sheetsync adds its columns at its first claim
KEPT = [h for h in PERSON_HEADER if h not in ("Status", "Invoice #")] + [REF]
"""The cells sheetsync must never change (Status and Invoice # are also its own)."""

EMAILS = (
    "ann@example.com",
    "Ann@Example.com",
    "ANN@EXAMPLE.COM",
    "bob@example.com",
    "BOB@example.com",
    "cy@example.org",
)
NAMES: tuple[Cell, ...] = (None, "Ann", "Bob Builder")
PRICES: tuple[Cell, ...] = ("50.00", "1,234.50", "$75", 20, "99.99")
QUANTITIES: tuple[Cell, ...] = (None, "2", "7.5", 3)
CURRENCIES: tuple[Cell, ...] = (None, "USD", "usd")
DESCRIPTIONS = ("Design work", "Support, November", "Hosting")
CHANGES: list[tuple[str, Cell]] = [
    *(("Unit Price", v) for v in (*PRICES, "abc", "-5", "")),
    *(("Quantity", v) for v in (*QUANTITIES, "0", "two")),
    *(("Description", v) for v in DESCRIPTIONS),
    *(("Customer Email", v) for v in (*EMAILS, "", "not-an-email")),
]
STATUSES = ("void", "paid", "draft", "payed", "Void", "DRAFT")
SORT_COLUMNS = ("Customer Email", "Description", "Status", "Unit Price", "Sync ID", REF)


def figures_valid(cells: dict[str, Cell]) -> bool:
    """Whether a row's figures (as the person typed them) can be billed."""
    return (
        cells.get("Customer Email") in EMAILS
        and cells.get("Unit Price") in PRICES
        and cells.get("Quantity") in QUANTITIES
        and cells.get("Currency") in CURRENCIES
        and bool(cells.get("Description"))
    )


# -- steps -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Insert:
    """Type a new row above data row `at` (or at the bottom); `ready`: with Status draft."""

    at: int
    email: str
    price: Cell
    quantity: Cell = None
    currency: Cell = None
    name: Cell = None
    ready: bool = True


@dataclass(frozen=True)
class Delete:
    at: int


@dataclass(frozen=True)
class Sort:
    column: str
    reverse: bool = False


@dataclass(frozen=True)
class Copy:
    """Copy every cell of a row, give it a new description and Status draft."""

    at: int
    clear_sync_id: bool = False
    below: bool = True


@dataclass(frozen=True)
class Change:
    at: int
    column: str
    value: Cell


@dataclass(frozen=True)
class SetStatus:
    at: int
    value: str


Edit = Insert | Delete | Sort | Copy | Change | SetStatus


@dataclass(frozen=True)
class Point:
    """The `nth` request of one kind in a cycle: a Sheets method, or a Stripe method and path."""

    api: str
    method: str
    path: str = ""
    nth: int = 1

    def matches(self, api: str, method: str, path: str) -> bool:
        return (
            api == self.api
            and method == self.method
            and (not self.path or re.search(self.path, path) is not None)
        )


VALUES_GET = "sheets.spreadsheets.values.batchGet"
VALUES_WRITE = "sheets.spreadsheets.values.batchUpdate"
LEASE_WRITE = "sheets.spreadsheets.batchUpdate"
SHEETS_METHODS = (VALUES_GET, VALUES_WRITE, LEASE_WRITE, "sheets.spreadsheets.get")
POINTS = {
    "lease take": Point("sheets", LEASE_WRITE, nth=1),
    "claim write": Point("sheets", VALUES_WRITE, nth=1),
    "claim read-back": Point("sheets", VALUES_GET, nth=2),
    "open invoice list": Point("stripe", "GET", r"^/v1/invoices$"),
    "customer lookup": Point("stripe", "GET", r"^/v1/customers$"),
    "customer create": Point("stripe", "POST", r"^/v1/customers$"),
    "invoice create": Point("stripe", "POST", r"^/v1/invoices$"),
    "second invoice create": Point("stripe", "POST", r"^/v1/invoices$", nth=2),
    "invoice item": Point("stripe", "POST", r"^/v1/invoiceitems$"),
    "finalize": Point("stripe", "POST", r"/finalize$"),
    "second finalize": Point("stripe", "POST", r"/finalize$", nth=2),
    "void": Point("stripe", "POST", r"/void$"),
    "pay outside Stripe": Point("stripe", "POST", r"/pay$"),
    "write-back re-read": Point("sheets", VALUES_GET, nth=3),
    "write-back": Point("sheets", VALUES_WRITE, nth=2),
    "lease release": Point("sheets", LEASE_WRITE, nth=2),
}
EDIT_POINTS = ("claim write", "invoice create", "second invoice create", "finalize")
FAULT_POINTS = tuple(POINTS)
KILL_POINTS = (
    "claim write",
    "claim read-back",
    "customer lookup",
    "invoice create",
    "invoice item",
    "finalize",
    "second invoice create",
    "second finalize",
    "write-back re-read",
    "write-back",
    "lease release",
)


@dataclass(frozen=True)
class Fault:
    """The request `at` fails (Stripe 500, saved against its idempotency key, or 429; Google
    503 or 429, `applied` first when the answer is lost); `down`: every later request to that
    API in the cycle fails too, so retries give up."""

    at: str
    status: int = 500
    down: bool = False
    applied: bool = False


@dataclass(frozen=True)
class Cycle:
    """One in-process cycle; `during` is typed just before the request `at`."""

    during: Edit | None = None
    at: str = "claim write"
    fault: Fault | None = None


@dataclass(frozen=True)
class Crash:
    """A `sheetsync run` process SIGKILLed at the request `at`: before the server got it
    (`sent=False`) or once the server applied it; `during` is typed before `during_at`."""

    at: str
    sent: bool = True
    during: Edit | None = None
    during_at: str = "claim write"


@dataclass(frozen=True)
class Pay:
    """A customer pays open invoice number `at` (in the order Stripe lists them)."""

    at: int


Step = Edit | Cycle | Crash | Pay


# -- the grid as a person sees it --------------------------------------------------------------


def text(value: Cell) -> str:
    return "" if value is None else str(value).strip()


def blank(line: Sequence[Cell]) -> bool:
    return all(c in (None, "") for c in line)


def same(a: Cell, b: Cell) -> bool:
    return (a in (None, "") and b in (None, "")) or a == b


@dataclass
class Arming:
    """What the fake servers do to the cycle under way, request by request."""

    during: Edit | None = None
    during_at: str = ""
    fault: Fault | None = None
    kill: Crash | None = None
    process: subprocess.Popen[str] | None = None
    counts: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    edited: bool = False
    faulted: bool = False
    failing: str = ""
    kill_after: bool = False
    killed: bool = False


class Play:
    """Runs steps against a world and checks the invariants after each one."""

    def __init__(self, world: World, header: Sequence[str] = HEADER) -> None:
        self.world = world
        world.make_sheet([], header=list(header))
        self.sheet = world.sheets.sheet(world.spreadsheet_id, "Invoices")
        self.typed: dict[str, dict[str, Cell]] = {}
        self.wants_bill: dict[str, bool] = {}
        self.spoiled: set[str] = set()
        self.ready: dict[str, bool] = {}
        self.born_ready: dict[str, bool] = {}
        self.asked: set[tuple[str, str]] = set()
        self.origin: dict[str, str] = {}
        self.paid_by_customer: set[str] = set()
        self.refs = itertools.count(1)
        self.arming = Arming()
        self.report: CycleReport | None = None
        self.clean = False
        self.errors: list[str] = []
        self.done: list[str] = []
        self.queued: Counter[str] = Counter()
        self.events: set[str] = set()
        for method_id in SHEETS_METHODS:
            self._refill(method_id)
        for verb in ("GET", "POST", "DELETE"):
            world.stripe.before(".", partial(self._stripe, "before"), times=10**9, method=verb)
            world.stripe.after(".", partial(self._stripe, "after"), times=10**9, method=verb)

    # -- running steps --------------------------------------------------------------------

    def play(self, steps: Sequence[Step], quiet: int = 2) -> None:
        """Every step, each followed by the checks; then `quiet` undisturbed cycles."""
        for step in steps:
            self.step(step)
        for _ in range(quiet):
            self.step(Cycle(), quiet=True)
        if quiet:
            self.check_final()

    def step(self, step: Step, quiet: bool = False) -> None:
        self.done.append(repr(step))
        if isinstance(step, Cycle):
            self.cycle(step, quiet)
        elif isinstance(step, Crash):
            self.crash(step)
        elif isinstance(step, Pay):
            self.pay(step)
        elif self.redrafts_a_claim(step):
            self.done.append("  -> skipped: bug B (a processing row re-drafted or spoiled)")
            self.events.add("an edit skipped for bug B")
        elif self.hides_an_invoice(step):
            self.done.append(
                "  -> skipped: bug F (a billed row deleted, a copy naming its invoice)"
            )
            self.events.add("an edit skipped for bug F")
        else:
            self.edit(step)
            self.clean = False
        self.check()

    def hides_an_invoice(self, edit: Edit) -> bool:
        """Bug F (a copy under another Sync ID hid a deleted row's invoice) is fixed: no
        delete is skipped any more."""
        del edit
        return False

    def redrafts_a_claim(self, edit: Edit) -> bool:
        """Bug B: between cycles, a person sets a `processing` row (a claim a killed or failed
        run left) to draft, or makes its figures invalid. Such edits are skipped."""
        data = self.data()
        if not data or not isinstance(edit, SetStatus | Change):
            return False
        line = self.sheet.rows[data[edit.at % len(data)]]
        if text(self.get(line, "Status")).casefold() != "processing":
            return False
        if isinstance(edit, SetStatus):
            return False  # set back to draft: fixed, the claim is resumed
        return not figures_valid({**self.typed[text(self.get(line, REF))], edit.column: edit.value})

    def cycle(self, step: Cycle, quiet: bool = False) -> None:
        self.world.use_real_clock()
        self.report = None
        self.arming = Arming(during=step.during, during_at=step.at, fault=step.fault)
        try:
            self.report = self.world.run(
                retry_attempts=3, retry_base_delay=0.001, retry_budget_seconds=1
            )
        except (BillingError, SheetError, Interrupted) as exc:
            if quiet or step.fault is None:
                raise
            self.done.append(f"  -> stopped: {exc}")
        finally:
            armed, self.arming = self.arming, Arming()
        self.clean = self.report is not None and not armed.edited and not armed.faulted
        self.events |= {f"edit before {armed.during_at}"} if armed.edited else set()
        self.events |= {f"fault at {armed.fault.at}"} if armed.fault and armed.faulted else set()
        if self.clean and self.report is not None and self.report.orphans:
            self.events.add("orphans reported after a clean cycle")
        if self.report is not None and self.report.created:
            self.events.add("invoices created in-process")
        self._expire_lease_left_behind()

    def crash(self, step: Crash) -> None:
        self.world.use_real_clock()  # the process reads the machine's clock
        self.clean = False
        self.report = None
        self.arming = Arming(during=step.during, during_at=step.during_at, kill=step)
        try:
            process = self.world.spawn("run")
            self.arming.process = process
            _, err = process.communicate(timeout=120)
            killed = self.arming.killed
        finally:
            self.arming = Arming()
        self.done.append(f"  -> exit {process.returncode}{' (killed)' if killed else ''}")
        self.events.add(f"killed at {step.at}" if killed else "a run meant to crash finished")
        assert "Traceback" not in err, err
        assert process.returncode in (0, 1, -signal.SIGKILL), err

    def pay(self, step: Pay) -> None:
        found = [i for i in self.world.invoices("open")]
        if found:
            invoice = found[step.at % len(found)]
            self.world.stripe.customer_pays(invoice["id"])
            self.paid_by_customer.add(invoice["id"])
            self.done.append(f"  -> paid {invoice['id']}")
        self.clean = False

    def _expire_lease_left_behind(self) -> None:
        """A lease this process could not give back (Google failed) expires after 2 minutes;
        its holder, this very process, stays alive, so the tab is removed: time has passed."""
        spreadsheet = self.world.sheets.spreadsheet(self.world.spreadsheet_id)
        if spreadsheet.by_title(LEASE_TAB) is not None:
            self.world.sheets.remove_sheet(self.world.spreadsheet_id, LEASE_TAB)

    # -- what the fake servers do mid-cycle -----------------------------------------------

    def _refill(self, method_id: str) -> None:
        self.queued[method_id] += 300
        self.world.sheets.before(method_id, partial(self._sheets, method_id), times=300)

    def _sheets(self, method_id: str, _server: FakeSheetsServer) -> None:
        self.queued[method_id] -= 1
        if self.queued[method_id] < 50:
            self._refill(method_id)
        self._guarded("sheets", method_id, "", "before")

    def _stripe(self, phase: str) -> None:
        request = self.world.stripe.requests[-1]
        self._guarded("stripe", request.method, request.path, phase)

    def _guarded(self, api: str, method: str, path: str, phase: str) -> None:
        try:
            self._request(api, method, path, phase)
        except Exception as exc:  # a bug in this test: the servers would hide it
            self.errors.append(f"{api} {method} {path}: {exc!r}")

    def _request(self, api: str, method: str, path: str, phase: str) -> None:
        armed = self.arming
        if phase == "after":
            if armed.kill_after:
                armed.kill_after = False
                self._kill(armed)
            return
        for key in {
            (p.api, p.method, p.path) for p in POINTS.values() if p.matches(api, method, path)
        }:
            armed.counts[key] += 1

        def hit(name: str) -> bool:
            point = POINTS[name]
            key = (point.api, point.method, point.path)
            if name == "claim write" and armed.counts[("sheets", VALUES_GET, "")] != 1:
                return False  # a cycle's first write after its re-read writes results (bug G)
            return point.matches(api, method, path) and armed.counts[key] == point.nth

        if armed.during is not None and not armed.edited and hit(armed.during_at):
            armed.edited = True
            self.done.append(f"  -> {armed.during!r} before {armed.during_at}")
            self.edit(armed.during)
        fault = armed.fault
        if fault is not None and (armed.failing == api or hit(fault.at)):
            armed.faulted = True
            if fault.down:
                armed.failing = POINTS[fault.at].api
            self._fail(api, method, path, fault.status, fault.applied)
        kill = armed.kill
        if kill is not None and not armed.killed and hit(kill.at):
            if not kill.sent:
                self._fail(api, method, path, 503, applied=False, saved=False)
                self._kill(armed)
            elif api == "stripe":
                armed.kill_after = True  # once the sandbox applied it
            else:
                self._kill(armed)  # the fake applies it after this callback

    def _fail(
        self, api: str, method: str, path: str, status: int, applied: bool, saved: bool = True
    ) -> None:
        if api == "sheets":
            status = 503 if status >= 500 else status
            self.world.sheets.fail_next(method, status, applied=applied)
        else:
            exact = "^" + re.escape(path) + "$"
            self.world.stripe.fail_next(
                exact, status, method=method, saved=None if saved else False
            )

    def _kill(self, armed: Arming) -> None:
        for _ in range(500):  # the process object is handed over right after spawning
            if armed.process is not None:
                break
            time.sleep(0.01)
        assert armed.process is not None
        armed.process.send_signal(signal.SIGKILL)
        armed.process.wait(timeout=10)
        armed.killed = True

    # -- a person at work -----------------------------------------------------------------

    def header(self) -> list[str]:
        return [text(h) for h in self.sheet.rows[0]]

    def get(self, line: Sequence[Cell], name: str) -> Cell:
        header = self.header()
        if name not in header:
            return None
        at = header.index(name)
        return line[at] if at < len(line) else None

    def put(self, line: list[Cell], name: str, value: Cell) -> None:
        header = self.header()
        if name not in header:  # a column sheetsync has not added yet: nothing to copy
            return
        at = header.index(name)
        line.extend([None] * (at + 1 - len(line)))
        line[at] = value

    def data(self) -> list[int]:
        """Grid indices of the non-blank data rows."""
        rows = self.sheet.rows
        return [i for i in range(1, len(rows)) if not blank(rows[i])]

    def observe(self) -> None:
        """Note the row each Sync ID is first seen in: the row its claim gave it to."""
        for i in self.data():
            line = self.sheet.rows[i]
            sync_id = text(self.get(line, "Sync ID"))
            if sync_id and sync_id not in self.origin:
                ref = text(self.get(line, REF))
                self.origin[sync_id] = ref
                self.born_ready[sync_id] = self.ready.get(ref, False)

    def edit(self, edit: Edit) -> None:
        self.observe()
        rows, data = self.sheet.rows, self.data()
        if isinstance(edit, Insert):
            self.insert(edit, data)
        elif isinstance(edit, Sort):
            key = partial(self._sort_key, edit.column)
            ordered = sorted((rows[i] for i in data), key=key, reverse=edit.reverse)
            rows[1:] = [*ordered, *(r for r in rows[1:] if blank(r))]
        elif not data:
            return
        elif isinstance(edit, Delete):
            line = rows[data[edit.at % len(data)]]
            ref = text(self.get(line, REF))
            if text(self.get(line, "Stripe ID")):
                self.events.add("a billed row deleted")
            del rows[data[edit.at % len(data)]]
            self.typed.pop(ref, None)
        elif isinstance(edit, Copy):
            self.copy(edit, data)
        elif isinstance(edit, Change):
            line = rows[data[edit.at % len(data)]]
            ref = text(self.get(line, REF))
            self.put(line, edit.column, edit.value)
            self.typed[ref][edit.column] = edit.value
            if not figures_valid(self.typed[ref]):
                self.spoiled.add(ref)
        elif isinstance(edit, SetStatus):
            self.set_status(edit, rows[data[edit.at % len(data)]])

    def _sort_key(self, column: str, line: Sequence[Cell]) -> str:
        return text(self.get(line, column)).casefold()

    def insert(self, edit: Insert, data: list[int]) -> None:
        ref = f"r{next(self.refs)}"
        cells = {
            "Status": "draft" if edit.ready else None,
            "Customer Email": edit.email,
            "Customer Name": edit.name,
            "Description": f"Job {ref}",
            "Quantity": edit.quantity,
            "Unit Price": edit.price,
            "Currency": edit.currency,
            REF: ref,
        }
        line = [cells.get(h) for h in self.header()]
        k = edit.at % (len(data) + 1)
        self.sheet.rows.insert(data[k] if k < len(data) else (data[-1] + 1 if data else 1), line)
        self.typed[ref] = {h: cells.get(h) for h in KEPT}
        self.wants_bill[ref] = self.ready[ref] = edit.ready

    def copy(self, edit: Copy, data: list[int]) -> None:
        source = data[edit.at % len(data)]
        line = list(self.sheet.rows[source])
        if text(self.get(line, "Stripe ID")):
            self.events.add("a billed row copied")
        ref = f"r{next(self.refs)}"
        self.put(line, REF, ref)
        self.put(line, "Description", f"Copy {ref}")
        self.put(line, "Status", "draft")
        if edit.clear_sync_id:
            self.put(line, "Sync ID", None)
        self.sheet.rows.insert(source + 1 if edit.below else data[-1] + 1, line)
        self.typed[ref] = {h: self.get(line, h) for h in KEPT}
        self.wants_bill[ref] = not text(self.get(line, "Stripe ID"))
        self.ready[ref] = True
        if not figures_valid(self.typed[ref]):
            self.spoiled.add(ref)
        number = text(self.get(line, "Invoice #")).casefold()
        if number:  # two rows with one Invoice #: neither may be billed until one is changed
            for i in self.data():
                if text(self.get(self.sheet.rows[i], "Invoice #")).casefold() == number:
                    self.spoiled.add(text(self.get(self.sheet.rows[i], REF)))

    def set_status(self, edit: SetStatus, line: list[Cell]) -> None:
        ref = text(self.get(line, REF))
        sync_id = text(self.get(line, "Sync ID"))
        self.put(line, "Status", edit.value)
        status = edit.value.strip().casefold()
        if status in ("void", "paid") and sync_id:
            self.asked.add((status, sync_id))
        self.ready[ref] = status == "draft"
        if status != "draft":
            self.wants_bill[ref] = False
            return
        self.wants_bill[ref] = not text(self.get(line, "Stripe ID"))
        self.spoiled.discard(ref)
        if not figures_valid(self.typed[ref]):
            self.spoiled.add(ref)

    # -- the invariants -------------------------------------------------------------------

    def check(self) -> None:
        where = " after " + " / ".join(self.done[-3:])
        assert not self.errors, self.errors
        rows = self.world.rows()
        invoices = self.world.invoices()
        self.observe()
        check_person_cells(rows, self.typed, where)
        check_one_invoice_per_row(invoices, self.origin, where)
        check_requests_honoured(invoices, self.asked, self.paid_by_customer, where)
        check_only_drafts_billed(invoices, self.origin, self.born_ready, where)
        if self.clean:
            assert self.report is not None
            check_open_invoices_visible(invoices, rows, self.report.orphans, where)

    def check_final(self) -> None:
        check_everything_billed(
            self.world.rows(),
            self.world.invoices(),
            self.origin,
            {r for r, wants in self.wants_bill.items() if wants and r not in self.spoiled},
            " at the end of " + " / ".join(self.done),
        )


# -- the invariants, as plain functions ------------------------------------------------------


def shown(row: dict[str, Any]) -> str:
    keys = ("Ref", "Status", "Customer Email", "Unit Price", "Sync ID", "Stripe ID", "Error")
    return (
        "{" + ", ".join(f"{k}: {row.get(k)!r}" for k in keys if row.get(k) not in (None, "")) + "}"
    )


def numbered(rows: list[dict[str, Any]]) -> Iterator[tuple[int, dict[str, Any]]]:
    """(sheet row number, row) of the non-blank data rows."""
    for n, row in enumerate(rows, start=2):
        if not blank(list(row.values())):
            yield n, row


def sync_id_of(invoice: dict[str, Any]) -> str:
    return str((invoice.get("metadata") or {}).get("sheetsync_id", ""))


def check_person_cells(
    rows: list[dict[str, Any]], typed: dict[str, dict[str, Cell]], where: str
) -> None:
    """2. Every row is one the person typed, once, with every cell they typed unchanged."""
    seen: dict[str, int] = {}
    for n, row in numbered(rows):
        ref = text(row.get(REF))
        assert ref, f"row {n} was never typed by the person: {shown(row)}{where}"
        assert ref not in seen, f"row {ref} is in rows {seen[ref]} and {n}{where}"
        assert ref in typed, f"row {n} ({ref}) was deleted by the person but is back{where}"
        seen[ref] = n
        for name in KEPT:
            assert same(row.get(name), typed[ref][name]), (
                f"row {n} ({ref}): {name} is {row.get(name)!r}, the person typed "
                f"{typed[ref][name]!r}{where}"
            )
    gone = sorted(set(typed) - set(seen))
    assert not gone, f"rows the person typed are gone: {gone}{where}"


def check_one_invoice_per_row(
    invoices: list[dict[str, Any]], origin: dict[str, str], where: str
) -> None:
    """1. No Sync ID on two invoices, no row billed twice, one line per finalized invoice."""
    by_sync_id: dict[str, list[str]] = {}
    by_row: dict[str, list[str]] = {}
    for invoice in invoices:
        sync_id = sync_id_of(invoice)
        by_sync_id.setdefault(sync_id, []).append(f"{invoice['id']} ({invoice['status']})")
        assert sync_id in origin, (
            f"invoice {invoice['id']} carries Sync ID {sync_id!r}, which no row ever showed{where}"
        )
        if invoice["status"] == "draft":
            continue
        by_row.setdefault(origin[sync_id], []).append(f"{invoice['id']} ({sync_id})")
        lines = invoice["lines"]["data"]
        assert len(lines) == 1, (
            f"invoice {invoice['id']} of row {origin[sync_id]} (Sync ID {sync_id}) has "
            f"{len(lines)} lines, its row billed one{where}"
        )
    for sync_id, found in by_sync_id.items():
        assert len(found) == 1, (
            f"Sync ID {sync_id} (row {origin.get(sync_id)}) is on {found}{where}"
        )
    for ref, found in by_row.items():
        assert len(found) == 1, f"row {ref} is billed by {len(found)} invoices: {found}{where}"


def check_requests_honoured(
    invoices: list[dict[str, Any]],
    asked: set[tuple[str, str]],
    paid_by_customer: set[str],
    where: str,
) -> None:
    """4. Void or paid outside Stripe only when a row with the invoice's Sync ID asked."""
    for invoice in invoices:
        sync_id = sync_id_of(invoice)
        if invoice["status"] == "void":
            assert ("void", sync_id) in asked, (
                f"invoice {invoice['id']} (Sync ID {sync_id}) was voided, but no row with that "
                f"Sync ID asked{where}"
            )
        if invoice["status"] == "paid" and invoice["id"] not in paid_by_customer:
            assert ("paid", sync_id) in asked, (
                f"invoice {invoice['id']} (Sync ID {sync_id}) was marked paid, but no row with "
                f"that Sync ID asked{where}"
            )


def check_only_drafts_billed(
    invoices: list[dict[str, Any]], origin: dict[str, str], born_ready: dict[str, bool], where: str
) -> None:
    """4. Only rows a person set to draft (and left so until their claim) are billed."""
    for invoice in invoices:
        sync_id = sync_id_of(invoice)
        assert born_ready.get(sync_id, False), (
            f"invoice {invoice['id']} bills row {origin.get(sync_id) or '(none)'}, whose Status "
            f"the person had not set to draft when it got Sync ID {sync_id}{where}"
        )


def check_open_invoices_visible(
    invoices: list[dict[str, Any]], rows: list[dict[str, Any]], orphans: list[str], where: str
) -> None:
    """3. After an undisturbed cycle every open invoice is in its own row or reported, and a
    row naming it under another Sync ID says so in its Error."""
    live = list(numbered(rows))
    for invoice in invoices:
        if invoice["status"] != "open":
            continue
        sync_id, stripe_id = sync_id_of(invoice), invoice["id"]
        holders = [(n, r) for n, r in live if text(r.get("Sync ID")) == sync_id]
        own = len(holders) == 1 and text(holders[0][1].get("Stripe ID")) == stripe_id
        copies_flagged = len(holders) > 1 and all(text(r.get("Error")) for _, r in holders)
        reported = any(stripe_id in note for note in orphans)
        assert own or copies_flagged or reported, (
            f"open invoice {stripe_id} (Sync ID {sync_id}) is in no row of its own and not "
            f"reported; rows with its Sync ID: {[(n, shown(r)) for n, r in holders]}, rows "
            f"naming it: {[(n, shown(r)) for n, r in live if r.get('Stripe ID') == stripe_id]}"
            f"{where}"
        )
        if own:
            n, row = holders[0]
            status = text(row.get("Status")).casefold()
            assert status in ("sent", "overdue", "failed") or text(row.get("Error")), (
                f"row {n} shows open invoice {stripe_id} as {status!r}{where}"
            )
        for n, row in live:
            if text(row.get("Stripe ID")) == stripe_id and text(row.get("Sync ID")) != sync_id:
                assert text(row.get("Error")), (
                    f"row {n} shows invoice {stripe_id} of Sync ID {sync_id} under Sync ID "
                    f"{row.get('Sync ID')!r} without an Error: {shown(row)}{where}"
                )


def check_everything_billed(
    rows: list[dict[str, Any]],
    invoices: list[dict[str, Any]],
    origin: dict[str, str],
    to_bill: set[str],
    where: str,
) -> None:
    """5. After quiet cycles: each row left to bill is billed once and shows it, nothing is
    left `processing`, and a row still `draft` says why."""
    live = list(numbered(rows))
    sync_ids = Counter(text(r.get("Sync ID")) for _, r in live)
    numbers = Counter(text(r.get("Invoice #")).casefold() for _, r in live)
    finalized = [i for i in invoices if i["status"] != "draft"]
    for n, row in live:
        ref, status = text(row.get(REF)), text(row.get("Status")).casefold()
        sync_id = text(row.get("Sync ID"))
        shared = bool(sync_id) and sync_ids[sync_id] > 1
        if status == "processing":
            assert shared and text(row.get("Error")), (
                f"row {n} is still processing: {shown(row)}{where}"
            )
        if status == "draft":
            assert text(row.get("Error")), (
                f"row {n} is a draft nobody billed or explained: {shown(row)}{where}"
            )
        number = text(row.get("Invoice #")).casefold()
        if ref not in to_bill or shared or (number and numbers[number] > 1):
            continue
        mine = [i for i in finalized if origin.get(sync_id_of(i)) == ref]
        assert len(mine) == 1, (
            f"row {n} ({ref}) was left to bill and is billed by {[i['id'] for i in mine]}: "
            f"{shown(row)}{where}"
        )
        assert sync_id == sync_id_of(mine[0]) and text(row.get("Stripe ID")) == mine[0]["id"], (
            f"row {n} ({ref}) does not show its invoice {mine[0]['id']} "
            f"(Sync ID {sync_id_of(mine[0])}): {shown(row)}{where}"
        )


# -- worlds ----------------------------------------------------------------------------------


@pytest.fixture
def place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """What the `world` fixture does once per test: no stray settings, a key to copy."""
    for name in ("STRIPE_API_KEY", "STRIPE_SECRET_KEY", "GOOGLE_APPLICATION_CREDENTIALS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    make_service_account_key(tmp_path / "key.json", "http://127.0.0.1:1/token")
    return tmp_path


@contextmanager
def fresh_world(place: Path) -> Iterator[World]:
    """A new fake Google and Stripe sandbox for one example (hooks and objects start empty)."""
    with FakeSheetsServer() as sheets, StripeSandbox(start_time=int(NOW.timestamp())) as stripe:
        folder = Path(os.path.realpath(place)) / f"w{next(_worlds)}"
        folder.mkdir()
        key = json.loads((place / "key.json").read_text())
        key["token_uri"] = sheets.token_uri
        (folder / "service-account.json").write_text(json.dumps(key))
        world = World(sheets, stripe, folder / "service-account.json")
        world.settings_overrides["lock_dir"] = folder / "locks"
        yield world


_worlds = itertools.count()


# -- strategies ------------------------------------------------------------------------------

EXAMPLES = int(os.environ.get("SHEETSYNC_PROPERTY_EXAMPLES", "0"))
at = st.integers(min_value=0, max_value=9)
inserts = st.builds(
    Insert,
    at=at,
    email=st.sampled_from(EMAILS),
    price=st.sampled_from(PRICES),
    quantity=st.sampled_from(QUANTITIES),
    currency=st.sampled_from(CURRENCIES),
    name=st.sampled_from(NAMES),
    ready=st.sampled_from([True, True, True, False]),
)
edits: st.SearchStrategy[Edit] = st.one_of(
    inserts,
    st.builds(Delete, at=at),
    st.builds(Sort, column=st.sampled_from(SORT_COLUMNS), reverse=st.booleans()),
    st.builds(Copy, at=at, clear_sync_id=st.booleans(), below=st.booleans()),
    st.builds(lambda n, change: Change(n, *change), at, st.sampled_from(CHANGES)),
    st.builds(SetStatus, at=at, value=st.sampled_from(STATUSES)),
)
STUCK_AFTER_A_500: tuple[str, ...] = ()
"""Requests whose saved 500 sheetsync cannot get past for 24 hours (see the xfail tests
below): at these points the strategy draws only 429s, which Stripe never saves."""
faults = st.sampled_from(FAULT_POINTS).flatmap(
    lambda point: st.builds(
        Fault,
        at=st.just(point),
        status=st.sampled_from([429] if point in STUCK_AFTER_A_500 else [500, 429]),
        down=st.booleans(),
        applied=st.booleans(),
    )
)


def weighted(*choices: tuple[int, st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    """One of the strategies, drawn in proportion to its weight (shrinking to the first)."""
    indices = [i for i, (weight, _) in enumerate(choices) for _ in range(weight)]
    return st.sampled_from(indices).flatmap(lambda i: choices[i][1])


claim_write_edits: st.SearchStrategy[Edit] = st.one_of(
    inserts.map(lambda i: Insert(**{**vars(i), "at": -1})),  # bug E: only at the bottom
    st.builds(Delete, at=at),
    st.builds(Sort, column=st.sampled_from(SORT_COLUMNS), reverse=st.booleans()),
    st.builds(Copy, at=at, clear_sync_id=st.booleans(), below=st.just(False)),  # bug E
    st.builds(lambda n, change: Change(n, *change), at, st.sampled_from(CHANGES)),
    st.builds(SetStatus, at=at, value=st.sampled_from(["draft", "DRAFT"])),  # bug D
)
"""What a person may do just before the claim write. Excluded, for the bugs pinned below:
inserting or copying a row anywhere but at the bottom (E), typing a Status other than draft
(D). Deleting and sorting rows there, and every edit at the other points, are kept."""


def during(point: str) -> st.SearchStrategy[Edit | None]:
    return weighted((2, st.none()), (1, claim_write_edits if point == "claim write" else edits))


cycles = st.sampled_from(EDIT_POINTS).flatmap(
    lambda point: st.builds(
        Cycle, during=during(point), at=st.just(point), fault=weighted((2, st.none()), (1, faults))
    )
)
crashes = st.sampled_from(EDIT_POINTS).flatmap(
    lambda point: st.builds(
        Crash,
        at=st.sampled_from(KILL_POINTS),
        sent=st.booleans(),
        during=during(point),
        during_at=st.just(point),
    )
)
pays = st.builds(Pay, at=at)


def rounds(actions: st.SearchStrategy[Step], most: int) -> st.SearchStrategy[list[Step]]:
    """A few rows typed, then two to `most` rounds of a few edits and an action."""
    first = st.lists(
        inserts.map(lambda i: Insert(**{**vars(i), "ready": True})), min_size=1, max_size=3
    )
    one = st.tuples(st.lists(edits, max_size=3), actions)
    return st.tuples(first, st.lists(one, min_size=2, max_size=most)).map(
        lambda found: [*found[0], *(s for typed, action in found[1] for s in (*typed, action))]
    )


@st.composite
def with_crashes(draw: st.DrawFn, most: int = 2) -> list[Step]:
    """In-process rounds with one or two killed processes among them."""
    steps = draw(rounds(weighted((3, cycles), (1, pays)), 4))
    for crash in draw(st.lists(crashes, min_size=1, max_size=most)):
        typed = draw(st.lists(edits, max_size=2))
        where = draw(st.integers(min_value=0, max_value=len(steps)))
        steps[where:where] = [*typed, crash]
    return steps


PROPERTY = settings(
    max_examples=EXAMPLES or 30,
    deadline=None,
    derandomize=not EXAMPLES,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    print_blob=bool(EXAMPLES),
)


@PROPERTY
@given(
    header=st.sampled_from([HEADER, BARE_HEADER]),
    steps=rounds(weighted((4, cycles), (1, pays)), 5),
)
def test_people_faults_and_cycles_interleaved(
    place: Path, header: list[str], steps: list[Step]
) -> None:
    with fresh_world(place) as world:
        play = Play(world, header)
        play.play(steps)
        report_events(play, world)


@settings(PROPERTY, max_examples=EXAMPLES // 4 or 6)
@given(steps=with_crashes())
def test_people_and_killed_runs_interleaved(place: Path, steps: list[Step]) -> None:
    with fresh_world(place) as world:
        play = Play(world)
        play.play(steps)
        report_events(play, world)


def report_events(play: Play, world: World) -> None:
    """What an example got to, for `--hypothesis-show-statistics`."""
    statuses = Counter(i["status"] for i in world.invoices())
    for name in sorted(play.events | {f"an invoice ended {s}" for s in statuses}):
        event(name)


# -- bugs the property found, each as its smallest failing example ----------------------------

FAST = {"retry_attempts": 3, "retry_base_delay": 0.001, "retry_budget_seconds": 1}
ANN = {
    "Status": "draft",
    "Customer Email": "ann@example.com",
    "Description": "A",
    "Unit Price": "50",
}
BOB = {**ANN, "Customer Email": "bob@example.com", "Description": "B"}


@pytest.mark.parametrize("request_path", [r"^/v1/customers$", r"/finalize$"])
def test_one_saved_500_does_not_stop_billing_for_a_day(world: World, request_path: str) -> None:
    """Stripe keeps a 500 against its key for 24 hours; the same run gets past it."""
    world.settings_overrides.update(FAST)
    world.make_sheet([ANN, BOB])
    world.stripe.fail_next(request_path, 500)  # Stripe saves a 500 against the key
    world.run()

    assert [r["Status"] for r in world.rows()] == ["sent", "sent"]
    assert len(world.invoices()) == 2


@pytest.mark.parametrize(("typed", "request_path"), [("void", r"/void$"), ("paid", r"/pay$")])
def test_one_saved_500_does_not_stop_a_request_for_a_day(
    world: World, typed: str, request_path: str
) -> None:
    world.settings_overrides.update(FAST)
    world.make_sheet([ANN])
    world.run()
    world.type_into(0, Status=typed)
    world.stripe.fail_next(request_path, 500)
    world.run()

    assert world.invoices()[0]["status"] == typed


def _before_the_claim(world: World, change: Callable[[list[list[Cell]]], None]) -> None:
    """A person's edit just before the claim write (the cycle's first values write)."""
    rows = world.sheets.sheet(world.spreadsheet_id, "Invoices").rows
    world.sheets.before(VALUES_WRITE, lambda _: change(rows), times=1)


def test_a_row_inserted_just_before_the_claim_keeps_its_empty_status(world: World) -> None:
    world.make_sheet([ANN])
    header = world.grid()[0]
    typing = {"Customer Email": "bob@example.com", "Description": "not ready", "Unit Price": "20"}
    _before_the_claim(world, lambda rows: rows.insert(1, [typing.get(h) for h in header]))
    world.run()
    world.run()

    assert [i["customer_email"] for i in world.invoices()] == ["ann@example.com"]
    assert world.rows()[0]["Status"] in (None, "")


@pytest.mark.xfail(
    strict=True,
    reason="Known limit: a Status typed in the one round trip between the fresh read and the "
    "claim write is written over by the claim's `processing`, and the read-back cannot tell "
    "(Sheets has no conditional write), so a draft set to void just then is billed.",
)
def test_a_draft_voided_just_before_the_claim_is_not_billed(world: World) -> None:
    world.make_sheet([ANN])
    status = world.grid()[0].index("Status")
    _before_the_claim(world, lambda rows: rows[1].__setitem__(status, "void"))
    world.run()

    assert world.invoices() == []
    assert world.rows()[0]["Status"] == "void"


def _leave_processing(world: World) -> None:
    """A cycle whose invoice is finalized but whose write-back read fails: the row stays
    `processing` with its invoice open in Stripe (as after a kill past finalize)."""
    reads: list[int] = []

    def write_back_read(_: Any) -> None:  # the read before the results write: the fourth
        reads.append(1)
        if len(reads) == 4:
            world.sheets.fail_next(VALUES_GET, 503, times=5)

    world.sheets.before(VALUES_GET, write_back_read, times=4)
    with pytest.raises(SheetError):
        world.run()
    assert world.rows()[0]["Status"] == "processing"
    assert [i["status"] for i in world.invoices()] == ["open"]


@pytest.mark.parametrize(
    "edit",
    [
        "set back to draft",
        pytest.param(
            "figures broken, then fixed",
            marks=pytest.mark.xfail(
                strict=True,
                reason="Known limit: a claim whose figures stop parsing before it is finished "
                "becomes an error row without a look for what its run made (the invoice is "
                "reported as an orphan, not lost); fixed and set to draft, it is a new bill.",
            ),
        ),
    ],
)
def test_a_left_claim_is_finished_not_billed_again(world: World, edit: str) -> None:
    world.settings_overrides.update(FAST)
    world.make_sheet([ANN])
    _leave_processing(world)
    if edit == "figures broken, then fixed":
        world.type_into(0, **{"Unit Price": "abc"})
        world.run()
        world.type_into(0, **{"Unit Price": "50"})
    world.type_into(0, Status="draft")
    world.run()

    assert len(world.invoices()) == 1, [i["metadata"]["sheetsync_id"] for i in world.invoices()]


def _killed_before_the_read_back(world: World, move: Callable[[list[list[Cell]]], None]) -> None:
    """`sheetsync run` in a process: `move` happens just before its claim write, and it is
    SIGKILLed right after the claim was written, before reading it back."""
    holder: list[subprocess.Popen[str]] = []
    reads: list[int] = []

    def kill(_: Any) -> None:
        reads.append(1)
        if len(reads) == 2:
            holder[0].send_signal(signal.SIGKILL)
            holder[0].wait(timeout=10)

    _before_the_claim(world, move)
    world.sheets.before(VALUES_GET, kill, times=2)
    holder.append(world.spawn("run"))
    holder[0].communicate(timeout=60)
    assert holder[0].returncode == -signal.SIGKILL


def _sort_by_email(reverse: bool) -> Callable[[list[list[Cell]]], None]:
    def sort(rows: list[list[Cell]]) -> None:
        header, *body = rows
        email = header.index("Customer Email")
        body.sort(key=lambda line: str(line[email]), reverse=reverse)
        rows[:] = [header, *body]

    return sort


def test_a_run_killed_in_the_claim_window_bills_only_drafts(world: World) -> None:
    world.use_real_clock()
    world.make_sheet([ANN, {**BOB, "Status": None}])  # bob's row is still being typed
    _killed_before_the_read_back(world, _sort_by_email(reverse=True))  # bob's row moves up
    world.run()

    assert [i["customer_email"] for i in world.invoices()] == ["ann@example.com"]


def test_a_run_killed_in_the_claim_window_leaves_billed_rows_alone(world: World) -> None:
    world.use_real_clock()
    world.make_sheet([BOB])
    world.run()
    billed = world.rows()[0]
    world.append_row(ANN)
    _killed_before_the_read_back(world, _sort_by_email(reverse=False))  # ann's draft moves up
    report = world.run()

    row = next(r for r in world.rows() if r["Customer Email"] == "bob@example.com")
    shown_in_row = row["Sync ID"] == billed["Sync ID"] and row["Status"] == "sent"
    assert shown_in_row or any(str(billed["Stripe ID"]) in note for note in report.orphans), row


def test_an_invoice_whose_row_was_deleted_is_reported_though_a_copy_names_it(
    world: World,
) -> None:
    world.make_sheet([ANN])
    world.run()
    original = world.rows()[0]
    world.append_row({**original, "Description": "Copy", "Sync ID": None, "Status": "draft"})
    header, _, copy = world.grid()
    world.sheets.set_values(world.spreadsheet_id, "Invoices", [header, copy])  # original deleted
    report = world.run()

    assert any(str(original["Stripe ID"]) in note for note in report.orphans)


@pytest.mark.xfail(
    strict=True,
    reason="Known limit: results are written by the row numbers of the read taken just "
    "before (one round trip earlier) and not read back; a sort in that gap swaps two billed "
    "rows' Stripe ID, Payment URL, PDF URL and Total. The next cycle flags both rows (their "
    "Sync IDs do not match the invoices) and reports both invoices: nothing is billed twice "
    "or lost from view, but the rows need a person.",
)
def test_a_sort_just_before_the_results_write_keeps_each_invoice_in_its_row(
    world: World,
) -> None:
    world.make_sheet([ANN, BOB])
    writes: list[int] = []

    def sort_before_results(rows: list[list[Cell]]) -> None:
        writes.append(1)
        if len(writes) == 2:  # the claim write was the first
            rows[1:] = list(reversed(rows[1:]))

    rows = world.sheets.sheet(world.spreadsheet_id, "Invoices").rows
    world.sheets.before(VALUES_WRITE, lambda _: sort_before_results(rows), times=2)
    world.run()

    for row in world.rows():
        invoice = world.stripe.get(str(row["Stripe ID"]))
        assert invoice["customer_email"] == row["Customer Email"], row
