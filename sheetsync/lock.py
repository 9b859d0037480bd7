"""One writer per spreadsheet on this machine: an advisory file lock.

Across machines the claim and Stripe's idempotency keys do the same job; this
lock keeps a cron run and a daemon on one machine from working at once.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sheetsync.errors import SheetsyncError


class Busy(SheetsyncError):
    """Another sheetsync process holds this spreadsheet's lock."""


def lock_path(spreadsheet_key: str, directory: Path | None = None) -> Path:
    """Where the lock of a spreadsheet lives (the key is hashed, not shown)."""
    digest = hashlib.sha256(spreadsheet_key.encode()).hexdigest()[:16]
    return (directory or Path(tempfile.gettempdir())) / f"sheetsync-{digest}.lock"


@contextmanager
def spreadsheet_lock(
    spreadsheet_key: str, directory: Path | None = None, timeout: float = 60.0
) -> Iterator[Path]:
    """Hold the spreadsheet's lock, waiting up to `timeout` seconds for it.

    :raises Busy: when another process keeps it longer than that.
    """
    path = lock_path(spreadsheet_key, directory)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise Busy(
                        f"another sheetsync run has been working on this spreadsheet for over "
                        f"{timeout:.0f}s (lock {path}); try again when it has finished"
                    ) from None
                time.sleep(0.05)
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        try:
            yield path
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
