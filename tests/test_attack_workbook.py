"""Attacks on the local .xlsx backend with two processes (two machines sharing a folder,
or a cron run and a service whose lock folders differ)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import openpyxl

from sheetsync.app import run_once
from sheetsync.config import load_settings
from sheetsync.sheets.workbook import LocalWorkbook
from tests.conftest import FULL_HEADER, STRIPE_KEY, World


def _book(path: Path, rows: list[dict[str, Any]]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Invoices"
    sheet.append(FULL_HEADER)
    for row in rows:
        sheet.append([row.get(h) for h in FULL_HEADER])
    book.save(path)
    return path


def _rows(path: Path) -> list[dict[str, Any]]:
    sheet = openpyxl.load_workbook(path)["Invoices"]
    header = [c.value for c in sheet[1]]
    return [
        {h: c.value for h, c in zip(header, r, strict=False)} for r in sheet.iter_rows(min_row=2)
    ]


def _append(path: Path, row: dict[str, Any]) -> None:
    book = openpyxl.load_workbook(path)
    book["Invoices"].append([row.get(h) for h in FULL_HEADER])
    book.save(path)


def test_a_status_write_by_one_process_never_erases_anothers_claim(
    world: World, tmp_path: Path
) -> None:
    """Process A holds the lease and claims a draft; process B (no lease) is writing a
    status update for another row at the same moment. B's save must not put back the
    workbook as it was before A's claim: A's invoice would lose its row and the next
    cycle would bill the draft a second time."""
    path = _book(
        tmp_path / "book.xlsx",
        [
            {
                "Status": "draft",
                "Customer Email": "paid@example.com",
                "Description": "Old",
                "Unit Price": 70,
            }
        ],
    )

    def settings(machine: str) -> Any:
        return load_settings(
            spreadsheet=str(path),
            stripe_api_key=STRIPE_KEY,
            stripe_api_base=world.stripe.base_url,
            stripe_requests_per_second=0,
            lock_dir=tmp_path / machine,
        )

    run_once(settings("a"), now=world.now)
    world.stripe.customer_pays(str(_rows(path)[0]["Stripe ID"]))  # B will write `paid`
    _append(
        path,
        {
            "Status": "draft",
            "Customer Email": "new@example.com",
            "Description": "New",
            "Unit Price": 30,
        },
    )

    a_leased, b_loaded, a_read_back = threading.Event(), threading.Event(), threading.Event()

    class A(LocalWorkbook):
        reads = 0

        def take_lease(self, *args: Any, **kwargs: Any) -> Any:
            lease = super().take_lease(*args, **kwargs)
            a_leased.set()
            return lease

        def write(self, cells: Any) -> None:
            b_loaded.wait(timeout=30)
            super().write(cells)

        def read(self) -> Any:
            book = super().read()
            A.reads += 1
            if A.reads == 2:  # the claim's read-back
                a_read_back.set()
            return book

    class B(LocalWorkbook):
        def take_lease(self, *args: Any, **kwargs: Any) -> Any:
            a_leased.wait(timeout=30)
            return super().take_lease(*args, **kwargs)

        def _save(self, book: Any) -> None:
            b_loaded.set()
            a_read_back.wait(timeout=30)
            super()._save(book)

    errors: list[BaseException] = []

    def run(machine: str, sheet: LocalWorkbook) -> None:
        try:
            run_once(settings(machine), now=world.now, sheet=sheet)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [
        threading.Thread(target=run, args=("a", A(path, "Invoices"))),
        threading.Thread(target=run, args=("b", B(path, "Invoices"))),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    run_once(settings("a"), now=world.now)
    run_once(settings("a"), now=world.now)
    new = [i for i in world.invoices() if i["customer_email"] == "new@example.com"]
    assert len(new) == 1, [(i["id"], i["metadata"]["sheetsync_id"]) for i in new]
