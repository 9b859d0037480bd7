"""Fixtures: the fake Sheets API and the Stripe sandbox on loopback, and a World
that runs real sheetsync cycles against them through the real clients."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from sheetsync.app import run_once
from sheetsync.config import Settings, load_settings
from sheetsync.model import HEADERS, OWNED_COLUMNS, PERSON_COLUMNS, Column
from sheetsync.report import CycleReport
from sheetsync.sandbox import StripeSandbox
from tests.fakes.keys import make_service_account_key
from tests.fakes.network import NetworkGuard
from tests.fakes.sheets_server import FakeSheetsServer

pytest_plugins = ["tests.sandbox_support"]  # the `sandbox` and `client` fixtures

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
STRIPE_KEY = "sk_test_sheetsyncTESTKEY0123456789"
PERSON_HEADER = [HEADERS[c] for c in PERSON_COLUMNS]
FULL_HEADER = PERSON_HEADER + [HEADERS[c] for c in OWNED_COLUMNS]
LINE_ITEMS_HEADER = ["Invoice #", "Description", "Quantity", "Unit Price", "Tax Rate"]
NO_TAB: list[list[Any]] = []  # pass as line_items= for a spreadsheet without a Line Items tab


@dataclass
class World:
    """A spreadsheet on the fake Sheets server and a Stripe sandbox, wired to sheetsync."""

    sheets: FakeSheetsServer
    stripe: StripeSandbox
    key_file: Path
    spreadsheet_id: str = ""
    now: datetime = NOW
    settings_overrides: dict[str, Any] = field(default_factory=dict)

    def make_sheet(
        self,
        rows: list[dict[str, Any]],
        header: list[str] | None = None,
        cols: int = 40,
        line_items: list[list[Any]] | None = None,
    ) -> str:
        """An Invoices worksheet with these rows (dicts keyed by header), and a Line Items
        tab (header only unless `line_items` rows are given; `line_items=None` with
        `no_line_items` leaves the tab out)."""
        header = header or FULL_HEADER
        grid = [header] + [[row.get(h) for h in header] for row in rows]
        tabs = {"Invoices": grid}
        if line_items is not NO_TAB:
            tabs["Line Items"] = [LINE_ITEMS_HEADER, *(line_items or [])]
        self.spreadsheet_id = self.sheets.create_spreadsheet(
            sheets=tabs, rows=max(1000, len(grid) + 10), cols=cols
        )
        return self.spreadsheet_id

    def settings(self, **overrides: Any) -> Settings:
        values = {
            "spreadsheet": self.spreadsheet_id,
            "service_account_file": self.key_file,
            "sheets_api_base": self.sheets.base_url,
            "stripe_api_key": STRIPE_KEY,
            "stripe_api_base": self.stripe.base_url,
            "stripe_requests_per_second": 0,  # the sandbox has no rate limit to respect
            **self.settings_overrides,
            **overrides,
        }
        return load_settings(None, **values)

    def run(self, *, dry_run: bool = False, **overrides: Any) -> CycleReport:
        """One real cycle at the world's `now`."""
        return run_once(self.settings(**overrides), now=self.now, dry_run=dry_run)

    def env(self, lock_dir: Path | None = None, **extra: str) -> dict[str, str]:
        """The environment of a `sheetsync` subprocess pointed at this world."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SHEETSYNC_", "STRIPE_"))}
        env.update(
            {
                "SHEETSYNC_SPREADSHEET": self.spreadsheet_id,
                "SHEETSYNC_SERVICE_ACCOUNT_FILE": str(self.key_file),
                "SHEETSYNC_SHEETS_API_BASE": self.sheets.base_url,
                "SHEETSYNC_STRIPE_API_KEY": STRIPE_KEY,
                "SHEETSYNC_STRIPE_API_BASE": self.stripe.base_url,
                "SHEETSYNC_LOCK_DIR": str(lock_dir or self.key_file.parent / "locks"),
                "SHEETSYNC_RETRY_BASE_DELAY": "0.01",
                "SHEETSYNC_STRIPE_REQUESTS_PER_SECOND": "0",
                **extra,
            }
        )
        return env

    def spawn(
        self, *args: str, lock_dir: Path | None = None, **extra: str
    ) -> subprocess.Popen[str]:
        """`python -m sheetsync ARGS` in a real process."""
        return subprocess.Popen(
            [sys.executable, "-m", "sheetsync", *args],
            env=self.env(lock_dir, **extra),
            cwd=self.key_file.parent,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def use_real_clock(self) -> None:
        """Align both clocks with the machine's, for runs in subprocesses."""
        self.now = datetime.now(UTC).replace(microsecond=0)
        self.stripe.set_time(int(self.now.timestamp()))

    def advance(self, days: float) -> None:
        """Move both clocks: sheetsync's `now` and the sandbox's."""
        self.now += timedelta(days=days)
        self.stripe.set_time(int(self.now.timestamp()))

    def grid(self) -> list[list[Any]]:
        return self.sheets.values(self.spreadsheet_id, "Invoices")

    def rows(self) -> list[dict[str, Any]]:
        """The data rows as dicts keyed by header."""
        grid = self.grid()
        header = [str(h) for h in grid[0]]
        return [{h: (r[i] if i < len(r) else None) for i, h in enumerate(header)} for r in grid[1:]]

    def type_into(self, index: int, **cells: Any) -> None:
        """Play a person typing into data row `index` (0-based) of the Invoices tab."""
        sheet = self.sheets.sheet(self.spreadsheet_id, "Invoices")
        header = [str(h) for h in sheet.rows[0]]
        line = sheet.rows[index + 1]
        for name, value in cells.items():
            at = header.index(name)
            line.extend([None] * (at + 1 - len(line)))
            line[at] = value

    def append_row(self, cells: dict[str, Any]) -> None:
        """Play a person typing a new row at the bottom of the Invoices tab."""
        sheet = self.sheets.sheet(self.spreadsheet_id, "Invoices")
        header = [str(h) for h in sheet.rows[0]]
        sheet.rows.append([cells.get(h) for h in header])

    def invoices(self, status: str | None = None) -> list[dict[str, Any]]:
        found = self.stripe.objects("invoice")
        return [i for i in found if status is None or i["status"] == status]


@pytest.fixture(autouse=True)
def network_guard(monkeypatch: pytest.MonkeyPatch) -> Iterator[NetworkGuard]:
    """Every test stays on loopback: a lookup of any other host fails the test."""
    guard = NetworkGuard()
    monkeypatch.setattr(socket, "getaddrinfo", guard.wrap(socket.getaddrinfo))
    yield guard
    assert guard.leak_expected or guard.blocked == [], f"a test tried to reach {guard.blocked}"


@pytest.fixture(autouse=True)
def own_state_dir(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Per-machine locks go to a folder of the test's, never the real ~/.local/state."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path_factory.mktemp("state")))


@pytest.fixture
def sheets_server() -> Iterator[FakeSheetsServer]:
    with FakeSheetsServer() as server:
        yield server


@pytest.fixture
def stripe_sandbox() -> Iterator[StripeSandbox]:
    with StripeSandbox(start_time=int(NOW.timestamp())) as sandbox:
        yield sandbox


@pytest.fixture
def world(
    sheets_server: FakeSheetsServer,
    stripe_sandbox: StripeSandbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> World:
    for name in ("STRIPE_API_KEY", "STRIPE_SECRET_KEY", "GOOGLE_APPLICATION_CREDENTIALS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env is read
    key = make_service_account_key(tmp_path / "service-account.json", sheets_server.token_uri)
    return World(sheets_server, stripe_sandbox, key)


def column(name: Column) -> str:
    """The default header of a column."""
    return HEADERS[name]
