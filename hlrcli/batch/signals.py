"""Signals during a job: Ctrl-C and SIGTERM stop it cleanly, never in the middle of recording a paid answer."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@contextmanager
def handling(signals: tuple[signal.Signals, ...], handler: Any) -> Iterator[None]:
    """Our handler for `signals` while the block runs, the previous ones restored after."""
    try:
        previous = {sig: signal.signal(sig, handler) for sig in signals}
    except ValueError:  # not the main thread (the Python API driven from a thread): signals stay as they are
        yield
        return
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def sigterm_as_interrupt() -> Any:
    """systemd and cron stop jobs with SIGTERM: stop as cleanly as on Ctrl-C (cleanup code runs)."""
    return handling((signal.SIGTERM,), _interrupt)


def finish_in_flight_on_signal(stop: threading.Event) -> Any:
    """Ctrl-C or SIGTERM while requests are out: stop sending, record the answers in flight, then stop.

    Raising at an arbitrary point could lose track of a request already sent (and billed); a flag read
    between rounds cannot. A second signal stops at once.
    """

    def handler(signum: int, frame: Any) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    return handling((signal.SIGINT, signal.SIGTERM), handler)
