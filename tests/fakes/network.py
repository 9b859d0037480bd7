"""A guard that keeps tests on this machine: name lookups other than loopback fail."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


class NetworkGuard:
    """Refuses name lookups for anything but loopback, remembering who tried."""

    def __init__(self) -> None:
        self.blocked: list[str] = []
        self.leak_expected = False  # set by the one test that shows a leak being stopped
        self.tried = threading.Event()

    def wrap(self, real: Callable[..., Any]) -> Callable[..., Any]:
        def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
            if str(host) not in ("127.0.0.1", "localhost", "::1"):
                self.blocked.append(str(host))
                self.tried.set()
                raise OSError(f"test network guard: {host} is not loopback")
            return real(host, *args, **kwargs)

        return getaddrinfo
