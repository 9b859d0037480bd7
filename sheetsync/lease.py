"""The billing lease: who may claim rows of a spreadsheet, and when a holder is gone.

One run at a time holds a spreadsheet's lease while it claims and bills; the
adapters store it in the spreadsheet itself (a hidden tab on Google Sheets, a
lock file beside a workbook) and take it atomically. This module only names
holders and decides whether a recorded holder may be taken over: the clock
comes in as `now`, and whether a process on this machine still lives comes in
as `alive`.
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

LEASE_TTL = timedelta(minutes=2)
"""How long a lease lasts unless renewed; a long cycle renews it at half that."""


@dataclass(frozen=True)
class Lease:
    """Who holds a spreadsheet's billing lease, and until when ('' when nobody)."""

    holder: str
    expires: datetime | None = None

    def held_by(self, holder: str) -> bool:
        """Whether `holder` is the one holding it."""
        return bool(holder) and self.holder == holder


def new_holder(host: str | None = None, pid: int | None = None) -> str:
    """A run's name as a lease holder: host, process and a random part, e.g.
    ``build-1/4242/9f2c1ab0``. The host and process let a run on the same machine
    tell a crashed holder from a live one; the random part keeps two runs apart."""
    return f"{host or socket.gethostname()}/{pid or os.getpid()}/{secrets.token_hex(4)}"


def holder_process(holder: str) -> tuple[str, int] | None:
    """The (host, pid) a holder name carries, or None when it carries none."""
    host, _, rest = holder.partition("/")
    pid, _, _ = rest.partition("/")
    return (host, int(pid)) if host and pid.isdigit() else None


def process_alive(pid: int) -> bool:
    """Whether a process with this pid exists on this machine."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, under another user
    return True


def may_take_over(
    lease: Lease,
    now: datetime,
    *,
    host: str | None = None,
    alive: Callable[[int], bool] = process_alive,
) -> bool:
    """Whether a recorded lease may be taken by another run at `now`.

    Yes when nobody holds it, when it has expired, or when its holder is a
    process on this very machine that no longer exists (a crashed run: the
    next run finishes its claims at once instead of waiting for expiry).
    """
    if not lease.holder or lease.expires is None or lease.expires <= now:
        return True
    process = holder_process(lease.holder)
    here = host or socket.gethostname()
    return process is not None and process[0] == here and not alive(process[1])
