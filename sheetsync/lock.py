"""One writer per spreadsheet on this machine: an advisory file lock.

Across machines the claim and Stripe's idempotency keys do the same job; this
lock keeps a cron run and a daemon on one machine from working at once. The
lock files live in a stable per-user folder (not the temp folder, which cron,
a shell and a systemd service with PrivateTmp each see differently):
``$XDG_STATE_HOME/sheetsync/locks``, else ``~/.local/state/sheetsync/locks``
(``~/Library/Application Support/sheetsync/locks`` on macOS); the `lock_dir`
setting overrides it. Every problem with the folder or the file is one line
saying which setting to change or what to check.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from sheetsync.errors import SheetsyncError

SETTING = "lock_dir (SHEETSYNC_LOCK_DIR)"


class Busy(SheetsyncError):
    """Another sheetsync process holds this spreadsheet's lock."""


class LockError(SheetsyncError):
    """The lock's folder or file cannot be used."""


def default_lock_dir(
    environ: Mapping[str, str] | None = None,
    home: Path | None = None,
    platform: str = sys.platform,
) -> Path:
    """This user's folder for lock files (see the module docstring).

    :raises LockError: when there is no home folder to put it in.
    """
    environ = os.environ if environ is None else environ
    state = environ.get("XDG_STATE_HOME", "")
    if state and Path(state).is_absolute():  # the XDG spec ignores a relative path
        return Path(state) / "sheetsync" / "locks"
    try:
        home = home or Path.home()
    except RuntimeError:
        raise LockError(
            f"this user has no home folder to keep sheetsync's locks in: set {SETTING}"
        ) from None
    if platform == "darwin":
        return home / "Library" / "Application Support" / "sheetsync" / "locks"
    return home / ".local" / "state" / "sheetsync" / "locks"


def lock_path(spreadsheet_key: str, directory: Path | None = None) -> Path:
    """Where the lock of a spreadsheet lives (the key is hashed, not shown).

    :raises LockError: when there is no folder for it.
    """
    digest = hashlib.sha256(spreadsheet_key.encode()).hexdigest()[:16]
    return (directory or default_lock_dir()) / f"sheetsync-{digest}.lock"


@contextmanager
def spreadsheet_lock(
    spreadsheet_key: str, directory: Path | None = None, timeout: float = 60.0
) -> Iterator[Path]:
    """Hold the spreadsheet's lock, waiting up to `timeout` seconds for it.

    :raises Busy: when another process keeps it longer than that.
    :raises LockError: when the lock's folder or file cannot be made or opened.
    """
    path = lock_path(spreadsheet_key, directory)
    _make_folder(path.parent)
    try:
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    except OSError as exc:
        raise LockError(_problem("cannot open the lock file", path, exc)) from None
    try:
        _wait_for(descriptor, path, timeout)
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, f"{os.getpid()}\n".encode(), 0)
        yield path
    finally:
        os.close(descriptor)  # and with it the lock


def _make_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        blocker = next(
            (p for p in (folder, *folder.parents) if os.path.exists(p) and not p.is_dir()), folder
        )
        raise LockError(
            f"cannot make the lock folder {folder}: {blocker} is a file, not a folder; "
            f"move that file or set {SETTING} to another folder"
        ) from None
    except OSError as exc:
        raise LockError(_problem("cannot make the lock folder", folder, exc)) from None


def flock_within(descriptor: int, timeout: float, poll: float = 0.02) -> bool:
    """Take an exclusive flock on `descriptor`, waiting up to `timeout` seconds for it.

    Returns False when someone else kept it that long.
    :raises OSError: when the file system cannot lock (e.g. ENOLCK on some network mounts).
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(poll)


def _wait_for(descriptor: int, path: Path, timeout: float) -> None:
    try:
        taken = flock_within(descriptor, timeout)
    except OSError as exc:  # e.g. ENOLCK: a network file system without locks
        raise LockError(_problem("cannot lock", path, exc)) from None
    if not taken:
        raise Busy(_busy(descriptor, path, timeout))


def _busy(descriptor: int, path: Path, timeout: float) -> str:
    holder = os.pread(descriptor, 32, 0).decode(errors="replace").strip()
    who = f"process {holder}" if holder.isdigit() else "another process"
    return (
        f"another sheetsync run ({who}) has been working on this spreadsheet for over "
        f"{timeout:.0f}s (lock {path}): wait for it to finish, or raise lock_timeout "
        "(SHEETSYNC_LOCK_TIMEOUT)"
    )


def _problem(what: str, path: Path, exc: OSError) -> str:
    """One line for an OSError on the lock's folder or file: the cause and the fix."""
    if exc.errno == errno.EROFS:
        return (
            f"{what} {path}: it is on a read-only file system; set {SETTING} to a writable "
            "folder (a systemd service may also need it in ReadWritePaths=)"
        )
    if exc.errno in (errno.EACCES, errno.EPERM):
        return (
            f"{what} {path}: permission denied; check the owner and permissions of "
            f"{path if os.path.exists(path) else _nearest(path)}, or set {SETTING} to a folder "
            "this user can write"
        )
    return f"{what} {path}: {exc.strerror or exc}; check {path.parent}, or set {SETTING}"


def _nearest(path: Path) -> Path:
    return next((p for p in path.parents if os.path.exists(p)), path.parent)
