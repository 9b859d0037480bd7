"""Benchmark: one billing cycle, one idle cycle and one polling cycle over N rows.

Runs the real clients against the loopback servers and prints figures (wall
time and request counts); it asserts nothing. Usage:
    python -m benchmarks.bench_cycle [ROWS]
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sheetsync.app import run_once
from sheetsync.config import load_settings
from sheetsync.model import HEADERS, OWNED_COLUMNS
from sheetsync.sandbox import StripeSandbox
from tests.fakes.keys import make_service_account_key
from tests.fakes.sheets_server import FakeSheetsServer

HEADER = ["Status", "Customer Email", "Description", "Unit Price"] + [
    HEADERS[c] for c in OWNED_COLUMNS
]


def main(rows: int) -> None:
    now = datetime(2026, 11, 21, 12, tzinfo=UTC)
    with (
        FakeSheetsServer() as sheets,
        StripeSandbox(int(now.timestamp())) as stripe,
        tempfile.TemporaryDirectory() as tmp,
    ):
        grid = [HEADER] + [
            ["draft", f"c{i % 50}@example.com", f"Item {i}", "5.00"] for i in range(rows)
        ]
        lines = [["Invoice #", "Description", "Quantity", "Unit Price", "Tax Rate"]]
        sid = sheets.create_spreadsheet(
            sheets={"Invoices": grid, "Line Items": lines}, rows=rows + 10, cols=20
        )
        key = make_service_account_key(Path(tmp) / "sa.json", sheets.token_uri)
        settings = load_settings(
            spreadsheet=sid,
            service_account_file=key,
            sheets_api_base=sheets.base_url,
            stripe_api_key="sk_test_bench",
            stripe_api_base=stripe.base_url,
            lock_dir=Path(tmp),
            stripe_requests_per_second=0,
        )
        for label, before in (("bill", None), ("idle", None), ("poll 3 paid", "pay")):
            if before == "pay":
                for invoice in stripe.objects("invoice")[:3]:
                    stripe.customer_pays(invoice["id"])
            sheets.reset_requests()
            stripe.reset_requests()
            started = time.perf_counter()
            report = run_once(settings, now=now)
            elapsed = time.perf_counter() - started
            print(
                f"{label:12} rows={rows} {elapsed:7.2f}s  sheet reads={sheets.count('read')} "
                f"writes={sheets.count('write')}  stripe={stripe.count()} "
                f"({stripe.count() / max(elapsed, 1e-9):.0f}/s)  created={report.created}"
            )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 500)
