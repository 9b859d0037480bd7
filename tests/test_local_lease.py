"""The billing lease of a local workbook: a file beside the real workbook, taken by
exactly one of several processes racing for it, and left alone by everyone else."""

from __future__ import annotations

import fcntl
import json
import multiprocessing
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from sheetsync.errors import SheetError
from sheetsync.lease import new_holder
from sheetsync.sheets import files
from sheetsync.sheets.workbook import LocalWorkbook

START = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
TTL = timedelta(minutes=2)
ROUNDS = 100


def _book(path: Path) -> Path:
    book = openpyxl.Workbook()
    assert book.active is not None
    book.active.title = "Invoices"
    book.active.append(["Status"])
    book.save(path)
    return path


def _contend(path: str, name: str, barrier: Any, results: Any) -> None:
    """One process: each round, take the lease at a time when the last one has expired;
    on odd rounds the winner then gives it up, so the next round starts from no file."""
    sheet = LocalWorkbook(Path(path), "Invoices")
    holder = f"elsewhere-{name}/1/{name}"
    for round_ in range(ROUNDS):
        now = START + round_ * (TTL + timedelta(seconds=1))
        barrier.wait()
        won = sheet.take_lease(holder, now, TTL).held_by(holder)
        results.put((round_, name, won))
        barrier.wait()
        if won and round_ % 2:
            sheet.release_lease(holder)


def test_of_processes_racing_for_the_lease_exactly_one_wins_each_round(tmp_path: Path) -> None:
    path = _book(tmp_path / "book.xlsx")
    context = multiprocessing.get_context("spawn")
    names = ["p1", "p2", "p3"]
    barrier = context.Barrier(len(names), timeout=60)
    results = context.Queue()
    processes = [
        context.Process(target=_contend, args=(str(path), name, barrier, results))
        for name in names
    ]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=120) for _ in range(ROUNDS * len(names))]
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0
    winners: dict[int, list[str]] = {}
    for round_, name, won in outcomes:
        winners.setdefault(round_, []).extend([name] if won else [])
    assert {r: len(w) for r, w in winners.items()} == dict.fromkeys(range(ROUNDS), 1)
    assert len({w[0] for w in winners.values()}) > 1  # a real race: not always the same one


def test_the_lease_file_sits_beside_the_real_workbook(tmp_path: Path) -> None:
    real_dir = tmp_path / "shared"
    real_dir.mkdir()
    real = _book(real_dir / "book.xlsx")
    link = tmp_path / "book.xlsx"
    link.symlink_to(real)
    sheet = LocalWorkbook(link, "Invoices")
    sheet.take_lease("host-a/1/aaaa", START, TTL)
    lease_file = real_dir / ".book.xlsx.sheetsync-lease"
    stored = json.loads(lease_file.read_text())
    assert stored == {"holder": "host-a/1/aaaa", "expires": "2026-11-21T12:02:00+00:00"}
    assert not (tmp_path / ".book.xlsx.sheetsync-lease").exists()
    assert LocalWorkbook(real, "Invoices").take_lease("host-b/2/bbbb", START, TTL).holder == (
        "host-a/1/aaaa"
    )

    sheet.release_lease("host-b/2/bbbb")
    assert lease_file.exists()
    sheet.release_lease("host-a/1/aaaa")
    assert not lease_file.exists()


def test_the_lease_keeps_the_workbooks_permissions(tmp_path: Path) -> None:
    path = _book(tmp_path / "book.xlsx")
    path.chmod(0o660)
    LocalWorkbook(path, "Invoices").take_lease("host-a/1/aaaa", START, TTL)
    for name in (".book.xlsx.sheetsync-lease", ".book.xlsx.sheetsync-lease.lock"):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o660


def test_a_crashed_holder_on_this_machine_is_taken_over_before_expiry(tmp_path: Path) -> None:
    path = _book(tmp_path / "book.xlsx")
    now = datetime.now(UTC)
    script = (
        "import sys; from datetime import datetime, timedelta; from pathlib import Path;"
        "from sheetsync.lease import new_holder;"
        "from sheetsync.sheets.workbook import LocalWorkbook;"
        "holder = new_holder();"
        "lease = LocalWorkbook(Path(sys.argv[1]), 'Invoices').take_lease("
        "holder, datetime.fromisoformat(sys.argv[2]), timedelta(hours=1));"
        "print(holder if lease.held_by(holder) else '')"
    )
    crashed = subprocess.run(
        [sys.executable, "-c", script, str(path), now.isoformat()],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert crashed  # it held the lease for an hour, then its process ended
    mine = new_holder()
    sheet = LocalWorkbook(path, "Invoices")
    assert sheet.take_lease(mine, now + timedelta(seconds=1), TTL).held_by(mine)


def test_a_stuck_lease_file_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _book(tmp_path / "book.xlsx")
    sheet = LocalWorkbook(path, "Invoices")
    sheet.take_lease("host-a/1/aaaa", START, TTL)
    monkeypatch.setattr(files, "LEASE_WAIT", 0.2)
    with open(tmp_path / ".book.xlsx.sheetsync-lease.lock") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # another process in the middle of taking it
        with pytest.raises(SheetError, match="held .* for over 0s") as info:
            sheet.take_lease("host-b/2/bbbb", START, TTL)
    assert "\n" not in str(info.value)


def test_an_unwritable_folder_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _book(tmp_path / "book.xlsx")

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(files.tempfile, "mkstemp", refuse)
    with pytest.raises(SheetError) as info:
        LocalWorkbook(path, "Invoices").take_lease("host-a/1/aaaa", START, TTL)
    message = str(info.value)
    assert "Permission denied" in message and f"check that {tmp_path} is writable" in message
    assert "\n" not in message


def test_a_lease_file_sheetsync_did_not_write_counts_as_free(tmp_path: Path) -> None:
    path = _book(tmp_path / "book.xlsx")
    (tmp_path / ".book.xlsx.sheetsync-lease").write_text("garbage\n")
    lease = LocalWorkbook(path, "Invoices").take_lease("host-a/1/aaaa", START, TTL)
    assert lease.held_by("host-a/1/aaaa")
