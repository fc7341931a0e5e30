"""The batch engine: ingest into the journal, estimate, then run sync lookups or async chunks, then join back.

The main thread owns the store; worker threads only speak HTTP. Every number is marked `sending` before its
request leaves and gets its outcome recorded when the answer comes back, so a crash at any moment leaves a
journal from which `--resume` continues without paying twice.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from hlrcli.errors import AuthError, ConfigError, HlrcliError, NetworkError, ProviderError, UncertainError
from hlrcli.models import PENDING, HlrResult, MnpResult, NtResult, Submission
from hlrcli.numbers import Number, normalise
from hlrcli.store import Job, Store

RESULT_TYPES: dict[str, type] = {"hlr": HlrResult, "mnp": MnpResult, "nt": NtResult}
SUBMISSION_COLUMNS = ("state", "id", "reference", "cost", "provider", "error")
SEND_STATES = ("pending", "failed")


# Output rows ---------------------------------------------------------------------------------------------------
def result_columns(kind: str, mode: str) -> list[str]:
    if mode == "async-receipt":
        return list(SUBMISSION_COLUMNS)
    return [f.name for f in fields(RESULT_TYPES[kind])]


class RowShaper:
    """Input columns first, unchanged; then the result columns (renamed `result_X` where a name clashes)."""

    def __init__(self, input_columns: Sequence[str], kind: str, mode: str, provider: str) -> None:
        self.input_columns = list(input_columns)
        self.kind, self.provider = kind, provider
        self.result_cols = result_columns(kind, mode)
        taken = set(self.input_columns)
        self.out_names = [f"result_{c}" if c in taken else c for c in self.result_cols]
        self.columns = self.input_columns + self.out_names
        self.receipt = mode == "async-receipt"
        self.key = "number" if kind == "nt" else "msisdn"
        self.status_field = {"hlr": "connectivity_status", "mnp": "query_status", "nt": "query_status"}[kind]

    def shape(self, cells: Sequence[str], values: dict[str, Any]) -> dict[str, Any]:
        row = dict(zip(self.input_columns, cells, strict=False))
        for name, col in zip(self.out_names, self.result_cols, strict=True):
            row[name] = values.get(col)
        return row

    def from_store(self, r: Any) -> dict[str, Any]:
        """One joined store row (see Store.joined) as an output row."""
        cells = json.loads(r["cells"])
        if r["number"] is None:
            return self.shape(cells, {"provider": self.provider, "error": r["row_error"]})
        state = r["state"]
        if self.receipt:
            values = {
                "state": r["receipt"] or {"done": "COMPLETED"}.get(state, state.upper()),
                "id": r["sub_id"],
                "reference": r["reference"],
                "cost": r["cost"],
                "provider": self.provider,
                "error": _state_error(state, r["error"]),
            }
            return self.shape(cells, values)
        if state == "done" and r["result"]:
            return self.shape(cells, json.loads(r["result"]))
        values = {
            self.key: r["number"],
            "provider": self.provider,
            "id": r["sub_id"],
            "reference": r["reference"],
        }
        if state in ("submitted", "sending", "pending"):
            values[self.status_field] = PENDING
        values["error"] = _state_error(state, r["error"])
        return self.shape(cells, values)


def _state_error(state: str, error: str | None) -> str | None:
    if state == "uncertain":
        return error or "uncertain: the request may have been billed; see `hlrcli jobs show`"
    if state == "pending":
        return "not sent"
    return error


# Ingest ----------------------------------------------------------------------------------------------------------
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
    """Reads the input into the journal in a background thread while the first requests already go out.

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


# Cost -----------------------------------------------------------------------------------------------------------
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


def estimate(store: Store, job: Job, provider: Any, states: Sequence[str]) -> Estimate:
    groups = store.pending_by_region(job.name, states)
    est = Estimate(to_send=sum(g["n"] for g in groups))
    if not provider.charges:
        return est
    prices = price_lookup(provider, job)
    for g in groups:
        price = prices(g["region"], g["sample"])
        if price is None:
            est.unknown += g["n"]
            est.by_country[g["region"] or "?"] = f"{g['n']} × unknown"
        else:
            est.cost += price * g["n"]
            est.by_country[g["region"] or "?"] = f"{g['n']} × {price:g}"
    return est


def price_lookup(provider: Any, job: Job) -> Callable[[str | None, str], float | None]:
    if provider.name == "hlrlookups":

        def hlr_price(region: str | None, sample: str) -> float | None:
            try:
                amount = provider.price(Number(raw=sample, e164=sample), job.kind.upper()).amount
                return float(amount) if amount is not None else None
            except (ProviderError, ValueError):
                return None

        return hlr_price
    if provider.name == "affiliate":
        try:
            table = provider.prices(job.options.get("tariff") or 0)
        except ProviderError:
            table = []
        by_code: dict[str, float] = {}
        for row in table:
            for key in (row.countrycode, row.countryname):
                if key and row.price is not None:
                    by_code.setdefault(str(key).upper(), float(row.price))
        from phonenumbers import geocoder, parse

        def aff_price(region: str | None, sample: str) -> float | None:
            if region and region.upper() in by_code:
                return by_code[region.upper()]
            name = geocoder.country_name_for_number(parse(sample), "en").upper()
            return by_code.get(name)

        return aff_price
    return lambda region, sample: None


# Running ----------------------------------------------------------------------------------------------------------
@dataclass
class Tally:
    sent: int = 0
    done: int = 0
    failed: int = 0
    uncertain: int = 0
    rejected: int = 0
    cost: float = 0.0  # billed in this run
    stopped: str | None = None  # why submission stopped early (max cost, interrupt, auth)


Progress = Callable[[int, float], None]  # (numbers finished in this step, cost of this step)


def _cost(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


class Runner:
    """Sends what the journal says is still to send, honouring --concurrency, --max-cost and interrupts."""

    def __init__(
        self,
        store: Store,
        job: Job,
        provider: Any,
        *,
        concurrency: int,
        max_cost: float | None,
        unit_price: float | None,
        resend: Sequence[str],
        progress: Progress,
        lookup_opts: dict[str, Any],
        on_results: Callable[[set[str]], None] = lambda done: None,
        more_coming: Callable[[], bool] = lambda: False,
        stop: threading.Event | None = None,
    ) -> None:
        self.store, self.job, self.provider = store, job, provider
        self.more_coming = more_coming  # True while the input is still being read into the journal
        self.stop = stop or threading.Event()  # set by Ctrl-C/SIGTERM: send nothing more, land what is out
        self.concurrency = max(1, concurrency)
        self.max_cost = max_cost
        self.unit = unit_price
        self.states = tuple(SEND_STATES) + tuple(resend)
        self.progress = progress
        self.opts = lookup_opts
        self.on_results = on_results
        self.tally = Tally()
        self.auth_error: HlrcliError | None = None
        self._cursor = -1

    def _affordable(self, count: int) -> int:
        """How many more numbers this run may send under --max-cost, counting those still in flight."""
        if self.max_cost is None:
            return count
        landed = self.tally.done + self.tally.failed + self.tally.rejected + self.tally.uncertain
        unit = self.unit or (self.tally.cost / landed if landed and self.tally.cost else None)
        if self.tally.cost >= self.max_cost:
            return 0
        if not unit:
            return count  # no price known yet: the first answer will tell
        return max(0, min(count, int(self.max_cost / unit + 1e-9) - self.tally.sent))

    def _next(self, count: int, full: bool = False) -> list[str]:
        """Up to `count` numbers to send next; with `full`, wait (return none) for a whole chunk while reading."""
        affordable = self._affordable(count)
        if affordable <= 0:
            self.tally.stopped = self.tally.stopped or f"--max-cost {self.max_cost:g} reached"
            return []
        more = self.more_coming()  # asked before the query: a finished ingest has committed everything
        rows = self.store.numbers_in(self.job.name, self.states, affordable, after=self._cursor)
        if full and more and len(rows) < affordable:
            return []
        if rows:
            self._cursor = rows[-1]["first_idx"]
        return [r["number"] for r in rows]

    def _drive(
        self,
        workers: int,
        launch: Callable[[ThreadPoolExecutor, int], list[Future]],
        land: Callable[[list[Future]], None],
    ) -> None:
        """Keep `workers` requests in flight; `launch` starts up to n more, `land` records a round of answers.

        Both work in rounds so that the journal is written once per round, not once per number.
        """
        in_flight: set[Future] = set()
        pool = ThreadPoolExecutor(max_workers=workers)
        try:
            while True:
                if self.stop.is_set() and not self.tally.stopped:
                    self.tally.stopped = "interrupted"
                # Asked before launching: once reading has finished, launch() has seen every number.
                more = self.more_coming()
                while len(in_flight) < workers and not self.tally.stopped:
                    started = launch(pool, workers - len(in_flight))
                    if not started:
                        break
                    in_flight.update(started)
                if not in_flight:
                    if more and not self.tally.stopped:
                        time.sleep(0.02)  # the input is still being read: more numbers will come
                        continue
                    break
                done, _ = wait(in_flight, timeout=0.1, return_when=FIRST_COMPLETED)
                in_flight -= done
                land(list(done))
        except KeyboardInterrupt:
            self.tally.stopped = "interrupted"
            # What is in flight was sent and may be billed: wait for the answers and record them.
            done, _ = wait(in_flight, timeout=self.provider.runtime.timeout + 5)
            land(list(done))
            raise
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
        if self.auth_error:
            raise self.auth_error
        if self.tally.stopped == "interrupted":
            raise KeyboardInterrupt  # everything sent has been recorded

    # Sync: one request per number --------------------------------------------------------------------------------
    def run_sync(self) -> Tally:
        kind = self.job.kind
        waiting: dict[Future, str] = {}

        def call(number: str) -> Any:
            # replays=0: an answer lost after sending is journaled as uncertain, never resent blindly.
            return self.provider.lookup(kind, Number(raw=number, e164=number), replays=0, **self.opts)

        def launch(pool: ThreadPoolExecutor, room: int) -> list[Future]:
            batch = self._next(room)
            if not batch:
                return []
            self.store.mark_sending(self.job.name, batch)
            self.tally.sent += len(batch)
            futures = [pool.submit(call, number) for number in batch]
            waiting.update(zip(futures, batch, strict=True))
            return futures

        def land(done: list[Future]) -> None:
            if not done:
                return
            items = []
            cost = 0.0
            for fut in done:
                state, values = self._outcome(fut)
                items.append((waiting.pop(fut), state, values))
                cost += _cost(values.get("cost"))
            self.store.set_numbers(self.job.name, items)
            self.tally.cost += cost
            self.progress(len(done), cost)
            self.on_results({number for number, _, _ in items})

        self._drive(self.concurrency, launch, land)
        return self.tally

    def _outcome(self, fut: Future) -> tuple[str, dict[str, Any]]:
        try:
            result = fut.result()
        except UncertainError as exc:
            self.tally.uncertain += 1
            return "uncertain", {"error": str(exc)}
        except (AuthError, ConfigError) as exc:
            self.auth_error = exc
            self.tally.stopped = "authentication failed"
            return "pending", {}
        except (ProviderError, NetworkError) as exc:
            self.tally.failed += 1
            return "failed", {"error": str(exc)}
        self.tally.done += 1
        return "done", {"result": asdict(result), "cost": getattr(result, "cost", None), "sub_id": result.id}

    # Async: chunks of numbers ------------------------------------------------------------------------------------
    def run_async(self) -> Tally:
        size = self.provider.chunk_size
        waiting: dict[Future, tuple[int, list[str]]] = {}
        seq = self.store.next_chunk(self.job.name)

        def launch(pool: ThreadPoolExecutor, room: int) -> list[Future]:
            nonlocal seq
            numbers = self._next(size, full=True)
            if not numbers:
                return []
            chunk = seq
            seq += 1
            self.store.mark_sending(self.job.name, numbers, chunk)
            items = [Number(raw=n, e164=n) for n in numbers]
            scope = self.job.options.get("scope") or self.job.name
            fut = pool.submit(self.provider.submit, self.job.kind, items, scope=scope, **self.opts)
            waiting[fut] = (chunk, numbers)
            self.tally.sent += len(numbers)
            return [fut]

        def land(done: list[Future]) -> None:
            for fut in done:
                land_chunk(fut)

        def land_chunk(fut: Future) -> None:
            chunk, numbers = waiting.pop(fut)
            try:
                subs: list[Submission] = fut.result()
            except UncertainError as exc:
                self._chunk_failed(chunk, numbers, "uncertain", str(exc))
                return
            except (AuthError, ConfigError) as exc:
                self.auth_error = exc
                self.tally.stopped = "authentication failed"
                self._chunk_failed(chunk, numbers, "pending", str(exc), chunk_state="failed")
                return
            except (ProviderError, NetworkError) as exc:
                self._chunk_failed(chunk, numbers, "failed", str(exc))
                return
            self._chunk_done(chunk, numbers, subs)

        # Chunks are few and large; a handful in flight keeps a paced provider busy without bursts.
        self._drive(min(self.concurrency, 4), launch, land)
        return self.tally

    def _chunk_failed(
        self, chunk: int, numbers: list[str], state: str, error: str, chunk_state: str | None = None
    ) -> None:
        self.store.set_numbers(self.job.name, [(n, state, {"error": error}) for n in numbers])
        self.store.finish_chunk(self.job.name, chunk, chunk_state or state, error=error)
        if state == "uncertain":
            self.tally.uncertain += len(numbers)
        elif state == "failed":
            self.tally.failed += len(numbers)
        self.progress(len(numbers), 0.0)
        self.on_results(set(numbers))

    def _chunk_done(self, chunk: int, numbers: list[str], subs: list[Submission]) -> None:
        by_number = {s.msisdn: s for s in subs}
        items = []
        cost = 0.0
        for n in numbers:
            sub = by_number.get(n)
            if sub is None:
                items.append((n, "failed", {"error": "missing from the provider's answer"}))
                self.tally.failed += 1
            elif sub.state == "REJECTED":
                items.append((n, "rejected", {"error": sub.error, "reference": sub.reference, "receipt": sub.state}))
                self.tally.rejected += 1
            else:
                items.append(
                    (
                        n,
                        "submitted",
                        {
                            "sub_id": sub.id,
                            "reference": sub.reference,
                            "cost": sub.cost,
                            "receipt": sub.state,
                        },
                    )
                )
                cost += _cost(sub.cost)
                self.tally.done += 1
        self.store.set_numbers(self.job.name, items)
        receipt = {
            "accepted": sum(1 for s in subs if s.state == "SUBMITTED"),
            "already_submitted": sum(1 for s in subs if s.state == "ALREADY_SUBMITTED"),
            "rejected": [s.msisdn for s in subs if s.state == "REJECTED"],
            "cost": f"{cost:.4f}",
        }
        self.store.finish_chunk(self.job.name, chunk, "submitted", cost=f"{cost:.4f}", receipt=receipt)
        self.tally.cost += cost
        self.progress(len(numbers), cost)
        self.on_results(set(numbers))


FINAL_FOR_OUTPUT = frozenset({"done", "failed", "rejected", "uncertain"})


class OrderedEmitter:
    """Writes output rows in input order as soon as every row before them is final (streaming)."""

    def __init__(
        self,
        store: Store,
        job: str,
        shaper: RowShaper,
        write: Callable[[dict[str, Any]], None],
    ) -> None:
        self.store, self.job, self.shaper, self.write = store, job, shaper, write
        self.next_idx = 0
        self.head: str | None = None  # the number the first unwritten row waits for

    def advance(self, finished: set[str] | None = None) -> None:
        if finished is not None and self.head is not None and self.head not in finished:
            return
        # Small pages first: usually only a few rows became writable; grow while whole pages are.
        page = 16
        while True:
            rows = list(self.store.joined(self.job, start=self.next_idx, limit=page))
            for r in rows:
                if not self._ready(r):
                    self.head = r["number"]
                    return
                self.write(self.shaper.from_store(r))
                self.next_idx = r["idx"] + 1
            if len(rows) < page:
                self.head = None
                return
            page = min(page * 2, 2000)

    def _ready(self, r: Any) -> bool:
        if r["number"] is None:
            return True  # an invalid row: its error is its result
        if self.shaper.receipt:
            # A receipt row is written once its submission is recorded (a webhook result may come first).
            return r["receipt"] is not None or r["state"] in ("failed", "rejected", "uncertain")
        return r["state"] in FINAL_FOR_OUTPUT

    def flush(self) -> None:
        """Everything left, final or not (after a stop): pending rows say so in `error`."""
        for r in self.store.joined(self.job, start=self.next_idx):
            self.write(self.shaper.from_store(r))
            self.next_idx = r["idx"] + 1
