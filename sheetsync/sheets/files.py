"""Files beside a local workbook: atomic replacement, and the billing lease file.

`replace_atomically` writes a new file under an unpredictable name, created
exclusively in the target's folder, gives it the target's mode (and owner and
group where permitted), syncs it and renames it over the target; on any
failure the new file is removed and the target is untouched.

`LeaseFile` keeps a workbook's billing lease in ``.NAME.sheetsync-lease``, a
small JSON file (holder, expiry in ISO UTC) beside the real workbook. Every
take and release holds an exclusive `flock` on a companion file that is never
removed (``.NAME.sheetsync-lease.lock``) while it reads the lease, decides and
replaces it: of several processes exactly one decides at a time, and since the
lease file is replaced by rename it is never seen half-written. (A lock-free
take-over by rename or link would need a second check that the file it moved
is still the expired one; the companion lock makes read-decide-write one step.)
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO

from sheetsync.errors import SheetError
from sheetsync.lease import Lease, may_take_over
from sheetsync.lock import flock_within

log = logging.getLogger(__name__)

LEASE_WAIT = 10.0
"""Seconds to wait while another process reads or changes a lease file."""


def replace_atomically(
    target: Path, write: Callable[[IO[bytes]], object], mode: int | None = None
) -> None:
    """Write through `write(handle)` into a new file beside `target`, then rename it
    over `target`. Without `mode`, the new file takes the target's mode, owner and group.

    :raises OSError: when the file cannot be made, written or renamed.
    """
    original = target.stat() if mode is None else None
    descriptor, name = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".sheetsync-saving", dir=target.parent
    )
    temporary = Path(name)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            if original is not None:
                _keep_owner(handle.fileno(), original)
                mode = original.st_mode
            os.fchmod(handle.fileno(), (mode or 0) & 0o7777)
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _keep_owner(descriptor: int, original: os.stat_result) -> None:
    """Give the new file the target's owner and group, or as much of it as permitted."""
    for uid in (original.st_uid, -1):
        try:
            os.fchown(descriptor, uid, original.st_gid)
            return
        except PermissionError:
            continue
    log.debug("kept neither the owner nor the group of the workbook: not permitted")


class LeaseFile:
    """The billing lease of the workbook at `workbook` (its real path)."""

    def __init__(self, workbook: Path) -> None:
        self._workbook = workbook
        self.path = workbook.with_name(f".{workbook.name}.sheetsync-lease")
        self.guard = workbook.with_name(f".{workbook.name}.sheetsync-lease.lock")

    def take(self, holder: str, now: datetime, ttl: timedelta) -> Lease:
        """Take the lease for `holder` until `now + ttl` unless someone else holds it.

        :raises SheetError: when the lease file cannot be read or written.
        """
        with self.locked() as mode:
            current = self._read()
            if not current.held_by(holder) and not may_take_over(current, now):
                return current
            expires = (now + ttl).astimezone(UTC)
            text = json.dumps({"holder": holder, "expires": expires.isoformat()}) + "\n"
            replace_atomically(self.path, lambda handle: handle.write(text.encode()), mode)
            return Lease(holder, expires)

    def release(self, holder: str) -> None:
        """Remove the lease file if it names `holder`.

        :raises SheetError: when the lease file cannot be read or removed.
        """
        with self.locked():
            if self._read().held_by(holder):
                self.path.unlink(missing_ok=True)

    @contextmanager
    def locked(self) -> Iterator[int]:
        """Hold the companion file's exclusive flock; yields the files' permissions.

        Taken around the lease's read-decide-replace, and around every load-change-save
        of the workbook, so that no save puts back a workbook from before another's.
        """
        guard = self.guard
        try:
            mode = self._workbook.stat().st_mode & 0o666
            descriptor = _open_guard(guard, mode)
        except OSError as exc:
            raise SheetError(_problem(guard, exc)) from None
        try:
            _flock(descriptor, guard)
            yield mode
        except OSError as exc:
            raise SheetError(_problem(self.path, exc)) from None
        finally:
            os.close(descriptor)  # and with it the flock

    def _read(self) -> Lease:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return Lease("")
        try:
            data = json.loads(text)
            expires = datetime.fromisoformat(data["expires"])
            holder = str(data["holder"])
        except (ValueError, KeyError, TypeError):
            log.warning("%s is not a lease sheetsync wrote; it counts as free", self.path)
            return Lease("")
        return Lease(holder, expires if expires.tzinfo else expires.replace(tzinfo=UTC))


def _open_guard(guard: Path, mode: int) -> int:
    """The companion file, created with the workbook's permissions when absent."""
    try:
        descriptor = os.open(guard, os.O_RDONLY | os.O_CREAT | os.O_EXCL, mode)
    except FileExistsError:
        return os.open(guard, os.O_RDONLY)
    os.fchmod(descriptor, mode)  # whoever may bill the workbook may lock it, whatever the umask
    return descriptor


def _flock(descriptor: int, guard: Path) -> None:
    if not flock_within(descriptor, LEASE_WAIT, poll=0.01):
        raise SheetError(
            f"another process has held {guard} for over {LEASE_WAIT:.0f}s: "
            "check for a hung sheetsync run on a machine that shares the folder"
        )


def _problem(path: Path, exc: OSError) -> str:
    return (
        f"cannot use the billing lease file {path} ({exc.strerror or exc}): "
        f"check that {path.parent} is writable by this user"
    )
