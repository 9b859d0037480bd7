"""`sheetsync demo`: the whole lifecycle on this machine, with no accounts.

A Stripe sandbox on loopback, a fresh `sheetsync-demo.xlsx`, a cycle that
bills, a customer who pays, time moved past a due date, a second cycle.
The same code then runs against Google and Stripe by changing settings only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from pydantic import SecretStr

from sheetsync import money
from sheetsync.app import run_once
from sheetsync.config import Settings
from sheetsync.model import HEADERS, OWNED_COLUMNS, PERSON_COLUMNS
from sheetsync.report import CycleReport
from sheetsync.sandbox import StripeSandbox
from sheetsync.sheets.files import LeaseFile

WORKBOOK = "sheetsync-demo.xlsx"
HEADER = [HEADERS[c] for c in (*PERSON_COLUMNS, *OWNED_COLUMNS)]
SHOWN = ["Customer Name", "Status", "Total", "Paid At", "Payment URL", "Error"]
LATER = timedelta(days=15)


def demo_rows(today: datetime) -> list[dict[str, Any]]:
    """Realistic drafts: two currencies, a tax rate, a payment link, one bad row."""
    soon = (today + timedelta(days=10)).date().isoformat()
    return [
        {
            "Customer Name": "Acme GmbH",
            "Customer Email": "ap@acme.example",
            "Description": "Website redesign",
            "Unit Price": 2400,
            "Currency": "EUR",
            "Tax Rate": 19,
            "Memo": "Thank you for your business!",
        },
        {
            "Customer Name": "Kenji Sato",
            "Customer Email": "kenji@example.jp",
            "Description": "Consulting (hours)",
            "Quantity": 7.5,
            "Unit Price": 15000,
            "Currency": "JPY",
            "Due Date": soon,
        },
        {
            "Customer Name": "Sara Lee",
            "Customer Email": "sara@example.com",
            "Description": "Workshop seat",
            "Quantity": 2,
            "Unit Price": "150.00",
            "Currency": "USD",
            "Mode": "payment_link",
        },
        {
            "Customer Name": "Bob Builder",
            "Customer Email": "bob@example.com",
            "Description": "Logo design",
            "Unit Price": "800.00",
            "Currency": "USD",
        },
        {
            "Customer Name": "No Email Ltd",
            "Customer Email": "",
            "Description": "Monthly retainer",
            "Unit Price": "1,000.00",
            "Currency": "USD",
        },
    ]


@dataclass
class DemoResult:
    """Where the workbook is, and its rows after the second cycle."""

    path: Path
    rows: list[dict[str, Any]]
    reports: list[CycleReport]


def run_demo(
    folder: Path, now: datetime | None = None, progress: Callable[[str], None] = lambda _: None
) -> DemoResult:
    """Create the demo workbook in `folder`, bill it, let customers pay, run again."""
    now = now or datetime.now(UTC).replace(microsecond=0)
    path = folder / WORKBOOK
    _write_workbook(path, demo_rows(now))
    with StripeSandbox(start_time=int(now.timestamp())) as stripe:
        settings = _settings(path, stripe.base_url)
        progress(f"Created {path.name} with {len(demo_rows(now))} draft rows; billing them…")
        first = run_once(settings, now=now)
        invoices = stripe.objects("invoice")
        acme = next(i for i in invoices if i["customer_email"] == "ap@acme.example")
        stripe.customer_pays(acme["id"])
        link = stripe.objects("payment_link")[0]
        stripe.customer_completes_link(link["id"])
        progress("Acme paid its invoice and Sara paid through her link; 15 days pass…")
        later = now + LATER
        stripe.set_time(int(later.timestamp()))
        second = run_once(settings, now=later)
    # The lease's guard file lives beside a workbook for good; the demo's folder keeps
    # only the workbook (no other run can be billing this demo's workbook).
    LeaseFile(path).guard.unlink(missing_ok=True)
    return DemoResult(path, _rows(path), [first, second])


def _settings(path: Path, stripe_base: str) -> Settings:
    # Built directly, so nothing in the environment or a .env can redirect the demo.
    return Settings.model_construct(
        spreadsheet=str(path),
        stripe_api_key=SecretStr("sk_test_sheetsync_demo"),
        stripe_api_base=stripe_base,
        stripe_requests_per_second=0,
        timezone="UTC",
    )


def _write_workbook(path: Path, rows: list[dict[str, Any]]) -> None:
    header = HEADER
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Invoices"
    sheet.append(header)
    for row in rows:
        sheet.append([row.get(h, "draft" if h == "Status" else None) for h in header])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    book.create_sheet("Line Items").append(
        ["Invoice #", "Description", "Quantity", "Unit Price", "Tax Rate"]
    )
    book.save(path)


def _rows(path: Path) -> list[dict[str, Any]]:
    from openpyxl import load_workbook

    sheet = load_workbook(path)["Invoices"]
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    header = [str(h) for h in values[0]]
    return [dict(zip(header, r, strict=False)) for r in values[1:] if any(r)]


def table(rows: list[dict[str, Any]]) -> str:
    """The rows' Status, Total, Paid At and Payment URL as a plain-text table."""
    lines = [[_shown(r, c) for c in SHOWN] for r in rows]
    widths = [max(len(c), *(len(line[i]) for line in lines)) for i, c in enumerate(SHOWN)]
    widths = [min(w, 60) for w in widths]
    fmt = "  ".join(f"{{:<{w}.{w}}}" for w in widths)
    return "\n".join(
        [fmt.format(*SHOWN), fmt.format(*("-" * w for w in widths))]
        + [fmt.format(*line) for line in lines]
    )


def _shown(row: dict[str, Any], column: str) -> str:
    value = row.get(column)
    if value is None:
        return ""
    if column == "Total" and row.get("Currency"):
        currency = str(row["Currency"])
        return money.format_amount(
            Decimal(repr(value)) if isinstance(value, float) else Decimal(value), currency
        )
    return str(value)
