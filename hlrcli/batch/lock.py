"""One run per job at a time: two overlapping cron runs of the same job would both pay for its numbers."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from hlrcli.errors import UsageError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no advisory locks; SQLite still serialises writes
    fcntl = None  # type: ignore[assignment]


@contextmanager
def job_lock(home: Path, job: str) -> Iterator[None]:
    if fcntl is None:
        yield
        return
    directory = home / "locks"
    directory.mkdir(parents=True, exist_ok=True)
    fd = os.open(directory / f"{job}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UsageError(f"job {job} is already running in another process") from None
        yield
    finally:
        os.close(fd)
