"""The per-machine lock: a stable per-user folder whatever the temp folder is, and one
line with its fix for every way the folder or the file can fail."""

from __future__ import annotations

import errno
import fcntl
import os
import tempfile
from pathlib import Path
from typing import Any

import pytest

from sheetsync import lock
from sheetsync.lock import Busy, LockError, default_lock_dir, lock_path, spreadsheet_lock

HOME = Path("/home/ann")


@pytest.mark.parametrize(
    ("environ", "platform", "expected"),
    [
        ({"XDG_STATE_HOME": "/srv/state"}, "linux", Path("/srv/state/sheetsync/locks")),
        ({"XDG_STATE_HOME": "relative/state"}, "linux", HOME / ".local/state/sheetsync/locks"),
        ({"XDG_STATE_HOME": ""}, "linux", HOME / ".local/state/sheetsync/locks"),
        ({}, "linux", HOME / ".local/state/sheetsync/locks"),
        ({}, "darwin", HOME / "Library/Application Support/sheetsync/locks"),
        ({"XDG_STATE_HOME": "/srv/state"}, "darwin", Path("/srv/state/sheetsync/locks")),
    ],
)
def test_the_default_lock_folder_is_per_user_and_stable(
    environ: dict[str, str], platform: str, expected: Path
) -> None:
    assert default_lock_dir(environ, HOME, platform) == expected


def test_the_lock_is_the_same_whatever_the_temp_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    paths = set()
    for temp in ("/tmp", str(tmp_path / "private-tmp")):  # a shell, systemd's PrivateTmp
        monkeypatch.setattr(tempfile, "tempdir", temp)
        paths.add(lock_path("sheet-1"))
    assert len(paths) == 1
    (path,) = paths
    assert path.parent == tmp_path / "state/sheetsync/locks"
    with spreadsheet_lock("sheet-1", timeout=0) as held:
        assert held == path and path.read_text() == f"{os.getpid()}\n"
    assert lock_path("sheet-1", tmp_path / "mine").parent == tmp_path / "mine"  # lock_dir wins


def _fail_under(blocked: Path, call: Any, error: int) -> Any:
    def failing(path: Any, *args: Any, **kwargs: Any) -> Any:
        if str(path).startswith(str(blocked)):
            raise OSError(error, os.strerror(error), str(path))
        return call(path, *args, **kwargs)

    return failing


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            "mkdir",
            errno.EACCES,
            "cannot make the lock folder {locks}: permission denied; check the owner and "
            "permissions of {base}, or set lock_dir (SHEETSYNC_LOCK_DIR) to a folder this user "
            "can write",
        ),
        (
            "mkdir",
            errno.EROFS,
            "cannot make the lock folder {locks}: it is on a read-only file system; set lock_dir "
            "(SHEETSYNC_LOCK_DIR) to a writable folder (a systemd service may also need it in "
            "ReadWritePaths=)",
        ),
        (
            "open",
            errno.EACCES,
            "cannot open the lock file {file}: permission denied; check the owner and "
            "permissions of {locks}, or set lock_dir (SHEETSYNC_LOCK_DIR) to a folder this user "
            "can write",
        ),
        (
            "open",
            errno.EROFS,
            "cannot open the lock file {file}: it is on a read-only file system; set lock_dir "
            "(SHEETSYNC_LOCK_DIR) to a writable folder (a systemd service may also need it in "
            "ReadWritePaths=)",
        ),
        (
            "open",
            errno.ENOSPC,
            "cannot open the lock file {file}: No space left on device; check {locks}, "
            "or set lock_dir (SHEETSYNC_LOCK_DIR)",
        ),
    ],
)
def test_a_lock_that_cannot_be_made_is_one_line_with_its_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, call: str, error: int, message: str
) -> None:
    locks = tmp_path / "state" / "locks"
    if call == "open":
        locks.mkdir(parents=True)
    monkeypatch.setattr(os, call, _fail_under(locks, getattr(os, call), error))
    with pytest.raises(LockError) as info:
        with spreadsheet_lock("sheet-1", locks, timeout=0):
            pytest.fail("the lock was taken")
    file = lock_path("sheet-1", locks)
    assert str(info.value) == message.format(locks=locks, file=file, base=tmp_path)


def test_a_file_in_the_way_of_the_lock_folder_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "state").write_text("not a folder")
    with pytest.raises(LockError) as info:
        with spreadsheet_lock("sheet-1", tmp_path / "state" / "locks", timeout=0):
            pytest.fail("the lock was taken")
    assert str(info.value) == (
        f"cannot make the lock folder {tmp_path}/state/locks: {tmp_path}/state is a file, "
        "not a folder; move that file or set lock_dir (SHEETSYNC_LOCK_DIR) to another folder"
    )


def test_a_file_system_without_locks_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_locks(*args: Any) -> None:
        raise OSError(errno.ENOLCK, os.strerror(errno.ENOLCK))

    monkeypatch.setattr(lock.fcntl, "flock", no_locks)
    with pytest.raises(LockError, match="^cannot lock .*: No locks available; check .*, or set "):
        with spreadsheet_lock("sheet-1", tmp_path, timeout=0):
            pytest.fail("the lock was taken")


def test_a_lock_held_too_long_names_the_holder_and_the_setting(tmp_path: Path) -> None:
    with spreadsheet_lock("sheet-1", tmp_path):
        with pytest.raises(Busy) as info:
            with spreadsheet_lock("sheet-1", tmp_path, timeout=0.1):
                pytest.fail("the lock was taken twice")
    assert str(info.value) == (
        f"another sheetsync run (process {os.getpid()}) has been working on this spreadsheet "
        f"for over 0s (lock {lock_path('sheet-1', tmp_path)}): wait for it to finish, or raise "
        "lock_timeout (SHEETSYNC_LOCK_TIMEOUT)"
    )
    with spreadsheet_lock("sheet-1", tmp_path, timeout=0):  # and free again afterwards
        pass


def test_no_home_folder_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    def homeless() -> Path:
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.delenv("XDG_STATE_HOME", raising=False)
    monkeypatch.setattr(Path, "home", homeless)
    with pytest.raises(LockError) as info:
        lock_path("sheet-1")
    assert str(info.value) == (
        "this user has no home folder to keep sheetsync's locks in: "
        "set lock_dir (SHEETSYNC_LOCK_DIR)"
    )


def test_the_lock_is_released_when_its_holder_ends(tmp_path: Path) -> None:
    with spreadsheet_lock("sheet-1", tmp_path) as path:
        with open(path) as other:
            with pytest.raises(BlockingIOError):
                fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
    with open(path) as other:
        fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
