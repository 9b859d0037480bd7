"""`sheetsync demo` in an empty folder, as a newcomer would run it."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import openpyxl


def test_the_demo_shows_the_whole_lifecycle_in_a_workbook(tmp_path: Path) -> None:
    home, folder = tmp_path / "home", tmp_path / "empty"
    home.mkdir()
    folder.mkdir()
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home)}  # no settings at all
    done = subprocess.run(
        [sys.executable, "-m", "sheetsync", "demo"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    path = folder / "sheetsync-demo.xlsx"
    assert f"The workbook is {path}" in done.stdout
    assert sorted(p.name for p in folder.iterdir()) == ["sheetsync-demo.xlsx"]

    sheet = openpyxl.load_workbook(path)["Invoices"]
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    rows = {
        r[values[0].index("Customer Name")]: dict(zip(values[0], r, strict=False))
        for r in values[1:]
    }
    acme, kenji, sara, bob, bad = (
        rows[n] for n in ("Acme GmbH", "Kenji Sato", "Sara Lee", "Bob Builder", "No Email Ltd")
    )
    assert acme["Status"] == "paid" and Decimal(str(acme["Total"])) == Decimal("2856")
    assert Decimal(str(acme["Amount Paid"])) == Decimal("2856") and acme["Paid At"]
    assert sara["Status"] == "paid" and str(sara["Stripe ID"]).startswith("plink_")
    assert kenji["Status"] == "overdue" and Decimal(str(kenji["Total"])) == Decimal("112500")
    assert bob["Status"] == "sent" and str(bob["Payment URL"]).startswith("http://127.0.0.1:")
    assert str(bob["PDF URL"]).startswith("http://127.0.0.1:")
    assert bad["Status"] == "error" and bad["Error"] == "Customer Email is empty"
    for line in ("Acme GmbH", "paid", "2,856.00 EUR", "overdue", "Customer Email is empty"):
        assert line in done.stdout
