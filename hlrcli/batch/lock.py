"""One run per job at a time: two overlapping cron runs of the same job would both pay for its numbers."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from hlrcli.batch.plan import check_job_name
from hlrcli.config import private_dir
from hlrcli.errors import UsageError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no advisory locks; SQLite still serialises writes
    fcntl = None  # type: ignore[assignment]


def _lock_path(home: Path, job: str) -> Path:
    directory = home / "locks"
    private_dir(directory)
    # A job name becomes a file name: only names that cannot leave the locks directory.
    return directory / f"{check_job_name(job)}.lock"


@contextmanager
def job_lock(home: Path, job: str) -> Iterator[None]:
    if fcntl is None:
        yield
        return
    fd = os.open(_lock_path(home, job), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UsageError(f"job {job} is already running in another process") from None
        yield
    finally:
        os.close(fd)


def locked(home: Path, job: str) -> bool:
    """Is a run of `job` holding its lock right now (in another process)?"""
    if fcntl is None:
        return False
    path = _lock_path(home, job)
    if not path.exists():
        return False
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False
