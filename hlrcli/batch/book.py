"""The job book: what the store holds about jobs, read and looked after.

    record results   from any source — a webhook, a poll — into their rows
    look after jobs  list, show, export, report, diff, poll, wait, delete, prune

`Jobs` (batch/service.py) runs batches and submissions on top of it; like it, nothing here prints.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from hlrcli.batch.lock import locked
from hlrcli.batch.rows import STATUS_FIELD, RowShaper
from hlrcli.config import Settings
from hlrcli.errors import ExitCode, HlrcliError, UsageError
from hlrcli.models import PENDING, CallbackResult
from hlrcli.providers.base import Provider, ResultsBy
from hlrcli.store import AWAITED, UNMATCHED, Job, JobState, NumberState, Store

if TYPE_CHECKING:
    from hlrcli.batch.service import ProviderFactory, Ui


def when(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ")


class JobBook:
    """The jobs of one home directory (HLRCLI_HOME), as the store holds them."""

    def __init__(self, settings: Settings, ui: Ui, providers: ProviderFactory) -> None:
        self.settings = settings
        self.ui = ui
        self.providers = providers
        self.home = settings.home()

    def store(self, *, durable: bool = False) -> Store:
        return Store.open(self.home, durable=durable)

    # Results from any source ----------------------------------------------------------------------------------
    @staticmethod
    def record_results(store: Store, results: Sequence[CallbackResult]) -> int:
        """Webhook or poll results into their rows (final ones only); returns how many were new."""
        finals = [r for r in results if r.final]
        return sum(new for new, _ in store.deliver_many(finals)) if finals else 0

    def poll_once(self, store: Store, job: Job, provider: Provider) -> int:
        """Ask the provider for every result still awaited (by id, else by our reference); returns how many
        arrived. Uncertain numbers are asked for too: a result is how an uncertain request gets resolved."""
        from concurrent.futures import ThreadPoolExecutor

        from hlrcli.payloads import record_dict

        arrived = 0
        after = -1
        while True:
            waiting = [
                r for r in store.numbers_in(job.name, AWAITED, limit=200, after=after) if r.sub_id or r.reference
            ]
            if not waiting:
                return arrived
            after = waiting[-1].first_idx

            def fetch(row: Any) -> tuple[Any, Any]:
                try:
                    if row.sub_id:
                        return row, provider.status(hlr_id=row.sub_id)
                    return row, provider.status(reference=row.reference)
                except HlrcliError as exc:
                    return row, exc

            found: list[CallbackResult] = []
            with ThreadPoolExecutor(max_workers=4) as pool:
                for row, result in pool.map(fetch, waiting):
                    if isinstance(result, HlrcliError):
                        if result.exit_code == ExitCode.CONFIG:
                            raise result
                        self.ui.trace(f"poll {row.number}: {result}")
                        continue
                    if result.connectivity_status == PENDING:
                        continue
                    found.append(
                        CallbackResult(
                            provider=job.provider,
                            result_key=f"{result.id}:{result.raw_status}",
                            kind=job.kind,
                            number=row.number,
                            result={**record_dict(result), "msisdn": row.number},
                            match={"sub_id": result.id, "reference": result.reference or row.reference},
                        )
                    )
            arrived += self.record_results(store, found)

    def pollable(self, job: Job, per_minute: float | None = None) -> Provider | None:
        from hlrcli import providers

        if job.mode != "async" or providers.provider_class(job.provider).results_by is not ResultsBy.POLL:
            return None
        return self.providers("status", name=job.provider, per_minute=per_minute)

    def poll(self, name: str, per_minute: float | None = None) -> tuple[int, int]:
        with closing(self.store()) as store:
            job = self.job(store, name)
            if job.mode != "async":
                raise UsageError(f"job {name} is synchronous: its results are already in the store")
            provider = self.pollable(job, per_minute)
            if provider is None:
                raise UsageError(
                    f"{job.provider} results cannot be polled; they arrive by webhook "
                    "(`hlrcli webhook serve`, see `hlrcli webhook url`)"
                )
            arrived = self.poll_once(store, job, provider)
            return arrived, self.awaited(store, job)

    # Looking after jobs ---------------------------------------------------------------------------------------
    @staticmethod
    def awaited(store: Store, job: Job, counts: dict[NumberState, int] | None = None) -> int:
        """Paid results that may still arrive: only an asynchronous job gets results later (a synchronous
        lookup whose answer was lost never will)."""
        if job.mode != "async":
            return 0
        counts = store.counts(job.name) if counts is None else counts
        return sum(counts.get(s, 0) for s in AWAITED)

    @staticmethod
    def job(store: Store, name: str) -> Job:
        job = store.job(name)
        if job is None:
            known = ", ".join(j.name for j in store.jobs()[-5:]) or "none yet"
            raise UsageError(f"no job named {name!r} (recent: {known}; see `hlrcli jobs list`)")
        return job

    def summary(self, store: Store, job: Job) -> dict[str, Any]:
        counts = store.counts(job.name)
        sent = sum(counts.get(s, 0) for s in NumberState if s not in (NumberState.PENDING, NumberState.SENDING))
        awaited = self.awaited(store, job, counts)
        state = job.state.value
        if job.mode == "async" and job.state is JobState.DONE and awaited:
            state = f"awaiting ({awaited})"  # short: it must fit `jobs list` at 80 columns
        cost = store.cost(job.name)
        return {
            "name": job.name,
            "provider": job.provider,
            "type": job.kind,
            "mode": job.mode,
            "state": state,
            "created": when(job.created),
            "rows": job.rows,
            "distinct": sum(counts.values()),
            "submitted": sent,
            "results": counts.get(NumberState.DONE, 0),
            "pending": counts.get(NumberState.PENDING, 0) + awaited,
            "uncertain": counts.get(NumberState.UNCERTAIN, 0),
            "failed": counts.get(NumberState.FAILED, 0) + counts.get(NumberState.REJECTED, 0),
            "cost": round(cost.billed, 4),
            # None when nothing may be billed, or when no answer has told a price (the cost text says so).
            "maybe_billed": round(cost.maybe, 4) if cost.maybe_numbers and cost.maybe else None,
        }

    def listing(self) -> list[dict[str, Any]]:
        with closing(self.store()) as store:
            rows = [self.summary(store, j) for j in store.jobs()]
            unmatched = store.deliveries(UNMATCHED)
            if unmatched:
                rows.append({"name": UNMATCHED, "results": len(unmatched), "state": "results with no known job"})
            return rows

    def show(self, name: str) -> dict[str, Any]:
        with closing(self.store()) as store:
            job = self.job(store, name)
            counts = store.counts(name)
            chunks = store.chunks(name)
            by_state: dict[str, int] = {}
            for c in chunks:
                by_state[c.state.value] = by_state.get(c.state.value, 0) + 1
            options = {k: v for k, v in job.options.items() if k not in ("reference_map", "run")}
            cost = store.cost(name)
            return {
                **self.summary(store, job),
                "cost": cost.text(),
                "updated": when(job.updated),
                "input": job.input,
                "input_sha256": job.input_hash,
                "number_column": job.number_column,
                "options": options,
                "run": job.options.get("run") or {},
                "invalid_rows": store.invalid_rows(name),
                "numbers_by_state": ", ".join(f"{k.value} {v}" for k, v in sorted(counts.items())),
                "chunks": ", ".join(f"{k} {v}" for k, v in sorted(by_state.items())) or "—",
                "uncertain_chunks": [c.seq for c in chunks if c.state.value == "uncertain"],
            }

    def chunks(self, name: str) -> list[dict[str, Any]]:
        with closing(self.store()) as store:
            self.job(store, name)
            return [
                {
                    "seq": c.seq,
                    "state": c.state.value,
                    "size": c.size,
                    "cost": c.cost,
                    "maybe_billed": c.maybe_cost if c.state.value == "uncertain" else None,
                    "receipt": c.receipt,
                    "error": c.error,
                    "updated": when(c.updated),
                }
                for c in store.chunks(name)
            ]

    def unmatched(self) -> Iterator[dict[str, Any]]:
        with closing(self.store()) as store:
            for d in store.deliveries(UNMATCHED):
                yield {
                    "provider": d.provider,
                    "kind": d.kind,
                    "msisdn": d.number,
                    "received": when(d.received),
                    "result": d.result,
                }

    def result_rows(self, store: Store, job: Job) -> Iterator[dict[str, Any]]:
        """One row per distinct number (its result, or its state), then one per invalid input row: what a report
        counts and a diff compares (an export by input row would count a duplicate number twice)."""
        status_field = STATUS_FIELD[job.kind]
        after = ""
        while True:
            page = store.query(
                "SELECT number, state, result, error, cost FROM numbers WHERE job = ? AND number > ?"
                " ORDER BY number LIMIT 5000",
                (job.name, after),
            )
            for number, state, result, error, cost in page:
                if result:
                    yield json.loads(result)
                    continue
                row: dict[str, Any] = {"msisdn": number, "error": error, "cost": cost}
                if NumberState(state) in (*AWAITED, NumberState.PENDING):
                    row[status_field] = PENDING
                yield row
            if len(page) < 5000:
                break
            after = page[-1][0]
        for (error,) in store.query("SELECT error FROM rows WHERE job = ? AND number IS NULL", (job.name,)):
            yield {"msisdn": None, "error": error}

    def meta(self, store: Store, job: Job) -> dict[str, Any]:
        return {
            "job": job.name,
            "provider": job.provider,
            "type": job.kind,
            "mode": job.mode,
            "input": job.input,
            "created": when(job.created),
            "updated": when(job.updated),
            "options": {k: v for k, v in job.options.items() if k not in ("run", "scope")},
        }

    def report(
        self, name: str, dimensions: str | None = None, against: str | None = None
    ) -> tuple[Any, Any, dict[str, Any]]:
        """The job's report (and the earlier job's, for --against), and its metadata for an HTML page."""
        from hlrcli.batch.report import compute

        with closing(self.store()) as store:
            job = self.job(store, name)
            distinct = int(store.query("SELECT COUNT(*) FROM numbers WHERE job = ?", (name,))[0][0])
            try:
                current = compute(self.result_rows(store, job), dimensions, currency="EUR", distinct=distinct)
                old = None
                if against is not None:
                    before = self.job(store, against)
                    old = compute(self.result_rows(store, before), dimensions, currency="EUR")
            except ValueError as exc:
                raise UsageError(f"--by: {exc}") from None
            return current, old, self.meta(store, job)

    def diff(self, old_name: str, new_name: str) -> Any:
        from hlrcli.batch.diff import diff

        with closing(self.store()) as store:
            old, new = self.job(store, old_name), self.job(store, new_name)
            return diff(self.result_rows(store, old), self.result_rows(store, new))

    def export(self, store: Store, name: str) -> tuple[RowShaper, Iterator[dict[str, Any]], Job]:
        job = self.job(store, name)
        shaper = RowShaper(job.columns, job.kind, job.provider)
        return shaper, (shaper.from_store(r) for r in store.joined(job.name)), job

    @contextmanager
    def exporting(self, name: str) -> Iterator[Export]:
        """A job's rows joined with their results, with a wait for those still awaited (`jobs results`)."""
        with closing(self.store()) as store:
            shaper, _, job = self.export(store, name)
            yield Export(self, store, job, shaper)

    def names(self, prefix: str = "") -> list[str]:
        with closing(self.store()) as store:
            return store.job_names(prefix)

    def wait(self, store: Store, job: Job, timeout: float, interval: float) -> int:
        """Poll the store (and the provider, where it can be polled) until nothing is awaited; returns what is."""
        provider = self.pollable(job)
        deadline = time.monotonic() + timeout
        while True:
            if provider is not None:
                self.poll_once(store, job, provider)
            waiting = self.awaited(store, job)
            if not waiting or time.monotonic() >= deadline:
                return waiting
            self.ui.trace(f"{waiting} result(s) awaited")
            time.sleep(min(interval, max(0.0, deadline - time.monotonic())))

    def delete(self, name: str, *, force: bool = False) -> None:
        with closing(self.store()) as store:
            job = self.job(store, name)
            self._deletable(store, job, force)
            store.delete_job(name)

    def prune(self, older_than: float, *, dry_run: bool = False, force: bool = False) -> tuple[list[str], list[str]]:
        """Jobs not touched for `older_than` seconds: (removed or to remove, kept and why)."""
        removed, kept = [], []
        with closing(self.store()) as store:
            for job in store.jobs_older_than(older_than):
                try:
                    self._deletable(store, job, force)
                except UsageError as exc:
                    kept.append(f"{job.name}: {exc.message}")
                    continue
                removed.append(job.name)
                if not dry_run:
                    store.delete_job(job.name)
            if not dry_run:
                store.prune_unmatched(older_than)
        return removed, kept

    def _deletable(self, store: Store, job: Job, force: bool) -> None:
        if locked(self.home, job.name):
            raise UsageError(f"job {job.name} is running (another process holds it); wait for it to finish")
        awaited = self.awaited(store, job)
        if awaited and not force:
            raise UsageError(f"job {job.name} still awaits {awaited} paid result(s); export them first or pass --force")


@dataclass
class Export:
    jobs: JobBook
    store: Store
    job: Job
    shaper: RowShaper

    @property
    def columns(self) -> list[str]:
        return self.shaper.columns

    def wait(self, timeout: float, interval: float) -> int:
        return self.jobs.wait(self.store, self.job, timeout, interval)

    def rows(self) -> Iterator[dict[str, Any]]:
        return (self.shaper.from_store(r) for r in self.store.joined(self.job.name))
