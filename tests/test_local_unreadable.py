"""A file that is not a workbook: one line saying so and what to do, never a traceback,
whether the library reads it or `python -m sheetsync run` does."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest

from sheetsync.errors import SheetError
from sheetsync.sheets.workbook import LocalWorkbook
from tests.conftest import STRIPE_KEY


def _workbook_bytes() -> bytes:
    buffer = io.BytesIO()
    book = openpyxl.Workbook()
    assert book.active is not None
    book.active.title = "Invoices"
    book.save(buffer)
    return buffer.getvalue()


def _rezipped(change: Callable[[str, bytes], bytes | None]) -> bytes:
    """The good workbook with some parts changed (or left out when `change` says None)."""
    source = zipfile.ZipFile(io.BytesIO(_workbook_bytes()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = change(info.filename, source.read(info.filename))
            if data is not None:
                target.writestr(info, data)
    return out.getvalue()


def _plain_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        target.writestr("notes.txt", "hello")
    return out.getvalue()


BROKEN: dict[str, tuple[Callable[[], bytes], str]] = {
    "csv renamed": (lambda: b"Status,Unit Price\ndraft,10\n", "not an .xlsx file"),
    "empty": (lambda: b"", "the file is empty"),
    "old xls": (lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "old .xls"),
    "zip, not xlsx": (_plain_zip, "damaged or not an .xlsx workbook"),
    "cut short": (lambda: _workbook_bytes()[:700], "not an .xlsx file"),
    "damaged sheet": (
        lambda: _rezipped(lambda n, d: d[:40] if n.endswith("sheet1.xml") else d),
        "damaged or not an .xlsx workbook",
    ),
    "no workbook part": (
        lambda: _rezipped(lambda n, d: None if n == "xl/workbook.xml" else d),
        "damaged or not an .xlsx workbook",
    ),
}


@pytest.mark.parametrize("name", list(BROKEN))
def test_a_file_that_is_not_a_workbook_is_one_line(tmp_path: Path, name: str) -> None:
    make, why = BROKEN[name]
    path = tmp_path / "book.xlsx"
    path.write_bytes(make())
    with pytest.raises(SheetError) as info:
        LocalWorkbook(path, "Invoices").read()
    message = str(info.value)
    assert message.startswith(f"{path} cannot be read as a workbook (")
    assert why in message
    assert "save it as an Excel .xlsx workbook" in message and "\n" not in message


def test_a_folder_named_like_a_workbook_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "book.xlsx"
    path.mkdir()
    with pytest.raises(SheetError, match=r"as a workbook \(it is a folder\)") as info:
        LocalWorkbook(path, "Invoices").read()
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("name", ["csv renamed", "empty", "zip, not xlsx", "damaged sheet"])
def test_the_command_says_one_line_without_a_traceback(tmp_path: Path, name: str) -> None:
    make, why = BROKEN[name]
    path = tmp_path / "book.xlsx"
    path.write_bytes(make())
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SHEETSYNC_", "STRIPE_"))}
    env |= {
        "SHEETSYNC_SPREADSHEET": str(path),
        "SHEETSYNC_STRIPE_API_KEY": STRIPE_KEY,
        "SHEETSYNC_STRIPE_API_BASE": "http://127.0.0.1:9",  # never reached
        "SHEETSYNC_LOCK_DIR": str(tmp_path / "locks"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "sheetsync", "run"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("sheetsync: ") and why in lines[0]
    assert "Traceback" not in done.stderr
