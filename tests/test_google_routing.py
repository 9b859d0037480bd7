"""Nothing sheetsync sends leaves loopback when the Sheets base points at a local server,
whichever google-auth is installed and whatever it is switched to do."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import requests
from google.auth import environment_vars

from sheetsync.sheets.google import GoogleSheet, RebaseAdapter, is_google_host
from tests.fakes.keys import make_service_account_key
from tests.fakes.network import NetworkGuard
from tests.fakes.sheets_server import FakeSheetsServer

RAB_SWITCH = "GOOGLE_SDK_EXPERIMENTAL_PYTHON_REGIONAL_ACCESS_BOUNDARY_LOOKUP_ENABLED"
MTLS_SWITCH = "GOOGLE_API_USE_CLIENT_CERTIFICATE"


@pytest.mark.parametrize(
    "switches",
    [
        {},
        {RAB_SWITCH: "true"},
        {RAB_SWITCH: "true", MTLS_SWITCH: "true"},
        {RAB_SWITCH: "false", MTLS_SWITCH: "true"},
    ],
    ids=["defaults", "lookup-on", "lookup-on-mtls", "mtls"],
)
def test_a_sheet_read_and_its_token_traffic_stay_on_loopback(
    switches: dict[str, str],
    sheets_server: FakeSheetsServer,
    tmp_path: Path,
    network_guard: NetworkGuard,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in switches.items():
        monkeypatch.setenv(name, value)
    key = make_service_account_key(tmp_path / "key.json", sheets_server.token_uri)
    sid = sheets_server.create_spreadsheet(sheets={"Invoices": [["Status", "Customer Email"]]})
    sheet = GoogleSheet(sid, "Invoices", key, sheets_server.base_url)
    assert sheet.read().invoices == [["Status", "Customer Email"]]
    if switches.get(RAB_SWITCH) == "true" and hasattr(environment_vars, RAB_SWITCH):
        # This google-auth looks the boundary up in a thread: wait for it to arrive here.
        for _ in range(100):
            if sheets_server.allowed_locations_lookups or network_guard.blocked:
                break
            threading.Event().wait(0.05)
        assert sheets_server.allowed_locations_lookups >= 1
    assert network_guard.blocked == []


def test_the_token_uri_of_a_real_key_is_routed_to_the_configured_base(
    sheets_server: FakeSheetsServer, tmp_path: Path, network_guard: NetworkGuard
) -> None:
    """A real key names https://oauth2.googleapis.com/token; with a local base it goes there."""
    key = make_service_account_key(tmp_path / "key.json", "https://oauth2.googleapis.com/token")
    sid = sheets_server.create_spreadsheet(sheets={"Invoices": [["Status"]]})
    sheet = GoogleSheet(sid, "Invoices", key, sheets_server.base_url)
    assert sheet.read().invoices == [["Status"]]
    assert sheets_server.token_requests == 1
    assert network_guard.blocked == []


@pytest.mark.parametrize(
    ("host", "google"),
    [
        ("sheets.googleapis.com", True),
        ("iamcredentials.mtls.googleapis.com", True),
        ("oauth2.googleapis.com", True),
        ("accounts.google.com", True),
        ("googleapis.com.evil.example", False),
        ("notgoogleapis.com", False),
        ("127.0.0.1", False),
    ],
)
def test_google_hosts_are_recognised(host: str, google: bool) -> None:
    assert is_google_host(host) is google


def test_the_adapter_rewrites_any_google_host_and_leaves_others(
    sheets_server: FakeSheetsServer,
) -> None:
    session = requests.Session()
    adapter = RebaseAdapter(sheets_server.base_url)
    session.mount("https://", adapter)
    reply = session.get("https://some-new-service.mtls.googleapis.com/v4/spreadsheets/x", timeout=5)
    assert reply.url.startswith(sheets_server.base_url)
