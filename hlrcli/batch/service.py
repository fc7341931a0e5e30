"""The job service: the one API the CLI (and `import hlrcli`) calls for anything that has a job.

    run a batch      open or resume the job → plan (read and check the input, dedupe, reuse stored results,
                     estimate) → run (sync pool or async chunks) → finish (state, summary, exit code)
    submit now       `lookup` on an asynchronous provider: a one-chunk job
    record results   from any source — an answer, a webhook, a poll — into their rows
    look after jobs  list, show, export, poll, wait, delete, prune

A job's lifecycle is `JobState`; every change of state goes through `Jobs._move`, which knows the allowed ones.
Nothing here prints: notices and questions go through the `Ui` the caller gives; results come back as values.
"""

from __future__ import annotations

import json
import shlex
import threading
import time
from collections.abc import Sequence
from contextlib import ExitStack, closing
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from hlrcli.batch.book import JobBook
from hlrcli.batch.engine import Runner, Tally
from hlrcli.batch.lock import job_lock
from hlrcli.batch.plan import (
    Estimate,
    Ingestion,
    check_columns,
    check_destination,
    check_job_name,
    check_options,
    check_same,
    choose_mode,
    estimate,
    ingest,
    job_name,
    run_options,
)
from hlrcli.batch.reader import Input, open_input
from hlrcli.batch.rows import OrderedEmitter, RowShaper
from hlrcli.batch.signals import finish_in_flight_on_signal, sigterm_as_interrupt
from hlrcli.errors import DiskFull, ExitCode, InputError, UsageError
from hlrcli.models import Submission
from hlrcli.numbers import Number, distinct
from hlrcli.output import Format, Style, check_table_size, delimiter_for, open_output, writer
from hlrcli.providers.base import Provider
from hlrcli.store import (
    TO_SEND,
    Job,
    JobState,
    NumberState,
    Store,
    scrub_options,
    unscrub,
)

# What the CLI may use: it calls this module, never plan.py or the engine directly.
__all__ = ["BatchOutcome", "BatchRequest", "Jobs", "SubmitOutcome", "check_columns", "check_options", "choose_mode"]

CONFIRM_ABOVE = 1000
# The states a job may move to from each state (the lifecycle, in one place).
TRANSITIONS: dict[JobState, frozenset[JobState]] = {
    JobState.INGESTING: frozenset({JobState.READY, JobState.RUNNING}),
    JobState.READY: frozenset({JobState.RUNNING, JobState.INGESTING}),
    JobState.RUNNING: frozenset({JobState.DONE, JobState.INCOMPLETE, JobState.INTERRUPTED}),
    JobState.INTERRUPTED: frozenset({JobState.RUNNING, JobState.READY}),
    JobState.INCOMPLETE: frozenset({JobState.RUNNING, JobState.READY}),
    JobState.DONE: frozenset({JobState.RUNNING, JobState.READY}),
}


class ProgressBar(Protocol):
    def advance(self, count: int, cost: float) -> None: ...
    def stop(self) -> None: ...


class Ui(Protocol):
    """What the service needs from whoever drives it (the CLI's context, or a quiet one for the Python API)."""

    quiet: bool

    def notice(self, message: str) -> None: ...
    def warn(self, message: str) -> None: ...
    def trace(self, message: str) -> None: ...
    def can_ask(self) -> bool: ...
    def confirm(self, question: str) -> bool: ...
    def progress(self, total: int | None, label: str) -> ProgressBar: ...


class ProviderFactory(Protocol):
    def __call__(
        self, command: str, *, name: str | None = None, concurrency: int = 4, per_minute: float | None = None
    ) -> Provider: ...


@dataclass
class BatchRequest:
    """Everything `hlrcli batch` (or `hlrcli.run_batch`) was asked; None means "not given"."""

    source: str
    kind: str | None = None  # hlr, unless resuming a job of another type
    provider: str | None = None
    column: str | None = None
    country: str | None = None
    mode: str | None = None
    concurrency: int | None = None
    per_minute: float | None = None
    job: str | None = None
    resume: bool = False
    again: bool = False
    resubmit_uncertain: bool = False
    dry_run: bool = False
    max_cost: float | None = None
    max_age: float | None = None
    yes: bool = False
    encoding: str | None = None
    lookup_opts: dict[str, Any] = field(default_factory=dict)
    output: str | None = None
    format: Format | None = None
    columns: tuple[str, ...] | None = None
    header: bool | None = None
    raw: bool | None = None
    excel: bool | None = None
    stdout: Any = None  # where rows go without -o (the CLI's stdout)
    breakdown: bool = False  # a closing three-line breakdown is wanted (a terminal shows it)

    @property
    def lookup_type(self) -> str:
        return self.kind or "hlr"


@dataclass
class BatchOutcome:
    code: ExitCode
    job: str | None = None
    summary: str | None = None  # the one-line summary (stderr)
    hint: str | None = None  # what to run next (resume, results)
    report: dict[str, Any] | None = None  # a dry run's figures
    breakdown: list[str] = field(default_factory=list)  # the closing breakdown's lines, when asked for


class Interrupted(Exception):
    """Raised through the output's context so a partial -o file is discarded, then turned into an outcome."""

    def __init__(self, outcome: BatchOutcome) -> None:
        super().__init__("interrupted")
        self.outcome = outcome


class Jobs(JobBook):
    """The job service over one home directory (HLRCLI_HOME): batches and submissions, on top of the job book
    (results, polls, listing, exports, reports, clean-up)."""

    def _token(self) -> str:
        from hlrcli.token import webhook_token

        return webhook_token(self.settings)

    # Lifecycle ------------------------------------------------------------------------------------------------
    @staticmethod
    def _move(store: Store, job: Job, to: JobState) -> None:
        if to is not job.state and to not in TRANSITIONS.get(job.state, frozenset()):
            raise RuntimeError(f"job {job.name}: no transition from {job.state.value} to {to.value}")
        store.update_job(job.name, state=to)
        job.state = to

    # Batch ----------------------------------------------------------------------------------------------------
    def batch(self, req: BatchRequest) -> BatchOutcome:
        with ExitStack() as stack:
            stack.enter_context(sigterm_as_interrupt())  # the spool is removed on SIGTERM too
            if req.job is not None:
                check_job_name(req.job)
            inp = open_input(
                req.source, req.column, spool_dir=self.home / "spool", encoding=req.encoding, notice=self.ui.notice
            )
            stack.callback(inp.cleanup)
            req = self._resumed(req, inp)
            provider = self.providers(
                "batch", name=req.provider, concurrency=req.concurrency or 8, per_minute=req.per_minute
            )
            mode = choose_mode(provider, req.lookup_type, req.mode)
            lookup_opts = check_options(provider, req.lookup_opts)
            self.ui.notice(inp.describe())
            if not provider.billed:
                from hlrcli.batch.offline import run_offline

                return run_offline(self.ui, provider, inp, req)
            options = {
                "type": req.lookup_type,
                "mode": mode,
                "column": inp.number_column,
                "country": req.country,
                **lookup_opts,
            }
            name = req.job or job_name(provider.name, req.lookup_type, mode, inp.sha256, options)
            store = stack.enter_context(closing(self.store()))
            stack.enter_context(job_lock(self.home, name))
            return self._paid(store, provider, inp, req, name, options)
        raise AssertionError("unreachable")  # pragma: no cover - ExitStack swallows nothing

    def _resumed(self, req: BatchRequest, inp: Input) -> BatchRequest:
        """`--resume` continues a job as it was started: what this command line does not say (provider, type,
        mode, column, country, pace, concurrency) comes from the job. Without --job, the job is the unfinished
        one made from this input."""
        if not req.resume:
            return req
        with closing(self.store()) as store:
            if req.job is not None:
                job = store.job(req.job)
            else:
                found = [
                    j
                    for j in store.jobs()
                    if j.input_hash == inp.sha256 and j.state is not JobState.DONE
                    and (req.provider is None or j.provider == req.provider)
                    and (req.kind is None or j.kind == req.kind)
                ]  # fmt: skip
                if len(found) > 1:
                    names = ", ".join(j.name for j in found)
                    raise UsageError(f"more than one unfinished job was made from this input ({names}): name one "
                                     "with --job")  # fmt: skip
                job = found[0] if found else None
        if job is None:
            return req  # refused later, with the name it would have had
        run = job.options.get("run") or {}
        return replace(
            req,
            job=job.name,
            provider=req.provider or job.provider,
            kind=req.kind or job.kind,
            mode=req.mode or job.mode,
            column=req.column or job.options.get("column"),
            country=req.country or job.options.get("country"),
            per_minute=req.per_minute or run.get("per_minute"),
            concurrency=req.concurrency or run.get("concurrency"),
        )

    def _paid(
        self, store: Store, provider: Provider, inp: Input, req: BatchRequest, name: str, options: dict[str, Any]
    ) -> BatchOutcome:
        existing = store.job(name)
        if existing is None and req.resume:
            raise UsageError(f"no job named {name} to resume (see `hlrcli jobs list`)")
        run = run_options(req, existing)
        check_destination(run, req.stdout, inp)  # before any request, even a free price query
        shaper = RowShaper(
            inp.columns,
            req.lookup_type,
            provider.name,
            receipt=options["mode"] == "async",
            cached=req.max_age is not None,
        )
        check_columns(self._style(run, inp.delimiter), shaper.columns)  # before a job exists
        if existing is None:
            job = Job(
                name=name,
                provider=provider.name,
                kind=req.lookup_type,
                mode=options["mode"],
                options=self._stored({**options, "run": run}),
                input=inp.name if inp.spooled else str(Path(inp.name).resolve()),
                input_hash=inp.sha256,
                columns=inp.columns,
                number_column=inp.number_column,
                state=JobState.INGESTING,
            )
            store.create_job(job)
            fmt = self._format(run)
            overlap = not req.dry_run and req.max_cost is None and req.max_age is None
            if overlap and (req.yes or not self.ui.can_ask()) and fmt is not Format.table:
                # The input was checked in full already: read it into the journal while the first requests go.
                reading = Ingestion(store, job, inp.rows(), inp.number_index, req.country).start()
                return self._execute(store, job, provider, inp, req, run, Estimate(), (), {}, reading=reading)
            try:
                job.rows = ingest(store, job, inp.rows(), inp.number_index, req.country)
            except BaseException:
                store.delete_job(name)  # a half-read input is not a job
                raise
            store.update_job(name, rows=job.rows)
            self._move(store, job, JobState.READY)
            before: dict[NumberState, int] = {}
        else:
            job = existing
            check_same(job, provider.name, options, inp)
            left = store.settle_leftovers(name)
            if left:
                self.ui.notice(f"job {name}: {left} numbers were in flight when the last run stopped")
            if job.state is JobState.INGESTING:
                # The run that created it stopped while reading the input: read it again (idempotent).
                job.rows = ingest(store, job, inp.rows(), inp.number_index, req.country)
                store.update_job(name, rows=job.rows)
                self._move(store, job, JobState.READY)
            counts = store.counts(name)
            to_do = sum(counts.get(s, 0) for s in (*TO_SEND, NumberState.UNCERTAIN))
            never_sent = set(counts) <= {NumberState.PENDING}
            if req.again and not req.dry_run:
                cost = store.cost(name)
                question = f"job {name} already ran ({sum(counts.values())} numbers, {cost.text()}). Pay again?"
                if not self._ask(req.yes, question):
                    unasked = "" if self.ui.can_ask() else " (no terminal to ask: --yes pays again)"
                    raise UsageError(f"nothing sent{unasked}; `hlrcli jobs results {name}` exports what the job holds")
                store.reset_job(name)
            elif not to_do and not req.dry_run:
                return self._export_done(store, job, provider, req, run, inp)
            elif to_do and not never_sent and not req.resume and not req.dry_run:
                raise UsageError(
                    f"job {name} exists with {to_do} numbers not done: continue it with --resume "
                    "(or name a new job with --job)"
                )
            store.update_job(name, options=self._stored({**job.options, "run": run}))
            before = store.counts(name)
        if not req.dry_run:
            check_table_size(self._format(run), job.rows)
        resend = self._resend_states(store, job, provider, req.resubmit_uncertain)
        states = (*TO_SEND, *resend)
        reused, paid_then = self._reuse(store, job, req.max_age, states) if req.max_age is not None else (0, 0.0)
        est = estimate(store, job, provider, states)
        if req.dry_run:
            return self._dry_run(store, job, provider, est, existing is None, reused, paid_then)
        if req.max_cost is not None and est.cost > req.max_cost:
            raise UsageError(f"estimated cost {est.text()} exceeds --max-cost {req.max_cost:g}; nothing sent")
        if est.unknown and req.max_cost is not None:
            self.ui.notice(f"{est.unknown} numbers have no known price: --max-cost is checked against what is billed")
        question = f"look up {est.to_send} numbers on {provider.name} for about {est.text()}?"
        if est.to_send > CONFIRM_ABOVE and self.ui.can_ask() and not self._ask(req.yes, question):
            raise UsageError("nothing sent")
        return self._execute(store, job, provider, inp, req, run, est, resend, before, reused=reused)

    def _ask(self, yes: bool, question: str) -> bool:
        if yes:
            return True
        if not self.ui.can_ask():
            return False
        return self.ui.confirm(question)

    def _format(self, run: dict[str, Any]) -> Format:
        return Format(run["format"])

    def _resend_states(
        self, store: Store, job: Job, provider: Provider, resubmit_uncertain: bool
    ) -> tuple[NumberState, ...]:
        uncertain = store.numbers_in(job.name, (NumberState.UNCERTAIN,), limit=11)
        if not uncertain:
            return ()
        if provider.resend_free:
            self.ui.notice(f"resending uncertain requests: {provider.name} references make a repeat free")
            return (NumberState.UNCERTAIN,)
        if resubmit_uncertain:
            self.ui.warn("resending uncertain requests (--resubmit-uncertain): some may be billed twice")
            return (NumberState.UNCERTAIN,)
        shown = ", ".join(r.number for r in uncertain[:10])
        more = " …" if len(uncertain) > 10 else ""
        self.ui.warn(
            f"uncertain (sent, no answer; maybe billed): {shown}{more} — not resent; a late result resolves them "
            f"(`hlrcli jobs show {job.name}`), --resubmit-uncertain resends those still without one"
        )
        return ()

    def _reuse(self, store: Store, job: Job, max_age: float, states: Sequence[NumberState]) -> tuple[int, float]:
        """--max-age: numbers with a final result of the same provider and type young enough are not bought.
        Returns how many, and what those results cost when they were bought."""
        cutoff = time.time() - max_age
        reused, paid_then = 0, 0.0
        after = -1
        while True:
            rows = store.numbers_in(job.name, states, limit=2000, after=after)
            if not rows:
                return reused, paid_then
            after = rows[-1].first_idx
            found = store.cached(job.provider, job.kind, [r.number for r in rows], cutoff)
            found = {n: c for n, c in found.items() if c.job != job.name}
            if found:
                outcomes = [
                    (n, NumberState.DONE, {"result": c.result, "source": "store", "cost": None, "maybe_cost": None})
                    for n, c in found.items()
                ]
                store.record(job.name, outcomes)
                # `record` stamps now; a reused result keeps the time it was obtained.
                with store.tx() as db:
                    db.executemany(
                        "UPDATE numbers SET updated = ? WHERE job = ? AND number = ?",
                        [(c.updated, job.name, n) for n, c in found.items()],
                    )
                reused += len(found)
                paid_then += sum(_money(json.loads(c.result).get("cost")) for c in found.values())

    def _dry_run(
        self,
        store: Store,
        job: Job,
        provider: Provider,
        est: Estimate,
        temporary: bool,
        reused: int,
        paid_then: float = 0.0,
    ) -> BatchOutcome:
        counts = store.counts(job.name)
        chunk = provider.chunk_size if job.mode == "async" else 1
        requests = -(-est.to_send // chunk) if est.to_send else 0
        saved = None
        if reused and est.unit is not None:
            saved = round(reused * est.unit, 4)
        elif reused and paid_then:
            saved = round(paid_then, 4)  # nothing left to price: what those results cost when bought
        report = {
            "job": job.name,
            "provider": provider.name,
            "type": job.kind,
            "mode": job.mode,
            "rows": job.rows,
            "distinct_numbers": sum(counts.values()),
            "invalid_rows": store.invalid_rows(job.name),
            "already_done": counts.get(NumberState.DONE, 0) + counts.get(NumberState.SUBMITTED, 0) - reused,
            "from_store": reused,
            "saved": saved,
            "to_send": est.to_send,
            "chunks": requests if job.mode == "async" else 0,
            "requests": requests,
            "estimated_cost": None if est.unknown == est.to_send and est.to_send else round(est.cost, 4),
            "currency": est.currency,
            "unknown_price_numbers": est.unknown,
            "by_country": [f"{k}: {v}" for k, v in est.by_country.items()],
        }
        if temporary:
            store.delete_job(job.name)
        elif reused:
            # A dry run sends nothing and keeps nothing: the reused results are taken again by the real run.
            with store.tx() as db:
                db.execute(
                    "UPDATE numbers SET state = 'pending', result = NULL, source = NULL WHERE job = ?"
                    " AND source = 'store'",
                    (job.name,),
                )
        return BatchOutcome(ExitCode.OK, job.name, report=report)

    def _style(self, run: dict[str, Any], inp_delimiter: str) -> Style:
        excel = bool(run.get("excel"))
        return Style(
            columns=tuple(run["columns"]) if run.get("columns") else None,
            header=run.get("header") is not False,
            delimiter=";" if excel else delimiter_for(run.get("output"), inp_delimiter),
            raw=bool(run.get("raw")),
            bom=excel,
        )

    def _export_done(
        self, store: Store, job: Job, provider: Provider, req: BatchRequest, run: dict[str, Any], inp: Input
    ) -> BatchOutcome:
        """A job whose every number has its outcome: re-exporting it costs nothing, so it needs no flag."""
        if provider.billed:
            store.price_unknown(job.name)  # a price learnt since (another job's answers)
        fmt = self._format(run)
        check_table_size(fmt, job.rows)
        shaper = RowShaper(
            job.columns, job.kind, provider.name, receipt=job.mode == "async", cached=req.max_age is not None
        )
        style = self._style(run, inp.delimiter)
        check_columns(style, shaper.columns)
        with open_output(run.get("output"), req.stdout, binary=fmt is Format.xlsx, not_same_as=inp.path) as stream:
            out = writer(fmt, stream, columns=shaper.columns, style=style)
            for r in store.joined(job.name):
                out.write(shaper.from_store(r))
            out.close()
        counts = store.counts(job.name)
        summary = self._summary(store, job, Tally(), counts, exported=True)
        code = ExitCode.FAILURE if counts.get(NumberState.REJECTED) or counts.get(NumberState.FAILED) else ExitCode.OK
        return BatchOutcome(code, job.name, summary=summary)

    def _execute(
        self,
        store: Store,
        job: Job,
        provider: Provider,
        inp: Input,
        req: BatchRequest,
        run: dict[str, Any],
        est: Estimate,
        resend: tuple[NumberState, ...],
        before: dict[NumberState, int],
        reading: Ingestion | None = None,
        reused: int = 0,
    ) -> BatchOutcome:
        stop = threading.Event()
        fmt = self._format(run)
        receipt = job.mode == "async"
        shaper = RowShaper(job.columns, job.kind, provider.name, receipt=receipt, cached=req.max_age is not None)
        total = None if reading else est.to_send
        bar = self.ui.progress(total, f"{provider.name} {job.kind}")
        lookup_opts = self._lookup_opts(job)
        style = self._style(run, inp.delimiter)
        check_columns(style, shaper.columns)
        tally = Tally()
        if not reading:
            self._move(store, job, JobState.RUNNING)
        try:
            try:
                with open_output(
                    run.get("output"), req.stdout, binary=fmt is Format.xlsx, not_same_as=inp.path
                ) as stream:
                    out = writer(fmt, stream, columns=shaper.columns, style=style)
                    emitter = OrderedEmitter(store, job.name, shaper, out.write, to_send=(*TO_SEND, *resend))
                    runner = Runner(
                        store,
                        job,
                        provider,
                        concurrency=run.get("concurrency") or 8,
                        max_cost=run.get("max_cost"),
                        unit_price=est.unit,
                        pricer=provider.pricer(job.kind, job.options),
                        resend=resend,
                        progress=bar.advance,
                        lookup_opts=lookup_opts,
                        on_results=emitter.advance,  # rows stream out in input order as soon as they are final
                        more_coming=reading.running if reading else (lambda: False),
                        stop=stop,
                    )
                    emitter.on_closed = lambda: runner.halt("the output was closed")
                    emitter.advance()  # rows already final (invalid, reused from the store) go out at once
                    try:
                        with finish_in_flight_on_signal(stop):
                            tally = runner.run_sync() if job.mode == "sync" else runner.run_async()
                        if reading:
                            job.rows = reading.finish()
                            store.update_job(job.name, rows=job.rows)
                            self._move(store, job, JobState.RUNNING)
                            reading = None
                    except KeyboardInterrupt:
                        tally = runner.tally
                        raise Interrupted(self._interrupted(store, job, inp, tally, before, reading, run)) from None
                    bar.stop()
                    emitter.flush()
                    if not emitter.closed:
                        out.close()
            except OSError as exc:
                import errno

                if exc.errno == errno.ENOSPC:
                    raise DiskFull("disk full while writing the output") from None
                raise
        except Interrupted as stopped:
            bar.stop()
            return stopped.outcome
        except DiskFull as exc:
            raise DiskFull(f"{exc.message}; the journal is intact: free some space and resume with "
                           f"`{self._resume_hint(job, run)}`") from None  # fmt: skip
        finally:
            bar.stop()
        counts = store.counts(job.name)
        left = sum(counts.get(s, 0) for s in (NumberState.PENDING, NumberState.FAILED, NumberState.UNCERTAIN))
        self._move(store, job, JobState.DONE if not left else JobState.INCOMPLETE)
        summary = self._summary(store, job, tally, before, reused=reused, resend_free=provider.resend_free)
        hints = []
        if tally.stopped:
            hints.append(f"stopped early ({tally.stopped}); continue with `{self._resume_hint(job, run)}`")
        if job.mode == "async" and counts.get(NumberState.SUBMITTED):
            hints.append(
                f"{provider.where_results(lookup_opts)}; then `hlrcli jobs results {job.name} --wait` writes the "
                "enriched rows"
            )
        rejected = counts.get(NumberState.REJECTED, 0)
        code = ExitCode.FAILURE if left or rejected else ExitCode.OK
        lines = self._breakdown(store, job) if req.breakdown else []
        return BatchOutcome(code, job.name, summary=summary, hint="\n".join(hints) or None, breakdown=lines)

    def _stored(self, options: dict[str, Any]) -> dict[str, Any]:
        """Options as the job keeps them: our webhook token out of callback URLs (it is put back when sent)."""
        urls = [options.get(k) for k in ("notify_url", "callback_url")]
        if not any(isinstance(u, str) and "token=" in u.lower() for u in urls):
            return options
        return scrub_options(options, self._token())

    def _lookup_opts(self, job: Job) -> dict[str, Any]:
        """The provider options as sent: a webhook token kept out of the store is put back into its URL."""
        opts = {k: v for k, v in job.options.items() if k not in ("type", "mode", "column", "country", "run", "scope")}
        for key in ("notify_url", "callback_url"):
            if isinstance(opts.get(key), str):
                opts[key] = unscrub(opts[key], self._token)
        return opts

    def _interrupted(
        self,
        store: Store,
        job: Job,
        inp: Input,
        tally: Tally,
        before: dict[NumberState, int],
        reading: Ingestion | None,
        run: dict[str, Any],
    ) -> BatchOutcome:
        if reading:
            reading.stop()  # the job stays `ingesting`: --resume reads the input again
            job.rows = inp.rows_total or 0
        else:
            self._move(store, job, JobState.INTERRUPTED)
        summary = self._summary(store, job, tally, before)
        return BatchOutcome(
            ExitCode.INTERRUPTED,
            job.name,
            summary=summary,
            hint=f"interrupted: resume with `{self._resume_hint(job, run)}`",
        )

    def _resume_hint(self, job: Job, run: dict[str, Any]) -> str:
        source = "-" if job.input == "stdin" else (job.input or "FILE")
        words = ["hlrcli", "batch", source, "--job", job.name, "--resume"]
        if run.get("output"):
            words += ["-o", str(run["output"])]
        if run.get("format") and not run.get("output"):
            words += ["-f", str(run["format"])]
        return " ".join(shlex.quote(w) for w in words)

    def _summary(
        self,
        store: Store,
        job: Job,
        tally: Tally,
        before: dict[NumberState, int],
        *,
        reused: int = 0,
        exported: bool = False,
        resend_free: bool = False,
    ) -> str:
        counts = store.counts(job.name)
        rows = job.rows or int(store.query("SELECT COUNT(*) FROM rows WHERE job = ?", (job.name,))[0][0])
        failed = counts.get(NumberState.FAILED, 0) + counts.get(NumberState.REJECTED, 0)
        cost = store.cost(job.name)
        if exported:
            return (
                f"job {job.name} is done: {rows} rows exported from the store, nothing sent "
                f"(the job cost {cost.text()})"
            )
        earlier = sum(before.get(s, 0) for s in (NumberState.DONE, NumberState.SUBMITTED, NumberState.REJECTED))
        this_run = f"{tally.cost:.4f} EUR" + (f" + up to {tally.maybe:.4f} maybe billed" if tally.maybe else "")
        resent = before.get(NumberState.UNCERTAIN, 0) if resend_free and tally.sent else 0
        free = f" ({resent} uncertain ones resent free: references make a repeat free)" if resent else ""
        return (
            f"{rows} rows, {sum(counts.values())} distinct, {tally.sent} sent{free}, {earlier + reused} from the "
            f"store, {store.invalid_rows(job.name)} invalid, {failed} failed, "
            f"{counts.get(NumberState.UNCERTAIN, 0)} uncertain, {counts.get(NumberState.PENDING, 0)} not sent, "
            f"cost {this_run} ({cost.text()} for the whole job {job.name})"
        )

    @staticmethod
    def _breakdown(store: Store, job: Job) -> list[str]:
        """The closing breakdown a terminal shows, from the job's distinct results (at most 100,000); made only
        when asked: decoding every result costs a large quiet batch a tenth of its time."""
        from hlrcli.batch.report import compute
        from hlrcli.batch.report_text import breakdown_lines

        rows = store.query(
            "SELECT result FROM numbers WHERE job = ? AND state = 'done' AND result IS NOT NULL LIMIT 100000",
            (job.name,),
        )
        return breakdown_lines(compute([json.loads(r[0]) for r in rows], currency="EUR")) if rows else []

    # Submit now (lookup on an asynchronous provider) ----------------------------------------------------------
    def submit_now(self, provider: Provider, numbers: list[Number], **opts: Any) -> SubmitOutcome:
        """One small job (`lookup-…`), so a webhook or a poll can attach the results and `jobs results` export
        them; the same journal rules as a batch."""
        todo = distinct(numbers)
        if not todo:
            raise InputError("no valid number to submit")
        used = check_options(provider, opts)
        options: dict[str, Any] = {"type": "hlr", "mode": "async", **used}
        scope = provider.lookup_scope()
        if scope:
            options["scope"] = scope
        if "reference" in used:
            provider.references([n.e164 or "" for n in todo], scope or "", **used)  # checks it before anything
        name = f"lookup-{provider.name}-{time.strftime('%Y%m%d-%H%M%S')}-{time.monotonic_ns() % 100000:05d}"
        with closing(self.store()) as store:
            job = Job(
                name=name,
                provider=provider.name,
                kind="hlr",
                mode="async",
                options=self._stored(options),
                input="command line",
                columns=["input"],
                number_column="input",
                state=JobState.INGESTING,
            )
            store.create_job(job)
            job.rows = ingest(store, job, iter([[n.e164 or ""] for n in todo]), 0, None)
            store.update_job(name, rows=job.rows)
            self._move(store, job, JobState.RUNNING)
            runner = Runner(
                store,
                job,
                provider,
                concurrency=1,
                max_cost=None,
                unit_price=None,
                resend=(),
                progress=lambda n, c: None,
                lookup_opts=self._lookup_opts(job),
            )
            runner.run_async()
            rows = store.numbers_in(name, tuple(NumberState), limit=len(todo) + 1)
            left = [r for r in rows if r.state is not NumberState.SUBMITTED]
            self._move(store, job, JobState.DONE if not left else JobState.INCOMPLETE)
        submissions = [
            Submission(
                msisdn=r.number,
                state=r.receipt or r.state.value.upper(),
                id=r.sub_id,
                reference=r.reference,
                cost=r.cost,
                currency=r.currency,
                provider=provider.name,
                error=r.error,
            )
            for r in rows
        ]
        return SubmitOutcome(name, submissions, provider.receipts(submissions, self._lookup_opts(job)), len(left))


@dataclass
class SubmitOutcome:
    job: str
    submissions: list[Submission]
    records: list[Any]  # what to print (receipts)
    refused: int


def _money(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0
