"""Graceful stop: the first SIGINT/SIGTERM asks the cycle to stop, a second one stops now."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

log = logging.getLogger(__name__)


@contextmanager
def stop_on_signal(also: Callable[[], None] = lambda: None) -> Iterator[threading.Event]:
    """An Event set by SIGINT or SIGTERM; `also` runs once when it is first set."""
    stop = threading.Event()

    def handle(signum: int, frame: FrameType | None) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        log.warning(
            "%s: finishing the Stripe call in flight, then writing what is known",
            signal.Signals(signum).name,
        )
        also()

    previous = {s: signal.signal(s, handle) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
