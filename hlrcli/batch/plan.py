"""Planning a paid job: read the input into the journal (deduped), name the job, estimate what it will cost."""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from hlrcli.errors import UsageError
from hlrcli.numbers import normalise
from hlrcli.providers.base import Provider
from hlrcli.store import Job, NumberState, Store

JOB_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


def check_job_name(name: str) -> str:
    """A job name is a file name too (its lock): letters, digits, . _ -, at most 100, no path."""
    if not JOB_NAME.fullmatch(name) or ".." in name:
        raise UsageError("--job takes 1 to 100 letters, digits, '.', '_' or '-', starting with a letter or digit")
    return name


def job_name(provider: str, kind: str, mode: str, input_sha: str, options: dict[str, Any]) -> str:
    material = json.dumps({"input": input_sha, "options": options}, sort_keys=True)
    return f"{provider}-{kind}-{hashlib.sha256(material.encode()).hexdigest()[:10]}"


def ingest(
    store: Store,
    job: Job,
    rows: Iterator[list[str]],
    number_index: int,
    country: str | None,
    stop: threading.Event | None = None,
) -> int:
    """Normalise every row into the journal (streamed; idempotent, so an interrupted ingest can be redone).

    Returns the number of rows read (fewer than the input's if `stop` was set).
    """
    count = 0

    def gen() -> Iterator[tuple[int, list[str], str | None, str | None, str | None]]:
        nonlocal count
        for idx, cells in enumerate(rows):
            if stop is not None:
                if stop.is_set():
                    return
                if idx % 200 == 0:
                    time.sleep(0.002)  # background reading yields: the sender's pacing slots come first
            n = normalise(cells[number_index], country)
            count = idx + 1
            yield idx, cells, n.e164, n.region, n.error

    store.add_rows(job.name, gen())
    return count


class Ingestion:
    """Reads the (already checked) input into the journal in a background thread while the first requests go.

    Used when nothing needs the totals first (no dry run, no --max-cost, no question to ask): a cron job's
    big file then costs its paced sending time, not reading time plus sending time.
    """

    def __init__(self, store: Store, job: Job, rows: Iterator[list[str]], number_index: int, country: str | None):
        self.rows = 0
        self.error: BaseException | None = None
        self._stop = threading.Event()
        self._args = (store, job, rows, number_index, country)
        self._thread = threading.Thread(target=self._run, name="hlrcli-ingest", daemon=True)

    def start(self) -> Ingestion:
        self._thread.start()
        return self

    def _run(self) -> None:
        try:
            self.rows = ingest(*self._args, stop=self._stop)
        except BaseException as exc:  # re-raised in the main thread by finish()
            self.error = exc

    def running(self) -> bool:
        return self._thread.is_alive()

    def finish(self) -> int:
        self._thread.join()
        if self.error is not None:
            raise self.error
        return self.rows

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


@dataclass
class Estimate:
    to_send: int = 0
    cost: float = 0.0
    unknown: int = 0  # numbers whose price could not be found
    currency: str = "EUR"
    by_country: dict[str, str] = field(default_factory=dict)

    @property
    def unit(self) -> float | None:
        known = self.to_send - self.unknown
        return self.cost / known if known > 0 else None

    def text(self) -> str:
        if self.to_send == 0:
            return "nothing to send"
        if self.unknown == self.to_send:
            return "unknown (this provider publishes no prices we can query)"
        extra = f", plus {self.unknown} numbers at an unknown price" if self.unknown else ""
        return f"{self.cost:.4f} {self.currency}{extra}"


def estimate(store: Store, job: Job, provider: Provider, states: Sequence[NumberState]) -> Estimate:
    groups = store.pending_by_region(job.name, states)
    est = Estimate(to_send=sum(n for _, n, _ in groups))
    if not provider.billed:
        return est
    price = provider.pricer(job.kind, job.options)
    for region, count, sample in groups:
        unit = price(region, sample)
        if unit is None:
            est.unknown += count
            est.by_country[region or "?"] = f"{count} × unknown"
        else:
            est.cost += unit * count
            est.by_country[region or "?"] = f"{count} × {unit:g}"
    return est
