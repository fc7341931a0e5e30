"""The batch engine: send what the journal says is still to send — sync lookups in a pool, async chunks.

The main thread owns the store; worker threads only speak HTTP. Every number is journaled `sending` (with the
keys known in advance and what it may cost) before its request leaves, and its outcome is recorded when the
answer comes back, in rounds:

    accepted                     → done (sync) / submitted, rejected (async)
    refused before processing    → failed: nothing billed, sent again by the next run
    uncertain (maybe billed)     → uncertain: never sent again without --resubmit-uncertain,
                                   except where the provider makes a repeat free (`resend_free`)
    not sent (stopping)          → pending

A crash at any moment leaves a journal from which `--resume` continues without paying twice.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from queue import Empty, SimpleQueue
from typing import Any

from hlrcli.errors import AuthError, Cancelled, ConfigError, HlrcliError, NetworkError, ProviderError, UncertainError
from hlrcli.models import Submission
from hlrcli.numbers import Number
from hlrcli.payloads import record_dict
from hlrcli.providers.base import Pricer, Provider
from hlrcli.store import TO_SEND, ChunkState, Job, NumberRow, NumberState, Outcome, Store


@dataclass
class Tally:
    sent: int = 0
    done: int = 0
    failed: int = 0
    uncertain: int = 0
    rejected: int = 0
    cost: float = 0.0  # billed in this run, as answers said
    maybe: float = 0.0  # requests of this run that may have been billed (uncertain)
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
        provider: Provider,
        *,
        concurrency: int,
        max_cost: float | None,
        unit_price: float | None,
        resend: Sequence[NumberState],
        progress: Progress,
        lookup_opts: dict[str, Any],
        on_results: Callable[[set[str]], None] = lambda done: None,
        more_coming: Callable[[], bool] = lambda: False,
        stop: threading.Event | None = None,
        pricer: Pricer | None = None,
    ) -> None:
        self.store, self.job, self.provider = store, job, provider
        self.more_coming = more_coming  # True while the input is still being read into the journal
        self.stop = stop or threading.Event()  # set by Ctrl-C/SIGTERM: send nothing more, land what is out
        self.concurrency = max(1, concurrency)
        self.max_cost = max_cost
        self.unit = unit_price
        self.pricer = pricer  # asked once for a unit price when no estimate was made (the cron path)
        self.states = (*TO_SEND, *resend)
        self.progress = progress
        self.opts = lookup_opts
        self.on_results = on_results
        self.tally = Tally()
        self.auth_error: HlrcliError | None = None
        self._cursor = -1
        self._priced = False
        self._ahead: deque[NumberRow] = deque()  # read from the journal, not yet handed out
        self._landed: list[Outcome] = []  # answers not yet journaled: they go in the next round's transaction
        self._landed_cost = 0.0

    def halt(self, reason: str) -> None:
        """Send nothing more (the answers in flight are still awaited and journaled)."""
        self.tally.stopped = self.tally.stopped or reason
        self.provider.cancel()  # requests waiting out a 429 or a backoff are not sent

    def _unit(self) -> float | None:
        """The price of one number: the estimate's, else what answers have cost so far."""
        landed = self.tally.done + self.tally.rejected
        return self.unit or (self.tally.cost / landed if landed and self.tally.cost else None)

    def _price_first(self, row: NumberRow) -> None:
        """No estimate was made (reading and sending overlap, or no price list): learn a unit price before the
        first request, so what an uncertain request may have cost is recorded from the start."""
        if self.unit is not None or self._priced:
            return
        self._priced = True
        if self.pricer is not None:
            try:
                self.unit = self.pricer(row.region, row.number)
            except HlrcliError:
                self.unit = None
        if self.unit is None and self.provider.billed:
            self.unit = self.store.known_unit(self.job.name)  # what earlier answers cost

    def _affordable(self, count: int) -> int:
        """How many more numbers this run may send under --max-cost, counting those still in flight."""
        if self.max_cost is None:
            return count
        spent = self.tally.cost + self.tally.maybe
        if spent >= self.max_cost:
            return 0
        unit = self._unit()
        if not unit:
            return count  # no price known yet: the first answer will tell
        return max(0, min(count, int(self.max_cost / unit + 1e-9) - self.tally.sent))

    def _next(self, count: int, full: bool = False) -> list[str]:
        """Up to `count` numbers to send next; with `full`, wait (return none) for a whole chunk while reading.

        The journal is read a page ahead: one query per page, not one per round of a few answers. Whether a
        number may still be sent is decided again when it is journaled `sending` (`Store.journal(allowed=…)`).
        """
        affordable = self._affordable(count)
        if affordable <= 0:
            self.tally.stopped = self.tally.stopped or f"--max-cost {self.max_cost:g} reached"
            return []
        if len(self._ahead) < affordable:
            more = self.more_coming()  # asked before the query: a finished ingest has committed everything
            page = max(affordable - len(self._ahead), 512)
            rows = self.store.numbers_in(self.job.name, self.states, page, after=self._cursor)
            if rows:
                self._cursor = rows[-1].first_idx
                self._ahead.extend(rows)
            if full and more and len(self._ahead) < affordable:
                return []
        if not self._ahead:
            return []
        self._price_first(self._ahead[0])
        return [self._ahead.popleft().number for _ in range(min(affordable, len(self._ahead)))]

    def _drive(
        self,
        workers: int,
        launch: Callable[[ThreadPoolExecutor, int], list[Future[Any]]],
        land: Callable[[list[Future[Any]]], None],
    ) -> None:
        """Keep `workers` requests in flight; `launch` starts up to n more, `land` records a round of answers.

        Both work in rounds so that the journal is written once per round, not once per number.
        """
        in_flight: set[Future[Any]] = set()
        # Workers hand back finished requests through a queue: waiting costs the same with 64 in flight as with
        # one (concurrent.futures.wait registers with every pending future on each call).
        finished: SimpleQueue[Future[Any]] = SimpleQueue()
        pool = ThreadPoolExecutor(max_workers=workers)
        try:
            while True:
                if self.stop.is_set() and not self.tally.stopped:
                    self.tally.stopped = "interrupted"
                    self.provider.cancel()  # requests waiting out a 429 or a backoff are not sent
                # Asked before launching: once reading has finished, launch() has seen every number.
                more = self.more_coming()
                while len(in_flight) < workers and not self.tally.stopped:
                    started = launch(pool, workers - len(in_flight))
                    if not started:
                        break
                    in_flight.update(started)
                    for fut in started:
                        fut.add_done_callback(finished.put)
                self._flush()
                if not in_flight:
                    if more and not self.tally.stopped:
                        time.sleep(0.02)  # the input is still being read: more numbers will come
                        continue
                    break
                try:
                    landed = [finished.get(timeout=0.1)]
                except Empty:
                    continue
                while True:
                    try:
                        landed.append(finished.get_nowait())
                    except Empty:
                        break
                in_flight.difference_update(landed)
                land(landed)
        except KeyboardInterrupt:
            self.tally.stopped = "interrupted"
            self.provider.cancel()
            # What is in flight was sent and may be billed: wait for the answers and record them.
            done, _ = wait(in_flight, timeout=self.provider.runtime.timeout * 3 + 5)
            land(list(done))
            self._flush()
            self._price_unknown()
            raise
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
        self._flush()
        self._price_unknown()
        if self.auth_error:
            raise self.auth_error
        if self.tally.stopped == "interrupted":
            raise KeyboardInterrupt  # everything sent has been recorded

    # Sync: one request per number --------------------------------------------------------------------------------
    def run_sync(self) -> Tally:
        kind = self.job.kind
        waiting: dict[Future[Any], str] = {}

        def call(number: str) -> Any:
            # replays=0: an answer lost after sending is journaled as uncertain, never resent blindly.
            return self.provider.lookup(kind, Number(raw=number, e164=number), replays=0, **self.opts)

        def launch(pool: ThreadPoolExecutor, room: int) -> list[Future[Any]]:
            # The answers landed since the last round and this round's numbers: one transaction. (A number a
            # late result took meanwhile is not marked: choose again rather than end the run early.)
            batch: list[str] = []
            while not batch:
                chosen = self._next(room)
                if not chosen:
                    return []
                batch = self._flush(chosen)
            self.tally.sent += len(batch)
            futures = [pool.submit(call, number) for number in batch]
            waiting.update(zip(futures, batch, strict=True))
            return futures

        def land(done: list[Future[Any]]) -> None:
            for fut in done:
                state, values = self._outcome(fut)
                self._landed.append((waiting.pop(fut), state, values))
                self._landed_cost += _cost(values.get("cost"))

        self._drive(self.concurrency, launch, land)
        return self.tally

    def _price_unknown(self) -> None:
        """Answers of this run may have told a price that requests whose answer was lost lacked."""
        if self.provider.billed and self.tally.sent:
            self.store.price_unknown(self.job.name)

    def _flush(self, sending: Sequence[str] = ()) -> list[str]:
        """Journal the answers landed so far and, in the same transaction, the numbers about to be sent;
        returns those that may be sent (still in a state this run sends)."""
        if not self._landed and not sending:
            return []
        landed, cost = self._landed, self._landed_cost
        self._landed, self._landed_cost = [], 0.0
        marked = self.store.journal(self.job.name, landed, sending, unit=self._unit(), allowed=self.states)
        if landed:
            self.tally.cost += cost
            self.progress(len(landed), cost)
            self.on_results({number for number, _, _ in landed})
        return marked

    def _outcome(self, fut: Future[Any]) -> tuple[NumberState, dict[str, Any]]:
        try:
            result = fut.result()
        except UncertainError as exc:
            self.tally.uncertain += 1
            self.tally.maybe += self._unit() or 0.0
            return NumberState.UNCERTAIN, {"error": str(exc)}
        except Cancelled:
            self.tally.sent -= 1  # stopped before it left (waiting for its turn at the pace)
            return NumberState.PENDING, {"maybe_cost": None}
        except (AuthError, ConfigError) as exc:
            self.auth_error = self.auth_error or exc
            self.tally.stopped = "authentication failed" if isinstance(exc, AuthError) else "configuration error"
            self.provider.cancel()
            return NumberState.PENDING, {"maybe_cost": None}
        except (ProviderError, NetworkError) as exc:
            self.tally.failed += 1
            return NumberState.FAILED, {"error": str(exc), "maybe_cost": None}
        self.tally.done += 1
        return NumberState.DONE, {
            "result": record_dict(result),
            "cost": getattr(result, "cost", None),
            "sub_id": result.id,
            "maybe_cost": None,
            "source": "provider",
        }

    # Async: chunks of numbers ------------------------------------------------------------------------------------
    def run_async(self) -> Tally:
        size = self.provider.chunk_size
        waiting: dict[Future[Any], tuple[int, list[str]]] = {}
        seq = self.store.next_chunk(self.job.name)
        scope = self.job.options.get("scope") or self.job.name

        def launch(pool: ThreadPoolExecutor, room: int) -> list[Future[Any]]:
            nonlocal seq
            chunk = seq
            numbers: list[str] = []
            while not numbers:  # late results may have taken a whole chunk meanwhile: choose again
                chosen = self._next(size, full=True)
                if not chosen:
                    return []
                # Keys we choose ourselves (affiliate references) are journaled before the request leaves, so a
                # result can find its row even if the answer to this request is lost.
                refs = self.provider.references(chosen, scope, **self.opts)
                numbers = self.store.journal(
                    self.job.name, sending=chosen, chunk=chunk, references=refs, unit=self._unit(), allowed=self.states
                )
            seq += 1
            items = [Number(raw=n, e164=n) for n in numbers]
            fut = pool.submit(self.provider.submit, self.job.kind, items, scope=scope, **self.opts)
            waiting[fut] = (chunk, numbers)
            self.tally.sent += len(numbers)
            return [fut]

        def land(done: list[Future[Any]]) -> None:
            for fut in done:
                chunk, numbers = waiting.pop(fut)
                self._land_chunk(fut, chunk, numbers)

        # Chunks are few and large; a handful in flight keeps a paced provider busy without bursts.
        self._drive(min(self.concurrency, 4), launch, land)
        return self.tally

    def _land_chunk(self, fut: Future[Any], chunk: int, numbers: list[str]) -> None:
        try:
            subs: list[Submission] = fut.result()
        except UncertainError as exc:
            self._chunk_outcome(chunk, numbers, NumberState.UNCERTAIN, ChunkState.UNCERTAIN, str(exc))
            self.tally.uncertain += len(numbers)
            self.tally.maybe += (self._unit() or 0.0) * len(numbers)
            return
        except Cancelled as exc:
            self.tally.sent -= len(numbers)
            self._chunk_outcome(chunk, numbers, NumberState.PENDING, ChunkState.FAILED, str(exc))
            return
        except (AuthError, ConfigError) as exc:
            self.auth_error = self.auth_error or exc
            self.tally.stopped = "authentication failed" if isinstance(exc, AuthError) else "configuration error"
            self.provider.cancel()
            self._chunk_outcome(chunk, numbers, NumberState.PENDING, ChunkState.FAILED, str(exc))
            return
        except (ProviderError, NetworkError) as exc:
            self._chunk_outcome(chunk, numbers, NumberState.FAILED, ChunkState.FAILED, str(exc))
            self.tally.failed += len(numbers)
            return
        self._chunk_done(chunk, numbers, subs)

    def _chunk_outcome(
        self, chunk: int, numbers: list[str], state: NumberState, chunk_state: ChunkState, error: str
    ) -> None:
        values: dict[str, Any] = {"error": None if state is NumberState.PENDING else error}
        if state is not NumberState.UNCERTAIN:
            values["maybe_cost"] = None
        self.store.record(self.job.name, [(n, state, values) for n in numbers])
        self.store.finish_chunk(self.job.name, chunk, chunk_state, error=error)
        self.progress(len(numbers), 0.0)
        self.on_results(set(numbers))

    def _chunk_done(self, chunk: int, numbers: list[str], subs: list[Submission]) -> None:
        by_number = {s.msisdn: s for s in subs}
        items: list[Outcome] = []
        cost = 0.0
        missing = 0
        for n in numbers:
            sub = by_number.get(n)
            if sub is None:
                # Accepted request, number absent from the answer: it may or may not have been processed.
                items.append((n, NumberState.UNCERTAIN, {"error": "missing from the provider's answer"}))
                missing += 1
            elif sub.state == "REJECTED":
                values: dict[str, Any] = {
                    "error": sub.error,
                    "reference": sub.reference,
                    "receipt": sub.state,
                    "maybe_cost": None,
                }
                items.append((n, NumberState.REJECTED, values))
                self.tally.rejected += 1
            else:
                values = {
                    "sub_id": sub.id,
                    "reference": sub.reference,
                    "cost": sub.cost,
                    "currency": sub.currency,
                    "receipt": sub.state,
                    "maybe_cost": None,
                    "billed_earlier": sub.state == "ALREADY_SUBMITTED",
                }
                items.append((n, NumberState.SUBMITTED, values))
                cost += _cost(sub.cost)
                self.tally.done += 1
        self.tally.uncertain += missing
        self.tally.maybe += (self._unit() or 0.0) * missing
        self.store.record(self.job.name, items)
        receipt = {
            "accepted": sum(1 for s in subs if s.state == "SUBMITTED"),
            "already_submitted": sum(1 for s in subs if s.state == "ALREADY_SUBMITTED"),
            "rejected": [s.msisdn for s in subs if s.state == "REJECTED"],
            "missing": missing,
            "cost": f"{cost:.4f}",
        }
        self.store.finish_chunk(self.job.name, chunk, ChunkState.SUBMITTED, cost=f"{cost:.4f}", receipt=receipt)
        self.tally.cost += cost
        self.progress(len(numbers), cost)
        self.on_results(set(numbers))
