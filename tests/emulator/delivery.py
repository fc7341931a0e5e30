"""Outgoing callbacks (webhooks, notifications) with the providers' retry behaviour, on a faster clock."""

from __future__ import annotations

import heapq
import http.client
import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass
class Delivery:
    """One delivery attempt, as the receiving end would have seen it."""

    provider: str
    url: str
    body: bytes
    headers: dict[str, str]
    attempt: int  # 1 for the first try
    status: int | None  # HTTP status answered, None when the connection failed
    error: str | None  # connection error, or "HTTP <status>" for a refused answer
    time: float  # monotonic
    gave_up: bool = False  # the last attempt of a delivery that never succeeded

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(order=True)
class _Job:
    due: float
    seq: int
    provider: str = field(compare=False)
    url: str = field(compare=False)
    body: bytes = field(compare=False)
    headers: dict[str, str] = field(compare=False)
    strict_200: bool = field(compare=False)
    generation: int = field(compare=False)
    attempt: int = field(compare=False, default=1)


class Deliverer:
    """A due-time queue drained by a few worker threads.

    `retry_delays` and `timeout` are read at each failure / attempt, so tests may change them at any time.
    """

    def __init__(self, retry_delays: Callable[[], list[float]], timeout: Callable[[], float], workers: int = 8):
        self._retry_delays = retry_delays
        self._timeout = timeout
        self._workers = workers
        self._cv = threading.Condition()
        self._heap: list[_Job] = []
        self._inflight = 0
        self._seq = itertools.count()
        self._generation = 0
        self._stopping = False
        self._threads: list[threading.Thread] = []
        self.records: list[Delivery] = []

    def start(self) -> None:
        with self._cv:
            self._stopping = False
        for i in range(self._workers):
            t = threading.Thread(target=self._run, name=f"emulator-delivery-{i}", daemon=True)
            t.start()
            self._threads.append(t)

    def stop(self) -> None:
        with self._cv:
            self._stopping = True
            self._cv.notify_all()
        for t in self._threads:
            t.join(timeout=2)
        self._threads.clear()

    def submit(
        self, provider: str, url: str, body: bytes, headers: dict[str, str], delay: float, *, strict_200: bool
    ) -> None:
        with self._cv:
            job = _Job(
                time.monotonic() + delay, next(self._seq), provider, url, body, dict(headers), strict_200,
                self._generation,
            )  # fmt: skip
            heapq.heappush(self._heap, job)
            self._cv.notify_all()

    def reset(self) -> None:
        """Forget queued work and records; attempts already in flight finish but are not recorded."""
        with self._cv:
            self._generation += 1
            self._heap.clear()
            self.records.clear()
            self._cv.notify_all()

    def snapshot(self) -> list[Delivery]:
        with self._cv:
            return list(self.records)

    def wait_idle(self, timeout: float) -> bool:
        with self._cv:
            return self._cv.wait_for(lambda: not self._heap and self._inflight == 0, timeout)

    def _next_job(self) -> _Job | None:
        with self._cv:
            while not self._stopping:
                if self._heap:
                    wait = self._heap[0].due - time.monotonic()
                    if wait <= 0:
                        self._inflight += 1
                        return heapq.heappop(self._heap)
                    self._cv.wait(wait)
                else:
                    self._cv.wait()
            return None

    def _run(self) -> None:
        while (job := self._next_job()) is not None:
            status, error = self._post(job)
            with self._cv:
                self._inflight -= 1
                if job.generation == self._generation:
                    delays = list(self._retry_delays())
                    retry = error is not None and job.attempt <= len(delays)
                    self.records.append(
                        Delivery(
                            job.provider, job.url, job.body, job.headers, job.attempt, status, error,
                            time.monotonic(), gave_up=error is not None and not retry,
                        )
                    )  # fmt: skip
                    if retry and not self._stopping:
                        job.due = time.monotonic() + delays[job.attempt - 1]
                        job.seq = next(self._seq)
                        job.attempt += 1
                        heapq.heappush(self._heap, job)
                self._cv.notify_all()

    def _post(self, job: _Job) -> tuple[int | None, str | None]:
        parts = urlsplit(job.url)
        # http.client rather than urllib: it ignores *_PROXY variables, which must never see test traffic.
        conn_cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        try:
            conn = conn_cls(parts.hostname or "", parts.port, timeout=self._timeout())
            try:
                conn.request("POST", target, body=job.body, headers=job.headers)
                resp = conn.getresponse()
                resp.read()
                status = resp.status
            finally:
                conn.close()
        except (OSError, http.client.HTTPException, ValueError) as exc:
            return None, f"{type(exc).__name__}: {exc}"
        accepted = status == 200 if job.strict_200 else 200 <= status < 300
        return status, None if accepted else f"HTTP {status}"
